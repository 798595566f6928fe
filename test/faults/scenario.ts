// Fault injection (DESIGN §3, issue 8), shared by faults.test.ts and bench/faults.bench.ts: a session through
// `lspair relay` where the host's editor and a guest's (role editor) co-edit one file, ask for hovers and
// definitions, and debug (the host's DAP client launches a program, the guest's follows) — while the language
// server, the debug adapter, the relay, the guest's daemon and an editor's `lspair lsp` are killed with SIGKILL at
// seeded points. After each kill the session recovers — the hub restarts the server, the guest reconnects through
// the relay restarted on its port or is started again with its --dir, an editor starts its `lspair lsp` again, a
// new debug session starts and the guest follows it — and every error a participant was given along the way says
// what happened. An edit counts as acknowledged once it reached the other editor's buffer (only the host's
// sequencer sends edits on, so it was sequenced); at the end a guest's save writes the host's file, which both
// buffers must equal, holding every acknowledged edit once. Once everything stopped, no process may run in the
// share or the mirror: no server, adapter, launcher or debuggee outlived it.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as assert from 'uvu/assert';
import { eventually } from '../helpers/procs.js';
import { Random } from '../helpers/random.js';
import { Debugging } from './debugger.js';
import { FaultEditor, tokens, type Outcome } from './editor.js';
import { outlived, processesIn, type Proc } from './procs.js';
import { FaultSession, NOTES, ON_GREET } from './session.js';

export const TARGETS = ['language server', 'debug adapter', 'relay', 'guest daemon', 'editor shim', "guest daemon, then the host editor's shim"] as const;
export type Target = (typeof TARGETS)[number];
/** The processes killed: a target kills one of these, or two. */
export type Killed = 'language server' | 'debug adapter' | 'relay' | 'guest daemon' | 'editor shim';
/** Actions of the workload before a kill: at most this many. */
const MAX_STEPS = 30;
const FILES = [NOTES, 'src/main.ts'];
const WAIT_MS = 60_000;
/** What the shims say when their daemon went away (src/cli/shim.ts). */
const DAEMON_GONE = /the lspair daemon of this folder is gone/;
/** What the hub tells the editors when it gives up on a language server that keeps crashing (src/lsp/hub.ts). */
const STAYS_STOPPED = /the language server 'ts' crashed \d+ times in \d+ minutes; it stays stopped until the host restarts/;

/** Every message a participant may be given while a fault lasts, by what it says happened. */
const CLEAR: readonly (readonly [string, RegExp])[] = [
  ['the language server was killed', /the language server 'ts' was killed by SIGKILL/],
  ['the language server crashed too often and stays stopped', STAYS_STOPPED],
  ['the debug adapter was killed', /the debug adapter 'py' was killed by SIGKILL/],
  ['the debug session had ended', /the debug session ended|no debug session of 'py' is running/],
  ['the connection to the host was lost', /the connection to the host was lost/],
  ['the guest was reconnecting', /not connected to the host/],
  // A shim started in the mirror after the daemon died, before its editor noticed, finds only its socket file.
  ["the guest's daemon was gone (lspair lsp/dap said so)", new RegExp(`${DAEMON_GONE.source}|no lspair daemon is running for this folder`)],
  ["the client's own lspair lsp or lspair dap had died", /no language server running|connection got disposed|Connection is disposed|closed: lspair dap/i],
];

/** One round: the workload, a kill, the recovery. */
export interface Round {
  readonly target: Target;
  readonly steps: number;
  readonly killed: readonly Killed[];
  /** How the session recovered. */
  readonly outcome: string;
  /** Messages participants were given from the round's start until the session worked again, by kind. */
  readonly messages: ReadonlyMap<string, number>;
  /** From the (first) kill until the session worked again. */
  readonly recoveryMs: number;
}

export interface FaultRun {
  readonly seed: number;
  readonly rounds: readonly Round[];
  readonly typed: number;
  readonly acknowledged: number;
  /** The tokens of the saved file, in order. */
  readonly saved: readonly string[];
  /** Acknowledged edits missing from the saved file; edits in it twice; tokens in it nobody typed. */
  readonly lost: readonly string[];
  readonly duplicated: readonly string[];
  readonly foreign: readonly string[];
  /** Whether the host's file and both editors' buffers ended equal. */
  readonly converged: boolean;
  /** Messages that fit no kind in CLEAR, and answers that were wrong for whoever asked. */
  readonly unclear: readonly string[];
  readonly wrong: readonly string[];
  readonly orphans: readonly Proc[];
  /** Lines of figures: edits, navigation, debugging, messages. */
  readonly figures: readonly string[];
}

const until = (what: string, ok: () => boolean): Promise<void> => eventually(ok, () => what, WAIT_MS);

/** Each message by what it says happened, and the ones that fit no kind. */
function classify(messages: readonly string[]): { kinds: Map<string, number>; unclear: string[] } {
  const kinds = new Map<string, number>();
  const unclear: string[] = [];
  for (const message of messages) {
    const kind = CLEAR.find(([, pattern]) => pattern.test(message))?.[0];
    if (kind) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    else unclear.push(message);
  }
  return { kinds, unclear };
}

class Scenario {
  readonly random: Random;
  readonly host: FaultEditor;
  readonly guest: FaultEditor;
  readonly debugging: Debugging;
  readonly navigation: { editor: FaultEditor; method: string; outcome: Outcome }[] = [];
  #inflight: Promise<unknown>[] = [];
  /** This round's kills, and when the first one was. */
  #killed: Killed[] = [];
  #killedAt = 0;

  constructor(
    readonly s: FaultSession,
    seed: number,
  ) {
    this.random = new Random(seed);
    this.host = new FaultEditor('host', s.share, FILES, s.w.env('host'), this.random);
    this.guest = new FaultEditor('guest', s.mirror, FILES, s.w.env('guest'), this.random);
    this.debugging = new Debugging(s.share, () => (this.guest.connected ? s.mirror : null), (who) => s.w.env(who), this.random);
  }

  /** What the workload does, with weights: typing most, then navigation and debugging. */
  readonly work: readonly (readonly [number, () => unknown])[] = [
    [4, () => this.host.type(NOTES)],
    [4, () => this.guest.type(NOTES)],
    [1, () => this.navigate(this.host, 'textDocument/hover')],
    [1, () => this.navigate(this.guest, 'textDocument/hover')],
    [1, () => this.navigate(this.host, 'textDocument/definition')],
    [1, () => this.navigate(this.guest, 'textDocument/definition')],
    [2, () => this.debugging.act()],
  ];

  async navigate(editor: FaultEditor, method: string): Promise<Outcome> {
    const outcome = await editor.request(method, NOTES, ON_GREET);
    this.navigation.push({ editor, method, outcome });
    return outcome;
  }

  /**
   * Every message a participant was given so far, by where it came from (each list only grows): errors of
   * navigation and debug requests, and what the shims said. With `since` (an earlier result), only the newer ones.
   */
  messages(since?: readonly string[][]): string[][] {
    const errors = (outcomes: readonly { outcome: Outcome }[]) => outcomes.flatMap((n) => ('error' in n.outcome ? [n.outcome.error] : []));
    const all = [errors(this.navigation), errors(this.debugging.outcomes), this.host.said, this.guest.said, this.debugging.said, this.host.told, this.guest.told];
    return all.map((list, i) => list.slice(since?.[i]?.length ?? 0));
  }

  /** Up to MAX_STEPS seeded actions, each started without waiting for the last: the fault hits work in flight. */
  async workload(): Promise<number> {
    const steps = 1 + this.random.int(MAX_STEPS);
    const total = this.work.reduce((sum, [w]) => sum + w, 0);
    for (let i = 0; i < steps; i++) {
      let pick = this.random.int(total);
      const [, act] = this.work.find(([w]) => (pick -= w) < 0)!;
      this.#inflight.push(Promise.resolve(act()));
      await new Promise((r) => setTimeout(r, this.random.int(20)));
    }
    return steps;
  }

  async settle(): Promise<void> {
    await Promise.all(this.#inflight);
    this.#inflight = [];
  }

  /** The session works again: both buffers agree, an edit crosses each way, both editors navigate, the guest follows a debug session. */
  async recovered(): Promise<void> {
    await this.settle();
    await until('both buffers to agree', () => this.host.text(NOTES) === this.guest.text(NOTES));
    for (const [from, to] of [[this.host, this.guest], [this.guest, this.host]] as const) {
      assert.ok(from.type(NOTES), `${from.label} types`);
      const id = from.typed.at(-1)!;
      await until(`${from.label}'s ${id} to reach ${to.label}`, () => to.seen.has(id));
    }
    for (const editor of [this.host, this.guest]) assert.ok('ok' in (await this.navigate(editor, 'textDocument/hover')), `${editor.label} hovers`);
    await this.debugging.ensure();
    assert.ok(this.debugging.live('host') && this.debugging.live('guest'), 'the host debugs and the guest follows');
  }

  /** One round against `target`: the workload, the kill, the recovery. */
  async round(target: Target): Promise<Round> {
    const before = this.messages();
    this.#killed = [];
    const steps = await this.workload();
    const outcome = await this.faults[target]();
    await this.recovered();
    const recoveryMs = Date.now() - this.#killedAt;
    const { kinds } = classify(this.messages(before).flat());
    return { target, steps, killed: this.#killed, outcome, messages: kinds, recoveryMs };
  }

  /** SIGKILL, noted for the round. */
  #kill(what: Killed, pid: number): void {
    if (this.#killed.length === 0) this.#killedAt = Date.now();
    this.#killed.push(what);
    process.kill(pid, 'SIGKILL');
  }

  readonly faults: Readonly<Record<Target, () => Promise<string>>> = {
    'language server': async () => {
      const tree = this.s.tool('typescript-language-server');
      const restarts = () => this.s.logged(/language server restarted/);
      const givenUp = () => this.s.logged(/language server keeps crashing/);
      const before = [restarts(), givenUp()] as const;
      const told = () => [this.host, this.guest].map((e) => e.told.filter((m) => STAYS_STOPPED.test(m)).length);
      const toldBefore = told();
      this.#kill('language server', tree[0]!.pid);
      assert.equal(await outlived(tree), [], "the server's processes (tsserver) end with it");
      await until('the hub to restart the server or give up on it', () => restarts() > before[0] || givenUp() > before[1]);
      if (restarts() > before[0]) return `the hub restarted it (${tree.length} processes ended with it)`;
      await until('both editors to be told it stays stopped', () => told().every((n, i) => n > toldBefore[i]!));
      await this.host.stop(); // as its user does, told so: restarts the language client
      await this.host.start();
      return `the hub gave up on it (too many crashes) and told both editors; the host's editor restarted its language client`;
    },
    'debug adapter': async () => {
      await this.debugging.ensure(); // the lane idle, a session live, the guest following
      const tree = this.s.tool('debugpy.adapter');
      const ends = this.debugging.ends();
      const action = this.debugging.act(); // a request on its way as the adapter dies
      this.#kill('debug adapter', tree[0]!.pid);
      assert.equal(await outlived(tree), [], "the adapter's launcher and debuggee end with it");
      for (const { who, heard } of ends) assert.ok(await heard, `${who}'s client hears terminated`);
      await action;
      return `${ends.map((e) => e.who).join(' and ')} heard terminated, a new session started; launcher and debuggee ended (${tree.length} processes)`;
    },
    relay: async () => {
      this.#kill('relay', this.s.relay.pid);
      await this.s.relay.exited;
      await this.s.restartRelay();
      const { reason, role } = await this.s.reconnected();
      assert.is(role, 'editor', 'let in again with its role');
      return `the guest reconnected (${reason}) as ${this.s.guestId}`;
    },
    'guest daemon': async () => {
      const id = await this.killGuest();
      await this.s.join();
      await this.guest.start();
      return `the host saw ${id} leave; lspair join started again with its --dir (now ${this.s.guestId}), the editor's lspair lsp too`;
    },
    // Nobody has the file open for a while: the hub forgets its text (unsaved). The guest comes back first and
    // opens it from the host's disk; the host's editor, back second, has every edit in its buffer.
    "guest daemon, then the host editor's shim": async () => {
      const id = await this.killGuest();
      const left = this.s.logged(/"editor":"host".*"msg":"editor (left|disconnected)"/);
      this.#kill('editor shim', this.host.pid!);
      await this.host.exited;
      await until("the hub to see the host's editor go", () => this.s.logged(/"editor":"host".*"msg":"editor (left|disconnected)"/) > left);
      await this.s.join();
      await this.guest.start();
      await this.host.start();
      return `the host saw ${id} leave, then its editor's server go; the guest came back (${this.s.guestId}) before the host's editor`;
    },
    'editor shim': async () => {
      const editor = this.random.pick([this.host, this.guest]);
      this.#kill('editor shim', editor.pid!);
      await editor.exited;
      await editor.start();
      return `the ${editor.label} editor started lspair lsp again`;
    },
  };

  /** Kills the guest's daemon; its editor's `lspair lsp` ends saying so, and the host sees it leave. Its id as it was. */
  async killGuest(): Promise<string> {
    const id = this.s.guestId;
    const said = this.guest.said.length;
    this.#kill('guest daemon', this.s.guest!.pid);
    await this.s.guest!.exited;
    await this.guest.exited; // its editor's lspair lsp ends with the daemon's socket
    assert.match(this.guest.said.slice(said).join('\n'), DAEMON_GONE, "the guest editor's lspair lsp says its daemon went away");
    await this.s.guestLeft();
    return id;
  }

  /** Every target once in a seeded order, then seeded picks. */
  schedule(rounds: number): Target[] {
    const order = [...TARGETS];
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return Array.from({ length: rounds }, (_, i) => order[i] ?? this.random.pick(TARGETS));
  }

  /** The guest saves once both buffers agree: the host's hub writes its text to the host's file. The file's text. */
  async save(): Promise<string> {
    await this.settle();
    await until('both buffers to agree', () => this.host.text(NOTES) === this.guest.text(NOTES));
    await this.guest.save(NOTES);
    const file = path.join(this.s.share, NOTES);
    await until("the guest's save to reach the host's file", () => readFileSync(file, 'utf8') === this.host.text(NOTES));
    return readFileSync(file, 'utf8');
  }

  /**
   * Answers that are wrong for whoever asked: a hover not about greet, a definition outside the asker's folder, a
   * stack trace not in its own app.py (tsserver's syntax-only server may answer while the project loads, so a
   * definition may be the import itself).
   */
  wrongAnswers(): string[] {
    const wrong: string[] = [];
    for (const n of this.navigation.filter((x) => 'ok' in x.outcome)) {
      const answer = JSON.stringify((n.outcome as { ok: unknown }).ok);
      const uris = [...answer.matchAll(/"(?:uri|targetUri)":"([^"]+)"/g)].map((m) => m[1]!);
      const mine = pathToFileURL(n.editor.root).href;
      const right = n.method === 'textDocument/hover' ? /greet/.test(answer) : uris.length > 0 && uris.every((u) => u.startsWith(`${mine}/src/`));
      if (!right) wrong.push(`${n.editor.label} ${n.method}: ${answer.slice(0, 200)}`);
    }
    for (const d of this.debugging.outcomes.filter((x) => x.action === 'stackTrace' && 'ok' in x.outcome)) {
      const top = (d.outcome as { ok: { stackFrames: { source?: { path?: string } }[] } }).ok.stackFrames[0]?.source?.path;
      if (top !== path.join(d.client === 'host' ? this.s.share : this.s.mirror, 'app.py')) wrong.push(`${d.client} stackTrace: top frame in ${top}`);
    }
    return wrong;
  }

  figures(typed: number, acknowledged: number, saved: number, kinds: ReadonlyMap<string, number>): string[] {
    const navOk = this.navigation.filter((n) => 'ok' in n.outcome).length;
    const debugOk = this.debugging.outcomes.filter((n) => 'ok' in n.outcome).length;
    return [
      `edits: ${typed} typed, ${acknowledged} acknowledged (reached the other editor), ${saved} in the saved file, ${typed - saved} lost unacknowledged`,
      `navigation: ${navOk} of ${this.navigation.length} answered; debugging: ${debugOk} of ${this.debugging.outcomes.length} actions answered, ${this.debugging.sessions} debug sessions; lspair join ran ${this.s.joins} times; editors started lspair lsp ${this.host.starts} + ${this.guest.starts} times`,
      `messages given: ${[...kinds].map(([k, n]) => `${n} × ${k}`).join(', ') || 'none'}`,
    ];
  }

  /** The run's figures once the last round recovered and the guest saved. */
  result(seed: number, rounds: Round[], file: string): Omit<FaultRun, 'orphans'> {
    const saved = tokens(file);
    const typed = new Set([...this.host.typed, ...this.guest.typed]);
    const acknowledged = new Set([...this.host.seen, ...this.guest.seen]);
    const { kinds, unclear } = classify(this.messages().flat());
    return {
      seed,
      rounds,
      typed: typed.size,
      acknowledged: acknowledged.size,
      saved,
      lost: [...acknowledged].filter((id) => !saved.includes(id)),
      duplicated: saved.filter((id, i) => saved.indexOf(id) !== i),
      foreign: saved.filter((id) => !typed.has(id)),
      converged: this.host.text(NOTES) === file && this.guest.text(NOTES) === file,
      unclear,
      wrong: this.wrongAnswers(),
      figures: this.figures(typed.size, acknowledged.size, saved.length, kinds),
    };
  }

  async stop(): Promise<void> {
    await this.debugging.stop().catch(() => undefined);
    await Promise.all([this.host.stop(), this.guest.stop()]);
    await this.s.stop();
  }
}

export interface FaultOptions {
  readonly seed: number;
  readonly rounds: number;
  /** A folder to keep the host's, the guest's and the relay's logs in (the last daemons of each). */
  readonly logs?: string;
  /** Hears each round as it ends. */
  readonly onRound?: (round: Round, index: number) => void;
}

/** A whole seeded run: the session, its rounds, the save, the figures, and the orphans once everything stopped. */
export async function runFaults(options: FaultOptions): Promise<FaultRun> {
  const s = await FaultSession.start();
  const sc = new Scenario(s, options.seed);
  let result: Omit<FaultRun, 'orphans'>;
  try {
    await s.join();
    await sc.host.start();
    await sc.guest.start();
    await sc.recovered();
    const rounds: Round[] = [];
    for (const target of sc.schedule(options.rounds)) {
      rounds.push(await sc.round(target));
      options.onRound?.(rounds.at(-1)!, rounds.length - 1);
    }
    result = sc.result(options.seed, rounds, await sc.save());
  } finally {
    if (options.logs) for (const [who, p] of [['host', s.host], ['guest', s.guest], ['relay', s.relay]] as const) writeFileSync(path.join(options.logs, `${who}.log`), p?.stderr ?? '');
    await sc.stop();
  }
  const orphans = await outlived([...processesIn(s.w.root)]);
  return { ...result, orphans };
}
