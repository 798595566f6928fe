// `npm run fuzz`: every fuzz target (test/fuzz/targets.ts) for long, going on after a finding with the next seed.
// Prints per target the cases run, the time, the rate and the findings (each with its smallest case and how to
// replay it), and exits 1 when anything was found.
//   npm run fuzz -- [--seed N] [--runs N] [--seconds N] [--path P] [TARGET…]
// --seconds bounds each target (default 60), --runs its cases (default: no bound but the time); FUZZ_SEED,
// FUZZ_RUNS and FUZZ_SECONDS set the same. The seed defaults to a fresh one, printed so a run can be repeated;
// --path replays one case of a finding (with its seed, on one target).
import { parseArgs } from 'node:util';
import type { Budget, Report } from '../test/fuzz/harness.js';

// The hubs log each refusal of a guest: thousands a minute here. Set before the logger is first imported.
process.env.LSPAIR_LOG ??= 'error';
const { describeFindings } = await import('../test/fuzz/harness.js');
const { FUZZERS } = await import('../test/fuzz/targets.js');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seed: { type: 'string' }, runs: { type: 'string' }, seconds: { type: 'string' }, path: { type: 'string' } },
});

function number(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a number ≥ 0, not ${JSON.stringify(text)}`);
  return n;
}

const seed = number(values.seed ?? process.env.FUZZ_SEED, Date.now() % 2 ** 31, '--seed') >>> 0;
const runs = number(values.runs ?? process.env.FUZZ_RUNS, Number.MAX_SAFE_INTEGER, '--runs');
const seconds = number(values.seconds ?? process.env.FUZZ_SECONDS, 60, '--seconds');
const unknown = positionals.filter((name) => !FUZZERS.some((f) => f.name === name));
if (unknown.length > 0) throw new Error(`no fuzz target ${unknown.join(', ')}; there are ${FUZZERS.map((f) => f.name).join(', ')}`);
const chosen = positionals.length === 0 ? FUZZERS : FUZZERS.filter((f) => positionals.includes(f.name));
if (values.path !== undefined && chosen.length !== 1) throw new Error('--path replays a case of one target: name it');

const budget: Budget = { seed, runs, timeMs: seconds * 1000, keepGoing: values.path === undefined, ...(values.path === undefined ? {} : { path: values.path }) };
console.log(`fuzz: seed ${seed}, ${seconds} s and at most ${runs === Number.MAX_SAFE_INTEGER ? 'any number of' : runs} cases per target`);
const reports: Report[] = [];
for (const fuzzer of chosen) {
  const report = await fuzzer.fuzz(budget);
  reports.push(report);
  const rate = report.runs / Math.max(report.ms / 1000, 0.001);
  console.log(`${fuzzer.name.padEnd(10)} ${String(report.runs).padStart(8)} cases ${(report.ms / 1000).toFixed(1).padStart(7)} s ${rate.toFixed(1).padStart(8)}/s  findings ${report.findings.length}${report.shrinks ? ` (${report.shrinks} shrinking steps)` : ''}`);
  if (report.findings.length > 0) console.log(describeFindings(report));
}
const total = reports.reduce((n, r) => n + r.runs, 0);
const found = reports.reduce((n, r) => n + r.findings.length, 0);
console.log(`fuzz: ${total} cases over ${reports.length} targets, ${found} findings`);
process.exit(found > 0 ? 1 : 0); // a language server or adapter a target started must not keep the run alive
