// The soak of issue 8 (no tests here): one `lspair relay` and sessions of `lspair host`, each with a language
// server, whose guests `lspair join` through the relay. On the host and on every guest an editor through
// `lspair lsp` (a scripted Neovim-like editor) keeps asking — hover, definition, one at a time — and typing into
// a document every editor of its session has open, each on its own line (deleting it once it is full). Every
// process it watches runs with an inspector, so that its heap can be measured after a full collection
// (test/helpers/heap.ts). test/load/soak.test.ts holds it to its bounds; bench/soak.bench.ts prints its figures.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { atGreet, BenchSession, FAKE_SERVER, GREET, realAnswer, TS_SERVER, type Guest, type StdioProcess } from '../../bench/lsp-session.js';
import type { LspairProcess } from '../helpers/process.js';
import { heapAfterGcAt, INSPECT, inspectorPort } from '../helpers/heap.js';
import { settled } from '../lsp/live.js';
import { ScriptedEditor } from '../lsp/scripted-editor.js';

export type ServerKind = 'fake' | 'ts';

export interface SessionSpec {
  /** bench/fake-lsp-server.ts (answers at once: the proxies' own cost, at volume) or typescript-language-server. */
  readonly server: ServerKind;
  readonly guests: number;
}

const SERVERS: Readonly<Record<ServerKind, readonly string[]>> = { fake: FAKE_SERVER, ts: TS_SERVER };
/** The document every editor of a session types into, one line each. */
const PAD = 'src/pad.ts';
const METHODS = ['textDocument/hover', 'textDocument/definition'] as const;
/**
 * An editor's line grows to this many characters, then its next keystroke deletes them (as a user selects and
 * deletes): the shared document stays small however long the soak runs, so a heap that keeps growing is a leak,
 * not the document.
 */
const LINE = 64;
/** An answer that takes longer is lost: the soak goes on, the request counts as a failure (not a timing bound). */
const LOST_MS = 60_000;
/** typescript-language-server answers from a syntax-only server until the project is loaded. */
const WARM_UP_MS = 120_000;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const uri = (root: string, file: string): string => pathToFileURL(path.join(root, file)).href;

/** Editor `i`'s line of the pad, before it typed anything. */
const marker = (i: number): string => `// e${i}:`;

function padText(editors: number, typed: (i: number) => string = () => ''): string {
  return Array.from({ length: editors }, (_, i) => `${marker(i)}${typed(i)}\n`).join('');
}

/** One editor of the soak: it asks (the answers must be the real ones) and types, in turn. */
export class Typist extends ScriptedEditor {
  /** When each answered request was sent (performance.now()) and how long its answer took, ms. */
  readonly samples: { readonly at: number; readonly ms: number }[] = [];
  /** Requests that failed or got a wrong answer, with what came back. */
  readonly failures: string[] = [];
  sent = 0;
  /** What this editor's line holds now (what it typed since it last deleted it). */
  typed = '';
  /** Keystrokes so far, the deletions among them. */
  keystrokes = 0;
  /** What its `lspair lsp` wrote on stderr (its inspector's port). */
  stderr = '';

  constructor(
    readonly label: string,
    readonly root: string,
    readonly line: number,
    private readonly process: StdioProcess,
  ) {
    super(process.child.stdout!, process.child.stdin!);
    process.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
  }

  /** Its `lspair lsp`'s pid. */
  get pid(): number {
    return this.process.child.pid!;
  }

  get pad(): string {
    return uri(this.root, PAD);
  }

  /** Initializes and opens main.ts (asked about) and the pad. */
  async start(): Promise<void> {
    await this.initialize(pathToFileURL(this.root).href);
    for (const file of [GREET.file, PAD]) await this.open(uri(this.root, file), readFileSync(path.join(this.root, file), 'utf8'));
  }

  /** Waits until the server gives real answers (typescript-language-server loads the project meanwhile). */
  async warmUp(): Promise<void> {
    for (const start = Date.now(); !(await this.#real(METHODS[0])) || !(await this.#real(METHODS[1])); await sleep(200)) {
      if (Date.now() - start > WARM_UP_MS) throw new Error(`${this.label}: no real hover and definition within ${WARM_UP_MS} ms`);
    }
  }

  /** Asks and types in turn, pausing `pauseMs` after each keystroke, until `over()`. */
  async run(over: () => boolean, pauseMs: number): Promise<void> {
    for (let i = 0; !over(); i++) {
      await this.ask(METHODS[i % METHODS.length]!);
      await this.keystroke();
      await sleep(pauseMs);
    }
  }

  /** One request at GREET, timed; a refusal or a wrong answer is a failure. */
  async ask(method: string): Promise<void> {
    this.sent++;
    const at = performance.now();
    try {
      const outcome = await settled(this.connection.sendRequest(method, atGreet(this.root)), `${method} from ${this.label}`, LOST_MS);
      if ('error' in outcome) throw outcome.error;
      const result = outcome.value;
      if (realAnswer(this.root, method, result)) this.samples.push({ at, ms: performance.now() - at });
      else this.failures.push(`${method}: ${JSON.stringify(result)?.slice(0, 200)}`);
    } catch (err) {
      this.failures.push(`${method}: ${(err as Error).message}`);
    }
  }

  /** One character at the end of this editor's line (or, once it is full, the line's text deleted), as its own didChange. */
  async keystroke(): Promise<void> {
    const text = this.text(this.pad);
    const end = text.indexOf('\n', text.indexOf(marker(this.line)));
    const full = this.typed.length >= LINE;
    const char = full ? '' : String.fromCharCode(97 + (this.keystrokes % 26));
    this.type(this.pad, end - (full ? this.typed.length : 0), end, char);
    this.typed = full ? '' : this.typed + char;
    this.keystrokes++;
    await this.flush(this.pad);
  }

  async stop(): Promise<void> {
    this.dispose();
    await this.process.stop();
  }

  async #real(method: string): Promise<boolean> {
    return realAnswer(this.root, method, await this.connection.sendRequest(method, atGreet(this.root)).catch(() => null));
  }
}

/** One `lspair host` of the soak with its guests (role editor, joined through the relay) and their editors. */
export class SoakSession {
  readonly typists: Typist[] = [];

  private constructor(
    readonly index: number,
    readonly spec: SessionSpec,
    readonly bench: BenchSession,
    readonly guests: Guest[],
  ) {}

  static async start(index: number, spec: SessionSpec, relay: string): Promise<SoakSession> {
    const bench = await BenchSession.start({ [spec.server]: SERVERS[spec.server] }, relay, { [PAD]: padText(spec.guests + 1) }, INSPECT);
    const session = new SoakSession(index, spec, bench, []);
    try {
      for (let g = 0; g < spec.guests; g++) {
        const guest = await bench.join(`s${index}g${g}`, 'relay'); // one at a time: see Soak.start
        session.guests.push(guest);
        await bench.role(guest, 'editor');
      }
      session.typists.push(new Typist(`s${index} host`, bench.share, 0, bench.editor(spec.server, 'host', INSPECT, 'pipe')));
      for (const [g, guest] of session.guests.entries()) session.typists.push(new Typist(`s${index} ${guest.name}`, guest.mirror, g + 1, bench.editor(spec.server, guest, INSPECT, 'pipe')));
      await Promise.all(session.typists.map((t) => t.start()));
      return session;
    } catch (err) {
      await session.close(); // no process of a failed start outlives it
      throw err;
    }
  }

  get label(): string {
    return `s${this.index} (${this.spec.server}, ${this.spec.guests} guests)`;
  }

  /** A guest joined through the relay only (the link without the host's own address). */
  join(name: string): Promise<Guest> {
    return this.bench.join(name, 'relay');
  }

  /**
   * Waits (at most `timeoutMs`) until every editor's pad is the same text, holding each editor's keystrokes on
   * its own line; returns null then, else how the editors differ.
   */
  async converged(timeoutMs = 30_000): Promise<string | null> {
    const want = padText(this.typists.length, (i) => this.typists[i]!.typed);
    const wrong = () => this.typists.filter((t) => t.text(t.pad) !== want);
    for (const deadline = Date.now() + timeoutMs; wrong().length > 0 && Date.now() < deadline; ) await sleep(100);
    const off = wrong();
    return off.length === 0 ? null : `${this.label}: ${off.map((t) => `${t.label} has ${JSON.stringify(t.text(t.pad))}`).join('; ')}; want ${JSON.stringify(want)}`;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.typists.map((t) => t.stop()));
    await this.bench.close();
  }
}

/** A process whose memory and file descriptors the soak watches. */
export interface Watched {
  readonly kind: 'relay' | 'host' | 'guest' | 'editor';
  readonly label: string;
  readonly pid: number;
  /** What it wrote on its stderr so far: its inspector's port is there. */
  stderr(): string;
}

export interface Sample {
  /** performance.now() */
  readonly at: number;
  /** Resident memory, KiB (VmRSS). */
  readonly rss: number;
  readonly fds: number;
}

export interface HeapSample {
  /** performance.now() */
  readonly at: number;
  /** Bytes of JavaScript heap in use right after a full collection. */
  readonly heap: number;
}

/** One process's resident memory and open file descriptors now; null once it is gone. */
export function sample(pid: number): Sample | null {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return { at: performance.now(), rss, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return null;
  }
}

/** Heaps measured at once in a round: enough for a round of 30 processes in a few seconds on two busy CPUs. */
const HEAPS_AT_ONCE = 4;

/**
 * Samples every watched process: resident memory and descriptors each `everyMs`; and the heap after a full
 * collection (which pauses the process it runs in a few milliseconds), in rounds at most each `heapEveryMs`.
 */
export class ResourceLog {
  readonly samples = new Map<Watched, Sample[]>();
  readonly heaps = new Map<Watched, HeapSample[]>();
  readonly #timer: NodeJS.Timeout;
  #stopped = false;
  #wake = (): void => undefined;
  readonly #heapRounds: Promise<Error | null>;

  constructor(watched: readonly Watched[], everyMs = 1000, heapEveryMs = 5000) {
    for (const w of watched) this.samples.set(w, []), this.heaps.set(w, []);
    const take = (): void => {
      for (const [w, list] of this.samples) {
        const s = sample(w.pid);
        if (s) list.push(s);
      }
    };
    take();
    this.#timer = setInterval(take, everyMs);
    // Held until stop(): a process that could not be measured fails the soak there.
    this.#heapRounds = this.#measureHeaps(heapEveryMs).then(() => null, (err: Error) => err);
  }

  async #measureHeaps(everyMs: number): Promise<void> {
    while (!this.#stopped) {
      const round = performance.now();
      const queue = [...this.heaps];
      const measure = async (): Promise<void> => {
        for (let next = queue.shift(); next && !this.#stopped; next = queue.shift()) {
          const [w, list] = next;
          const port = inspectorPort(w.stderr());
          if (port === null) throw new Error(`${w.label}: no inspector port on its stderr`);
          list.push({ at: performance.now(), heap: await heapAfterGcAt(port) });
        }
      };
      await Promise.all(Array.from({ length: HEAPS_AT_ONCE }, measure));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, everyMs - (performance.now() - round)));
        this.#wake = () => (clearTimeout(timer), resolve());
      });
    }
  }

  /** Stops sampling once the heap round under way is done; throws when a heap could not be measured. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#stopped = true;
    this.#wake();
    const failed = await this.#heapRounds;
    if (failed) throw failed;
  }
}

export interface Halves {
  readonly first: { readonly rss: number; readonly fds: number };
  readonly second: { readonly rss: number; readonly fds: number };
}

/** The largest RSS and fd count of each half of the samples taken at or after `from` (the warm-up before it). */
export function halves(samples: readonly Sample[], from: number): Halves {
  const kept = samples.filter((s) => s.at >= from);
  const mid = Math.floor(kept.length / 2);
  const peak = (part: readonly Sample[]) => ({ rss: Math.max(...part.map((s) => s.rss)), fds: Math.max(...part.map((s) => s.fds)) });
  return { first: peak(kept.slice(0, mid)), second: peak(kept.slice(mid)) };
}

export interface HeapTrend {
  /** The first and last heap samples taken at or after `from`. */
  readonly first: HeapSample;
  readonly last: HeapSample;
  readonly samples: number;
  /** The least-squares slope of the heap after GC, bytes per second. */
  readonly perSecond: number;
  /** What that slope grew the heap by from the first sample to the last, bytes. */
  readonly growth: number;
}

/** The trend of the heap after GC over the samples taken at or after `from` (the warm-up before it); null below two samples. */
export function heapTrend(samples: readonly HeapSample[], from: number): HeapTrend | null {
  const kept = samples.filter((s) => s.at >= from);
  if (kept.length < 2) return null;
  const mean = (f: (s: HeapSample) => number) => kept.reduce((sum, s) => sum + f(s), 0) / kept.length;
  const t = mean((s) => s.at);
  const h = mean((s) => s.heap);
  const perMs = mean((s) => (s.at - t) * (s.heap - h)) / mean((s) => (s.at - t) ** 2);
  const [first, last] = [kept[0]!, kept.at(-1)!];
  return { first, last, samples: kept.length, perSecond: perMs * 1000, growth: perMs * (last.at - first.at) };
}

export class Soak {
  private constructor(
    readonly relay: Awaited<ReturnType<typeof BenchSession.relay>>,
    readonly sessions: SoakSession[],
  ) {}

  /**
   * The relay, then the sessions one after the other (each with its guests and editors), then every editor's
   * warm-up at once: a machine with two CPUs starts a few dozen Node processes at once only slowly enough to miss
   * start-up deadlines, while a language server loading its project needs no more of them.
   */
  static async start(specs: readonly SessionSpec[]): Promise<Soak> {
    const soak = new Soak(await BenchSession.relay(INSPECT), []);
    try {
      for (const [i, spec] of specs.entries()) soak.sessions.push(await SoakSession.start(i, spec, soak.relay.url));
      await Promise.all(soak.typists.map((t) => t.warmUp()));
      return soak;
    } catch (err) {
      await soak.close();
      throw err;
    }
  }

  get typists(): Typist[] {
    return this.sessions.flatMap((s) => s.typists);
  }

  /** The relay, every host, every guest daemon and every editor's `lspair lsp`. */
  watched(): Watched[] {
    const daemon = (kind: Watched['kind'], label: string, p: LspairProcess): Watched => ({ kind, label, pid: p.pid, stderr: () => p.stderr });
    return [
      daemon('relay', 'relay', this.relay.process),
      ...this.sessions.flatMap((s) => [
        daemon('host', `${s.label} host`, s.bench.host),
        ...s.guests.map((g) => daemon('guest', `${s.label} ${g.name}`, g.daemon)),
        ...s.typists.map((t): Watched => ({ kind: 'editor', label: `${t.label}'s lspair lsp`, pid: t.pid, stderr: () => t.stderr })),
      ]),
    ];
  }

  /** The lspair processes (relay aside) that exited, by label. */
  exited(): string[] {
    const processes: [string, LspairProcess][] = this.sessions.flatMap((s) => [[`${s.label} host`, s.bench.host] as [string, LspairProcess], ...s.guests.map((g) => [`${s.label} ${g.name}`, g.daemon] as [string, LspairProcess])]);
    return processes.filter(([, p]) => p.exitCode !== null).map(([label, p]) => `${label} (status ${p.exitCode})`);
  }

  /** Every editor asks and types in turn, pausing `pauseMs` after each keystroke, until `done` settles. */
  async traffic(done: Promise<unknown>, pauseMs: number): Promise<void> {
    let over = false;
    const stop = (): void => void (over = true);
    done.then(stop, stop);
    await Promise.all(this.typists.map((t) => t.run(() => over, pauseMs)));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.sessions.map((s) => s.close()));
    await this.relay.stop();
  }
}
