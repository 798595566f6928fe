// Soak benchmark (issue 8, load): the soak of test/load/soak.ts — one `lspair relay`, sessions of different sizes
// (the fake server, and one with typescript-language-server), every editor asking and typing — first clean, then
// with guests misbehaving in one session (one never reads, one floods, one sends garbage), the two phases side by
// side in one run. Printed: hover/definition latency per session size, the throughput of requests and
// keystrokes, the resident memory, open descriptors and heap after a full GC of the relay, hosts, guest daemons
// and editors' `lspair lsp` from start to end, and the healthy editors' latency with and without the misbehaving guests. LSPAIR_SOAK_SECONDS: each phase's length.
import os from 'node:os';
import { misbehave, type Flood, type Misbehaviour } from '../test/load/misbehaving.js';
import { ResourceLog, Soak, sleep, type SessionSpec, type SoakSession, type Typist, type Watched } from '../test/load/soak.js';
import { machine, ms, percentile, table } from './stats.js';

const SECONDS = Number(process.env.LSPAIR_SOAK_SECONDS ?? 30);
/** Sessions with the fake server of these many guests, for latency by session size, and one with typescript-language-server. */
const SIZES = [1, 3, 6];
const SPECS: readonly SessionSpec[] = [{ server: 'ts', guests: 2 }, ...SIZES.map((guests) => ({ server: 'fake' as const, guests }))];
const PAUSE_MS = 100;
const FLOOD = 1000;
/** The stated bound: a healthy editor's p99 while others misbehave stays within this multiple of its clean p99. */
const MISBEHAVING_BOUND = 3;

interface Window {
  readonly from: number;
  readonly to: number;
}

/** Latencies (ms) of the requests `typists` sent within `w`. */
function latencies(typists: readonly Typist[], w: Window): number[] {
  return typists.flatMap((t) => t.samples.filter((s) => s.at >= w.from && s.at < w.to).map((s) => s.ms));
}

const p50p99 = (samples: readonly number[]): string[] => [ms(percentile(samples, 0.5)), ms(percentile(samples, 0.99))];

function perSession(soak: Soak, clean: Window): string[] {
  const rows = soak.sessions.map((s) => {
    const samples = latencies(s.typists, clean);
    const half = (clean.from + clean.to) / 2;
    return [s.label, String(s.typists.length), String(samples.length), ...p50p99(samples), ms(percentile(latencies(s.typists, { from: half, to: clean.to }), 0.99))];
  });
  return table([['session', 'editors', 'requests', 'p50', 'p99', 'p99 2nd half'], ...rows]);
}

function throughput(soak: Soak, clean: Window): string {
  const seconds = (clean.to - clean.from) / 1000;
  const requests = latencies(soak.typists, clean).length;
  const keystrokes = soak.typists.reduce((n, t) => n + t.keystrokes, 0);
  return `  throughput (clean phase): ${(requests / seconds).toFixed(0)} requests/s answered; ${keystrokes} keystrokes in the whole run, every document converged: ${soak.sessions.length} sessions, ${soak.typists.length} editors`;
}

/**
 * Per kind of process, the largest of each: resident memory, descriptors and the heap after GC at the first
 * sample, the end of the clean phase, and the end.
 */
function resources(log: ResourceLog, clean: Window, target: SoakSession): string[] {
  const kinds: [string, (w: Watched) => boolean][] = [
    ['relay', (w) => w.kind === 'relay'],
    ['hosts (each, max)', (w) => w.kind === 'host' && !w.label.startsWith(target.label)],
    ['the misbehaving session\'s host', (w) => w.kind === 'host' && w.label.startsWith(target.label)],
    ['guest daemons (each, max)', (w) => w.kind === 'guest'],
    ['editors\' lspair lsp (each, max)', (w) => w.kind === 'editor'],
  ];
  const mib = (bytes: number, digits = 0) => `${(bytes / 1024 / 1024).toFixed(digits)} MiB`;
  const rows = kinds.map(([label, which]) => {
    const over = <S extends { at: number }>(byProcess: Map<Watched, S[]>, value: (s: S) => number, show: (n: number) => string): string => {
      const lists = [...byProcess].filter(([w]) => which(w)).map(([, samples]) => samples);
      const max = (pick: (l: readonly S[]) => S | undefined) => show(Math.max(...lists.map((l) => value(pick(l) ?? l[0]!))));
      return `${max((l) => l[0])} → ${max((l) => l.filter((s) => s.at <= clean.to).at(-1))} → ${max((l) => l.at(-1))}`;
    };
    const count = [...log.samples.keys()].filter(which).length;
    return [label, String(count), over(log.samples, (s) => s.rss * 1024, mib), over(log.samples, (s) => s.fds, String), over(log.heaps, (s) => s.heap, (n) => mib(n, 1))];
  });
  return table([['processes', 'count', 'RSS start → clean end → end', 'fds', 'heap after GC'], ...rows]);
}

function sideBySide(soak: Soak, target: SoakSession, clean: Window, bad: Window): string[] {
  const groups: [string, Typist[]][] = [
    ['the misbehaving session\'s editors', target.typists],
    ['other sessions\' editors', soak.sessions.filter((s) => s !== target).flatMap((s) => s.typists)],
  ];
  const rows = groups.map(([label, typists]) => {
    const before = latencies(typists, clean);
    const during = latencies(typists, bad);
    const ratio = percentile(during, 0.99) / percentile(before, 0.99);
    return [label, ...p50p99(before), ...p50p99(during), `${ratio.toFixed(2)}× ${ratio <= MISBEHAVING_BOUND ? '(within)' : '(OVER)'}`];
  });
  return table([['healthy editors', 'clean p50', 'p99', 'misbehaving p50', 'p99', `p99 ratio (bound ${MISBEHAVING_BOUND}×)`], ...rows]);
}

function outcomes(m: Misbehaviour): string[] {
  const sum = (f: (x: Flood) => number) => m.floods.reduce((n, x) => n + f(x), 0);
  return [
    `  the guest that never reads: ${m.silent.heldBack ? 'its host held its requests back' : 'its host went on serving it'} after ${m.silent.asked} requests for ~560 KiB answers (1 MiB of answers waiting for it)`,
    `  the flooding editor: ${m.floods.length} floods of ${FLOOD} requests: ${sum((x) => x.answered)} answered, ${sum((x) => x.refused)} refused (in-flight bound), ${sum((x) => x.other.length)} otherwise`,
    `  the garbage guest, answered: ${Object.entries(m.garbage.codes).map(([k, v]) => `${k} ${v}`).join(', ')}; then cut at a lying Content-Length and a broken mux frame`,
  ];
}

export async function runSoakBench(): Promise<string[]> {
  const load = os.loadavg()[0]!;
  const soak = await Soak.start(SPECS);
  try {
    const target = soak.sessions.find((s) => s.spec.server === 'fake' && s.spec.guests > 1)!;
    const log = new ResourceLog(soak.watched());
    const clean = { from: performance.now(), to: 0 };
    await soak.traffic(sleep(SECONDS * 1000), PAUSE_MS);
    clean.to = performance.now();
    const misbehaving = misbehave(target, FLOOD, Date.now() + SECONDS * 1000);
    await soak.traffic(misbehaving, PAUSE_MS);
    const bad = { from: clean.to, to: performance.now() };
    await log.stop();
    const failures = soak.typists.flatMap((t) => t.failures.map((f) => `${t.label}: ${f}`));
    const diverged = (await Promise.all(soak.sessions.map((s) => s.converged()))).filter((d) => d !== null);
    return [
      `Soak: one lspair relay, ${soak.sessions.length} sessions through it, each editor asking (hover, definition) and typing, ${PAUSE_MS} ms pause after each; ${SECONDS} s clean, then ${((bad.to - bad.from) / 1000).toFixed(0)} s with misbehaving guests in ${target.label} (${machine(load)}):`,
      `hover/definition latency per session (clean phase):`,
      ...perSession(soak, clean),
      throughput(soak, clean),
      `memory and descriptors (VmRSS, /proc/PID/fd) sampled each second, the heap after a full GC (through each process's inspector) each 5 s:`,
      ...resources(log, clean, target),
      `healthy editors' latency without and with the misbehaving guests:`,
      ...sideBySide(soak, target, clean, bad),
      ...outcomes(await misbehaving),
      `  unanswered or wrong: ${failures.length === 0 ? 'none' : failures.slice(0, 5).join('; ')}; documents that did not converge: ${diverged.length === 0 ? 'none' : diverged.join('; ')}`,
    ];
  } finally {
    await soak.close();
  }
}
