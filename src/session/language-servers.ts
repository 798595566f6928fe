// The host's language servers, one hub per configured name, shared by the host's editors (`lspair lsp NAME` on
// the host, through the control socket) and by guests (a mux stream of kind `lsp` named after the server).
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { HOST, LspHub, type Participant } from '../lsp/index.js';
import type { HostUris } from '../policy/index.js';
import { logger } from '../log.js';
import type { ServerConfig } from './config.js';
import { accepted, type ControlRequest } from './control.js';
import type { GuestContext } from './host.js';

const log = logger('language-servers');

/** The mux stream kind of a guest's editor; the stream's name is the server's. */
export const LSP_STREAM = 'lsp';

export interface LanguageServerOptions {
  readonly servers: Readonly<Record<string, ServerConfig>>;
  readonly uris: HostUris;
  readonly save: (hostUri: string, text: string, who: Participant) => Promise<void>;
  readonly idleMs?: number;
}

export class LanguageServers {
  readonly #hubs = new Map<string, LspHub>();

  constructor(private readonly options: LanguageServerOptions) {}

  /** The hub of a configured server, made on first use; an unknown name is an error that lists the known ones. */
  hub(name: string): LspHub {
    const known = this.#hubs.get(name);
    if (known) return known;
    const config = Object.hasOwn(this.options.servers, name) ? this.options.servers[name] : undefined;
    if (!config) {
      const names = Object.keys(this.options.servers);
      throw new Error(`no language server '${name}' is configured on the host (${names.length ? `configured: ${names.join(', ')}` : 'none is: lspair host --server NAME=COMMAND'})`);
    }
    const hub = new LspHub({
      name,
      command: config,
      initializationOptions: config.initializationOptions,
      settings: config.settings,
      uris: this.options.uris,
      save: this.options.save,
      idleMs: this.options.idleMs,
    });
    this.#hubs.set(name, hub);
    return hub;
  }

  /** `lspair lsp NAME` on the host: the control socket's connection becomes an editor of that hub. */
  serveHost(req: ControlRequest, conn: Socket): void {
    const hub = this.hub(String(req.value ?? ''));
    accepted(conn);
    hub.connect(conn, conn, HOST);
  }

  /** A guest's editor: the stream's name is the server's. */
  serveGuest(stream: Duplex & { readonly name: string }, guest: GuestContext): void {
    let hub: LspHub;
    try {
      hub = this.hub(stream.name);
    } catch (err) {
      log.info({ guest: guest.id, server: stream.name }, 'guest asked for a language server that is not configured');
      return void stream.destroy(err as Error);
    }
    hub.connectStream(stream, { kind: 'guest', id: guest.id, has: (p) => guest.has(p) });
  }

  /** A file changed on the host: every running server that watches it hears of it. */
  fileChanged(abs: string, type: 1 | 2 | 3): void {
    for (const hub of this.#hubs.values()) hub.fileChanged(abs, type);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#hubs.values()].map((hub) => hub.close()));
  }
}
