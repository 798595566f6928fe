// Two connected in-memory Duplex ends (Node 20 has no Duplex.pair): what one writes, the other reads.
import { Duplex, PassThrough } from 'node:stream';

export function duplexPair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  return [Duplex.from({ readable: bToA, writable: aToB }), Duplex.from({ readable: aToB, writable: bToA })];
}
