// The Noise crypto functions for the suite 25519_ChaChaPoly_BLAKE2b (Noise spec rev 34, §4 and §12),
// built on libsodium primitives only.
import { sodium } from './sodium.js';
import { HandshakeError } from './errors.js';

export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

export const DHLEN = 32;
export const HASHLEN = 64;
export const KEYLEN = 32;
export const TAGLEN = 16;
const BLOCKLEN = 128;

export function generateKeyPair(): KeyPair {
  return keyPairFromPrivate(sodium.randombytes_buf(DHLEN));
}

export function keyPairFromPrivate(privateKey: Uint8Array): KeyPair {
  return { publicKey: sodium.crypto_scalarmult_base(privateKey), privateKey };
}

/** Zeroes a secret in place (keys, chaining keys, transport keys) once it is no longer needed. */
export function wipe(secret: Uint8Array): void {
  sodium.memzero(secret);
}

export function wipeKeyPair(pair: KeyPair | undefined): void {
  if (pair) wipe(pair.privateKey);
}

/** X25519. Refuses keys of the wrong size and low-order points, whose shared secret is all zeros (RFC 7748 §6.1). */
export function dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== DHLEN) throw new HandshakeError('invalid-key', `public key must be ${DHLEN} bytes`);
  let shared: Uint8Array;
  try {
    shared = sodium.crypto_scalarmult(privateKey, publicKey);
  } catch {
    throw new HandshakeError('invalid-key', 'low-order public key');
  }
  // libsodium already refuses an all-zero result; checked again so the guarantee does not rest on a wrapper detail.
  if (sodium.is_zero(shared)) throw new HandshakeError('invalid-key', 'low-order public key');
  return shared;
}

/** Noise's ChaChaPoly nonce: 4 zero bytes then the 64-bit counter, little-endian. */
function nonce(n: bigint): Uint8Array {
  const bytes = new Uint8Array(12);
  new DataView(bytes.buffer).setBigUint64(4, n, true);
  return bytes;
}

export function encrypt(k: Uint8Array, n: bigint, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce(n), k);
}

export function decrypt(k: Uint8Array, n: bigint, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  try {
    return sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce(n), k);
  } catch {
    throw new HandshakeError('decrypt', 'message authentication failed');
  }
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** BLAKE2b-512. One-shot on purpose: the wrappers' streaming states are never freed. */
export function hash(...parts: readonly Uint8Array[]): Uint8Array {
  return sodium.crypto_generichash(HASHLEN, concat(...parts), null);
}

/** HMAC (RFC 2104) over BLAKE2b with its 128-byte block, as Noise §4.3 defines it. */
export function hmac(key: Uint8Array, ...data: readonly Uint8Array[]): Uint8Array {
  const block = new Uint8Array(BLOCKLEN);
  block.set(key.length > BLOCKLEN ? hash(key) : key);
  const ipad = block.map((byte) => byte ^ 0x36);
  const opad = block.map((byte) => byte ^ 0x5c);
  const inner = hash(ipad, ...data);
  const outer = hash(opad, inner);
  for (const secret of [block, ipad, opad, inner]) sodium.memzero(secret);
  return outer;
}

/** Noise's HKDF (§4.3): two or three HASHLEN outputs from a chaining key and input key material. */
export function hkdf(chainingKey: Uint8Array, ikm: Uint8Array, outputs: 2 | 3): Uint8Array[] {
  const tempKey = hmac(chainingKey, ikm);
  const out: Uint8Array[] = [];
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1; i <= outputs; i++) {
    previous = hmac(tempKey, previous, Uint8Array.of(i));
    out.push(previous);
  }
  sodium.memzero(tempKey);
  return out;
}
