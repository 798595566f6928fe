// The base protocol of LSP and DAP (`Content-Length: N\r\n\r\n` + JSON), with the bounds a hostile peer needs:
// vscode-jsonrpc's stream reader buffers whatever a header announces and its writer awaits each write, so a
// lying Content-Length grows memory without limit and a slow reader cannot be detected. Here a message is
// bounded, the header is bounded, a write is one synchronous buffer, and the queued bytes are counted.
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';

const MAX_HEADER = 8 * 1024;
const SEPARATOR = Buffer.from('\r\n\r\n');

/** A framing fault: the stream cannot be trusted to resynchronise, so the connection ends. */
export class FramingError extends Error {
  override readonly name = 'FramingError';
}

/** The body length a header block announces; other headers (Content-Type) are accepted and ignored. */
function contentLength(header: string): number {
  let length: number | undefined;
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new FramingError(`malformed header line ${JSON.stringify(line.slice(0, 80))}`);
    if (line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    if (!/^\d{1,10}$/.test(value) || length !== undefined) throw new FramingError(`bad Content-Length ${JSON.stringify(value.slice(0, 20))}`);
    length = Number(value);
  }
  if (length === undefined) throw new FramingError('header without Content-Length');
  return length;
}

/**
 * Emits `message` for each framed JSON value (parsed, not yet validated: see `classify`), `garbage` for a body
 * that is not JSON (the frame was sound, so the stream goes on), and `error` for a framing fault (the caller
 * ends the connection).
 */
export class MessageReader extends EventEmitter {
  #buffer: Buffer = Buffer.alloc(0);
  #length = -1;
  #failed = false;
  readonly #decoder = new TextDecoder('utf-8'); // invalid UTF-8 becomes U+FFFD, as JSON text must be UTF-8

  constructor(
    stream: Readable,
    private readonly maxMessage: number,
  ) {
    super();
    stream.on('data', (chunk: Buffer) => this.#push(chunk));
  }

  #push(chunk: Buffer): void {
    if (this.#failed) return;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    try {
      while (this.#next());
    } catch (error) {
      this.#failed = true;
      this.#buffer = Buffer.alloc(0);
      this.emit('error', error);
    }
  }

  /** Takes one header or one body off the buffer; false when more bytes are needed. */
  #next(): boolean {
    if (this.#length < 0) {
      const end = this.#buffer.indexOf(SEPARATOR);
      if (end < 0) {
        if (this.#buffer.length > MAX_HEADER) throw new FramingError('header too long');
        return false;
      }
      if (end > MAX_HEADER) throw new FramingError('header too long');
      this.#length = contentLength(this.#buffer.subarray(0, end).toString('latin1'));
      if (this.#length > this.maxMessage) throw new FramingError(`message of ${this.#length} bytes is over the limit of ${this.maxMessage}`);
      this.#buffer = this.#buffer.subarray(end + SEPARATOR.length);
    }
    if (this.#buffer.length < this.#length) return false;
    const body = this.#buffer.subarray(0, this.#length);
    this.#buffer = this.#buffer.subarray(this.#length);
    this.#length = -1;
    let value: unknown;
    try {
      value = JSON.parse(this.#decoder.decode(body));
    } catch {
      this.emit('garbage');
      return true;
    }
    this.emit('message', value);
    return true;
  }
}

export function encode(message: object): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

/**
 * Writes messages without waiting; `write` returns false (and writes nothing) once more than `maxQueued` bytes
 * wait for the peer, which is then too slow to keep: the caller disconnects it instead of buffering more.
 */
export class MessageWriter {
  constructor(
    private readonly stream: Writable,
    private readonly maxQueued: number,
  ) {}

  write(message: object): boolean {
    if (this.stream.destroyed || this.stream.writableEnded) return true; // closing: nothing more goes out
    if (this.stream.writableLength > this.maxQueued) return false;
    this.stream.write(encode(message));
    return true;
  }
}
