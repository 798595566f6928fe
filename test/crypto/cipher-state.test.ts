// Noise CipherState: associated data is authenticated, and a failed decryption leaves the state usable (§5.1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HandshakeError } from '../../src/crypto/errors.js';
import { CipherState } from '../../src/crypto/symmetric.js';
import { random, text, throwsCode, utf8 } from './helpers.js';

test('wrong associated data is refused', () => {
  const key = random(32);
  const sealed = new CipherState(key.slice()).encryptWithAd(utf8('ad one'), utf8('secret'));
  throwsCode(() => new CipherState(key.slice()).decryptWithAd(utf8('ad two'), sealed), HandshakeError, 'decrypt');
  assert.is(text(new CipherState(key.slice()).decryptWithAd(utf8('ad one'), sealed)), 'secret');
});

test('a failed decryption does not advance the nonce', () => {
  const key = random(32);
  const sender = new CipherState(key.slice());
  const receiver = new CipherState(key.slice());
  const first = sender.encryptWithAd(new Uint8Array(0), utf8('first'));
  const tampered = first.slice();
  tampered[0]! ^= 1;
  throwsCode(() => receiver.decryptWithAd(new Uint8Array(0), tampered), HandshakeError, 'decrypt');
  assert.is(text(receiver.decryptWithAd(new Uint8Array(0), first)), 'first');
  throwsCode(() => receiver.decryptWithAd(new Uint8Array(0), first), HandshakeError, 'decrypt'); // replay: nonce moved on
});

test('without a key, a CipherState passes data through (Noise before the first DH)', () => {
  const plain = utf8('clear');
  assert.equal(new CipherState().encryptWithAd(new Uint8Array(0), plain), plain);
});

test.run();
