// A running `lspair` process whose stdout is JSON lines: wait for events by name, and for its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BIN } from './cli.js';

export interface Event {
  readonly event: string;
  readonly [key: string]: unknown;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class LspairProcess {
  readonly events: Event[] = [];
  readonly exited: Promise<number>;
  /** Its exit status once it exited (as `exited` resolves with). */
  exitCode: number | null = null;
  stderr = '';
  private readonly child: ChildProcess;
  private waiters: { name: string; from: number; resolve: (e: Event) => void }[] = [];

  /** `node`: Node's own options for it (before the script), e.g. an inspector to measure its heap. */
  constructor(args: string[], env: Record<string, string>, node: readonly string[] = []) {
    this.child = spawn(process.execPath, [...node, BIN, ...args], { env: { ...process.env, LSPAIR_LOG: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this.child);
    this.child.stderr!.on('data', (c) => (this.stderr += c));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as Event;
      this.events.push(event);
      this.waiters = this.waiters.filter((w) => (w.name === event.event ? (w.resolve(event), false) : true));
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => (running.delete(this.child), resolve((this.exitCode = code ?? (signal ? 128 : -1))))));
  }

  /** The next event of this name (one already seen counts, once). */
  next(name: string, timeoutMs = 15_000): Promise<Event> {
    const seen = this.events.find((e) => e.event === name && !(e as { taken?: boolean }).taken);
    if (seen) {
      (seen as { taken?: boolean }).taken = true;
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${name} event in ${timeoutMs} ms; got ${JSON.stringify(this.events)}; stderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
      this.waiters.push({
        name,
        from: this.events.length,
        resolve: (e) => {
          clearTimeout(timer);
          (e as { taken?: boolean }).taken = true;
          resolve(e);
        },
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }
}
