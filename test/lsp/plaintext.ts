// Every byte a guest's daemon decrypted, for leak hunts: the SecureChannel's plaintext messages as the mux gets
// them, reassembled per stream, and a search for a secret in every encoding a message could carry it in.
import type { Readable } from 'node:stream';
import { decodeMuxFrame } from '../../src/wire/mux-frames.js';

/** A secret's forms that a search must not find, by encoding: each a substring that depends on the secret only. */
export function encodings(secret: string): Record<string, string[]> {
  const bytes = Buffer.from(secret, 'utf8');
  // base64 at each of the three alignments a secret can start at, without the edge characters that mix in
  // neighbouring bytes.
  const base64 = [0, 1, 2].map((pad) => Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64').slice(4, -4));
  const json = JSON.stringify(secret).slice(1, -1);
  return {
    'utf-8': [secret, secret.toLowerCase(), secret.toUpperCase()],
    'utf-16le': [Buffer.from(secret, 'utf16le').toString('latin1'), Buffer.from(secret, 'utf16le').swap16().toString('latin1')],
    'json-escaped': [[...json].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('').slice(0, 60)],
    base64: base64,
    base64url: base64.map((b) => b.replace(/\+/g, '-').replace(/\//g, '_')),
    hex: [bytes.toString('hex'), bytes.toString('hex').toUpperCase()],
    'percent-encoded': [[...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')],
  };
}

/** Every string in a JSON value, keys included. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) out.push(k), strings(v, out);
  return out;
}

/** The JSON bodies of a Content-Length framed byte stream (what the LSP and file streams carry). */
function framedBodies(bytes: Buffer): unknown[] {
  const bodies: unknown[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at);
    const length = end < 0 ? NaN : Number(/Content-Length: *(\d+)/i.exec(bytes.subarray(at, end).toString('latin1'))?.[1]);
    if (!Number.isFinite(length)) break;
    const body = bytes.subarray(end + 4, end + 4 + length).toString('utf8');
    bodies.push(JSON.parse(body));
    at = end + 4 + length;
  }
  return bodies;
}

const BASE64 = /^[A-Za-z0-9+/_-]{8,}={0,2}$/;

export class Plaintext {
  /** Each decrypted channel message, in order. */
  readonly messages: Buffer[] = [];

  /** Listens next to the mux: attach before the host can have sent anything (right after connect). */
  constructor(channel: Readable) {
    channel.on('data', (message: Uint8Array) => this.messages.push(Buffer.from(message)));
  }

  /** Each stream's received bytes, by stream id, reassembled from the mux's data frames. */
  streams(): Map<number, Buffer> {
    const parts = new Map<number, Buffer[]>();
    for (const message of this.messages) {
      const frame = decodeMuxFrame(message);
      if (frame.type === 'data') parts.set(frame.id, [...(parts.get(frame.id) ?? []), Buffer.from(frame.data)]);
    }
    return new Map([...parts].map(([id, chunks]) => [id, Buffer.concat(chunks)]));
  }

  /** Every JSON-RPC message received on the streams that carry them (LSP and files), parsed. */
  jsonMessages(): unknown[] {
    return [...this.streams().values()].filter((bytes) => bytes.subarray(0, 15).toString('latin1') === 'Content-Length:').flatMap(framedBodies);
  }

  /**
   * Where `secret` shows, as "encoding in place": the raw messages, each stream reassembled (a secret split
   * across two frames), and every string of every JSON message decoded (JSON escapes undone), as it is and
   * base64-decoded. Empty when nowhere.
   */
  find(secret: string): string[] {
    const forms = encodings(secret);
    const places: [string, string][] = [
      ['messages', this.messages.map((m) => m.toString('latin1')).join('\n')],
      ...[...this.streams()].map(([id, bytes]): [string, string] => [`stream ${id}`, bytes.toString('latin1')]),
    ];
    const decoded = strings(this.jsonMessages());
    places.push(['json strings', Buffer.from(decoded.join('\n'), 'utf8').toString('latin1')]);
    places.push(['base64 strings', decoded.filter((s) => BASE64.test(s)).map((s) => Buffer.from(s, 'base64').toString('latin1')).join('\n')]);
    const found: string[] = [];
    for (const [place, text] of places) {
      for (const [encoding, variants] of Object.entries(forms)) if (variants.some((v) => text.includes(v))) found.push(`${encoding} in ${place}`);
    }
    return found;
  }
}
