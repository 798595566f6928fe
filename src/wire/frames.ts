// Length-prefixed frames: a 4-byte big-endian length, then that many bytes. Lengths are checked against
// the bounds of the current phase as soon as the prefix arrives, so an oversized frame is never buffered.
import { IntegrityError } from '../crypto/index.js';

export const LENGTH_BYTES = 4;

export interface FrameBounds {
  readonly min: number;
  readonly max: number;
}

export function lengthPrefix(length: number): Uint8Array {
  const prefix = new Uint8Array(LENGTH_BYTES);
  new DataView(prefix.buffer).setUint32(0, length);
  return prefix;
}

export function encodeFrame(body: Uint8Array): Uint8Array {
  return Buffer.concat([lengthPrefix(body.length), body]);
}

/** Reassembles frames from arbitrary chunks; callers pull one frame at a time because bounds change by phase. */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  get buffered(): number {
    return this.#buffered;
  }

  /** The next whole frame's body, or null until it has arrived. */
  next(bounds: FrameBounds): Uint8Array | null {
    if (this.#buffered < LENGTH_BYTES) return null;
    const prefix = this.#peek(LENGTH_BYTES);
    const length = new DataView(prefix.buffer, prefix.byteOffset, LENGTH_BYTES).getUint32(0);
    if (length > bounds.max) throw new IntegrityError('oversize', `frame of ${length} bytes exceeds ${bounds.max}`);
    if (length < bounds.min) throw new IntegrityError('malformed', `frame of ${length} bytes is below ${bounds.min}`);
    if (this.#buffered < LENGTH_BYTES + length) return null;
    this.#take(LENGTH_BYTES);
    return this.#take(length);
  }

  /** The first `length` buffered bytes, merging only as many leading chunks as they span. */
  #peek(length: number): Uint8Array {
    let spanned = 0;
    let count = 0;
    while (spanned < length) spanned += this.#chunks[count++]!.length;
    if (count > 1) this.#chunks.splice(0, count, Buffer.concat(this.#chunks.slice(0, count)));
    return this.#chunks[0]!.subarray(0, length);
  }

  #take(length: number): Uint8Array {
    if (length === 0) return new Uint8Array(0);
    const bytes = this.#peek(length);
    const first = this.#chunks[0]!;
    if (first.length === length) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(length);
    this.#buffered -= length;
    return bytes;
  }
}
