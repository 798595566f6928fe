// What each side says about itself in the handshake (host: message 2, guest: message 3): a display name and
// the protocol version. Hostile input: bounded, validated, control characters removed.
import { PROTOCOL_VERSION } from '../crypto/index.js';

export interface Hello {
  readonly name: string;
  readonly version: number;
}

const MAX_NAME = 64;

/** A display name safe to print in a terminal or a log: no control characters, at most 64 characters. */
export function cleanName(name: string): string {
  const clean = [...name.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '').trim()].slice(0, MAX_NAME).join('');
  return clean || 'anonymous';
}

export function encodeHello(name: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ name: cleanName(name), version: PROTOCOL_VERSION }));
}

/** The peer's hello; anything malformed becomes an anonymous hello of version 0 rather than an error. */
export function decodeHello(bytes: Uint8Array): Hello {
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Partial<Hello>;
    return { name: cleanName(typeof value.name === 'string' ? value.name : ''), version: Number.isInteger(value.version) ? Number(value.version) : 0 };
  } catch {
    return { name: 'anonymous', version: 0 };
  }
}
