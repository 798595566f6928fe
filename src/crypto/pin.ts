// The PIN both sides show: 6 decimal digits bound to this very handshake (its final hash), so a
// man in the middle, who runs two handshakes with different hashes, shows two different PINs.
import { sodium } from './sodium.js';

const PIN_DOMAIN = new TextEncoder().encode('lspair handshake pin v1'); // BLAKE2b key: domain separation from other uses of h
const DIGITS = 6;
const MODULUS = 10 ** DIGITS;
// The largest multiple of 10^6 below 2^32: 32-bit values at or above it are rejected, so no PIN is more likely.
const LIMIT = Math.floor(2 ** 32 / MODULUS) * MODULUS;

export function derivePin(handshakeHash: Uint8Array): string {
  // Each 64-byte block offers 16 candidates, each rejected with probability < 2.3e-4; running out of a
  // block (p < 1e-58) just hashes again.
  for (let block = sodium.crypto_generichash(64, handshakeHash, PIN_DOMAIN); ; block = sodium.crypto_generichash(64, block, PIN_DOMAIN)) {
    const digits = uniformDigits(block);
    if (digits !== null) return digits;
  }
}

/** The first big-endian 32-bit word below LIMIT, reduced mod 10^6 and zero-padded; null if none is. */
export function uniformDigits(block: Uint8Array): string | null {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  for (let at = 0; at + 4 <= block.length; at += 4) {
    const word = view.getUint32(at);
    if (word < LIMIT) return String(word % MODULUS).padStart(DIGITS, '0');
  }
  return null;
}
