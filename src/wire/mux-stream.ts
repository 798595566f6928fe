// One logical stream of the mux: a byte Duplex with credit-based flow control. The sender may have at most
// `window` bytes in flight; the receiver grants them again as its reader consumes (Node's _read), so a
// reader that stops reading stops its sender without buffering more than a window.
import { Duplex } from 'node:stream';
import { MuxError, type MuxFrame } from './mux-frames.js';

/** What a stream needs from its mux. */
export interface StreamHost {
  send(frame: MuxFrame): void;
  /** The stream has data and credit: give it a turn. */
  schedule(stream: MuxStream): void;
  /** The stream took more to send (its writableLength grew). */
  written(stream: MuxStream): void;
  release(stream: MuxStream): void;
}

type Callback = (error?: Error | null) => void;

/** How a stream's error begins when the peer reset it; the peer's reason follows. */
export const PEER_RESET = 'stream reset by peer: ';

export class MuxStream extends Duplex {
  #credit: number; // bytes we may still send
  #receivable: number; // bytes the peer may still send us
  #unacked = 0; // received, not yet granted back: still in the read buffer, or read since the last grant
  #pending: { data: Uint8Array; callback: Callback } | null = null;
  #sentClose = false;
  #peerClosed = false;
  #peerReset = false;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
    readonly kind: string,
    readonly name: string,
    private readonly window: number,
  ) {
    super({ writableHighWaterMark: window }); // a writer may queue a window before it is asked to wait
    this.#credit = window;
    this.#receivable = window;
  }

  /** Sends up to `max` bytes of the pending write, as far as credit allows; the write completes after its last byte. */
  sendChunk(max: number): void {
    const pending = this.#pending;
    if (!pending || this.#credit === 0) return;
    const chunk = pending.data.subarray(0, Math.min(max, this.#credit));
    this.#credit -= chunk.length;
    pending.data = pending.data.subarray(chunk.length);
    this.host.send({ type: 'data', id: this.id, data: chunk });
    if (pending.data.length > 0) return;
    this.#pending = null;
    pending.callback(); // may end the stream at once: its close must follow the data just sent
  }

  get sendable(): boolean {
    return this.#pending !== null && this.#credit > 0;
  }

  /** A frame from the peer for this stream. Throws MuxError when the peer breaks the protocol. */
  receive(frame: MuxFrame): void {
    switch (frame.type) {
      case 'data':
        return this.#onData(frame.data);
      case 'credit':
        if (this.#credit + frame.bytes > this.window) throw new MuxError('credit beyond the window');
        this.#credit += frame.bytes;
        return this.host.schedule(this);
      case 'close':
        this.#peerClosed = true;
        this.push(null);
        return;
      case 'reset':
        this.#peerReset = true;
        this.destroy(new MuxError(`${PEER_RESET}${frame.reason}`));
        return;
      default:
        throw new MuxError(`unexpected ${frame.type} frame on a stream`);
    }
  }

  /** Every write is reported to the mux, which bounds what waits for the peer across its streams. */
  override write(chunk: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
    const ok = super.write(chunk, encoding as BufferEncoding, callback);
    this.host.written(this);
    return ok;
  }

  override _write(chunk: Uint8Array, _encoding: BufferEncoding, callback: Callback): void {
    if (chunk.length === 0) return callback();
    this.#pending = { data: chunk, callback };
    this.host.schedule(this);
  }

  /** Writes queued while one was in flight go out together (Node calls this with all of them). */
  override _writev(chunks: { chunk: Uint8Array }[], callback: Callback): void {
    this._write(Buffer.concat(chunks.map((c) => c.chunk)), 'binary', callback);
  }

  override _final(callback: Callback): void {
    this.host.send({ type: 'close', id: this.id });
    this.#sentClose = true;
    callback();
  }

  override _read(): void {
    this.#grant();
  }

  override _destroy(error: Error | null, callback: Callback): void {
    const clean = this.#sentClose && this.#peerClosed;
    if (!clean && !this.#peerReset) this.host.send({ type: 'reset', id: this.id, reason: error?.message ?? 'closed' });
    this.host.release(this);
    callback(error);
  }

  #onData(data: Uint8Array): void {
    if (this.#peerClosed) throw new MuxError('data after close');
    if (data.length > this.#receivable) throw new MuxError('data beyond the granted window');
    this.#receivable -= data.length;
    this.#unacked += data.length;
    this.push(data);
    this.#grant();
  }

  /**
   * Grants back what the reader took out of the buffer, in batches of a quarter window so credit frames stay rare.
   * Never what still waits in it: `push` accepts up to the readable high-water mark (16 KiB) whether or not anyone
   * reads, so granting on its say-so let a stalled reader hold more than a window when the window is small.
   */
  #grant(): void {
    const read = this.#unacked - this.readableLength;
    if (read < this.window / 4 || this.destroyed) return;
    this.host.send({ type: 'credit', id: this.id, bytes: read });
    this.#receivable += read;
    this.#unacked -= read;
  }
}
