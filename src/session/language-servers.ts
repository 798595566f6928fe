// The host's language servers, one hub per configured name, shared by the host's editors (`lspair lsp NAME` on
// the host, through the control socket) and by guests (a mux stream of kind `lsp` named after the server).
import { LspHub, type Participant } from '../lsp/index.js';
import type { HostUris } from '../policy/index.js';
import type { ServerConfig } from './config.js';
import { Hubs } from './hubs.js';

/** The mux stream kind of a guest's editor; the stream's name is the server's. */
export const LSP_STREAM = 'lsp';

export interface LanguageServerOptions {
  readonly servers: Readonly<Record<string, ServerConfig>>;
  readonly uris: HostUris;
  readonly save: (hostUri: string, text: string, who: Participant) => Promise<void>;
  readonly idleMs?: number;
}

export class LanguageServers extends Hubs<LspHub> {
  constructor(private readonly options: LanguageServerOptions) {
    super('language server', '--server', () => Object.keys(options.servers));
  }

  /** A file changed on the host: every running server that watches it hears of it. */
  fileChanged(abs: string, type: 1 | 2 | 3): void {
    for (const hub of this.hubs.values()) hub.fileChanged(abs, type);
  }

  protected create(name: string): LspHub {
    const config = this.options.servers[name]!;
    return new LspHub({
      name,
      command: config,
      initializationOptions: config.initializationOptions,
      settings: config.settings,
      uris: this.options.uris,
      save: this.options.save,
      idleMs: this.options.idleMs,
    });
  }
}
