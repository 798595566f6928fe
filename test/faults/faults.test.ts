// Fault injection (DESIGN §3, issue 8): a session through `lspair relay` where the host's editor and a guest's
// (role editor) co-edit one file, ask for hovers and definitions, and debug (the host's DAP client launches a
// program, the guest's follows) — while the language server, the debug adapter, the relay, the guest's daemon
// and an editor's `lspair lsp` are killed with SIGKILL at seeded points (LSPAIR_SEED replays a run,
// LSPAIR_FAULT_ROUNDS makes it longer). After each kill the session recovers — the hub restarts the server, the
// guest reconnects through the relay restarted on its port or is started again with its --dir, an editor starts
// its `lspair lsp` again, a new debug session starts and the guest follows it — and every error an editor or a
// debug client was given along the way says what happened. An edit counts as acknowledged once it reached the
// other editor's buffer (only the host's sequencer sends edits on, so it was sequenced); at the end a guest's
// save writes the host's file, and the file and both buffers agree and hold every acknowledged edit, once. Once
// everything stopped, no process runs in the share: no server, adapter, launcher or debuggee outlived it.
// LSPAIR_FAULT_LOGS=DIR keeps the daemons' logs.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Random, seedFromEnv } from '../helpers/random.js';
import { Debugging } from './debugger.js';
import { FaultEditor, tokens, type Outcome } from './editor.js';
import { outlived, processesIn } from './procs.js';
import { FaultSession, NOTES, ON_GREET } from './session.js';

const TARGETS = ['language server', 'debug adapter', 'relay', 'guest daemon', 'editor shim', "guest daemon, then the host editor's shim"] as const;
type Target = (typeof TARGETS)[number];
const ROUNDS = Number(process.env.LSPAIR_FAULT_ROUNDS ?? TARGETS.length);
const SEED = seedFromEnv(8);
/** A folder to keep the host's, the guest's and the relay's logs in (the last daemons of each). */
const LOGS = process.env.LSPAIR_FAULT_LOGS;
/** Actions of the workload before a kill: at most this many. */
const MAX_STEPS = 30;
const FILES = [NOTES, 'src/main.ts'];
const WAIT_MS = 60_000;

/** Every error a participant may be given while a fault lasts, by what it says happened. */
const CLEAR: readonly (readonly [string, RegExp])[] = [
  ['the language server was killed', /the language server 'ts' was killed by SIGKILL/],
  ['the debug adapter was killed', /the debug adapter 'py' was killed by SIGKILL/],
  ['the debug session had ended', /the debug session ended|no debug session of 'py' is running/],
  ['the connection to the host was lost', /the connection to the host was lost/],
  ['the guest was reconnecting', /not connected to the host/],
  ["the editor's own lspair lsp or lspair dap had died", /no language server running|connection got disposed|Connection is disposed|closed: lspair dap/i],
];

async function until(what: string, ok: () => boolean, ms = WAIT_MS): Promise<void> {
  for (const start = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

class Scenario {
  readonly random = new Random(SEED);
  readonly host: FaultEditor;
  readonly guest: FaultEditor;
  readonly debugging: Debugging;
  readonly navigation: { editor: FaultEditor; method: string; outcome: Outcome }[] = [];
  readonly log: string[] = [];
  #inflight: Promise<unknown>[] = [];

  constructor(readonly s: FaultSession) {
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

  readonly faults: Readonly<Record<Target, () => Promise<string>>> = {
    'language server': async () => {
      const tree = this.s.tool('typescript-language-server');
      const restarts = () => this.s.host.stderr.split('language server restarted').length;
      const before = restarts();
      process.kill(tree[0]!, 'SIGKILL');
      assert.equal(await outlived(tree), [], "the server's processes (tsserver) end with it");
      await until('the hub to restart the server', () => restarts() > before);
      return `the hub restarted it (${tree.length} processes ended with it)`;
    },
    'debug adapter': async () => {
      await this.debugging.ensure(); // the lane idle, a session live, the guest following
      const tree = this.s.tool('debugpy.adapter');
      const ends = this.debugging.ends();
      const action = this.debugging.act(); // a request on its way as the adapter dies
      process.kill(tree[0]!, 'SIGKILL');
      assert.equal(await outlived(tree), [], "the adapter's launcher and debuggee end with it");
      for (const { who, heard } of ends) assert.ok(await heard, `${who}'s client hears terminated`);
      await action;
      return `${ends.map((e) => e.who).join(' and ')} heard terminated; launcher and debuggee ended (${tree.length} processes)`;
    },
    relay: async () => {
      this.s.relay.kill('SIGKILL');
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
      process.kill(this.host.pid!, 'SIGKILL');
      await this.host.exited;
      await until("the hub to see the host's editor go", () => this.s.logged(/"editor":"host".*"msg":"editor (left|disconnected)"/) > left);
      await this.s.join();
      await this.guest.start();
      await this.host.start();
      return `the host saw ${id} leave, then its editor's server go; the guest came back (${this.s.guestId}) before the host's editor`;
    },
    'editor shim': async () => {
      const editor = this.random.pick([this.host, this.guest]);
      process.kill(editor.pid!, 'SIGKILL');
      await editor.exited;
      await editor.start();
      return `the ${editor.label} editor started lspair lsp again`;
    },
  };

  /** Kills the guest's daemon; its editor's `lspair lsp` ends too, and the host sees it leave. Its id as it was. */
  async killGuest(): Promise<string> {
    const id = this.s.guestId;
    this.s.guest!.kill('SIGKILL');
    await this.s.guest!.exited;
    await this.guest.exited; // its editor's lspair lsp ends with the daemon's socket
    await this.s.guestLeft();
    return id;
  }

  /** Every target once in a seeded order, then seeded picks. */
  schedule(): Target[] {
    const order = [...TARGETS];
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return Array.from({ length: ROUNDS }, (_, i) => order[i] ?? this.random.pick(TARGETS));
  }
}

/** Each error by what it says happened; one that fits none fails the test. */
function explain(errors: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of errors) {
    const kind = CLEAR.find(([, pattern]) => pattern.test(message))?.[0];
    if (!kind) assert.unreachable(`an error that does not say what happened: ${message}`);
    counts.set(kind!, (counts.get(kind!) ?? 0) + 1);
  }
  return counts;
}

test(`SIGKILL faults during co-editing, navigation and debugging (seed ${SEED}, ${ROUNDS} rounds)`, async () => {
  console.log(`faults: seed ${SEED} (LSPAIR_SEED=${SEED} replays it), ${ROUNDS} rounds (LSPAIR_FAULT_ROUNDS)`);
  const s = await FaultSession.start();
  const sc = new Scenario(s);
  try {
    await s.join();
    await sc.host.start();
    await sc.guest.start();
    await sc.recovered();
    for (const [round, target] of sc.schedule().entries()) {
      const steps = await sc.workload();
      const outcome = await sc.faults[target]();
      await sc.recovered();
      console.log(`  round ${round + 1}: ${target} killed after ${steps} actions: ${outcome}; the session works again`);
    }

    // The guest saves: the host's hub writes its text to the host's file.
    await sc.settle();
    await until('both buffers to agree', () => sc.host.text(NOTES) === sc.guest.text(NOTES));
    await sc.guest.save(NOTES);
    const file = path.join(s.share, NOTES);
    await until("the guest's save to reach the host's file", () => readFileSync(file, 'utf8') === sc.host.text(NOTES));
    const saved = readFileSync(file, 'utf8');
    assert.is(sc.guest.text(NOTES), saved, "the guest's buffer is the saved file");
    const ids = tokens(saved);
    const typed = new Set([...sc.host.typed, ...sc.guest.typed]);
    const acknowledged = new Set([...sc.host.seen, ...sc.guest.seen]);
    assert.is(new Set(ids).size, ids.length, 'no edit applied twice');
    for (const id of ids) assert.ok(typed.has(id), `${id} was typed`);
    for (const id of acknowledged) assert.ok(ids.includes(id), `acknowledged edit ${id} is in the file`);

    const errors = [...sc.navigation, ...sc.debugging.outcomes].flatMap((n) => ('error' in n.outcome ? [n.outcome.error] : []));
    const explained = explain(errors);
    // Answers are right for whoever asked: about greet, in the asker's own folder (tsserver's syntax-only server
    // may answer while the project loads, so the definition may be the import itself).
    for (const n of sc.navigation.filter((x) => 'ok' in x.outcome)) {
      const answer = JSON.stringify((n.outcome as { ok: unknown }).ok);
      const uris = [...answer.matchAll(/"(?:uri|targetUri)":"([^"]+)"/g)].map((m) => m[1]!);
      const mine = pathToFileURL(n.editor.root).href;
      assert.ok(n.method === 'textDocument/hover' ? /greet/.test(answer) : uris.length > 0 && uris.every((u) => u.startsWith(`${mine}/src/`)), `${n.editor.label} ${n.method}: ${answer.slice(0, 200)}`);
    }
    for (const d of sc.debugging.outcomes.filter((x) => x.action === 'stackTrace' && 'ok' in x.outcome)) {
      const top = ((d.outcome as { ok: { stackFrames: { source?: { path?: string } }[] } }).ok.stackFrames[0]?.source?.path);
      assert.is(top, path.join(d.client === 'host' ? s.share : s.mirror, 'app.py'), `${d.client}'s stack trace is in its own folder`);
    }
    const navOk = sc.navigation.filter((n) => 'ok' in n.outcome).length;
    const debugOk = sc.debugging.outcomes.filter((n) => 'ok' in n.outcome).length;
    console.log(`  edits: ${typed.size} typed, ${acknowledged.size} acknowledged (reached the other editor), ${ids.length} in the saved file, ${typed.size - ids.length} lost unacknowledged`);
    console.log(`  navigation: ${navOk} of ${sc.navigation.length} answered; debugging: ${debugOk} of ${sc.debugging.outcomes.length} actions answered, ${sc.debugging.sessions} debug sessions; lspair join ran ${s.joins} times; editors started lspair lsp ${sc.host.starts} + ${sc.guest.starts} times`);
    console.log(`  errors given: ${[...explained].map(([k, n]) => `${n} × ${k}`).join(', ') || 'none'}`);
  } finally {
    if (LOGS) for (const [who, p] of [['host', s.host], ['guest', s.guest], ['relay', s.relay]] as const) writeFileSync(path.join(LOGS, `${who}.log`), p?.stderr ?? '');
    await sc.debugging.stop().catch(() => undefined);
    await Promise.all([sc.host.stop(), sc.guest.stop()]);
    await s.stop();
  }
  const left = await outlived(processesIn(s.w.root).map((p) => p.pid));
  assert.equal(left, [], 'no process outlives the session');
});

test.run();
