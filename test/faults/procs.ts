// Processes of a fault test, by /proc (Linux): the tools the host runs, what a client launches as its language
// server or debug adapter (`lspair lsp`, `lspair dap`, and what they tell the user), and orphans. A tool the host
// started runs with its working folder in the share, and so do its children (tsserver, debugpy's launcher and the
// debuggee); whatever still runs there once everything stopped is an orphan.
import { readlinkSync } from 'node:fs';
import { spawnStdio, type StdioProcess } from '../../bench/lsp-session.js';
import { BIN } from '../helpers/cli.js';
import { all, running, type Proc } from '../helpers/procs.js';

export type { Proc };

function cwd(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null; // gone, or not ours to read
  }
}

/** Live processes working in `dir` or naming it in their arguments (but not this test process). */
export function processesIn(dir: string): Proc[] {
  const inside = (where: string | null) => where !== null && (where === dir || where.startsWith(`${dir}/`));
  return all().filter((p) => p.pid !== process.pid && (inside(cwd(p.pid)) || p.command.includes(dir)));
}

/** Waits until none of `procs` runs (a process ending takes a moment); the ones left after `ms` otherwise. */
export async function outlived(procs: readonly Proc[], ms = 15_000): Promise<Proc[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = procs.filter(running);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `lspair lsp|dap NAME` launched in `dir` as a client does, and the lines it said to the user on stderr (not its log). */
export function shim(command: 'lsp' | 'dap', name: string, dir: string, env: Record<string, string>): { process: StdioProcess; said: string[] } {
  const process = spawnStdio([globalThis.process.execPath, BIN, command, name], dir, env, 'pipe');
  const said: string[] = [];
  let rest = '';
  const take = (lines: string[]) => said.push(...lines.filter((line) => line.startsWith(`lspair ${command}:`)));
  process.child.stderr!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop()!;
    take(lines);
  });
  process.child.stderr!.on('end', () => take([rest]));
  return { process, said };
}
