// Co-editing benchmark: two scripted editors that behave like Neovim (test/lsp/scripted-editor.ts) edit one
// line of one file through a real session — the host's editor on `lspair lsp` in the share, a guest's (role
// editor) on `lspair lsp` in its mirror, the guest joined through `lspair relay` on loopback. Measured: the time
// from a keystroke (its didChange) to the other editor's applyEdit carrying it, host→guest and guest→host, one
// keystroke at a time; then sustained typing — one editor, then both at once — at rising rates, a few seconds
// per step, until the p99 grows past 10× the idle p99. First with a trivial language server (lspair's own cost),
// then with typescript-language-server, whose work on every change competes for the same CPUs.
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { ScriptedEditor } from '../test/lsp/scripted-editor.js';
import { BenchSession, FAKE_SERVER, TS_SERVER, type Guest, type StdioProcess } from './lsp-session.js';
import { machine, ms, percentile, table } from './stats.js';

const IDLE_KEYSTROKES = Number(process.env.BENCH_COEDIT_IDLE ?? 500);
const RATES = (process.env.BENCH_COEDIT_RATES ?? '20,50,100,200,400,800,1600').split(',').map(Number);
const STEP_MS = 2000;
const GROWTH = 10;
const SETTLE_MS = 20_000;
const FILE = 'src/main.ts';

/**
 * A scripted editor that notices the other side's edits arriving: ScriptedEditor reports an applied
 * `workspace/applyEdit` by calling `flush` at once (as Neovim sends its didChange right after applying), while
 * the bench's own keystrokes go out through `keystroke`.
 */
class TimedEditor extends ScriptedEditor {
  /** Keystrokes typed here (each one character). */
  typed = 0;
  #initial = 0;
  #arrivals: (() => void) | null = null;
  #stopped = false;

  constructor(
    readonly label: string,
    readonly uri: string,
    private readonly process: StdioProcess,
    /** Where this editor types: its own spot in the file, found again in the current text each time. */
    private readonly spot: (text: string) => number,
  ) {
    super(process.child.stdout!, process.child.stdin!);
  }

  async start(root: string, text: string): Promise<void> {
    await this.initialize(pathToFileURL(root).href);
    await this.open(this.uri, text);
    this.#initial = text.length;
  }

  /** Characters of the other editor's that have reached this buffer. */
  get received(): number {
    return this.text(this.uri).length - this.#initial - this.typed;
  }

  onArrival(listener: () => void): void {
    this.#arrivals = listener;
  }

  keystroke(): Promise<void> {
    const at = this.spot(this.text(this.uri));
    this.type(this.uri, at, at, String.fromCharCode(97 + (this.typed % 26)));
    this.typed++;
    return this.#sent(super.flush(this.uri));
  }

  override flush(uri: string): Promise<void> {
    if (this.#stopped) return Promise.resolve(); // an edit that arrived as the bench ends
    this.#arrivals?.();
    return this.#sent(super.flush(uri));
  }

  /** A write that was on its way when the bench hung up fails with the closed stream: that is no error. */
  #sent(write: Promise<void>): Promise<void> {
    return write.catch((err: Error) => {
      if (!this.#stopped) throw err;
    });
  }

  /** Stops answering and typing; then `stop` ends the editor's process. */
  hangUp(): void {
    this.#stopped = true;
    this.dispose();
  }

  async stop(): Promise<void> {
    this.hangUp();
    await this.process.stop();
  }
}

/** Keystrokes from one editor and when each reached the other's buffer. */
class Flow {
  readonly sent: number[] = [];
  readonly latencies: number[] = [];
  #waiting: { count: number; resolve: () => void }[] = [];

  constructor(
    readonly from: TimedEditor,
    readonly to: TimedEditor,
  ) {}

  /** Called when `to` applied an edit: every keystroke its buffer now holds has arrived. */
  arrived(): void {
    const now = performance.now();
    const count = Math.min(this.to.received, this.sent.length);
    while (this.latencies.length < count) this.latencies.push(now - this.sent[this.latencies.length]!);
    this.#waiting = this.#waiting.filter((w) => (this.latencies.length >= w.count ? (w.resolve(), false) : true));
  }

  async keystroke(): Promise<void> {
    this.sent.push(performance.now());
    await this.from.keystroke();
  }

  /** Resolves once `count` keystrokes arrived; false after `ms` without. */
  until(count: number, timeoutMs: number): Promise<boolean> {
    if (this.latencies.length >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#waiting.push({ count, resolve: () => (clearTimeout(timer), resolve(true)) });
    });
  }

  /** A fresh record for the next measurement, once the editors agree: `from`'s earlier keystrokes all arrived. */
  static between(from: TimedEditor, to: TimedEditor): Flow {
    const flow = new Flow(from, to);
    for (let i = 0; i < from.typed; i++) flow.sent.push(0), flow.latencies.push(0);
    to.onArrival(() => flow.arrived());
    return flow;
  }

  /** Latencies of this record's own keystrokes. */
  latest(since: number): number[] {
    return this.latencies.slice(since);
  }
}

/** Types `count` keystrokes at `rate` per second (a timer per millisecond tick; several keystrokes per tick above 1 000/s). */
async function typeAt(flow: Flow, rate: number, count: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; ) {
    const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; i < due; i++) await flow.keystroke();
    if (i < count) await new Promise((r) => setTimeout(r, Math.max(0, start + (i * 1000) / rate - performance.now())));
  }
  return (count * 1000) / (performance.now() - start);
}

async function converged(a: TimedEditor, b: TimedEditor): Promise<boolean> {
  const deadline = Date.now() + SETTLE_MS;
  const want = () => a.typed + b.typed;
  while (Date.now() < deadline) {
    const ta = a.text(a.uri);
    if (ta === b.text(b.uri) && a.received + a.typed === want() && b.received + b.typed === want()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** One keystroke at a time, each waited for on the other side. */
async function idle(from: TimedEditor, to: TimedEditor): Promise<number[]> {
  const flow = Flow.between(from, to);
  const first = flow.sent.length;
  for (let i = 0; i < IDLE_KEYSTROKES; i++) {
    await flow.keystroke();
    if (!(await flow.until(flow.sent.length, SETTLE_MS))) throw new Error(`${from.label} → ${to.label}: a keystroke did not arrive in ${SETTLE_MS} ms`);
    await new Promise((r) => setTimeout(r, 2)); // a pause, as between keystrokes
  }
  return flow.latest(first);
}

interface Step {
  readonly rate: number;
  readonly achieved: number;
  /** Per flow: p50 and p99 of its keystrokes, or null when they did not all arrive. */
  readonly flows: ({ p50: number; p99: number } | null)[];
  readonly converged: boolean;
  /** Editors re-synced whole during the step. */
  readonly resyncs: number;
}

/** Each editor of `typists` types at `rate` for STEP_MS; the latencies of its keystrokes to the other. */
async function step(session: BenchSession, host: TimedEditor, guest: TimedEditor, typists: readonly TimedEditor[], rate: number): Promise<Step> {
  const resyncs = session.resyncs();
  const count = Math.max(20, Math.round((rate * STEP_MS) / 1000));
  const flows = typists.map((t) => (t === host ? Flow.between(host, guest) : Flow.between(guest, host)));
  const firsts = flows.map((f) => f.sent.length);
  const achieved = await Promise.all(flows.map((f) => typeAt(f, rate, count)));
  const arrived = await Promise.all(flows.map((f, i) => f.until(firsts[i]! + count, SETTLE_MS)));
  const ok = await converged(host, guest);
  return {
    rate,
    achieved: Math.min(...achieved),
    flows: flows.map((f, i) => (arrived[i] ? { p50: percentile(f.latest(firsts[i]!), 0.5), p99: percentile(f.latest(firsts[i]!), 0.99) } : null)),
    converged: ok,
    resyncs: session.resyncs() - resyncs,
  };
}

/** Steps the rate up until a flow's p99 passes GROWTH × its idle p99 (or keystrokes stop arriving). */
async function sustained(session: BenchSession, host: TimedEditor, guest: TimedEditor, typists: readonly TimedEditor[], idleP99: readonly number[]): Promise<{ steps: Step[]; saturated: number | null }> {
  const steps: Step[] = [];
  for (const rate of RATES) {
    const s = await step(session, host, guest, typists, rate);
    steps.push(s);
    const grown = s.flows.some((f, i) => f === null || f.p99 > GROWTH * idleP99[i]!);
    if (grown || !s.converged) return { steps, saturated: rate };
  }
  return { steps, saturated: null };
}

type Who = 'host' | 'guest' | 'both';

/** Idle latency both ways, then sustained typing for each of `modes`, through the hub of `server`. */
async function series(session: BenchSession, g: Guest, server: { name: string; what: string }, modes: readonly Who[]): Promise<string[]> {
  const text = readFileSync(path.join(session.share, FILE), 'utf8');
  // The host types at the start of the string in `greet('ada')`, the guest at its end: the same line.
  const host = new TimedEditor('host', pathToFileURL(path.join(session.share, FILE)).href, session.editor(server.name, 'host'), (t) => t.indexOf("greet('") + 7);
  const guest = new TimedEditor('guest', pathToFileURL(path.join(g.mirror, FILE)).href, session.editor(server.name, g), (t) => t.indexOf("');"));
  try {
    await host.start(session.share, text);
    await guest.start(g.mirror, text);
    await idle(host, guest); // warm-up, both ways
    await idle(guest, host);
    if (!(await converged(host, guest))) throw new Error('the editors did not converge after the warm-up');
    const h2g = await idle(host, guest);
    const g2h = await idle(guest, host);
    const idleP99 = { host: percentile(h2g, 0.99), guest: percentile(g2h, 0.99) };
    const lines = [
      `with ${server.what} on the host: keystroke → the other editor's applyEdit, one at a time (${IDLE_KEYSTROKES} each way, after as many of warm-up):`,
      ...table([
        ['direction', 'p50', 'p99'],
        ['host → guest', ms(percentile(h2g, 0.5)), ms(idleP99.host)],
        ['guest → host', ms(percentile(g2h, 0.5)), ms(idleP99.guest)],
      ]),
      `sustained typing with ${server.what}, one didChange per keystroke, ${STEP_MS / 1000} s per step, the rate stepped up until a p99 passes ${GROWTH}× its idle p99:`,
    ];
    const rows: string[][] = [['who types', 'rate/s', 'sent/s', 'host→guest p50', 'p99', 'guest→host p50', 'p99', 'converged', 're-synced whole']];
    const summary: string[] = [];
    for (const who of modes) {
      const typists = who === 'host' ? [host] : who === 'guest' ? [guest] : [host, guest];
      const { steps, saturated } = await sustained(session, host, guest, typists, typists.map((t) => (t === host ? idleP99.host : idleP99.guest)));
      for (const s of steps) {
        const cell = (editor: TimedEditor): string[] => {
          const i = typists.indexOf(editor);
          const f = s.flows[i];
          return i < 0 ? ['', ''] : f ? [ms(f.p50), ms(f.p99)] : ['not all arrived', ''];
        };
        rows.push([who, String(s.rate), s.achieved.toFixed(0), ...cell(host), ...cell(guest), s.converged ? 'yes' : 'NO', String(s.resyncs)]);
      }
      const fine = steps.at(-2);
      summary.push(saturated === null ? `${who} typing: under ${GROWTH}× idle p99 up to ${RATES.at(-1)} keystrokes/s` : `${who} typing: p99 passed ${GROWTH}× idle p99 at ${saturated} keystrokes/s${fine ? ` (within it at ${fine.rate}/s)` : ''}`);
    }
    return [...lines, ...table(rows), ...summary.map((line) => `  ${line}`)];
  } finally {
    for (const e of [host, guest]) e.hangUp();
    for (const e of [host, guest]) await e.stop();
  }
}

export async function runCoeditBench(): Promise<string[]> {
  const load = os.loadavg()[0]!;
  const relay = await BenchSession.relay();
  const session = await BenchSession.start({ fake: FAKE_SERVER, ts: TS_SERVER }, relay.url);
  try {
    const g = await session.join('g1', 'relay');
    await session.role(g, 'editor');
    const lines = [
      ...(await series(session, g, { name: 'fake', what: 'a trivial server' }, ['host', 'guest', 'both'])),
      ...(await series(session, g, { name: 'ts', what: 'typescript-language-server' }, ['both'])),
    ];
    return [`Co-editing, a host editor and a guest editor (role editor, joined through lspair relay) on one line of one file, on loopback (${machine(load)}):`, ...lines];
  } finally {
    await session.close();
    await relay.stop();
  }
}
