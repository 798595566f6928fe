// One DAP client of a debug session: the host's client that owns it (through `lspair dap` on the host), or a
// follower — another host client, or a guest's through the encrypted channel — that attached to it. Each has its
// own seq space (its endpoint's), its own requests in flight (for `cancel`), and a guest its path map, its live
// permissions and the handles it was shown.
import type { DapPermission } from './commands.js';
import type { Endpoint } from './endpoint.js';
import type { Handles, PathMap } from './paths.js';
import type { Handle } from './sites.js';

export interface Who {
  readonly kind: 'host' | 'guest';
  /** For logs: 'host', or the guest's id. */
  readonly id: string;
  /** Asked on every message, so a permission change applies to the next one. */
  has(permission: DapPermission): boolean;
}

/** The host's own clients may do everything. */
export const HOST: Who = { kind: 'host', id: 'host', has: () => true };

/** Handles a guest may use only while the debuggee stays stopped (DAP: they are invalid once it runs). */
const WHILE_STOPPED: readonly Handle[] = ['frame', 'variables', 'location'];
/** Handles remembered per kind; an adapter that hands out more is recycling them anyway. */
const MAX_HANDLES = 100_000;

export class GuestHandles implements Handles {
  readonly #given = new Map<Handle, Set<number>>();

  grant(handle: Handle, id: number): void {
    const set = this.#given.get(handle) ?? new Set<number>();
    if (set.size >= MAX_HANDLES) set.clear();
    this.#given.set(handle, set.add(id));
  }

  has(handle: Handle, id: number): boolean {
    return this.#given.get(handle)?.has(id) ?? false;
  }

  /** The debuggee ran: frames, variables and locations shown so far are gone. */
  resumed(): void {
    for (const handle of WHILE_STOPPED) this.#given.delete(handle);
  }
}

export type State =
  /** Connected; it must send initialize first. */
  | 'new'
  /** Its initialize was answered. */
  | 'initialized'
  /** It launched or attached: it hears the session's events. */
  | 'joined'
  /** It left the session (disconnect, terminate): it hears nothing more. */
  | 'left'
  /** The session ended (the adapter exited): it hears nothing more. */
  | 'ended';

export class Participant {
  state: State = 'new';
  /** The owner launched or attached the adapter and speaks for the session; followers joined it. */
  role: 'owner' | 'follower' = 'follower';
  /** Its initialize arguments. */
  client: Readonly<Record<string, unknown>> = {};
  /** It was sent its `initialized` event. */
  configurable = false;
  /** Its requests waiting on the adapter: its seq → the hub's (for `cancel`). */
  readonly requests = new Map<number, number>();
  /** Its messages are handled in order, even when handling one waits (initialize waits for the adapter). */
  queue: Promise<void> = Promise.resolve();
  readonly handles: GuestHandles | null;
  /** Host paths ↔ what this guest names them, set by its initialize (null for the host's clients: they see everything as it is). */
  paths: { readonly out: PathMap; readonly in: PathMap } | null = null;

  constructor(
    readonly endpoint: Endpoint,
    readonly who: Who,
  ) {
    this.handles = who.kind === 'guest' ? new GuestHandles() : null;
  }

  get isGuest(): boolean {
    return this.who.kind === 'guest';
  }

  get isOwner(): boolean {
    return this.role === 'owner';
  }

  /** It hears the session's events. */
  get following(): boolean {
    return this.state === 'joined' && !this.endpoint.closed;
  }

  event(event: string, body?: unknown): void {
    this.endpoint.send({ type: 'event', event, ...(body === undefined ? {} : { body }) });
  }
}
