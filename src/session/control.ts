// The host daemon's local control socket (`lspair guests`, `lspair status`, `lspair link rotate`): a unix
// socket in a folder only this user can enter, named after the shared folder's real path. One JSON request per
// connection, one JSON answer.
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, realpathSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import path from 'node:path';
import { configDir } from '../crypto/index.js';

export interface ControlRequest {
  readonly cmd: string;
  readonly id?: string;
  readonly value?: string;
}

export type ControlAnswer = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

const MAX_REQUEST = 64 * 1024;

/** The socket of the host daemon sharing `dir`. */
export function controlPath(dir: string, env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'lspair') : path.join(configDir(env), 'run');
  const id = createHash('sha256').update(realpathSync(dir)).digest('hex').slice(0, 24);
  return path.join(runtime, `${id}.sock`);
}

/** The socket's folder, made private to this user; an existing one must already be. */
function privateFolder(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const stat = lstatSync(folder);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o077) !== 0) {
    throw new Error(`${folder} must be a folder owned by you with mode 0700 (it holds the host's control socket)`);
  }
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

  /** Listens at `socket`; a leftover socket of a dead daemon is replaced, a live one is an error. */
  static async start(socket: string, handle: (req: ControlRequest) => Promise<unknown>): Promise<ControlServer> {
    privateFolder(path.dirname(socket));
    const alive = await request(socket, { cmd: 'ping' }, 1000).then(
      () => true,
      () => false,
    );
    if (alive) throw new Error('an lspair host is already running for this folder');
    try {
      unlinkSync(socket);
    } catch {
      // none left over
    }
    const server = createServer({ allowHalfOpen: true }, (conn) => {
      let text = '';
      conn.on('data', (chunk) => {
        text += chunk;
        if (text.length > MAX_REQUEST) conn.destroy();
      });
      conn.on('end', () => {
        let req: ControlRequest;
        try {
          req = JSON.parse(text) as ControlRequest;
        } catch {
          return void conn.end(JSON.stringify({ ok: false, error: 'malformed request' }));
        }
        handle(req).then(
          (result) => conn.end(JSON.stringify({ ok: true, result: result ?? null })),
          (err: Error) => conn.end(JSON.stringify({ ok: false, error: err.message })),
        );
      });
      conn.on('error', () => undefined);
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
