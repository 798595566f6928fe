// Fault injection figures (issue 8): the seeded run of test/faults/scenario.ts — co-editing, navigation and
// debugging through `lspair relay` while the language server, the debug adapter, the relay, the guest's daemon and
// an editor's `lspair lsp` are killed with SIGKILL — with its kills per target, the time from each kill until the
// session worked again (both buffers agree, an edit crosses each way, both editors hover, the guest follows a new
// debug session), what the participants were told, and what was lost. BENCH_FAULTS_SEED and BENCH_FAULTS_ROUNDS
// choose the run; the fault test runs the same scenario with fewer rounds.
import os from 'node:os';
import { runFaults, TARGETS, type FaultRun, type Round } from '../test/faults/scenario.js';
import { machine, percentile, table } from './stats.js';

const SEED = Number(process.env.BENCH_FAULTS_SEED ?? 8);
const ROUNDS = Number(process.env.BENCH_FAULTS_ROUNDS ?? 2 * TARGETS.length);

/** Recovery takes seconds (a language server reloads its project, a guest joins again). */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** One row per target: rounds, recovery p50 and max, and the messages given during its rounds. */
function byTarget(rounds: readonly Round[]): string[][] {
  return TARGETS.flatMap((target) => {
    const mine = rounds.filter((r) => r.target === target);
    if (mine.length === 0) return [];
    const times = mine.map((r) => r.recoveryMs);
    const messages = new Map<string, number>();
    for (const r of mine) for (const [kind, n] of r.messages) messages.set(kind, (messages.get(kind) ?? 0) + n);
    const told = [...messages].map(([kind, n]) => `${n} × ${kind}`).join('; ') || 'none';
    return [[target, String(mine.length), seconds(percentile(times, 0.5)), seconds(Math.max(...times)), told]];
  });
}

/** Processes killed, by kind (a target may kill two). */
function kills(rounds: readonly Round[]): string {
  const counts = new Map<string, number>();
  for (const r of rounds) for (const k of r.killed) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

function verdict(run: FaultRun): string {
  const problems = [
    run.lost.length && `${run.lost.length} acknowledged edits lost`,
    run.duplicated.length && `${run.duplicated.length} edits applied twice`,
    !run.converged && "the host's file and the buffers differ",
    run.unclear.length && `${run.unclear.length} unclear messages`,
    run.wrong.length && `${run.wrong.length} wrong answers`,
    run.orphans.length && `${run.orphans.length} orphan processes`,
  ].filter(Boolean);
  return problems.length ? `PROBLEMS: ${problems.join(', ')}` : 'every round recovered; 0 acknowledged edits lost; buffers and file agree; every message clear; 0 orphans';
}

export async function runFaultsBench(): Promise<string[]> {
  const load = os.loadavg()[0]!;
  const run = await runFaults({ seed: SEED, rounds: ROUNDS });
  return [
    `faults: seed ${SEED}, ${ROUNDS} rounds of SIGKILL (BENCH_FAULTS_SEED, BENCH_FAULTS_ROUNDS); ${machine(load)}`,
    ...table([['target', 'rounds', 'recovery p50', 'max', 'messages given meanwhile'], ...byTarget(run.rounds)]),
    `  processes killed: ${kills(run.rounds)}`,
    ...run.figures.map((line) => `  ${line}`),
    `  ${verdict(run)}`,
  ];
}
