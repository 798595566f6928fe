// HandshakeState of the Noise spec (rev 34, §5.3): one engine for every pattern in patterns.ts.
import { sodium } from './sodium.js';
import { HandshakeError } from './errors.js';
import { DHLEN, TAGLEN, concat, dh, generateKeyPair, keyPairFromPrivate, wipeKeyPair, type KeyPair } from './primitives.js';
import { PATTERNS, protocolName, usesPsk, type DhToken, type Pattern, type PatternName, type PreToken, type Token } from './patterns.js';
import { SymmetricState } from './symmetric.js';

export const MAX_MESSAGE = 65535; // §3

export interface HandshakeOptions {
  readonly pattern: PatternName;
  readonly initiator: boolean;
  readonly prologue: Uint8Array;
  /** Our static key pair; the caller owns it (and wipes it). */
  readonly s?: KeyPair;
  /** The peer's static public key when the pattern pre-knows it. */
  readonly rs?: Uint8Array;
  readonly psk?: Uint8Array;
  /** A fixed ephemeral private key, for test vectors only; otherwise a fresh one is generated. */
  readonly ephemeralPrivateKey?: Uint8Array;
}

export interface TransportKeys {
  readonly tx: Uint8Array;
  readonly rx: Uint8Array;
}

export class HandshakeState {
  readonly #pattern: Pattern;
  readonly #initiator: boolean;
  readonly #usesPsk: boolean;
  readonly #ss: SymmetricState;
  readonly #s: KeyPair | undefined;
  readonly #psk: Uint8Array | undefined;
  #e: KeyPair | undefined;
  #rs: Uint8Array | undefined;
  #re: Uint8Array | undefined;
  #index = 0;

  constructor(options: HandshakeOptions) {
    this.#pattern = PATTERNS[options.pattern];
    this.#initiator = options.initiator;
    this.#usesPsk = usesPsk(this.#pattern);
    if (this.#usesPsk && options.psk?.length !== 32) throw new HandshakeError('state', 'the pattern needs a 32-byte psk');
    if (options.rs && options.rs.length !== DHLEN) throw new HandshakeError('invalid-key', `public key must be ${DHLEN} bytes`);
    this.#s = options.s;
    this.#rs = options.rs;
    this.#psk = options.psk;
    this.#e = options.ephemeralPrivateKey && keyPairFromPrivate(new Uint8Array(options.ephemeralPrivateKey));
    this.#ss = new SymmetricState(protocolName(options.pattern));
    this.#ss.mixHash(options.prologue);
    for (const token of this.#pattern.initiatorPre) this.#ss.mixHash(this.#preKey(token, true));
    for (const token of this.#pattern.responderPre) this.#ss.mixHash(this.#preKey(token, false));
  }

  get complete(): boolean {
    return this.#index === this.#pattern.messages.length;
  }

  /** Whether the next message is ours to write. */
  get writesNext(): boolean {
    return !this.complete && (this.#index % 2 === 0) === this.#initiator;
  }

  /** The index of the next message (0-based), to tell which payload it carries. */
  get messageIndex(): number {
    return this.#index;
  }

  get handshakeHash(): Uint8Array {
    return this.#ss.handshakeHash;
  }

  get remoteStatic(): Uint8Array | undefined {
    return this.#rs && new Uint8Array(this.#rs);
  }

  writeMessage(payload: Uint8Array): Uint8Array {
    const tokens = this.#turn(true);
    if (this.#overhead(tokens) + payload.length > MAX_MESSAGE) throw new HandshakeError('bad-length', 'handshake payload too long');
    const out: Uint8Array[] = [];
    for (const token of tokens) {
      if (token === 'e') out.push(this.#writeEphemeral());
      else if (token === 's') out.push(this.#ss.encryptAndHash(this.#local('s').publicKey));
      else if (token === 'psk') this.#ss.mixKeyAndHash(this.#psk!);
      else this.#mixDh(token);
    }
    out.push(this.#ss.encryptAndHash(payload));
    this.#index++;
    return concat(...out);
  }

  /** Returns the payload. `maxPayload` lets a protocol refuse messages longer than it ever sends. */
  readMessage(message: Uint8Array, maxPayload = MAX_MESSAGE): Uint8Array {
    const tokens = this.#turn(false);
    const overhead = this.#overhead(tokens);
    if (message.length > MAX_MESSAGE || message.length < overhead || message.length - overhead > maxPayload) {
      throw new HandshakeError('bad-length', `handshake message of ${message.length} bytes`);
    }
    let at = 0;
    const take = (length: number) => message.subarray(at, (at += length));
    for (const token of tokens) {
      if (token === 'e') this.#readEphemeral(take(DHLEN));
      else if (token === 's') this.#readStatic(take(this.#ss.hasKey() ? DHLEN + TAGLEN : DHLEN));
      else if (token === 'psk') this.#ss.mixKeyAndHash(this.#psk!);
      else this.#mixDh(token);
    }
    const payload = this.#ss.decryptAndHash(message.subarray(at));
    this.#index++;
    return payload;
  }

  /** Split (§5.2) oriented for this side: tx encrypts what we send. */
  split(): TransportKeys {
    if (!this.complete) throw new HandshakeError('state', 'handshake not finished');
    const [k1, k2] = this.#ss.split();
    return this.#initiator ? { tx: k1, rx: k2 } : { tx: k2, rx: k1 };
  }

  /** Wipes the ephemeral private key and the symmetric state; the static key belongs to the caller. */
  wipe(): void {
    wipeKeyPair(this.#e);
    this.#ss.wipe();
  }

  #turn(writing: boolean): readonly Token[] {
    const tokens = this.#pattern.messages[this.#index];
    if (!tokens) throw new HandshakeError('state', 'handshake already finished');
    if (this.writesNext !== writing) throw new HandshakeError('state', 'not our turn');
    return tokens;
  }

  /** The bytes a message of these tokens has besides its payload, known before processing any of it. */
  #overhead(tokens: readonly Token[]): number {
    let keyed = this.#ss.hasKey();
    let bytes = 0;
    for (const token of tokens) {
      if (token === 'e') {
        bytes += DHLEN;
        keyed ||= this.#usesPsk; // with psk, e is mixed into the key
      } else if (token === 's') {
        bytes += DHLEN + (keyed ? TAGLEN : 0);
      } else {
        keyed = true;
      }
    }
    return bytes + (keyed ? TAGLEN : 0);
  }

  #writeEphemeral(): Uint8Array {
    this.#e ??= generateKeyPair();
    this.#mixEphemeral(this.#e.publicKey);
    return this.#e.publicKey;
  }

  #readEphemeral(publicKey: Uint8Array): void {
    this.#re = new Uint8Array(publicKey); // a copy: the message may be a view of a socket buffer
    this.#mixEphemeral(this.#re);
  }

  #mixEphemeral(publicKey: Uint8Array): void {
    this.#ss.mixHash(publicKey);
    if (this.#usesPsk) this.#ss.mixKey(publicKey);
  }

  #readStatic(ciphertext: Uint8Array): void {
    const publicKey = this.#ss.decryptAndHash(ciphertext);
    if (this.#s && sodium.memcmp(publicKey, this.#s.publicKey)) {
      throw new HandshakeError('reflected-key', 'the peer presented our own static key');
    }
    this.#rs = publicKey;
  }

  /** `es` is DH(initiator's e, responder's s): the first letter names the initiator's key, the second the responder's. */
  #mixDh(token: DhToken): void {
    const initiatorKey = token[0] as PreToken;
    const responderKey = token[1] as PreToken;
    const [mine, theirs] = this.#initiator ? [initiatorKey, responderKey] : [responderKey, initiatorKey];
    const shared = dh(this.#local(mine).privateKey, this.#remote(theirs));
    this.#ss.mixKey(shared);
    sodium.memzero(shared);
  }

  #preKey(token: PreToken, ofInitiator: boolean): Uint8Array {
    return ofInitiator === this.#initiator ? this.#local(token).publicKey : this.#remote(token);
  }

  #local(token: PreToken): KeyPair {
    const pair = token === 'e' ? this.#e : this.#s;
    if (!pair) throw new HandshakeError('state', `missing local ${token} key`);
    return pair;
  }

  #remote(token: PreToken): Uint8Array {
    const key = token === 'e' ? this.#re : this.#rs;
    if (!key) throw new HandshakeError('state', `missing remote ${token} key`);
    return key;
  }
}
