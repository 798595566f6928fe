// Shared test plumbing (no tests here): parties with fresh keys, an in-process handshake runner, and an
// in-memory link whose relay can tamper with whole frames in either direction.
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import * as assert from 'uvu/assert';
import { Handshake, type GuestOptions, type HandshakeResult, type HostOptions } from '../../src/crypto/handshake.js';
import { generateKeyPair } from '../../src/crypto/primitives.js';
import { FrameDecoder, encodeFrame } from '../../src/wire/frames.js';
import { SecureChannel, type ChannelOptions } from '../../src/wire/secure-channel.js';

/** Test randomness from node (libsodium-wrappers' randombytes_buf is slow here: ~0.4 ms a call). */
export const random = (length: number) => new Uint8Array(randomBytes(length));
export const utf8 = (text: string) => new TextEncoder().encode(text);
export const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A host session and a guest identity that know each other the way a join link makes them. */
export function parties() {
  const guestKey = generateKeyPair();
  const hostKey = generateKeyPair();
  const psk = random(32);
  const sessionId = 'session-7f3a';
  return {
    guestKey,
    hostKey,
    psk,
    sessionId,
    guest: (overrides: Partial<GuestOptions> = {}) =>
      Handshake.guest({ identity: guestKey, hostPublicKey: hostKey.publicKey, psk, sessionId, hello: utf8('{"name":"guest"}'), ...overrides }),
    host: (overrides: Partial<HostOptions> = {}) => Handshake.host({ sessionKey: hostKey, psk, sessionId, hello: utf8('{"name":"host"}'), ...overrides }),
  };
}

/** X25519 points of small order and their non-canonical encodings (hex): a DH with one of them is all zeros. */
export const LOW_ORDER_POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

export interface Exchange {
  readonly messages: Uint8Array[];
  readonly guest?: HandshakeResult;
  readonly host?: HandshakeResult;
}

/** Runs a handshake to the end, passing each message through `relay`; the first failure propagates. */
export function exchange(guest: Handshake, host: Handshake, relay: (message: Uint8Array, index: number) => Uint8Array = (m) => m): Exchange {
  const messages: Uint8Array[] = [];
  const results = new Map<Handshake, HandshakeResult>();
  let message = guest.start();
  let receiver = host;
  while (message) {
    messages.push(message);
    const step = receiver.receive(relay(message, messages.length - 1));
    if (step.result) results.set(receiver, step.result);
    message = step.reply;
    receiver = receiver === host ? guest : host;
  }
  return { messages, guest: results.get(guest), host: results.get(host) };
}

/** Asserts that `run` throws an error of `type` carrying `code`. */
export function throwsCode(run: () => unknown, type: new (...args: never[]) => Error & { code: string }, code: string): void {
  try {
    run();
  } catch (error) {
    assert.instance(error, type);
    assert.is((error as Error & { code: string }).code, code, (error as Error).message);
    return;
  }
  assert.unreachable(`expected ${type.name}(${code})`);
}

export function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const copy = new Uint8Array(bytes); // not slice(): on a Buffer that is a view
  copy[index] = copy[index]! ^ (1 << bit);
  return copy;
}

/** What a relay does with each whole frame going one way: the frames to forward instead (none drops it). */
export type Tamper = (body: Uint8Array, index: number) => Uint8Array[];

const ANY = { min: 0, max: 2 ** 32 - 1 };

/** One direction of the link; delivers asynchronously and in order, like a socket. */
class Direction {
  readonly #decoder = new FrameDecoder();
  #index = 0;
  #ended = false;

  constructor(private readonly target: () => Duplex, private readonly tamper?: Tamper) {}

  send(chunk: Uint8Array): void {
    if (!this.tamper) return this.inject(chunk);
    this.#decoder.push(chunk);
    for (let body; (body = this.#decoder.next(ANY)) !== null; ) {
      for (const out of this.tamper(new Uint8Array(body), this.#index++)) this.inject(encodeFrame(out));
    }
  }

  inject(bytes: Uint8Array): void {
    setImmediate(() => this.#ended || this.target().destroyed || this.target().push(bytes));
  }

  end(): void {
    setImmediate(() => {
      if (this.#ended || this.target().destroyed) return;
      this.#ended = true;
      this.target().push(null);
    });
  }
}

class End extends Duplex {
  constructor(private readonly out: Direction) {
    super();
  }
  override _write(chunk: Uint8Array, _encoding: BufferEncoding, callback: () => void): void {
    this.out.send(chunk);
    callback();
  }
  override _final(callback: () => void): void {
    this.out.end();
    callback();
  }
  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.out.end(); // the peer sees the connection go away as EOF
    callback(error);
  }
  override _read(): void {}
}

export interface Link {
  readonly guest: Duplex;
  readonly host: Duplex;
  readonly toHost: Direction;
  readonly toGuest: Direction;
}

export function link(tamper: { toHost?: Tamper; toGuest?: Tamper } = {}): Link {
  const toHost: Direction = new Direction(() => host, tamper.toHost);
  const toGuest: Direction = new Direction(() => guest, tamper.toGuest);
  const guest = new End(toHost);
  const host = new End(toGuest);
  return { guest, host, toHost, toGuest };
}

export function channels(net: Link, setup = parties(), options: ChannelOptions = {}, hostOptions: ChannelOptions = options) {
  return { guest: new SecureChannel(net.guest, setup.guest(), options), host: new SecureChannel(net.host, setup.host(), hostOptions), setup };
}

export interface Outcome {
  readonly messages: string[];
  readonly error?: Error;
  readonly ended: boolean;
}

/**
 * Everything a channel delivers until it closes, and how it closed. A channel still open after `ms` is
 * destroyed with a "stuck" error, so a hanging case fails its assertions instead of stalling the run.
 */
export function collect(channel: Duplex, ms = 5000): Promise<Outcome> {
  const messages: string[] = [];
  let error: Error | undefined;
  let ended = false;
  const timer = setTimeout(() => channel.destroy(new Error(`stuck: channel still open after ${ms} ms`)), ms);
  channel.on('data', (message: Uint8Array) => messages.push(text(message)));
  channel.on('error', (failure) => (error = failure));
  channel.on('end', () => (ended = true));
  return new Promise((resolve) =>
    channel.on('close', () => {
      clearTimeout(timer);
      resolve({ messages, error, ended });
    }),
  );
}
