// Logical streams over one message channel (a SecureChannel, or any object-mode Duplex of Uint8Arrays):
// open/data/close/reset per stream, credit-based flow control, and round-robin scheduling in chunks so a
// large transfer on one stream never holds back a small message on another. Keepalive pings detect a dead peer.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { MuxError, decodeMuxFrame, encodeMuxFrame, type MuxFrame } from './mux-frames.js';
import { MuxStream, PEER_RESET, type StreamHost } from './mux-stream.js';

export { MuxError, MuxStream, PEER_RESET };

export interface MuxOptions {
  /** The guest (the channel's initiator) opens odd stream ids, the host even ones. */
  readonly initiator: boolean;
  /** Bytes a stream may have in flight before its reader makes room; default 256 KiB. */
  readonly window?: number;
  /** Largest data frame: smaller lets other streams interleave sooner; default 64 KiB. */
  readonly chunk?: number;
  /** A ping this often; default 15 s. */
  readonly keepaliveMs?: number;
  /** Nothing heard for this long means the peer is dead; default 45 s. */
  readonly timeoutMs?: number;
  /** Streams the peer may have open at once; one more is reset at once (each holds buffers); default 64. */
  readonly maxPeerStreams?: number;
  /** Bytes our streams may hold for the peer, all streams together, before it counts as too slow; default 128 MiB. */
  readonly maxQueued?: number;
}

/**
 * Events: 'stream' (a MuxStream the peer opened), 'close' (error or undefined). Failures are reported by
 * 'close' and on each open stream, never as a bare 'error' event that would crash an unwary process.
 */
export class Mux extends EventEmitter implements StreamHost {
  readonly #channel: Duplex;
  readonly #streams = new Map<number, MuxStream>();
  readonly #turns = new Set<MuxStream>(); // insertion order is the round-robin order
  readonly #window: number;
  readonly #chunk: number;
  readonly #initiator: boolean;
  readonly #keepalive: NodeJS.Timeout;
  readonly #maxPeerStreams: number;
  readonly #maxQueued: number;
  #peerStreams = 0;
  #nextId: number;
  #lastPeerId = 0; // the peer's ids only grow, so a closed stream's id is never reused
  #lastHeard = Date.now();
  #congested = false;
  #pumping = false;
  #destroyed = false;

  constructor(channel: Duplex, options: MuxOptions) {
    super();
    this.#channel = channel;
    this.#initiator = options.initiator;
    this.#nextId = options.initiator ? 1 : 2;
    this.#window = options.window ?? 256 * 1024;
    this.#chunk = options.chunk ?? 64 * 1024;
    this.#maxPeerStreams = options.maxPeerStreams ?? 64;
    this.#maxQueued = options.maxQueued ?? 128 * 1024 * 1024;
    const timeoutMs = options.timeoutMs ?? 45_000;
    this.#keepalive = setInterval(() => this.#ping(timeoutMs), options.keepaliveMs ?? 15_000).unref();
    channel.on('data', (bytes: Uint8Array) => this.#receive(bytes));
    channel.on('drain', () => {
      this.#congested = false;
      this.#pump();
    });
    channel.on('error', (error: Error) => this.destroy(error));
    channel.on('close', () => this.destroy());
  }

  open(kind: string, name = ''): MuxStream {
    if (this.#destroyed) throw new MuxError('mux is closed');
    const stream = this.#add(this.#nextId, kind, name);
    this.#nextId += 2;
    this.send({ type: 'open', id: stream.id, kind, name });
    return stream;
  }

  /**
   * Graceful: ends the channel after what streams have written so far (sent now, as far as credit allows).
   * Data still waiting for credit is dropped, so end streams first where every byte matters.
   */
  close(): void {
    this.#pump();
    this.#channel.end();
  }

  destroy(error?: Error): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    clearInterval(this.#keepalive);
    for (const stream of this.#streams.values()) stream.destroy(error);
    if (error) this.#channel.destroy(error);
    this.emit('close', error);
  }

  send(frame: MuxFrame): void {
    if (this.#destroyed || this.#channel.writableEnded) return; // closing: nothing more goes out
    if (!this.#channel.write(encodeMuxFrame(frame))) this.#congested = true;
  }

  /** Pumps once the current synchronous writes are done, so a burst of small writes leaves as few frames. */
  schedule(stream: MuxStream): void {
    this.#turns.add(stream);
    if (this.#turns.size === 1 && !this.#pumping) queueMicrotask(() => this.#pump());
  }

  /**
   * A stream took more bytes to send. Each user of a stream bounds what it queues there, but a peer that reads
   * nothing on many streams makes those bounds add up: past maxQueued bytes across them, the mux ends.
   */
  written(): void {
    let queued = 0;
    for (const stream of this.#streams.values()) queued += stream.writableLength;
    if (queued > this.#maxQueued) this.destroy(new MuxError(`the peer is too slow: ${queued} bytes wait for it`));
  }

  release(stream: MuxStream): void {
    if (this.#streams.delete(stream.id) && this.#theirs(stream.id)) this.#peerStreams--;
    this.#turns.delete(stream);
  }

  /** One chunk per stream per turn while the channel takes more. */
  #pump(): void {
    if (this.#pumping) return; // a write callback can schedule while we pump
    this.#pumping = true;
    for (const stream of this.#turns) {
      if (this.#congested || this.#destroyed) break;
      this.#turns.delete(stream);
      stream.sendChunk(this.#chunk);
      if (stream.sendable) this.#turns.add(stream); // to the back of the line
    }
    this.#pumping = false;
  }

  #receive(bytes: Uint8Array): void {
    this.#lastHeard = Date.now();
    try {
      const frame = decodeMuxFrame(bytes);
      if (frame.type === 'ping') this.send({ type: 'pong', id: 0 });
      else if (frame.type === 'open') this.#accept(frame.id, frame.kind, frame.name);
      else if (frame.type !== 'pong') this.#streams.get(frame.id)?.receive(frame); // a stream we reset may still get frames
    } catch (error) {
      this.destroy(error instanceof MuxError ? error : new MuxError(String(error)));
    }
  }

  #theirs(id: number): boolean {
    return id % 2 === (this.#initiator ? 0 : 1);
  }

  #accept(id: number, kind: string, name: string): void {
    if (!this.#theirs(id) || id <= this.#lastPeerId) throw new MuxError(`bad stream id ${id}`);
    this.#lastPeerId = id;
    // Each open stream may hold a window of received bytes and a queue of ours: a peer opening streams without
    // end would grow them without end. Refusing the one stream keeps the peer's others working.
    if (this.#peerStreams >= this.#maxPeerStreams) return this.send({ type: 'reset', id, reason: `more than ${this.#maxPeerStreams} streams open` });
    this.#peerStreams++;
    this.emit('stream', this.#add(id, kind, name));
  }

  #add(id: number, kind: string, name: string): MuxStream {
    const stream = new MuxStream(this, id, kind, name, this.#window);
    this.#streams.set(id, stream);
    return stream;
  }

  #ping(timeoutMs: number): void {
    if (Date.now() - this.#lastHeard > timeoutMs) this.destroy(new MuxError(`peer silent for over ${timeoutMs} ms`));
    else this.send({ type: 'ping', id: 0 });
  }
}
