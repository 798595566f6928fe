// An end-to-end encrypted message channel over any duplex byte stream (TCP, unix socket, a WebSocket
// stream, a relay): the lspair handshake, then one secretstream per direction.
//   handshake:  frame(msg1) → frame(msg2) ← frame(msg3) →
//   each way:   frame(24-byte secretstream header), then frame(secretstream ciphertext) per message, …,
//               and last frame(TAG_FINAL). A frame is a u32 big-endian length and that many bytes.
// It is an object-mode Duplex of Uint8Array messages. Any fault destroys it with a typed error;
// nothing after the fault is delivered.
import { Duplex } from 'node:stream';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_REKEY,
  FRAME_OVERHEAD,
  HEADER_BYTES,
  IntegrityError,
  MAX_HANDSHAKE_MESSAGE,
  StreamOpener,
  StreamSealer,
  wipe,
  withTimeout,
  type Handshake,
  type HandshakeResult,
  type RekeyPolicy,
} from '../crypto/index.js';
import { FrameDecoder, encodeFrame, type FrameBounds } from './frames.js';

export const DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024;

export interface ChannelOptions {
  /** The largest plaintext message accepted or sent; default 16 MiB. */
  readonly maxMessage?: number;
  readonly rekey?: RekeyPolicy;
  readonly handshakeTimeoutMs?: number;
}

/** What the handshake established about the other side. */
export interface Peer {
  readonly remoteStatic: Uint8Array;
  readonly hello: Uint8Array;
  readonly pin: string;
  readonly handshakeHash: Uint8Array;
}

type Phase = 'handshake' | 'header' | 'open' | 'ended';
type Callback = (error?: Error | null) => void;
type Settle = { resolve(peer: Peer): void; reject(error: Error): void };

export class SecureChannel extends Duplex {
  /** Resolves once the handshake succeeded; rejects (and the channel is destroyed) on failure or timeout. */
  readonly ready: Promise<Peer>;
  readonly #socket: Duplex;
  readonly #handshake: Handshake;
  readonly #decoder = new FrameDecoder();
  readonly #maxMessage: number;
  readonly #rekey: RekeyPolicy;
  readonly #settle: Settle;
  #phase: Phase = 'handshake';
  #sealer: StreamSealer | undefined;
  #opener: StreamOpener | undefined;
  #rx: Uint8Array | undefined; // held only until the peer's header arrives

  constructor(socket: Duplex, handshake: Handshake, options: ChannelOptions = {}) {
    super({ objectMode: true });
    this.#socket = socket;
    this.#handshake = handshake;
    this.#maxMessage = options.maxMessage ?? DEFAULT_MAX_MESSAGE;
    this.#rekey = options.rekey ?? DEFAULT_REKEY;
    let settle!: Settle;
    const handshakeDone = new Promise<Peer>((resolve, reject) => (settle = { resolve, reject }));
    this.#settle = settle;
    this.ready = withTimeout(handshakeDone, options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
    this.ready.catch((error: Error) => this.destroy(error));
    socket.on('data', (chunk: Uint8Array) => this.#onData(chunk));
    socket.on('end', () => this.#onEof());
    socket.on('close', () => this.#onEof());
    socket.on('error', (error) => this.destroy(error));
    const first = handshake.start();
    if (first) this.#sendFrame(first);
  }

  override _write(message: unknown, _encoding: BufferEncoding, callback: Callback): void {
    if (!(message instanceof Uint8Array)) return callback(new TypeError('a channel message is a Uint8Array'));
    if (message.length > this.#maxMessage) return callback(new RangeError(`message of ${message.length} bytes exceeds ${this.#maxMessage}`));
    if (this.#sealer) return this.#sendFrame(this.#sealer.seal(message), callback);
    this.ready.then(() => this.#sendFrame(this.#sealer!.seal(message), callback), callback);
  }

  override _final(callback: Callback): void {
    this.ready.then(() => this.#sendFrame(this.#sealer!.final(), callback), callback);
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _destroy(error: Error | null, callback: Callback): void {
    this.#handshake.wipe();
    if (this.#rx) wipe(this.#rx);
    this.#settle.reject(error ?? new IntegrityError('truncated', 'channel closed before the handshake finished'));
    // After a clean close both FINAL frames have been flushed, so the socket may end gracefully.
    if (error) this.#socket.destroy();
    else this.#socket.end();
    callback(error);
  }

  #sendFrame(body: Uint8Array, callback?: Callback): void {
    // One write per frame: message transports (a WebSocket stream) would otherwise send the prefix alone.
    const flushed = this.#socket.write(encodeFrame(body));
    if (!callback) return;
    if (flushed) callback();
    else this.#socket.once('drain', () => callback());
  }

  #onData(chunk: Uint8Array): void {
    this.#decoder.push(chunk);
    try {
      let body: Uint8Array | null;
      while (!this.destroyed && this.#phase !== 'ended' && (body = this.#decoder.next(this.#bounds())) !== null) this.#onFrame(body);
      if (this.#phase === 'ended' && this.#decoder.buffered > 0) throw new IntegrityError('after-final', 'bytes after the final frame');
    } catch (error) {
      this.destroy(error as Error);
    }
  }

  #onEof(): void {
    if (!this.destroyed && this.#phase !== 'ended') this.destroy(new IntegrityError('truncated', 'stream ended without a final frame'));
  }

  #bounds(): FrameBounds {
    if (this.#phase === 'handshake') return { min: 1, max: MAX_HANDSHAKE_MESSAGE };
    if (this.#phase === 'header') return { min: HEADER_BYTES, max: HEADER_BYTES };
    return { min: FRAME_OVERHEAD, max: this.#maxMessage + FRAME_OVERHEAD };
  }

  #onFrame(body: Uint8Array): void {
    if (this.#phase === 'handshake') return this.#onHandshakeMessage(body);
    if (this.#phase === 'header') return this.#onHeader(body);
    const { message, final } = this.#opener!.open(body);
    if (final) {
      this.#phase = 'ended';
      this.push(null);
    } else if (!this.push(message)) {
      this.#socket.pause();
    }
  }

  /** State changes before sends: a synchronous transport may deliver the peer's next frame inside a write. */
  #onHandshakeMessage(message: Uint8Array): void {
    const { reply, result } = this.#handshake.receive(message);
    const header = result && this.#beginTransport(result);
    for (const frame of [reply, header]) if (frame) this.#sendFrame(frame);
    if (result) this.#settle.resolve({ remoteStatic: result.remoteStatic, hello: result.remoteHello, pin: result.pin, handshakeHash: result.handshakeHash });
  }

  /** Our sealer now, the opener when the peer's header arrives; returns our header. */
  #beginTransport(result: HandshakeResult): Uint8Array {
    this.#phase = 'header';
    this.#rx = result.rx;
    this.#sealer = new StreamSealer(result.tx, this.#rekey);
    wipe(result.tx);
    return this.#sealer.header;
  }

  #onHeader(header: Uint8Array): void {
    this.#opener = new StreamOpener(this.#rx!, header);
    wipe(this.#rx!);
    this.#rx = undefined;
    this.#phase = 'open';
  }
}
