// Shared plumbing for the DAP tests (no tests here): a real DAP client (@vscode/debugadapter-testsupport's
// DebugClient) over any socket, that keeps every event it hears so a test can wait for one that came early;
// a unix socket that hands each connection to a callback; a share made from a fixture folder.
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { Endpoint, type Event, type Message, type Response } from '../../src/dap/endpoint.js';
import { BIN } from '../helpers/cli.js';
import { tmpdir } from '../helpers/tmp.js';

const WAIT_MS = 20_000;
const NAMES = ['initialized', 'stopped', 'continued', 'terminated', 'exited', 'output', 'thread', 'breakpoint', 'process', 'module', 'capabilities'];

/** A DebugClient on a socket; `next(name)` is the next unseen event of that name, however early it came. */
export class Client extends DebugClient {
  readonly events: DebugProtocol.Event[] = [];
  #taken = new Set<DebugProtocol.Event>();
  #waiters: { name: string; resolve: (e: DebugProtocol.Event) => void }[] = [];

  constructor(readonly label: string) {
    super('', '', 'lspair');
    for (const name of NAMES) {
      this.on(name, (e: DebugProtocol.Event) => {
        this.events.push(e);
        const waiter = this.#waiters.find((w) => w.name === name);
        if (!waiter) return;
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        this.#taken.add(e);
        waiter.resolve(e);
      });
    }
  }

  static async over(socket: string, label: string): Promise<Client> {
    const conn = createConnection(socket);
    await new Promise<void>((resolve, reject) => conn.once('connect', resolve).once('error', reject));
    return Client.onSocket(conn, label);
  }

  /** A client on a connection that is already open (paused ones are resumed). */
  static onSocket(conn: Socket, label: string): Client {
    const client = new Client(label);
    client.connect(conn, conn);
    client.socket = conn;
    conn.resume();
    return client;
  }

  socket: Socket | null = null;

  next<T extends DebugProtocol.Event = DebugProtocol.Event>(name: string): Promise<T> {
    const seen = this.events.find((e) => e.event === name && !this.#taken.has(e));
    if (seen) {
      this.#taken.add(seen);
      return Promise.resolve(seen as T);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no ${name} event in ${WAIT_MS} ms; got ${this.events.map((e) => e.event).join(', ')}`)), WAIT_MS);
      this.#waiters.push({ name, resolve: (e) => (clearTimeout(timer), resolve(e as T)) });
    });
  }

  /** Events of this name not taken yet. */
  unseen(name: string): DebugProtocol.Event[] {
    return this.events.filter((e) => e.event === name && !this.#taken.has(e));
  }

  /** The error a request is refused with (a success fails the test). */
  async refused(command: string, args?: object): Promise<string> {
    try {
      await this.send(command, args);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`${this.label}: ${command} was not refused`);
  }

  close(): void {
    this.socket?.destroy();
  }
}

/** A unix socket in a private folder whose connections go to `accept`. */
export async function listen(accept: (conn: Socket) => void): Promise<{ path: string; server: Server }> {
  const file = path.join(tmpdir('lspair-dap-'), 'dap.sock');
  const server = createServer((conn) => accept(conn));
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return { path: file, server };
}

/** A fresh copy of a fixture folder (the debuggee may write next to its files). */
export function share(fixture: string): string {
  const dir = path.join(tmpdir('lspair-dap-share-'), fixture);
  cpSync(new URL(`../../fixtures/dap/${fixture}`, import.meta.url), dir, { recursive: true });
  return dir;
}

/** Debian's debugpy (the python3 first on PATH may lack it). */
export const DEBUGPY = { command: '/usr/bin/python3', args: ['-m', 'debugpy.adapter'] };

/** A bare DAP client on our own endpoint: sees every message as sent (seq and all), and can answer requests. */
export class RawClient {
  readonly received: Message[] = [];
  readonly endpoint: Endpoint;
  #waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];

  private constructor(readonly conn: Socket) {
    this.endpoint = new Endpoint(conn, conn, { maxMessage: 1 << 24, maxQueued: 1 << 24 });
    for (const type of ['request', 'response', 'event']) {
      this.endpoint.on(type, (m: Message) => {
        this.received.push(m);
        const waiter = this.#waiters.find((w) => w.match(m));
        if (waiter) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(m);
        }
      });
    }
  }

  static async over(socket: string): Promise<RawClient> {
    const conn = createConnection(socket);
    await new Promise<void>((resolve, reject) => conn.once('connect', resolve).once('error', reject));
    return new RawClient(conn);
  }

  /** The first message (already received or to come) that `match` accepts. */
  next<T extends Message>(match: (m: Message) => boolean, label = 'a message'): Promise<T> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen as T);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${label} in ${WAIT_MS} ms; got ${JSON.stringify(this.received).slice(0, 2000)}`)), WAIT_MS);
      this.#waiters.push({ match, resolve: (m) => (clearTimeout(timer), resolve(m as T)) });
    });
  }

  /** Sends a request; resolves with its response. */
  request(command: string, args?: object): Promise<Response> {
    const seq = this.endpoint.send({ type: 'request', command, ...(args ? { arguments: args } : {}) });
    return this.next<Response>((m) => m.type === 'response' && m.request_seq === seq, `response to ${command}`);
  }

  /** Sends a request without waiting; returns its seq. */
  send(command: string, args?: object): number {
    return this.endpoint.send({ type: 'request', command, ...(args ? { arguments: args } : {}) });
  }

  event(name: string): Promise<Event> {
    return this.next<Event>((m) => m.type === 'event' && m.event === name, `${name} event`);
  }

  close(): void {
    this.conn.destroy();
  }
}

/** `lspair dap ARGS…` (the built binary) as a DAP client launches it; the client speaks over its stdio. */
export function shim(args: string[], env: Record<string, string>, label: string): { client: Client; exited: Promise<number>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, 'dap', ...args], { env: { ...process.env, LSPAIR_LOG: 'error', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const client = new Client(label);
  (client as unknown as { connect(r: unknown, w: unknown): void }).connect(child.stdout, child.stdin);
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  process.on('exit', () => child.kill('SIGKILL'));
  client.close = () => void child.stdin.end();
  return { client, exited, stderr: () => stderr };
}
