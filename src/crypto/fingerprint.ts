// A short, human-comparable name for a static public key: keyed BLAKE2b (domain-separated), first 120 bits,
// RFC 4648 base32 in lowercase, in six groups of four: "abcd-efgh-ijkl-mnop-qrst-uvwx".
// 120 bits keep a second-preimage (a key made to look like a known guest's) far out of reach.
import { sodium } from './sodium.js';

const DOMAIN = new TextEncoder().encode('lspair fingerprint v1');
const BYTES = 15; // 120 bits = exactly 24 base32 characters
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function fingerprint(publicKey: Uint8Array): string {
  const digest = sodium.crypto_generichash(32, publicKey, DOMAIN).subarray(0, BYTES);
  return base32(digest).match(/.{4}/g)!.join('-');
}

/** Unpadded base32; `bytes.length` is a multiple of 5 here, so no partial group occurs. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31];
    }
  }
  return out;
}
