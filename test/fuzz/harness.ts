// The fuzzing harness (no tests here). A target is a fast-check arbitrary of cases and a `run` that throws on a
// finding; the harness runs it seeded and bounded. A case that outlives its time bound is a hang; an uncaught
// exception or unhandled rejection while a target runs is a finding of the case that was running (the process
// guards are installed for the run only). `npm test` runs each target briefly with a fixed seed
// (test/fuzz/fuzz.test.ts); `npm run fuzz` runs them long and keeps going after a finding (bench/fuzz.ts).
import fc from 'fast-check';

export interface TargetSpec<Case, Ctx> {
  readonly name: string;
  /** What it fuzzes, for the report. */
  readonly what: string;
  readonly cases: fc.Arbitrary<Case>;
  /** Cases in `npm test`. */
  readonly shortRuns: number;
  /** A case still running after this long is a hang. */
  readonly timeoutMs: number;
  setup(): Promise<Ctx>;
  /** Runs one case; throws on a finding (crash, hang, leak, broken invariant). */
  run(ctx: Ctx, c: Case): Promise<void>;
  teardown(ctx: Ctx): Promise<void>;
}

export interface Budget {
  readonly seed: number;
  /** At most this many cases. */
  readonly runs: number;
  /** At most this long (ms), when set. */
  readonly timeMs?: number;
  /** After a finding, go on with the next seed until the budget is spent (long runs). */
  readonly keepGoing?: boolean;
  /** Replays one case: the path a finding printed (with its seed). */
  readonly path?: string;
}

export interface Finding {
  readonly message: string;
  /** The smallest failing case fast-check found, and how to replay it (seed and path). */
  readonly counterexample: string;
  readonly seed: number;
  readonly path: string;
}

export interface Report {
  readonly target: string;
  readonly seed: number;
  /** Cases run (shrinking steps not included). */
  readonly runs: number;
  readonly shrinks: number;
  readonly findings: readonly Finding[];
  readonly ms: number;
}

export interface Fuzzer {
  readonly name: string;
  readonly what: string;
  readonly shortRuns: number;
  fuzz(budget: Budget): Promise<Report>;
}

/** Uncaught exceptions and unhandled rejections while `work` runs; the process's own handling is back after. */
export async function guarded<T>(work: (caught: unknown[]) => Promise<T>): Promise<T> {
  const caught: unknown[] = [];
  const record = (error: unknown): void => void caught.push(error);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  try {
    return await work(caught);
  } finally {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
  }
}

/** How long shrinking a finding may take. */
const SHRINK_MS = 20_000;
/** LSPAIR_FUZZ_TRACE=1 prints each finding as it happens. */
const TRACE = process.env.LSPAIR_FUZZ_TRACE === '1';

const describe = (error: unknown): string => (error instanceof Error ? (error.stack ?? error.message) : String(error));

/** Runs `run` bounded by `ms`, then lets pending callbacks fire so their failures count against this case. */
async function bounded(run: () => Promise<void>, ms: number, caught: unknown[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: the case was still running after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([run(), hang]);
  } finally {
    clearTimeout(timer);
  }
  await new Promise((resolve) => setImmediate(resolve));
  if (caught.length > 0) throw new Error(`uncaught: ${describe(caught.splice(0)[0])}`);
}

export function target<Case, Ctx>(spec: TargetSpec<Case, Ctx>): Fuzzer {
  return {
    name: spec.name,
    what: spec.what,
    shortRuns: spec.shortRuns,
    fuzz: (budget) =>
      guarded(async (caught) => {
        const started = Date.now();
        const findings: Finding[] = [];
        let runs = 0;
        let shrinks = 0;
        let seed = budget.seed;
        let ctx = await spec.setup();
        try {
          for (;;) {
            const left = budget.timeMs === undefined ? undefined : budget.timeMs - (Date.now() - started);
            if (runs >= budget.runs || (left !== undefined && left <= 0)) break;
            let failedAt: number | null = null;
            const property = fc.asyncProperty(spec.cases, async (c) => {
              if (failedAt !== null && Date.now() - failedAt > SHRINK_MS) return; // shrinking is over: keep the smallest so far
              try {
                await bounded(() => spec.run(ctx, c), spec.timeoutMs, caught);
              } catch (error) {
                if (failedAt === null && TRACE) console.error(`${spec.name}: ${firstLine(describe(error))}`);
                failedAt ??= Date.now();
                throw error;
              }
            });
            const details = await fc.check(property, { seed, numRuns: budget.runs - runs, ...(budget.path ? { path: budget.path } : {}), ...(left === undefined ? {} : { plugins: [fc.interruptAfterTimeLimit(left)] }) });
            runs += details.numRuns;
            shrinks += details.numShrinks;
            if (!details.failed || details.counterexample === null) break;
            const message = describe(details.errorInstance);
            if (!findings.some((f) => firstLine(f.message) === firstLine(message))) {
              findings.push({ message, counterexample: fc.stringify((details.counterexample as [Case])[0]).slice(0, 4000), seed, path: details.counterexamplePath });
            }
            if (!budget.keepGoing) break;
            // A finding may leave the target's state broken: start afresh, with the next seed.
            await spec.teardown(ctx).catch(() => undefined);
            caught.length = 0;
            ctx = await spec.setup();
            seed = (seed + 1) >>> 0;
          }
        } finally {
          await spec.teardown(ctx);
        }
        return { target: spec.name, seed: budget.seed, runs, shrinks, findings, ms: Date.now() - started };
      }),
  };
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0]!;
}

/** One line per finding, for an assertion message or the long run's report. */
export function describeFindings(report: Report): string {
  return report.findings
    .map((f) => `${report.target}: ${f.message}\n  case: ${f.counterexample}\n  replay: seed ${f.seed}, path ${JSON.stringify(f.path)}`)
    .join('\n');
}
