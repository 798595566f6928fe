// One debug adapter process, from the host's configuration only: its command and arguments, run without a shell
// in the shared folder, spoken to over stdio. Its stderr is the host's business: logged at debug level.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { logger } from '../log.js';
import { Endpoint } from './endpoint.js';

const log = logger('dap-adapter');

export interface AdapterCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** The adapter is the host's own program: generous bounds, but still bounds. */
const LIMITS = { maxMessage: 256 * 1024 * 1024, maxQueued: 512 * 1024 * 1024 };

/** Events: 'exit' (a description of how it ended), once. */
export class AdapterProcess extends EventEmitter {
  readonly endpoint: Endpoint;
  readonly #child: ChildProcess;
  #exited = false;

  constructor(
    readonly name: string,
    command: AdapterCommand,
    cwd: string,
  ) {
    super();
    this.#child = spawn(command.command, [...command.args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    this.endpoint = new Endpoint(this.#child.stdout!, this.#child.stdin!, LIMITS, () => this.#child.stdin!.end());
    this.#child.stdin!.on('error', () => undefined); // a dead adapter: 'exit' tells
    this.#child.stderr!.on('data', (chunk: Buffer) => log.debug({ adapter: name, stderr: chunk.toString('utf8').slice(0, 2000) }, 'adapter stderr'));
    this.#child.on('error', (err) => this.#exit(`could not start '${command.command}': ${err.message}`));
    this.#child.on('exit', (code, signal) => this.#exit(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    this.endpoint.on('close', (reason: string | null) => {
      if (reason) log.warn({ adapter: name, reason }, 'debug adapter connection failed');
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
