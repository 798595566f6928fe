// A bound on the LSP base-protocol messages (`Content-Length: N` headers, a blank line, N bytes) a peer sends:
// vscode-jsonrpc buffers each whole message, whatever length it declares, so a hostile peer could make it hold
// gigabytes. This transform passes the bytes through untouched and fails when a header block or a declared
// body is larger than allowed.
import { Transform, type TransformCallback } from 'node:stream';

const MAX_HEADER = 8 * 1024;
const END = Buffer.from('\r\n\r\n');

/** The declared Content-Length of a header block; null when absent or malformed. */
function contentLength(header: Buffer): number | null {
  for (const line of header.toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    return /^\d{1,15}$/.test(value) ? Number(value) : null;
  }
  return null;
}

export class MessageLimit extends Transform {
  #header: Buffer = Buffer.alloc(0);
  /** Body bytes still to come of the current message; 0 while reading headers. */
  #body = 0;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#body > 0) {
        const n = Math.min(this.#body, chunk.length - at);
        this.#body -= n;
        at += n;
        continue;
      }
      const before = this.#header.length;
      this.#header = Buffer.concat([this.#header, chunk.subarray(at)]);
      const end = this.#header.indexOf(END, Math.max(0, before - END.length + 1));
      if (end < 0) {
        if (this.#header.length > MAX_HEADER) return callback(new Error(`message header longer than ${MAX_HEADER} bytes`));
        break;
      }
      const length = contentLength(this.#header.subarray(0, end));
      if (length === null) return callback(new Error('message without a valid Content-Length'));
      if (length > this.max) return callback(new Error(`message of ${length} bytes refused (at most ${this.max})`));
      at += end + END.length - before;
      this.#header = Buffer.alloc(0);
      this.#body = length;
    }
    callback(null, chunk);
  }
}
