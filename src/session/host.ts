// The host's session: a fresh key pair, session id and join secret (the link), a direct listener and/or a
// relay registration, and the roster — each guest's handshake, admission, role and permissions, and removal.
// Events: ready, guest-request, guest-joined, guest-left, guest-denied, link-rotated, error.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { createSessionKey, fingerprint, Handshake, wipe, wipeKeyPair, type KeyPair } from '../crypto/index.js';
import { logger } from '../log.js';
import { peerAudit } from '../log-throttle.js';
import { Mux, type MuxStream } from '../wire/mux.js';
import { acceptGuest, registerHost, type RelayControl } from '../wire/relay-client.js';
import { SecureChannel } from '../wire/secure-channel.js';
import { admission } from './admission.js';
import type { HostConfig } from './config.js';
import { decodeHello, encodeHello } from './hello.js';
import { formatLink } from './link.js';
import { DirectListener } from './listener.js';
import { sendMessage, type SessionMessage } from './messages.js';
import { effectivePermissions, grant, grantsOf, revoke, withRole, type Grants, type Permission, type Role } from './permissions.js';
import { publicKeyText, type TrustedGuests } from './trusted.js';

const log = logger('host');

/** How long a guest waits for the host to approve before it counts as a rejection. */
export const APPROVAL_TIMEOUT_MS = 120_000;
/** Handshakes in progress at once; more are dropped (each costs a few DH operations). */
const MAX_HANDSHAKES = 32;

/** What a service (files, a language server, a debug session) knows of the guest behind one of its streams. */
export interface GuestContext {
  readonly id: string;
  readonly name: string;
  /** Whether the guest holds a permission now: asked on every message, so a change applies to the next one. */
  has(permission: Permission): boolean;
}

/** Serves one stream a joined guest opened; the stream closes with the guest. */
export type StreamHandler = (stream: MuxStream, guest: GuestContext) => void;

export interface GuestInfo {
  readonly id: string;
  readonly name: string;
  readonly fingerprint: string;
  readonly known: boolean;
  readonly role: Role;
  readonly permissions: readonly Permission[];
  readonly state: 'pending' | 'joined';
}

interface Guest {
  readonly id: string;
  readonly name: string;
  readonly publicKey: string;
  readonly fingerprint: string;
  readonly known: boolean;
  readonly pin: string;
  grants: Grants;
  state: 'pending' | 'joined';
  /** Set when the host sends the guest away: from then on it may do nothing, even before its channel closes. */
  gone: boolean;
  readonly channel: SecureChannel;
  readonly mux: Mux;
  readonly control: MuxStream;
  decide?: (approved: boolean, reason?: string) => void;
}

interface Keys {
  readonly sessionId: string;
  readonly secret: Uint8Array;
  readonly sessionKey: KeyPair;
  /** Proves to the relay that we own the session id; never in the link. */
  readonly token: string;
}

export interface HostOptions {
  readonly config: HostConfig;
  readonly trusted: TrustedGuests;
  /** The host's display name, shown to guests. */
  readonly name: string;
  /** Where to listen directly; null for relay only. */
  readonly listen: { host: string; port: number } | null;
  readonly relay: string | null;
}

function newKeys(): Keys {
  return {
    sessionId: randomBytes(16).toString('base64url'),
    secret: new Uint8Array(randomBytes(32)),
    sessionKey: createSessionKey(),
    token: randomBytes(32).toString('base64url'),
  };
}

export class HostSession extends EventEmitter {
  #keys = newKeys();
  #listener: DirectListener | null = null;
  #relay: RelayControl | null = null;
  #closed = false;
  #handshakes = 0;
  #nextId = 1;
  readonly #guests = new Map<string, Guest>();
  readonly #blocked = new Set<string>();
  /** Keys let in during this session, with their grants: a guest that reconnects is let in again unasked. */
  readonly #admitted = new Map<string, Grants>();
  readonly #services = new Map<string, StreamHandler>();

  private constructor(private readonly options: HostOptions) {
    super();
  }

  static async start(options: HostOptions): Promise<HostSession> {
    const session = new HostSession(options);
    if (options.listen) {
      session.#listener = await DirectListener.start({
        ...options.listen,
        isSession: (sid) => sid === session.#keys.sessionId,
        onStream: (stream, address) => void session.#admit(stream, address),
      });
    }
    if (options.relay) await session.#register(session.#keys);
    session.emit('ready', { link: session.link, sessionId: session.#keys.sessionId });
    return session;
  }

  /** Routes the streams of kind `kind` that joined guests open to `handler`; other kinds are reset. */
  serve(kind: string, handler: StreamHandler): void {
    this.#services.set(kind, handler);
  }

  get link(): string {
    const { sessionId, sessionKey, secret } = this.#keys;
    return formatLink({ direct: this.#listener ? [this.#listener.url] : [], relay: this.options.relay, sessionId, hostKey: sessionKey.publicKey, secret });
  }

  get sessionId(): string {
    return this.#keys.sessionId;
  }

  guests(): GuestInfo[] {
    return [...this.#guests.values()].map((g) => this.#info(g));
  }

  approve(id: string): void {
    this.#pending(id).decide!(true);
  }

  reject(id: string, reason = 'the host declined'): void {
    this.#pending(id).decide!(false, reason);
  }

  /** Removes a guest at once and blocks its key for the rest of the session. */
  kick(id: string): void {
    const guest = this.#guest(id);
    this.#blocked.add(guest.publicKey);
    this.#admitted.delete(guest.publicKey);
    log.info({ audit: 'kick', guest: this.#audit(guest) }, 'guest removed and blocked');
    if (guest.decide) return guest.decide(false, 'removed by the host');
    this.#dismiss(guest, { type: 'kicked', reason: 'removed by the host' });
  }

  setRole(id: string, role: Role): GuestInfo {
    return this.#change(id, (g) => withRole(g, role), { role });
  }

  grant(id: string, permission: string): GuestInfo {
    return this.#change(id, (g) => grant(g, permission), { grant: permission });
  }

  revoke(id: string, permission: string): GuestInfo {
    return this.#change(id, (g) => revoke(g, permission), { revoke: permission });
  }

  /** A new session id, join secret and host key: the old link stops working; guests already in stay. */
  async rotate(): Promise<string> {
    const old = this.#keys;
    this.#keys = newKeys();
    if (this.options.relay) {
      this.#relay?.close();
      await this.#register(this.#keys);
    }
    wipe(old.secret);
    wipeKeyPair(old.sessionKey);
    log.info({ audit: 'rotate' }, 'link rotated; the old link no longer works');
    this.emit('link-rotated', { link: this.link, sessionId: this.#keys.sessionId });
    return this.link;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const guests = [...this.#guests.values()];
    for (const guest of guests) this.#dismiss(guest, { type: 'bye', reason: 'the host stopped sharing' });
    // A guest closes its side once it reads the bye: let that happen before the connections are cut under it.
    const gone = Promise.all(guests.map((g) => (g.channel.destroyed ? null : new Promise((resolve) => g.channel.once('close', resolve)))));
    await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    this.#relay?.close();
    await this.#listener?.close();
    wipe(this.#keys.secret);
    wipeKeyPair(this.#keys.sessionKey);
  }

  async #register(keys: Keys, attempt = 0): Promise<void> {
    const relay = this.options.relay!;
    try {
      this.#relay = await registerHost(relay, keys.sessionId, keys.token, (conn) => {
        acceptGuest(relay, keys.sessionId, conn, keys.token).then(
          (stream) => this.#admit(stream, 'relay'),
          (err: Error) => log.warn({ err: err.message }, 'could not accept a guest through the relay'),
        );
      });
      this.#relay.on('close', (code: number, reason: string) => {
        if (this.#closed || keys !== this.#keys) return;
        log.warn({ code, reason }, 'lost the relay; reconnecting');
        void this.#register(keys, 1);
      });
    } catch (err) {
      if (attempt === 0) throw err;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random());
      log.warn({ err: (err as Error).message, delayMs: Math.round(delay) }, 'relay unreachable; retrying');
      setTimeout(() => void (this.#closed || keys !== this.#keys ? undefined : this.#register(keys, attempt + 1)), delay).unref();
    }
  }

  /** One connection: handshake, admission, then the guest's session until either side leaves. */
  async #admit(stream: Duplex, address: string): Promise<void> {
    if (this.#closed || this.#handshakes >= MAX_HANDSHAKES) return void stream.destroy();
    this.#handshakes++;
    const keys = this.#keys;
    const channel = new SecureChannel(stream, Handshake.host({ sessionKey: keys.sessionKey, psk: keys.secret, sessionId: keys.sessionId, hello: encodeHello(this.options.name) }));
    channel.on('error', (err: Error) => log.info({ address, err: err.message }, 'guest connection failed'));
    let peer;
    try {
      peer = await channel.ready;
    } catch (err) {
      peerAudit.info(log, address, { audit: 'handshake-failed', address }, { reason: (err as Error).message }, 'handshake failed (wrong link, or not a guest)');
      return;
    } finally {
      this.#handshakes--;
    }
    const mux = new Mux(channel, { initiator: false });
    mux.on('close', () => channel.destroy());
    mux.on('stream', (stream: MuxStream) => stream.destroy(new Error('not admitted yet'))); // replaced once joined
    const publicKey = publicKeyText(peer.remoteStatic);
    const trusted = this.options.trusted.get(publicKey);
    const hello = decodeHello(peer.hello);
    const guest: Guest = {
      id: `g${this.#nextId++}`,
      name: trusted?.name ?? hello.name,
      publicKey,
      fingerprint: fingerprint(peer.remoteStatic),
      known: trusted !== undefined,
      pin: peer.pin,
      grants: this.#admitted.get(publicKey) ?? trusted?.grants ?? grantsOf('viewer'),
      state: 'pending',
      gone: false,
      channel,
      mux,
      control: mux.open('control'),
    };
    this.#guests.set(guest.id, guest);
    guest.control.on('error', () => undefined); // the channel's error is logged above; the close below ends the guest
    channel.on('close', () => this.#left(guest));
    if (this.#blocked.has(publicKey)) return this.#deny(guest, 'you were removed from this session');
    const verdict = this.#admitted.has(publicKey) ? 'accept' : admission(this.options.config, guest.known);
    if (verdict === 'reject') return this.#deny(guest, 'the host does not accept anonymous guests');
    if (verdict === 'prompt' && !(await this.#ask(guest))) return;
    guest.state = 'joined';
    this.#admitted.set(publicKey, guest.grants);
    const info = this.#info(guest);
    sendMessage(guest.control, { type: 'welcome', guestId: guest.id, role: info.role, permissions: info.permissions });
    this.#route(guest);
    log.info({ audit: 'admit', guest: this.#audit(guest), role: info.role, address }, 'guest joined');
    this.emit('guest-joined', { guest: info, pin: guest.pin });
  }

  /** From now on the guest's streams reach the services, each with a live view of the guest's permissions. */
  #route(guest: Guest): void {
    const context: GuestContext = {
      id: guest.id,
      name: guest.name,
      has: (permission) => !guest.gone && this.#info(guest).permissions.includes(permission),
    };
    guest.mux.removeAllListeners('stream');
    guest.mux.on('stream', (stream: MuxStream) => {
      const handler = this.#services.get(stream.kind);
      if (!handler) {
        log.info({ guest: guest.id, kind: stream.kind }, 'guest opened a stream of an unknown kind; reset');
        return void stream.destroy(new Error(`no service '${stream.kind}'`));
      }
      stream.on('error', () => undefined); // the service hears of it by 'close'
      handler(stream, context);
    });
  }

  /** Asks the host; resolves true when approved. A rejection or a timeout denies the guest. */
  #ask(guest: Guest): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => guest.decide?.(false, 'the host did not answer in time'), APPROVAL_TIMEOUT_MS).unref();
      guest.decide = (approved, reason) => {
        clearTimeout(timer);
        guest.decide = undefined;
        if (!approved) this.#deny(guest, reason ?? 'the host declined');
        resolve(approved && !guest.channel.destroyed);
      };
      log.info({ audit: 'request', guest: this.#audit(guest) }, 'guest asks to join');
      this.emit('guest-request', { guest: this.#info(guest), pin: guest.pin });
    });
  }

  #deny(guest: Guest, reason: string): void {
    log.info({ audit: 'deny', guest: this.#audit(guest), reason }, 'guest denied');
    this.#guests.delete(guest.id);
    this.emit('guest-denied', { guest: this.#info(guest), reason });
    this.#dismiss(guest, { type: 'denied', reason });
  }

  /** Tells the guest why, closes the channel gracefully, and cuts it if the guest does not close its side. */
  #dismiss(guest: Guest, message: SessionMessage): void {
    guest.gone = true;
    sendMessage(guest.control, message);
    guest.mux.close();
    setTimeout(() => guest.channel.destroy(), 1000).unref();
  }

  #left(guest: Guest): void {
    guest.decide?.(false, 'left before approval');
    if (!this.#guests.delete(guest.id)) return;
    log.info({ audit: 'leave', guest: this.#audit(guest) }, 'guest left');
    peerAudit.flush(guest.id);
    this.emit('guest-left', { guest: this.#info(guest) });
  }

  #change(id: string, update: (g: Grants) => Grants, what: Record<string, string>): GuestInfo {
    const guest = this.#guest(id);
    guest.grants = update(guest.grants);
    if (this.#admitted.has(guest.publicKey)) this.#admitted.set(guest.publicKey, guest.grants);
    const info = this.#info(guest);
    log.info({ audit: 'permissions', guest: this.#audit(guest), ...what, permissions: info.permissions }, 'guest permissions changed');
    if (guest.state === 'joined') sendMessage(guest.control, { type: 'permissions', role: info.role, permissions: info.permissions });
    return info;
  }

  #guest(id: string): Guest {
    const guest = this.#guests.get(id);
    if (!guest) throw new Error(`no guest ${id} (see lspair guests list)`);
    return guest;
  }

  #pending(id: string): Guest {
    const guest = this.#guest(id);
    if (!guest.decide) throw new Error(`guest ${id} is not waiting for approval`);
    return guest;
  }

  #info(g: Guest): GuestInfo {
    const permissions = effectivePermissions(g.grants, this.options.config);
    return { id: g.id, name: g.name, fingerprint: g.fingerprint, known: g.known, role: g.grants.role, permissions, state: g.state };
  }

  #audit(g: Guest): { id: string; name: string; fingerprint: string; known: boolean } {
    return { id: g.id, name: g.name, fingerprint: g.fingerprint, known: g.known };
  }
}
