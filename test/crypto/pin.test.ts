// PIN derivation: 6 digits, deterministic, channel-bound, without modulo bias.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { random } from './helpers.js';
import { derivePin, uniformDigits } from '../../src/crypto/pin.js';

const LIMIT = Math.floor(2 ** 32 / 1e6) * 1e6;

function words(...values: number[]): Uint8Array {
  const block = new Uint8Array(values.length * 4);
  values.forEach((value, i) => new DataView(block.buffer).setUint32(i * 4, value));
  return block;
}

test('a PIN is 6 digits and a function of the handshake hash only', () => {
  const h = random(64);
  assert.match(derivePin(h), /^\d{6}$/);
  assert.is(derivePin(h), derivePin(h.slice()));
  const others = new Set(Array.from({ length: 50 }, () => derivePin(random(64))));
  assert.ok(others.size > 45, 'different handshakes give different PINs');
});

test('a PIN is not a plain reduction of the hash (domain-separated)', () => {
  const h = random(64);
  assert.is.not(derivePin(h), uniformDigits(h));
});

test('uniform reduction: words at or above the last multiple of 10^6 are rejected', () => {
  assert.is(uniformDigits(words(123456)), '123456');
  assert.is(uniformDigits(words(7)), '000007', 'zero-padded');
  assert.is(uniformDigits(words(LIMIT - 1)), String((LIMIT - 1) % 1e6));
  assert.is(uniformDigits(words(LIMIT, 0xffffffff, 42)), '000042', 'skips biased words');
  assert.is(uniformDigits(words(LIMIT, 0xffffffff)), null);
});

test('digits are spread evenly', () => {
  const counts = new Array<number>(10).fill(0);
  const n = 20_000;
  for (let i = 0; i < n; i++) counts[Number(derivePin(random(64))[0])]!++;
  for (const count of counts) assert.ok(Math.abs(count - n / 10) < 300, `leading digit count ${count}`);
});

test.run();
