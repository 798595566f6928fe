// CPU time of processes, from /proc (Linux), to say where a path's latency goes: every hop of a request is
// one process's work, and on loopback the hops run one after the other.
import { readdirSync, readFileSync } from 'node:fs';
import { statFields } from '../test/helpers/procs.js';

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface Stat {
  readonly ppid: number;
  readonly cpuMs: number;
}

function stat(pid: number): Stat | null {
  const fields = statFields(pid);
  return fields && { ppid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** User + system CPU time of one process (its threads, not its children), in ms; 0 once it is gone. */
export function cpuMs(pid: number): number {
  return stat(pid)?.cpuMs ?? 0;
}

/** Every live process whose parent chain leads to `pid` (not `pid` itself). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  for (let todo = [...(children.get(pid) ?? [])]; todo.length > 0; ) {
    const next = todo.pop()!;
    out.push(next);
    todo.push(...(children.get(next) ?? []));
  }
  return out;
}

/** CPU time (ms) spent by groups of processes between `start()` and each `stop()`, summed over runs. */
export class CpuMeter<Group extends string> {
  readonly totals = new Map<Group, number>();
  #start = new Map<Group, number>();

  constructor(private readonly groups: ReadonlyMap<Group, readonly number[]>) {}

  start(): void {
    this.#start = this.#read();
  }

  stop(): void {
    for (const [group, ms] of this.#read()) this.totals.set(group, (this.totals.get(group) ?? 0) + ms - (this.#start.get(group) ?? ms));
  }

  #read(): Map<Group, number> {
    return new Map([...this.groups].map(([group, pids]) => [group, pids.reduce((sum, pid) => sum + (pid === process.pid ? processCpuMs() : cpuMs(pid)), 0)]));
  }
}

/** This process's CPU time in ms, finer than /proc's ticks. */
function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
