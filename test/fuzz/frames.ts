// Fuzz target: the frame decoder (src/wire/frames.ts), against a reference decoder of the whole stream. A stream
// of frames, perhaps with garbage spliced in, arrives in arbitrary chunks under arbitrary bounds: the decoder
// yields exactly the reference's frames, fails exactly where it does (IntegrityError 'oversize' or 'malformed',
// nothing else), and never holds more than one frame of the current bounds past what it has yielded.
import fc from 'fast-check';
import { IntegrityError } from '../../src/crypto/errors.js';
import { FrameDecoder, LENGTH_BYTES, encodeFrame, type FrameBounds } from '../../src/wire/frames.js';
import { target } from './harness.js';
import { sameBytes } from './mutate.js';

interface Case {
  readonly bodies: Uint8Array[];
  readonly bounds: FrameBounds;
  /** Bytes spliced into the stream (a lying length, a torn frame), at a position modulo its length. */
  readonly garbage: { readonly at: number; readonly bytes: Uint8Array } | null;
  readonly chunks: number[];
}

/** What the decoder must do with the whole stream: the frames before the first fault, and the fault. */
function reference(stream: Uint8Array, bounds: FrameBounds): { frames: Uint8Array[]; fault: string | null } {
  const frames: Uint8Array[] = [];
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  let at = 0;
  while (stream.length - at >= LENGTH_BYTES) {
    const length = view.getUint32(at);
    if (length > bounds.max) return { frames, fault: 'oversize' };
    if (length < bounds.min) return { frames, fault: 'malformed' };
    if (stream.length - at - LENGTH_BYTES < length) break;
    frames.push(stream.subarray(at + LENGTH_BYTES, at + LENGTH_BYTES + length));
    at += LENGTH_BYTES + length;
  }
  return { frames, fault: null };
}

function streamOf(c: Case): Uint8Array {
  const stream = new Uint8Array(Buffer.concat(c.bodies.map(encodeFrame)));
  if (!c.garbage) return stream;
  const at = c.garbage.at % (stream.length + 1);
  return new Uint8Array(Buffer.concat([stream.subarray(0, at), c.garbage.bytes, stream.subarray(at)]));
}

async function run(c: Case): Promise<void> {
  const stream = streamOf(c);
  const expected = reference(stream, c.bounds);
  const decoder = new FrameDecoder();
  const frames: Uint8Array[] = [];
  let fault: string | null = null;
  let at = 0;
  for (let i = 0; at < stream.length && fault === null; i++) {
    const size = c.chunks[i % c.chunks.length]!;
    decoder.push(stream.slice(at, at + size)); // a copy, as a socket hands out its own buffers
    at += size;
    try {
      for (let body; (body = decoder.next(c.bounds)) !== null; ) frames.push(new Uint8Array(body));
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      fault = error.code;
      break;
    }
    if (decoder.buffered >= LENGTH_BYTES + c.bounds.max) throw new Error(`holds ${decoder.buffered} bytes, over one frame of at most ${c.bounds.max}`);
  }
  if (fault !== expected.fault) throw new Error(`fault ${fault}, expected ${expected.fault}`);
  if (frames.length !== expected.frames.length || !frames.every((f, i) => sameBytes(f, expected.frames[i]!))) {
    throw new Error(`yielded ${frames.length} frames, expected ${expected.frames.length} (or different bytes)`);
  }
}

export const framesFuzzer = target<Case, null>({
  name: 'frames',
  what: 'frame decoder: chunked streams with garbage, under any bounds',
  cases: fc.record({
    bodies: fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
    bounds: fc.tuple(fc.nat({ max: 8 }), fc.integer({ min: 1, max: 400 })).map(([min, max]) => ({ min: Math.min(min, max), max })),
    garbage: fc.option(fc.record({ at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }) })),
    chunks: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 6 }),
  }),
  shortRuns: 2000,
  timeoutMs: 1000,
  setup: async () => null,
  run: (_ctx, c) => run(c),
  teardown: async () => undefined,
});
