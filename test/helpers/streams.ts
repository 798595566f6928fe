// In-memory streams for tests: two connected Duplex ends (Node 20 has no Duplex.pair), and a writable that stalls.
import { Duplex, PassThrough, Writable } from 'node:stream';

export function duplexPair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  return [Duplex.from({ readable: bToA, writable: aToB }), Duplex.from({ readable: aToB, writable: bToA })];
}

/** A writable that keeps what it is given, and stops taking anything once `stall()` is called (a peer that stops reading). */
export function stallable(highWaterMark = 1024): { output: Writable; sent: Buffer[]; stall(): void } {
  const sent: Buffer[] = [];
  let stalled = false;
  const output = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      sent.push(chunk);
      if (!stalled) callback(); // once stalled, nothing written is ever taken
    },
  });
  return { output, sent, stall: () => (stalled = true) };
}
