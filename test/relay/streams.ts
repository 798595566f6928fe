// Stream plumbing shared by the relay tests (no tests here).
import type { Duplex } from 'node:stream';

/** The next `bytes` bytes `stream` delivers (at least that many: whatever came in the last chunk too). */
export function read(stream: Duplex, bytes: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (c: Buffer): void => {
      chunks.push(c);
      got += c.length;
      if (got >= bytes) {
        stream.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    stream.on('data', onData);
  });
}
