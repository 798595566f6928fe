// Issue 8, load: one real `lspair relay`, three sessions (`lspair host` with the fake server, or with
// typescript-language-server) whose guests `lspair join` through the relay, and on the host and every guest an
// editor through `lspair lsp` that keeps asking (hover, definition) and typing into a shared document (test/load/
// soak.ts). Held: every request gets the real answer, every co-edited document converges, and the resident
// memory, file descriptors and live heap (after a full collection) of the relay, the hosts, the guest daemons and
// the editors' `lspair lsp` stay flat. Then guests that misbehave in one session — one never reads, one floods,
// one sends garbage — are dealt with by its host, and nobody else notices.
// LSPAIR_SOAK_SECONDS sets the soak's length (default 20 s; e.g. 900 for a long run, with a fourth session).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../helpers/procs.js';
import { logLines, misbehave, type LogLine } from './misbehaving.js';
import { halves, heapTrend, ResourceLog, Soak, sleep, type Halves, type HeapTrend, type SessionSpec, type Watched } from './soak.js';

const SECONDS = Number(process.env.LSPAIR_SOAK_SECONDS ?? 20);
/**
 * typescript-language-server first: it loads its project while the other sessions start. A long run
 * (LSPAIR_SOAK_SECONDS set) takes a fourth session; `npm test` keeps to three, for its time.
 */
const SPECS: readonly SessionSpec[] = [
  { server: 'ts', guests: 2 },
  { server: 'fake', guests: 3 },
  { server: 'fake', guests: 2 },
  ...(process.env.LSPAIR_SOAK_SECONDS ? [{ server: 'fake' as const, guests: 3 }] : []),
];
/** Each editor pauses this long after each request and keystroke (about 8 of each per second per editor). */
const PAUSE_MS = 100;
/**
 * Flat resident memory and descriptors mean: after the first third of the soak (start-up, heaps growing to their
 * working size), the second half's peak is at most 25 % more resident memory and 10 more file descriptors than
 * the first half's peak. A descriptor per connection shows; resident memory, which follows when the collector
 * runs and what the allocator keeps, only tells of gross leaks: the heap's bound below is the fine one.
 */
const RSS_GROWTH = 1.25;
const FD_GROWTH = 10;
/**
 * Flat heap means: the heap after a full collection, fitted by least squares over the second half of the soak,
 * grows by less than HEAP_GROWTH. The first half is warm-up: compiled code settles, and the sequencer of each
 * shared document fills the history of edits it keeps (src/lsp/sequencer.ts, 4096; a session of this soak makes
 * 15 to 35 edits a second). What is in flight at a sample moves it by up to ~200 KiB. A run of N seconds thus
 * catches a leak of more than HEAP_GROWTH / (N / 2) bytes a second: a 900 s run about 160 bytes per request or
 * keystroke of a guest's editor (about 7 of each a second), the 20 s run of `npm test` only a gross leak.
 */
const HEAP_GROWTH = 1024 * 1024;
/** A round of heap samples (a full collection in every process) about 60 times a run, at most each 2 s. */
const HEAP_EVERY_MS = Math.max(2000, (SECONDS * 1000) / 60);
const FLOOD = 3000;

/** Started by the first test (a failure in uvu's `before` hook is not reported), used by the second. */
let soak: Soak | undefined;

test.after(async () => {
  await soak?.close();
});

function assertAnswered(s: Soak): void {
  for (const t of s.typists) {
    assert.equal(t.failures, [], `${t.label}: requests without the real answer`);
    assert.is(t.samples.length, t.sent, `${t.label}: ${t.sent - t.samples.length} of ${t.sent} requests unanswered`);
  }
}

async function assertConverged(s: Soak): Promise<void> {
  for (const session of s.sessions) assert.is(await session.converged(), null);
}

test(`soak (${SECONDS} s): every request answered, every document converged, memory and fds flat`, async () => {
  const started = performance.now();
  const s = (soak = await Soak.start(SPECS));
  console.log(`  started ${s.sessions.length} sessions, ${s.typists.length} editors in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const log = new ResourceLog(s.watched(), 1000, HEAP_EVERY_MS);
  const start = performance.now();
  await s.traffic(sleep(SECONDS * 1000), PAUSE_MS);
  await log.stop();
  assertAnswered(s);
  await assertConverged(s);
  console.log(`  ${log.samples.size} processes watched`);
  for (const line of [...assertResidentFlat(log, start + (SECONDS * 1000) / 3), ...assertHeapsFlat(log, start + (SECONDS * 1000) / 2)]) console.log(line);
  const requests = s.typists.reduce((n, t) => n + t.sent, 0);
  const keystrokes = s.typists.reduce((n, t) => n + t.keystrokes, 0);
  console.log(`  ${s.sessions.length} sessions, ${s.typists.length} editors: ${requests} requests answered, ${keystrokes} keystrokes converged in ${SECONDS} s`);
  assert.equal(s.exited(), []);
});

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
const signed = (text: string): string => (text.startsWith('-') ? text : `+${text}`);

/** Per kind of process, a line: how many, the range of what `grew` says among them, and `show` of the most grown. */
function perKind<T>(judged: ReadonlyMap<Watched, T>, grew: (t: T) => number, range: (n: number) => string, show: (t: T) => string): string[] {
  const kinds = new Map<Watched['kind'], [Watched, T][]>();
  for (const [w, t] of judged) kinds.set(w.kind, [...(kinds.get(w.kind) ?? []), [w, t]]);
  return [...kinds].map(([kind, all]) => {
    const growths = all.map(([, t]) => grew(t));
    const [w, t] = all[growths.indexOf(Math.max(...growths))]!;
    return `    ${kind} (${all.length}): ${range(Math.min(...growths))} to ${range(Math.max(...growths))}; the most: ${w.label}, ${show(t)}`;
  });
}

/** Resident memory and descriptors, after the warm-up before `from`: the peak of the second half against the first's. */
function assertResidentFlat(log: ResourceLog, from: number): string[] {
  const judged = new Map<Watched, Halves>();
  for (const [w, samples] of log.samples) {
    const { first, second } = halves(samples, from);
    assert.ok(second.rss <= first.rss * RSS_GROWTH, `${w.label}: resident memory grew from ${first.rss} KiB to ${second.rss} KiB`);
    assert.ok(second.fds <= first.fds + FD_GROWTH, `${w.label}: open file descriptors grew from ${first.fds} to ${second.fds}`);
    judged.set(w, { first, second });
  }
  const fds = Math.max(...[...judged.values()].map(({ first, second }) => second.fds - first.fds));
  return [
    `  resident memory, the first half's peak to the second's (bound +${((RSS_GROWTH - 1) * 100).toFixed(0)} %), per kind: the range, and the most grown:`,
    ...perKind(judged, ({ first, second }) => second.rss / first.rss - 1, (g) => signed(`${(g * 100).toFixed(1)} %`), ({ first, second }) => `${kib(first.rss * 1024)} → ${kib(second.rss * 1024)}`),
    `  open descriptors, the first half's peak to the second's: at most ${signed(String(fds))} (bound +${FD_GROWTH})`,
  ];
}

/** The heap after GC of every process, from `from` on, against HEAP_GROWTH. */
function assertHeapsFlat(log: ResourceLog, from: number): string[] {
  const judged = new Map<Watched, HeapTrend>();
  for (const [w, samples] of log.heaps) {
    const trend = heapTrend(samples, from);
    assert.ok(trend, `${w.label}: fewer than two heap samples in the second half`);
    assert.ok(trend.growth < HEAP_GROWTH, `${w.label}: the heap after GC grew by ${kib(trend.growth)} over the second half (${kib(trend.first.heap)} → ${kib(trend.last.heap)})`);
    judged.set(w, trend);
  }
  return [
    `  heap after GC over the second half, fitted growth (bound ${kib(HEAP_GROWTH)}), per kind: the range, and the most grown:`,
    ...perKind(judged, (t) => t.growth, (g) => signed(kib(g)), (t) => `${kib(t.first.heap)} → ${kib(t.last.heap)}, ${t.samples} samples, ${signed(kib(t.perSecond * 60))}/min`),
  ];
}

/** Whether `host`'s log has a line that passes `test`. */
const logged = (lines: () => LogLine[], test: (l: LogLine) => boolean) => () => lines().some(test);

test('misbehaving guests in one session: the host holds back or ends each, and every other editor keeps its answers', async () => {
  assert.ok(soak, 'the soak did not start');
  const s = soak;
  const target = s.sessions.find((session) => session.spec.server === 'fake')!; // its documentSymbol answers are large
  const lines = () => logLines(target.bench.host);
  const started = performance.now();
  const work = misbehave(target, FLOOD, 0);
  await s.traffic(work, PAUSE_MS);
  const { silent, floods, garbage } = await work;
  const flooded = floods[0]!;

  assert.ok(silent.heldBack, `the host went on serving the guest that does not read (it asked ${silent.asked} times)`);
  // The flooder got an answer or a refusal for every request; the garbage got the errors JSON-RPC says.
  assert.equal(flooded.other, []);
  assert.is(flooded.answered + flooded.refused, FLOOD);
  assert.equal(garbage.codes, {
    'not JSON': -32700,
    'a batch': -32600,
    'jsonrpc 1.0': -32600,
    'before initialize': -32002,
    initialize: 'result',
    'wrong shape': -32602,
    'host path': -32803,
    'unknown method': -32803,
    'huge numbers': garbage.codes['huge numbers'], // the server's to judge: the hub passes positions through
    'invalid UTF-8': garbage.codes['invalid UTF-8'],
    'deep nesting': garbage.codes['deep nesting'],
  });
  for (const label of ['huge numbers', 'invalid UTF-8', 'deep nesting']) assert.is.not(garbage.codes[label], 'none', `${label}: no answer`);
  // The host ended the garbage guest's editor stream at the lying Content-Length, then its connection at the
  // broken mux frame, and dropped the connection that sent no handshake.
  await eventually(logged(lines, (l) => l.msg === 'editor disconnected' && l.editor === garbage.guestId && /over the limit/.test(String(l.reason))), () => 'the host kept the stream with a lying Content-Length');
  await eventually(logged(lines, (l) => l.audit === 'leave' && (l.guest as { id?: string } | undefined)?.id === garbage.guestId), () => 'the host kept the connection that sent a broken mux frame');
  await eventually(logged(lines, (l) => l.audit === 'handshake-failed'), () => 'the host did not log the connection that sent no handshake');

  // Everyone else, in this session and the others, got every answer and converged; nothing crashed.
  assertAnswered(s);
  await assertConverged(s);
  assert.equal(s.exited(), []);
  console.log(`  misbehaving guests dealt with in ${((performance.now() - started) / 1000).toFixed(0)} s; the silent one asked ${silent.asked} times before its host held its requests back`);
  console.log(`  flood of ${FLOOD}: ${flooded.answered} answered, ${flooded.refused} refused (in-flight bound); garbage answered ${JSON.stringify(garbage.codes)}`);
});

test.run();
