// Length-prefixed framing: reassembly from any chunking, and length checks before buffering.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IntegrityError } from '../../src/crypto/errors.js';
import { FrameDecoder, encodeFrame } from '../../src/wire/frames.js';
import { random, throwsCode } from './helpers.js';

const BOUNDS = { min: 1, max: 1000 };

function drain(decoder: FrameDecoder): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let body; (body = decoder.next(BOUNDS)) !== null; ) out.push(new Uint8Array(body));
  return out;
}

test('frames survive any chunking: one byte at a time, several per chunk', () => {
  const bodies = [random(1), random(300), random(1000), random(7)];
  const stream = new Uint8Array(bodies.flatMap((body) => [...encodeFrame(body)]));
  for (const size of [1, 3, 4, 5, 301, stream.length]) {
    const decoder = new FrameDecoder();
    const out: Uint8Array[] = [];
    for (let at = 0; at < stream.length; at += size) {
      decoder.push(stream.subarray(at, at + size));
      out.push(...drain(decoder));
    }
    assert.equal(out, bodies, `chunks of ${size}`);
    assert.is(decoder.buffered, 0);
  }
});

test('a length over the bound fails as soon as the prefix arrives; one under the minimum is malformed', () => {
  const over = new FrameDecoder();
  over.push(Uint8Array.of(0, 0, 0x03, 0xe9)); // 1001, with no body sent yet
  throwsCode(() => over.next(BOUNDS), IntegrityError, 'oversize');
  const huge = new FrameDecoder();
  huge.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
  throwsCode(() => huge.next(BOUNDS), IntegrityError, 'oversize');
  const under = new FrameDecoder();
  under.push(encodeFrame(new Uint8Array(0)));
  throwsCode(() => under.next(BOUNDS), IntegrityError, 'malformed');
});

test('an incomplete prefix or body waits for more bytes', () => {
  const decoder = new FrameDecoder();
  const frame = encodeFrame(random(10));
  decoder.push(frame.subarray(0, 3));
  assert.is(decoder.next(BOUNDS), null);
  decoder.push(frame.subarray(3, 13));
  assert.is(decoder.next(BOUNDS), null);
  decoder.push(frame.subarray(13));
  assert.equal(decoder.next(BOUNDS), frame.subarray(4));
});

test.run();
