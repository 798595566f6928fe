// What an LSP endpoint and a DAP endpoint share: a peer over a pair of byte streams speaking the bounded
// Content-Length base protocol, which ends (with a reason) on a framing fault, a stream error, or a peer too
// slow to read what it is sent. Subclasses say what a message is and what to do with a body that is not JSON.
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { MessageReader, MessageWriter } from './content-length.js';

export interface PeerLimits {
  /** Largest message accepted from the peer. */
  readonly maxMessage: number;
  /** Bytes that may wait for the peer to read them before it counts as stalled. */
  readonly maxQueued: number;
}

const MiB = 1024 * 1024;

/**
 * The bounds of each kind of peer a session has. A guest's messages reach the host bounded tightly; the host's
 * own tools (editors, debug clients) are trusted more; what the host sends a guest's daemon is bounded by it.
 */
export const PEER_LIMITS = {
  /** On the host: a guest's editor or debug client. */
  guest: { maxMessage: 16 * MiB, maxQueued: 64 * MiB },
  /** On the host: the host's own editor or debug client. */
  hostTool: { maxMessage: 256 * MiB, maxQueued: 256 * MiB },
  /** On a guest: its editor or debug client. */
  localTool: { maxMessage: 64 * MiB, maxQueued: 256 * MiB },
  /** On a guest: the host's stream. */
  host: { maxMessage: 256 * MiB, maxQueued: 64 * MiB },
} as const satisfies Record<string, PeerLimits>;

/**
 * Events: 'close' (a reason string, or null when the peer simply hung up), 'drain' (what waited for the peer
 * went out), and the subclass's. Never 'error'.
 */
export abstract class FramedPeer extends EventEmitter {
  readonly #writer: MessageWriter;
  readonly #output: Writable;
  #closed = false;

  constructor(
    input: Readable,
    output: Writable,
    limits: PeerLimits,
    private readonly onClose: () => void = () => output.destroy(),
  ) {
    super();
    this.#writer = new MessageWriter(output, limits.maxQueued);
    this.#output = output;
    output.on('drain', () => this.emit('drain'));
    const reader = new MessageReader(input, limits.maxMessage);
    reader.on('message', (value: unknown) => this.#closed || this.receive(value));
    reader.on('garbage', () => this.#closed || this.garbage());
    reader.on('error', (error: Error) => this.close(error.message));
    input.on('error', (error: Error) => this.close(error.message));
    output.on('error', (error: Error) => this.close(error.message));
    input.on('close', () => this.close(null));
    input.on('end', () => this.close(null));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes written to the peer that it has not taken yet. */
  get queued(): number {
    return this.#output.writableLength;
  }

  /** Ends the peer; `reason` null for an orderly end. Idempotent. */
  close(reason: string | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose();
    this.emit('close', reason);
  }

  /** Writes a message now; a peer that stopped reading is ended instead of buffered for. */
  protected write(message: object): void {
    if (this.#closed) return;
    if (!this.#writer.write(message)) this.close('too slow: stopped reading what it was sent');
  }

  /** A parsed JSON value from the peer (only while open). */
  protected abstract receive(value: unknown): void;

  /** A well-framed body that is not JSON (only while open). */
  protected abstract garbage(): void;
}
