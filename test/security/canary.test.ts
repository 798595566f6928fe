// The canary detector of the wire tests, checked on leaks made on purpose: a secret inside a larger document in each
// encoding (and every base64 alignment) is found, and every needle is the one that finds some leak; random bytes
// and a near miss (one character changed) are not reported.
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesCanary, scan, textCanary, type Canary } from './canary.js';
import { bytesLeaks, textLeaks, type Leak } from './leaks.js';

function checkFinds(canary: Canary, leaks: Leak[]): void {
  const used = new Set<string>();
  for (const leak of leaks) {
    const found = scan(leak.document, [canary]);
    assert.ok(found.length > 0, `${canary.label}: not found in ${leak.how}`);
    for (const f of found) used.add(f.encoding);
  }
  assert.equal([...used].sort(), canary.needles.map((n) => n.encoding).sort(), 'each needle finds some leak');
}

test('a text canary is found in every encoding and alignment', () => {
  const text = `canarytext-${randomBytes(8).toString('hex')}`;
  checkFinds(textCanary('text', text), textLeaks(text));
});

test('a key is found raw, in base64, base64url and hex', () => {
  const key = randomBytes(32);
  checkFinds(bytesCanary('key', key), bytesLeaks(key));
});

test('random bytes and a near miss are not reported', () => {
  const text = `canaryfile-${randomBytes(8).toString('hex')}`;
  const key = randomBytes(32);
  const canaries = [textCanary('text', text), bytesCanary('key', key)];
  assert.equal(scan(randomBytes(4 << 20), canaries), []);
  // One character or bit changed in the middle, where every needle (each alignment's too) covers it.
  const middle = text.length - 8;
  const nearText = `${text.slice(0, middle)}${text[middle] === '0' ? '1' : '0'}${text.slice(middle + 1)}`;
  const nearKey = Buffer.from(key);
  nearKey[16]! ^= 1;
  const near = [...textLeaks(nearText), ...bytesLeaks(nearKey)].map((l) => l.document);
  assert.equal(scan(Buffer.concat(near), canaries), []);
});

test.run();
