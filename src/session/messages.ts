// Session messages between host and guest on the mux's `control` stream: one JSON object per line.
// Lines are bounded; a malformed line from the peer is a protocol error that ends the session.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Permission, Role } from './permissions.js';

export type SessionMessage =
  | { readonly type: 'welcome'; readonly guestId: string; readonly role: Role; readonly permissions: readonly Permission[] }
  | { readonly type: 'permissions'; readonly role: Role; readonly permissions: readonly Permission[] }
  | { readonly type: 'denied'; readonly reason: string }
  | { readonly type: 'kicked'; readonly reason: string }
  /** The host stops sharing: the guest should not try to reconnect. */
  | { readonly type: 'bye'; readonly reason: string };

const MAX_LINE = 64 * 1024;
const TYPES = new Set(['welcome', 'permissions', 'denied', 'kicked', 'bye']);

export function sendMessage(stream: Duplex, message: SessionMessage): void {
  stream.write(new TextEncoder().encode(`${JSON.stringify(message)}\n`));
}

/** Emits `message` for each well-formed line of `stream`, `error` for a line that is not. */
export class MessageReader extends EventEmitter {
  #buffer = '';
  readonly #decoder = new TextDecoder();

  constructor(stream: Duplex) {
    super();
    stream.on('data', (chunk: Uint8Array) => this.#push(this.#decoder.decode(chunk, { stream: true })));
  }

  #push(text: string): void {
    this.#buffer += text;
    let newline: number;
    while ((newline = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      this.#line(line);
    }
    if (this.#buffer.length > MAX_LINE) this.emit('error', new Error('session message too long'));
  }

  #line(line: string): void {
    try {
      const value = JSON.parse(line) as SessionMessage;
      if (typeof value !== 'object' || value === null || !TYPES.has(value.type)) throw new Error(`unknown message`);
      this.emit('message', value);
    } catch (error) {
      this.emit('error', new Error(`malformed session message: ${(error as Error).message}`));
    }
  }
}
