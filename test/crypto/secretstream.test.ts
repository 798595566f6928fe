// One direction of the transport: secretstream frames, rekeying, and refusal of every tampering.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sodium } from '../../src/crypto/sodium.js';
import { IntegrityError } from '../../src/crypto/errors.js';
import { DEFAULT_REKEY, StreamOpener, StreamSealer, type RekeyPolicy } from '../../src/crypto/secretstream.js';
import { flipBit, random, text, throwsCode, utf8 } from './helpers.js';

const TAG = {
  message: sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
  rekey: sodium.crypto_secretstream_xchacha20poly1305_TAG_REKEY,
};

function pair(policy: RekeyPolicy = DEFAULT_REKEY, now?: () => number) {
  const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
  const sealer = new StreamSealer(key, policy, now);
  return { key, sealer, opener: new StreamOpener(key, sealer.header) };
}

const fails = (run: () => unknown, code: string) => throwsCode(run, IntegrityError, code);

/** Tags as libsodium itself reads them, independent of StreamOpener. */
function tags(key: Uint8Array, header: Uint8Array, frames: Uint8Array[]): number[] {
  const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
  return frames.map((frame) => {
    const result = sodium.crypto_secretstream_xchacha20poly1305_pull(state, frame, null);
    if (!result) throw new Error('libsodium refused a frame');
    return result.tag;
  });
}

test('messages round-trip in order, and the final frame ends the stream', () => {
  const { sealer, opener } = pair();
  const big = random(1 << 20);
  const frames = [utf8('one'), new Uint8Array(0), big].map((m) => sealer.seal(m));
  assert.is(frames[0]!.length, 3 + 17, 'overhead is ABYTES');
  assert.is(text(opener.open(frames[0]!).message), 'one');
  assert.is(opener.open(frames[1]!).message.length, 0);
  assert.ok(sodium.memcmp(opener.open(frames[2]!).message, big), 'a 1 MiB message');
  assert.equal(opener.open(sealer.final()), { message: new Uint8Array(0), final: true });
  fails(() => opener.open(frames[0]!), 'after-final');
  fails(() => sealer.seal(utf8('late')), 'after-final');
});

test('a flipped bit in the header, the ciphertext or the MAC is refused, and the stream stays refused', () => {
  const probe = pair();
  const length = probe.sealer.seal(utf8('hello world')).length;
  for (const at of [0, 5, 10, length - 16, length - 1]) {
    const { sealer, opener } = pair();
    const frame = sealer.seal(utf8('hello world'));
    fails(() => opener.open(flipBit(frame, at, 7)), 'bad-frame');
    fails(() => opener.open(frame), 'after-final'); // nothing after the fault, even authentic frames
  }
  const { key, sealer } = pair();
  const frame = sealer.seal(utf8('hello'));
  fails(() => new StreamOpener(key, flipBit(sealer.header, 3)).open(frame), 'bad-frame');
});

test('replayed, reordered and dropped frames are refused', () => {
  const cases: Record<string, (frames: Uint8Array[]) => Uint8Array[]> = {
    replayed: ([a, b]) => [a!, b!, b!],
    reordered: ([a, b, c]) => [a!, c!, b!],
    dropped: ([a, , c]) => [a!, c!],
  };
  for (const [name, reorder] of Object.entries(cases)) {
    const { sealer, opener } = pair();
    const received = reorder(['a', 'b', 'c'].map((m) => sealer.seal(utf8(m))));
    const delivered: string[] = [];
    fails(() => received.forEach((frame) => delivered.push(text(opener.open(frame).message))), 'bad-frame');
    assert.ok(delivered.length < received.length, name);
    assert.equal(delivered, ['a', 'b', 'c'].slice(0, delivered.length), `${name}: only an authentic prefix`);
  }
});

test('reflection: frames sealed for the other direction are refused', () => {
  const ours = pair();
  const theirs = pair();
  const reflected = new StreamOpener(theirs.key, ours.sealer.header);
  fails(() => reflected.open(ours.sealer.seal(utf8('mine'))), 'bad-frame');
});

test('frames too short to hold a MAC and wrong-size headers are refused without a crash', () => {
  const { key, opener } = pair();
  fails(() => opener.open(new Uint8Array(16)), 'bad-frame');
  fails(() => new StreamOpener(key, new Uint8Array(23)), 'malformed');
});

test('rekey by frame count: TAG_REKEY every N frames, and the opener follows', () => {
  const { key, sealer, opener } = pair({ ...DEFAULT_REKEY, frames: 3 });
  const frames = Array.from({ length: 7 }, (_, i) => sealer.seal(utf8(`m${i}`)));
  const expected = [0, 1, 2, 3, 4, 5, 6].map((i) => (i === 2 || i === 5 ? TAG.rekey : TAG.message));
  assert.equal(tags(key, sealer.header, frames), expected);
  assert.equal(frames.map((f) => text(opener.open(f).message)), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
});

test('rekey by bytes and by time', () => {
  const bytes = pair({ ...DEFAULT_REKEY, bytes: 100 });
  const byBytes = [60, 30, 20, 99, 1, 100].map((n) => bytes.sealer.seal(new Uint8Array(n)));
  assert.equal(tags(bytes.key, bytes.sealer.header, byBytes), [TAG.message, TAG.message, TAG.rekey, TAG.message, TAG.rekey, TAG.rekey]);

  let clock = 0;
  const timed = pair({ ...DEFAULT_REKEY, ms: 1000 }, () => clock);
  const byTime = [0, 500, 1000, 1500, 2100].map((at) => ((clock = at), timed.sealer.seal(utf8('x'))));
  assert.equal(tags(timed.key, timed.sealer.header, byTime), [TAG.message, TAG.message, TAG.rekey, TAG.message, TAG.rekey]);
});

test('the default policy rekeys at 10 000 frames', () => {
  const { key, sealer } = pair();
  const frames = Array.from({ length: 10_001 }, () => sealer.seal(new Uint8Array(1)));
  const found = tags(key, sealer.header, frames).flatMap((tag, i) => (tag === TAG.rekey ? [i] : []));
  assert.equal(found, [9_999]);
});

test.run();
