// The guest daemon: the mirror folder, the session of the moment (a new one after each reconnect: the mirror
// follows it and resyncs by difference), and the control socket named after the mirror folder, which answers
// `lspair ls` and `lspair open` and takes the editor shims' stream commands.
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import { GuestDapProxy } from '../dap/index.js';
import { FILES_STREAM, type Mirror, type SyncSummary } from '../fs/index.js';
import { GuestProxy } from '../lsp/index.js';
import { GuestUris, type MirrorAccess } from '../policy/index.js';
import { accepted, ControlServer, controlPath, type ControlRequest, type StreamCommand } from './control.js';
import { DAP_STREAM } from './debug-adapters.js';
import { LSP_STREAM } from './language-servers.js';
import type { GuestSession } from './guest.js';

type Command = (daemon: GuestDaemon, req: ControlRequest) => unknown;
type Stream = (daemon: GuestDaemon, req: ControlRequest, conn: Socket) => void;

/** One-shot commands on the control socket. */
const COMMANDS: Readonly<Record<string, Command>> = {
  ping: () => 'pong',
  status: (d) => ({ mirror: d.mirror.root, connected: d.mirror.connected, lazy: d.mirror.lazy }),
  ls: (d) => d.mirror.list(),
  open: async (d, req) => ({ path: await d.mirror.ensure(req.value ?? '') }),
};

/** Commands that take the connection over (see StreamCommand): the editors' LSP and DAP bridges go here. */
const STREAMS: Readonly<Record<string, Stream>> = {
  lsp: (d, req, conn) => d.serveLsp(String(req.value ?? ''), conn),
  dap: (d, req, conn) => d.serveDap(String(req.value ?? ''), conn),
};

/**
 * Where a join keeps its mirror without --dir: a folder per session and guest name under the user's cache
 * (joining the same session again resyncs it; two guests of one session on one machine do not collide).
 */
export function defaultMirrorDir(sessionId: string, name: string, env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return path.join(cache, 'lspair', 'mirrors', `${sessionId}-${safe}`);
}

export class GuestDaemon {
  #session: GuestSession | null = null;
  /** Editors connected to the host's language servers; each follows the session across reconnects. */
  readonly #editors = new Set<GuestProxy>();
  readonly #uris: GuestUris;
  readonly #files: MirrorAccess;

  private constructor(
    readonly mirror: Mirror,
    private readonly control: ControlServer,
  ) {
    this.#uris = new GuestUris(mirror.root);
    this.#files = {
      materialise: async (neutral) => void (await (neutral.kind === 'share' ? mirror.ensure(neutral.rel) : mirror.ensureExternal(neutral.token, neutral.name))),
    };
  }

  /** Starts the control socket of `mirror`'s folder; fails when another daemon serves it. */
  static async start(mirror: Mirror): Promise<GuestDaemon> {
    let daemon: GuestDaemon | undefined;
    const handle = async (req: ControlRequest): Promise<unknown> => {
      const command = Object.hasOwn(COMMANDS, req.cmd) ? COMMANDS[req.cmd] : undefined;
      if (!command || !daemon) throw new Error(`unknown command '${req.cmd}'`);
      return command(daemon, req);
    };
    const streams: Record<string, StreamCommand> = Object.fromEntries(
      Object.entries(STREAMS).map(([name, run]) => [name, (req: ControlRequest, conn: Socket) => run(daemon!, req, conn)]),
    );
    daemon = new GuestDaemon(mirror, await ControlServer.start(controlPath(mirror.root), handle, streams));
    return daemon;
  }

  /** The session the guest is in now; null between a lost connection and the next. */
  get session(): GuestSession | null {
    return this.#session;
  }

  /** A session the host let us into: the mirror follows it from now on. Resolves when the sync is done. */
  async attach(session: GuestSession): Promise<SyncSummary> {
    this.#session = session;
    session.once('ended', () => {
      if (this.#session === session) this.#session = null;
    });
    for (const editor of this.#editors) editor.attach(session.mux.open(LSP_STREAM, editor.name));
    return this.mirror.attach(session.mux.open(FILES_STREAM));
  }

  /** `lspair lsp NAME` in the mirror: the editor's connection reaches the host's server NAME. */
  serveLsp(name: string, conn: Socket): void {
    const session = this.#session;
    if (!session) throw new Error('not connected to the host right now (reconnecting); try again shortly');
    accepted(conn);
    const editor = new GuestProxy(conn, conn, this.#uris, this.#files, name);
    this.#editors.add(editor);
    conn.on('close', () => this.#editors.delete(editor));
    editor.attach(session.mux.open(LSP_STREAM, name));
  }

  /**
   * `lspair dap [NAME]` in the mirror: the client follows the host's debug session of NAME (empty: the one
   * running). A debug session does not survive a reconnect: the client hears `terminated` and attaches again.
   */
  serveDap(name: string, conn: Socket): void {
    const session = this.#session;
    if (!session) throw new Error('not connected to the host right now (reconnecting); try again shortly');
    const host = session.mux.open(DAP_STREAM, name);
    accepted(conn);
    new GuestDapProxy(conn, conn, host, this.#uris, this.#files);
  }

  async close(): Promise<void> {
    for (const editor of this.#editors) editor.close();
    await this.control.close();
    await this.mirror.close();
  }
}
