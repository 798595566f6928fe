// The host's debug adapters, one hub (one debug session at a time) per configured name, shared by the host's DAP
// clients (`lspair dap NAME` on the host, through the control socket) and by guests (a mux stream of kind `dap`
// named after the adapter).
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DapHub, HOST } from '../dap/index.js';
import type { HostUris } from '../policy/index.js';
import { logger } from '../log.js';
import type { AdapterConfig } from './config.js';
import { accepted, type ControlRequest } from './control.js';
import type { GuestContext } from './host.js';

const log = logger('debug-adapters');

/** The kind of the mux streams a guest's debug clients open (named after the adapter). */
export const DAP_STREAM = 'dap';

export interface DebugAdapterOptions {
  readonly adapters: Readonly<Record<string, AdapterConfig>>;
  readonly uris: HostUris;
}

export class DebugAdapters {
  readonly #hubs = new Map<string, DapHub>();

  constructor(private readonly options: DebugAdapterOptions) {}

  /**
   * The hub of a configured adapter, made on first use. An empty name picks the one session running, else the
   * one adapter configured; anything else is an error that lists the configured names.
   */
  hub(name: string): DapHub {
    const chosen = name === '' ? this.#only() : name;
    const known = this.#hubs.get(chosen);
    if (known) return known;
    const config = Object.hasOwn(this.options.adapters, chosen) ? this.options.adapters[chosen] : undefined;
    if (!config) throw new Error(`no debug adapter '${chosen}' is configured on the host (${this.#configured()})`);
    const hub = new DapHub({ name: chosen, command: config, uris: this.options.uris });
    this.#hubs.set(chosen, hub);
    return hub;
  }

  /** `lspair dap [NAME]` on the host: the control socket's connection becomes a client of that hub. */
  serveHost(req: ControlRequest, conn: Socket): void {
    const hub = this.hub(String(req.value ?? ''));
    accepted(conn);
    hub.connect(conn, conn, HOST);
  }

  /** A guest's DAP client: the stream's name is the adapter's (empty: the one running). */
  serveGuest(stream: Duplex & { readonly name: string }, guest: GuestContext): void {
    let hub: DapHub;
    try {
      hub = this.hub(stream.name);
    } catch (err) {
      log.info({ guest: guest.id, adapter: stream.name }, 'guest asked for a debug adapter that is not configured');
      return void stream.destroy(err as Error);
    }
    hub.connectStream(stream, { kind: 'guest', id: guest.id, has: (p) => guest.has(p) });
  }

  /** A guest's role or grants changed: its debug clients hear what they may do now. */
  permissionsChanged(guestId: string): void {
    for (const hub of this.#hubs.values()) hub.permissionsChanged(guestId);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#hubs.values()].map((hub) => hub.close()));
  }

  #only(): string {
    const running = [...this.#hubs.values()].filter((hub) => hub.running);
    if (running.length === 1) return running[0]!.name;
    const names = Object.keys(this.options.adapters);
    if (running.length === 0 && names.length === 1) return names[0]!;
    throw new Error(`name the debug adapter: lspair dap NAME (${running.length > 1 ? `running: ${running.map((h) => h.name).join(', ')}` : this.#configured()})`);
  }

  #configured(): string {
    const names = Object.keys(this.options.adapters);
    return names.length ? `configured: ${names.join(', ')}` : "none is: lspair host --adapter 'NAME=COMMAND ARG…'";
  }
}
