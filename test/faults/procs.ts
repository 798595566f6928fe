// Processes a fault test must see end: by /proc (Linux). A tool the host started runs with its working
// folder in the share, and so do its children (tsserver, debugpy's launcher and the debuggee); whatever still
// runs there once everything stopped is an orphan.
import { readdirSync, readlinkSync } from 'node:fs';
import { cmdline, parent } from '../../bench/proc-cpu.js';

export interface Proc {
  readonly pid: number;
  readonly ppid: number | null;
  readonly argv: string;
}

function cwd(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null; // gone, or not ours to read
  }
}

export function describe(pid: number): Proc {
  return { pid, ppid: parent(pid), argv: cmdline(pid).join(' ').slice(0, 200) };
}

/** Live processes working in `dir` or naming it in their arguments (but not this test process). */
export function processesIn(dir: string): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const pid = Number(entry);
    const where = cwd(pid);
    if ((where !== null && (where === dir || where.startsWith(`${dir}/`))) || cmdline(pid).some((arg) => arg.includes(dir))) found.push(describe(pid));
  }
  return found;
}

export function alive(pid: number): boolean {
  return parent(pid) !== null;
}

/** Waits until none of `pids` runs (a process ending takes a moment); the ones left after `ms` otherwise. */
export async function outlived(pids: readonly number[], ms = 15_000): Promise<Proc[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left.map(describe);
    await new Promise((r) => setTimeout(r, 50));
  }
}
