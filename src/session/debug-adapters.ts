// The host's debug adapters, one hub (one debug session at a time) per configured name, shared by the host's DAP
// clients (`lspair dap NAME` on the host, through the control socket) and by guests (a mux stream of kind `dap`
// named after the adapter).
import { DapHub } from '../dap/index.js';
import type { HostUris } from '../policy/index.js';
import type { AdapterConfig } from './config.js';
import { Hubs } from './hubs.js';

/** The kind of the mux streams a guest's debug clients open (named after the adapter). */
export const DAP_STREAM = 'dap';

export interface DebugAdapterOptions {
  readonly adapters: Readonly<Record<string, AdapterConfig>>;
  readonly uris: HostUris;
}

export class DebugAdapters extends Hubs<DapHub> {
  constructor(private readonly options: DebugAdapterOptions) {
    super('debug adapter', '--adapter', () => Object.keys(options.adapters));
  }

  /**
   * The hub of a configured adapter, made on first use. An empty name picks the one session running, else the
   * one adapter configured; anything else is an error that lists the configured names.
   */
  override hub(name: string): DapHub {
    return super.hub(name === '' ? this.#only() : name);
  }

  /** A guest's role or grants changed: its debug clients hear what they may do now. */
  permissionsChanged(guestId: string): void {
    for (const hub of this.hubs.values()) hub.permissionsChanged(guestId);
  }

  protected create(name: string): DapHub {
    return new DapHub({ name, command: this.options.adapters[name]!, uris: this.options.uris });
  }

  #only(): string {
    const running = [...this.hubs.values()].filter((hub) => hub.running);
    if (running.length === 1) return running[0]!.name;
    const names = Object.keys(this.options.adapters);
    if (running.length === 0 && names.length === 1) return names[0]!;
    throw new Error(`name the debug adapter: lspair dap NAME (${running.length > 1 ? `running: ${running.map((h) => h.name).join(', ')}` : this.known()})`);
  }
}
