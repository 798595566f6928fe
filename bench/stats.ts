// Latency figures for the benchmarks: percentiles of samples in milliseconds, aligned text tables, and what the
// machine was doing meanwhile (latencies on a shared 2-CPU machine move with its load).
import os from 'node:os';

/** The nearest-rank percentile `q` (0..1) of `samples`. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value < 10 ? `${value.toFixed(3)} ms` : `${value.toFixed(1)} ms`;
}

/** Milliseconds since `start` (from process.hrtime.bigint()). */
export function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Rows of cells as lines of left-aligned columns (the first row is the header). */
export function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => indent + r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

/** The CPU count and the 1-minute load average before (`before`) and now. */
export function machine(before: number): string {
  return `${os.cpus().length} CPUs, load average ${before.toFixed(2)} before the run, ${os.loadavg()[0]!.toFixed(2)} after`;
}
