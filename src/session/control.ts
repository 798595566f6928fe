// The host daemon's local control socket (`lspair guests`, `lspair status`, `lspair link rotate`): a unix
// socket in a folder only this user can enter, named after the shared folder's real path. One JSON request per
// connection, one JSON answer.
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, realpathSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { configDir } from '../crypto/index.js';

export interface ControlRequest {
  readonly cmd: string;
  readonly id?: string;
  readonly value?: string;
}

/**
 * Takes over a connection after its request: it sends `{"ok":true,"result":null}` and a newline once it is
 * ready (see `accepted`), then speaks its own protocol; it throws (before writing) to refuse with an error.
 */
export type StreamCommand = (req: ControlRequest, conn: Socket) => void;

export type ControlAnswer = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

const MAX_REQUEST = 64 * 1024;

/** The socket of the host daemon sharing `dir`. */
export function controlPath(dir: string, env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'lspair') : path.join(configDir(env), 'run');
  const id = createHash('sha256').update(realpathSync(dir)).digest('hex').slice(0, 24);
  return path.join(runtime, `${id}.sock`);
}

/** The control socket of the nearest daemon (host or guest) whose folder is `dir` or holds it, or null. */
export function findDaemon(dir: string): string | null {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      const socket = controlPath(at);
      if (lstatSync(socket, { throwIfNoEntry: false })?.isSocket()) return socket;
    } catch {
      // a folder we cannot resolve: keep walking up
    }
    if (path.dirname(at) === at) return null;
  }
}

/** The socket's folder, made private to this user; an existing one must already be. */
function privateFolder(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const stat = lstatSync(folder);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o077) !== 0) {
    throw new Error(`${folder} must be a folder owned by you with mode 0700 (it holds the host's control socket)`);
  }
}

/**
 * Collects a connection's first line (bytes, so what follows it is handed back intact); calls `done` with the
 * line (or everything, when the connection ends first or the line grows too long) and unshifts the rest.
 */
function firstLine(conn: Socket, done: (line: string, complete: boolean) => void): void {
  let bytes = Buffer.alloc(0);
  const finish = (line: Buffer, rest: Buffer | null, complete: boolean): void => {
    conn.off('data', onData).off('end', onEnd);
    conn.pause();
    if (rest?.length) conn.unshift(rest);
    done(line.toString('utf8'), complete);
  };
  const onData = (chunk: Buffer): void => {
    bytes = Buffer.concat([bytes, chunk]);
    const newline = bytes.indexOf(10);
    if (newline >= 0) finish(bytes.subarray(0, newline), bytes.subarray(newline + 1), true);
    else if (bytes.length > MAX_REQUEST) finish(bytes, null, false);
  };
  const onEnd = (): void => finish(bytes, null, true);
  conn.on('data', onData).on('end', onEnd);
}

/** The first line of a connection (or all of it, when it ends first) as a request. */
function readRequest(conn: Socket): Promise<ControlRequest> {
  return new Promise((resolve, reject) => {
    firstLine(conn, (line, complete) => {
      try {
        const req = JSON.parse(line) as ControlRequest;
        if (!complete || typeof req !== 'object' || req === null || typeof req.cmd !== 'string') throw new Error();
        conn.resume();
        resolve(req);
      } catch {
        reject(new Error(complete ? 'malformed request' : 'request too long'));
      }
    });
  });
}

/** Tells a stream command's client that the connection is now the command's. */
export function accepted(conn: Socket): void {
  conn.write('{"ok":true,"result":null}\n');
}

/**
 * Opens a stream command (e.g. `{cmd: "lsp", value: NAME}`): resolves with the connection (paused) once the
 * daemon accepted it, positioned after the ok line; rejects with the daemon's error.
 */
export function openStream(socket: string, req: ControlRequest): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    conn.on('connect', () => conn.write(`${JSON.stringify(req)}\n`));
    conn.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? new Error('no lspair daemon is running for this folder') : err));
    firstLine(conn, (line) => {
      let answer: ControlAnswer;
      try {
        answer = JSON.parse(line) as ControlAnswer;
      } catch {
        conn.destroy();
        return reject(new Error(line === '' ? 'the daemon closed the connection' : 'malformed answer from the daemon'));
      }
      if (answer.ok) return resolve(conn);
      conn.destroy();
      reject(new Error(answer.error));
    });
  });
}

/**
 * Whether a daemon runs at `socket`: it answers a ping (any answer), or takes the connection and stays too busy
 * to answer within `ms`. A killed daemon leaves its socket file behind, and connecting to that is refused — or,
 * while the daemon is being torn down, accepted and then closed without an answer.
 */
export function reachable(socket: string, ms = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = createConnection(socket);
    const done = (alive: boolean) => (conn.destroy(), resolve(alive));
    conn.setTimeout(ms, () => done(true));
    conn.on('connect', () => conn.end(`${JSON.stringify({ cmd: 'ping' })}\n`));
    conn.on('data', () => done(true));
    conn.on('error', () => done(false));
    conn.on('close', () => done(false));
  });
}

export async function request(socket: string, req: ControlRequest, timeoutMs = 10_000): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    let text = '';
    conn.setTimeout(timeoutMs, () => conn.destroy(new Error('the host daemon did not answer')));
    conn.on('connect', () => conn.end(`${JSON.stringify(req)}\n`));
    conn.on('data', (chunk) => (text += chunk));
    conn.on('end', () => {
      try {
        resolve(JSON.parse(text) as ControlAnswer);
      } catch {
        reject(new Error('malformed answer from the host daemon'));
      }
    });
    conn.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? new Error('no lspair host is running for this folder') : err),
    );
  });
}

export class ControlServer {
  private constructor(
    private readonly server: Server,
    readonly socket: string,
  ) {}

  /**
   * Listens at `socket`; a leftover socket of a dead daemon is replaced, a live one is an error. A request whose
   * `cmd` names one of `streams` is answered with an ok line, and the connection then belongs to that handler
   * (an editor's shim bridging a language server or debug adapter).
   */
  static async start(socket: string, handle: (req: ControlRequest) => Promise<unknown>, streams: Readonly<Record<string, StreamCommand>> = {}): Promise<ControlServer> {
    privateFolder(path.dirname(socket));
    if (await reachable(socket)) throw new Error('an lspair daemon is already running for this folder');
    try {
      unlinkSync(socket);
    } catch {
      // none left over
    }
    const answer = (conn: Socket, a: ControlAnswer): void => void conn.end(JSON.stringify(a));
    const server = createServer({ allowHalfOpen: true }, (conn) => {
      conn.on('error', () => undefined);
      readRequest(conn).then(
        (req) => {
          const stream = Object.hasOwn(streams, req.cmd) ? streams[req.cmd] : undefined;
          if (!stream) {
            return handle(req).then(
              (result) => answer(conn, { ok: true, result: result ?? null }),
              (err: Error) => answer(conn, { ok: false, error: err.message }),
            );
          }
          try {
            stream(req, conn);
          } catch (err) {
            return answer(conn, { ok: false, error: (err as Error).message });
          }
        },
        (err: Error) => answer(conn, { ok: false, error: err.message }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
    chmodSync(socket, 0o600);
    return new ControlServer(server, socket);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
