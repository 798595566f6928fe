// A hostile guest's end of a hub connection, for the LSP and DAP fuzzers (no tests here): what it writes goes in
// as raw bytes, so it may lie about framing; every byte the hub sends it is kept, for the leak check, and parsed,
// for waiting on answers; and whether the hub cut it off is recorded.
import type { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { MessageReader } from '../../src/wire/content-length.js';

export class GuestPipe {
  /** What the guest sends (the hub reads it). */
  readonly input = new PassThrough();
  /** What the hub sends the guest. */
  readonly output = new PassThrough();
  readonly reader = new MessageReader(this.output, 1 << 30);
  readonly #received: Buffer[] = [];
  #closed = false;

  constructor() {
    this.output.on('data', (chunk: Buffer) => this.#received.push(chunk));
    this.output.on('close', () => (this.#closed = true));
    this.reader.on('error', () => undefined); // the hub's framing is checked by its own tests
  }

  /** Every byte the guest received. */
  get received(): Buffer {
    return Buffer.concat(this.#received);
  }

  /** Whether the hub ended the connection. */
  get cutOff(): boolean {
    return this.#closed;
  }

  /** The next message that `match`es, or null after `ms`. */
  next<T>(match: (m: T) => boolean, ms: number): Promise<T | null> {
    return first(this.reader, 'message', match, ms);
  }
}

/** The next `event` of `emitter` whose value `match`es, or null after `ms`. */
export function first<T>(emitter: EventEmitter, event: string, match: (m: T) => boolean, ms: number): Promise<T | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => (emitter.off(event, listener), resolve(null)), ms);
    const listener = (m: T): void => {
      if (!match(m)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(m);
    };
    emitter.on(event, listener);
  });
}

/**
 * The first form of `secrets` in `bytes`, or null: each secret as UTF-8, UTF-16, hex and base64 (at each of the
 * three alignments a secret can have inside a longer base64 text), read as UTF-8 and as Latin-1.
 */
export function leaked(bytes: Buffer, secrets: readonly string[]): string | null {
  const forms: string[] = [];
  for (const secret of secrets) {
    forms.push(secret, Buffer.from(secret, 'utf16le').toString('latin1'), Buffer.from(secret).toString('hex'), encodeURI(secret));
    for (let shift = 0; shift < 3; shift++) forms.push(Buffer.from(secret.slice(shift)).toString('base64').slice(0, 24));
  }
  const texts = [bytes.toString('utf8'), bytes.toString('latin1')];
  return forms.find((form) => texts.some((text) => text.includes(form))) ?? null;
}
