// What the host's language servers and debug adapters share: one hub per configured name, made on first use,
// reached by the host's own tools through the control socket (`lspair lsp NAME`, `lspair dap NAME`) and by
// guests through mux streams named after it.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { logger } from '../log.js';
import { accepted, type ControlRequest } from './control.js';
import type { GuestContext } from './host.js';
import type { Permission } from './permissions.js';

const log = logger('hubs');

/** Who is at the other end of a hub's connection: the host's own tool, or a guest with its live permissions. */
export interface HubParticipant {
  readonly kind: 'host' | 'guest';
  readonly id: string;
  has(permission: Permission): boolean;
}

const HOST: HubParticipant = { kind: 'host', id: 'host', has: () => true };

export interface Hub {
  connect(input: Duplex, output: Duplex, who: HubParticipant): unknown;
  close(): Promise<void>;
}

export abstract class Hubs<H extends Hub> {
  protected readonly hubs = new Map<string, H>();

  /** `what` names the kind in messages ("language server"); `flag` is how the host configures one. */
  constructor(
    private readonly what: string,
    private readonly flag: string,
    private readonly configured: () => readonly string[],
  ) {}

  /** The hub of a configured name, made on first use; an unknown name is an error that lists the known ones. */
  hub(name: string): H {
    const known = this.hubs.get(name);
    if (known) return known;
    if (!this.configured().includes(name)) throw new Error(`no ${this.what} '${name}' is configured on the host (${this.known()})`);
    const hub = this.create(name);
    this.hubs.set(name, hub);
    return hub;
  }

  /** The host's own tool (`lspair lsp|dap NAME` on the host): the control socket's connection joins the hub. */
  serveHost(req: ControlRequest, conn: Socket): void {
    const hub = this.hub(String(req.value ?? ''));
    accepted(conn);
    hub.connect(conn, conn, HOST);
  }

  /** A guest's tool: the stream's name is the hub's. */
  serveGuest(stream: Duplex & { readonly name: string }, guest: GuestContext): void {
    let hub: H;
    try {
      hub = this.hub(stream.name);
    } catch (err) {
      log.info({ guest: guest.id, [this.what]: stream.name }, `guest asked for a ${this.what} that is not configured`);
      return void stream.destroy(err as Error);
    }
    hub.connect(stream, stream, { kind: 'guest', id: guest.id, has: (p) => guest.has(p) });
  }

  async close(): Promise<void> {
    await Promise.all([...this.hubs.values()].map((hub) => hub.close()));
  }

  /** The configured names, for an error message. */
  protected known(): string {
    const names = this.configured();
    return names.length ? `configured: ${names.join(', ')}` : `none is: lspair host ${this.flag} 'NAME=COMMAND ARG…'`;
  }

  protected abstract create(name: string): H;
}
