// lspair's handshake: Noise_XKpsk3_25519_ChaChaPoly_BLAKE2b between a guest (initiator, pins the host's
// per-session static key from the join link) and a host (responder), with the link's join secret as psk.
//   -> e, es                 payload: empty
//   <- e, ee                 payload: host hello
//   -> s, se, psk            payload: guest hello (the guest's long-term key rides here, encrypted)
import { HandshakeError } from './errors.js';
import { HandshakeState } from './handshake-state.js';
import { derivePin } from './pin.js';
import type { KeyPair } from './primitives.js';

export const PROTOCOL_VERSION = 1;
export const MAX_HELLO = 4096;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** "lspair" 0x00, version (u16 BE), session id length (u16 BE), session id (UTF-8): unambiguous, so both are bound. */
export function prologue(sessionId: string, version = PROTOCOL_VERSION): Uint8Array {
  const id = new TextEncoder().encode(sessionId);
  if (id.length > 0xffff) throw new RangeError('session id too long');
  const out = new Uint8Array(11 + id.length);
  out.set(new TextEncoder().encode('lspair\0'));
  new DataView(out.buffer).setUint16(7, version);
  new DataView(out.buffer).setUint16(9, id.length);
  out.set(id, 11);
  return out;
}

interface Common {
  readonly sessionId: string;
  /** The link's 32-byte join secret. */
  readonly psk: Uint8Array;
  /** Our hello (name, version; encoded by the caller), at most MAX_HELLO bytes. */
  readonly hello: Uint8Array;
}

export interface GuestOptions extends Common {
  readonly identity: KeyPair;
  readonly hostPublicKey: Uint8Array;
}

export interface HostOptions extends Common {
  readonly sessionKey: KeyPair;
}

export interface HandshakeResult {
  /** The guest's long-term key (host side) or the pinned host key (guest side). */
  readonly remoteStatic: Uint8Array;
  readonly remoteHello: Uint8Array;
  readonly handshakeHash: Uint8Array;
  readonly pin: string;
  /** Transport keys for secretstream; the receiver of the result wipes them once used. */
  readonly tx: Uint8Array;
  readonly rx: Uint8Array;
}

export interface Step {
  readonly reply: Uint8Array | null;
  readonly result: HandshakeResult | null;
}

/** Drives one handshake message by message; the transport around it only moves bytes. */
export class Handshake {
  readonly #state: HandshakeState;
  readonly #hello: Uint8Array;
  #remoteHello: Uint8Array = new Uint8Array(0);

  private constructor(state: HandshakeState, hello: Uint8Array) {
    if (hello.length > MAX_HELLO) throw new HandshakeError('bad-length', `hello over ${MAX_HELLO} bytes`);
    this.#state = state;
    this.#hello = hello;
  }

  static guest({ identity, hostPublicKey, ...common }: GuestOptions): Handshake {
    return Handshake.#create(common, { initiator: true, s: identity, rs: hostPublicKey });
  }

  static host({ sessionKey, ...common }: HostOptions): Handshake {
    return Handshake.#create(common, { initiator: false, s: sessionKey });
  }

  static #create({ sessionId, psk, hello }: Common, keys: { initiator: boolean; s: KeyPair; rs?: Uint8Array }): Handshake {
    return new Handshake(new HandshakeState({ pattern: 'XKpsk3', prologue: prologue(sessionId), psk, ...keys }), hello);
  }

  /** The guest's first message; null for the host, which speaks second. */
  start(): Uint8Array | null {
    return this.#state.messageIndex === 0 && this.#state.writesNext ? this.#write() : null;
  }

  /** Takes the peer's message; returns our reply (if any) and, once finished, the result. */
  receive(message: Uint8Array): Step {
    if (this.#state.complete || this.#state.writesNext) throw new HandshakeError('state', 'unexpected handshake message');
    const index = this.#state.messageIndex;
    const payload = this.#state.readMessage(message, index === 0 ? 0 : MAX_HELLO);
    if (index > 0) this.#remoteHello = payload;
    const reply = this.#state.complete ? null : this.#write();
    return { reply, result: this.#state.complete ? this.#finish() : null };
  }

  /** Wipes ephemeral and symmetric secrets; also called on success. */
  wipe(): void {
    this.#state.wipe();
  }

  #write(): Uint8Array {
    return this.#state.writeMessage(this.#state.messageIndex === 0 ? new Uint8Array(0) : this.#hello);
  }

  #finish(): HandshakeResult {
    const handshakeHash = this.#state.handshakeHash;
    const result = { remoteStatic: this.#state.remoteStatic!, remoteHello: this.#remoteHello, handshakeHash, pin: derivePin(handshakeHash), ...this.#state.split() };
    this.wipe();
    return result;
  }
}

/** Rejects with HandshakeError('timeout') unless `work` settles within `ms`; the timer never outlives it. */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandshakeError('timeout', `handshake not finished within ${ms} ms`)), ms);
  });
  return Promise.race([work, expiry]).finally(() => clearTimeout(timer));
}
