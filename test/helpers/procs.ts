// Processes as /proc shows them (Linux): a process's descendants, and whether one is still running. A process is
// named by its pid and start time, so a pid reused by the system is never mistaken for it.
import { readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  /** Clock ticks after boot at which it started. */
  readonly start: string;
  readonly command: string;
}

/**
 * The fields of /proc/PID/stat after the command name, from the state on (field 3), or null once it is gone:
 * the name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
 */
export function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function read(pid: number): Proc | null {
  const fields = statFields(pid); // starttime is fields[19] (field 22)
  if (!fields || fields[0] === 'Z') return null; // gone, or exited and not yet reaped
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pid, ppid: Number(fields[1]), start: fields[19]!, command };
  } catch {
    return null; // gone meanwhile
  }
}

/** Every running process. */
export function all(): Proc[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => read(Number(name)))
    .filter((p): p is Proc => p !== null);
}

/** Every running process below `pid`. */
export function descendants(pid: number): Proc[] {
  const procs = all();
  const out: Proc[] = [];
  const below = (parent: number): void => {
    for (const p of procs) if (p.ppid === parent) out.push(p), below(p.pid);
  };
  below(pid);
  return out;
}

export function running(p: Proc): boolean {
  return read(p.pid)?.start === p.start;
}

/** Resolves once `check` holds (polled; the test's own timeout is the only clock). */
export async function eventually(check: () => boolean, what: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not so after ${timeoutMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
