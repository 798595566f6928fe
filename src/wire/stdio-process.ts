// A tool the host runs for its sessions (a language server, a debug adapter), from the host's configuration
// only: its command and arguments, run without a shell in the shared folder, spoken to over stdio through a
// peer (endpoint) the caller makes. Its stderr is the host's business: logged at debug level.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { logger } from '../log.js';

const log = logger('stdio-process');

export interface ToolCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** A tool is the host's own program: generous bounds, but still bounds. */
export const TOOL_LIMITS = { maxMessage: 256 * 1024 * 1024, maxQueued: 512 * 1024 * 1024 } as const;

/** Events: 'exit' (a description of how it ended), once. */
export class StdioProcess<Peer extends { close(reason: string | null): void; on(event: 'close', listener: (reason: string | null) => void): unknown }> extends EventEmitter {
  readonly endpoint: Peer;
  readonly #child: ChildProcess;
  #exited = false;

  /** `what` names it in logs ("language server ts"); `connect` makes the peer over its stdout and stdin. */
  constructor(what: string, command: ToolCommand, cwd: string, connect: (stdout: Readable, stdin: Writable, onClose: () => void) => Peer) {
    super();
    this.#child = spawn(command.command, [...command.args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    const stdin = this.#child.stdin!;
    this.endpoint = connect(this.#child.stdout!, stdin, () => stdin.end());
    stdin.on('error', () => undefined); // a dead tool: 'exit' tells
    this.#child.stderr!.on('data', (chunk: Buffer) => log.debug({ tool: what, stderr: chunk.toString('utf8').slice(0, 2000) }, 'tool stderr'));
    this.#child.on('error', (err) => this.#exit(`could not start '${command.command}': ${err.message}`));
    this.#child.on('exit', (code, signal) => this.#exit(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    this.endpoint.on('close', (reason) => {
      if (reason) log.warn({ tool: what, reason }, 'connection to the tool failed');
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get exited(): boolean {
    return this.#exited;
  }

  kill(): void {
    if (!this.#exited) this.#child.kill('SIGKILL');
  }

  #exit(how: string): void {
    if (this.#exited) return;
    this.#exited = true;
    this.endpoint.close(null);
    this.emit('exit', how);
  }
}
