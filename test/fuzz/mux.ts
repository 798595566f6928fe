// Fuzz target: the mux (src/wire/mux.ts, mux-stream.ts, mux-frames.ts) fed arbitrary frame sequences by its peer —
// well-formed frames of every type on any stream id, with any sizes and credits, and raw bytes — while its own
// side opens streams and writes, and each stream the peer opens is read, left unread, echoed, ended or reset.
// The mux may only ever close with a MuxError; it never holds more than a window unread on a stream, never sends
// more than the peer's credit allows, never grants more credit than it received, always sends well-formed
// frames, and, while open, still answers a ping after the sequence.
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { Mux, MuxError, type MuxStream } from '../../src/wire/mux.js';
import { decodeMuxFrame, encodeMuxFrame, type MuxFrame } from '../../src/wire/mux-frames.js';
import { target } from './harness.js';

const WINDOW = 4096;

type Peer = { readonly frame: MuxFrame } | { readonly raw: Uint8Array };
type Policy = 'read' | 'unread' | 'echo' | 'end' | 'reset' | 'flood';

interface Case {
  readonly initiator: boolean;
  /** Streams our side opens first, and how much it writes on each. */
  readonly ours: number[];
  readonly peer: Peer[];
  /** What we do with the n-th stream the peer opens (cycling). */
  readonly policies: Policy[];
}

/** n zero bytes, printed as such in a counterexample. */
function zeros(n: number): Uint8Array {
  return Object.assign(new Uint8Array(n), { [fc.toStringMethod]: () => `zeros(${n})` });
}

const id = fc.oneof(fc.nat({ max: 9 }), fc.nat({ max: 0xffffffff }));
const text = fc.string({ maxLength: 12, unit: 'binary' });
const frame: fc.Arbitrary<MuxFrame> = fc.oneof(
  fc.record({ type: fc.constant('open' as const), id, kind: text, name: text }),
  fc.record({ type: fc.constant('data' as const), id, data: fc.nat({ max: WINDOW + WINDOW / 2 }).map(zeros) }),
  fc.record({ type: fc.constant('close' as const), id }),
  fc.record({ type: fc.constant('reset' as const), id, reason: text }),
  fc.record({ type: fc.constant('credit' as const), id, bytes: fc.oneof(fc.nat({ max: WINDOW }), fc.nat({ max: 0xffffffff })) }),
  fc.record({ type: fc.constantFrom('ping' as const, 'pong' as const), id: fc.constant(0 as const) }),
);
/** An open frame whose kind length and names are arbitrary bytes (invalid UTF-8, a length past the end). */
const rawOpen = fc.tuple(id, fc.uint8Array({ maxLength: 16 })).map(([sid, body]) => {
  const bytes = new Uint8Array(5 + body.length);
  bytes[0] = 1;
  new DataView(bytes.buffer).setUint32(1, sid);
  bytes.set(body, 5);
  return bytes;
});
const peer: fc.Arbitrary<Peer> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ frame }) },
  { weight: 1, arbitrary: fc.record({ raw: fc.oneof(fc.uint8Array({ maxLength: 24 }), rawOpen) }) },
);

/** The mux's channel: records every frame it sends (a malformed one is a finding), and lets the test inject. */
export class Channel extends Duplex {
  readonly sent: MuxFrame[] = [];
  readonly faults: string[] = [];
  constructor() {
    super({ objectMode: true });
  }
  override _write(bytes: Uint8Array, _encoding: BufferEncoding, callback: () => void): void {
    try {
      this.sent.push(decodeMuxFrame(bytes));
    } catch (error) {
      this.faults.push(`the mux sent a malformed frame: ${(error as Error).message}`);
    }
    callback();
  }
  override _read(): void {}
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Bytes of `type` frames on stream `sid` in `frames`. */
function total(frames: readonly MuxFrame[], type: 'data' | 'credit', sid: number): number {
  return frames.reduce((n, f) => n + (f.id !== sid ? 0 : f.type === 'data' && type === 'data' ? f.data.length : f.type === 'credit' && type === 'credit' ? f.bytes : 0), 0);
}

async function run(c: Case): Promise<void> {
  const channel = new Channel();
  const mux = new Mux(channel, { initiator: c.initiator, window: WINDOW, chunk: 1024, keepaliveMs: 60_000 });
  const faults = channel.faults;
  const closed: { error?: Error } = {};
  let open = true;
  mux.on('close', (error?: Error) => {
    open = false;
    closed.error = error;
  });
  const streams: MuxStream[] = [];
  const watch = (stream: MuxStream, mine: Error | null): void => {
    streams.push(stream);
    stream.on('error', (error: Error) => {
      if (!(error instanceof MuxError) && error !== mine) faults.push(`stream ${stream.id} failed with ${error.stack}`);
    });
  };
  for (const bytes of c.ours) {
    const stream = mux.open('ours', 'n');
    watch(stream, null);
    stream.write(new Uint8Array(bytes));
  }
  let accepted = 0;
  mux.on('stream', (stream: MuxStream) => {
    const policy = c.policies[accepted++ % c.policies.length]!;
    const reset = new Error('reset by the fuzzer');
    watch(stream, reset);
    if (policy === 'read') stream.resume();
    else if (policy === 'echo') stream.on('data', (chunk: Uint8Array) => stream.write(chunk));
    else if (policy === 'end') stream.end();
    else if (policy === 'reset') stream.destroy(reset);
    else if (policy === 'flood') stream.write(new Uint8Array(2 * WINDOW));
  });
  const received: MuxFrame[] = [];
  for (const p of c.peer) {
    if (channel.destroyed) break;
    const bytes = 'raw' in p ? p.raw : encodeMuxFrame(p.frame);
    if ('frame' in p) received.push(p.frame);
    channel.push(bytes);
    await tick();
  }
  const openBefore = open;
  const pongs = channel.sent.filter((f) => f.type === 'pong').length;
  if (open) channel.push(encodeMuxFrame({ type: 'ping', id: 0 }));
  await tick();
  await tick();

  if (closed.error && !(closed.error instanceof MuxError)) faults.push(`the mux closed with ${closed.error.stack}`);
  if (openBefore && open && channel.sent.filter((f) => f.type === 'pong').length === pongs) faults.push('an open mux did not answer a ping');
  for (const stream of streams) {
    if (stream.readableLength > WINDOW) faults.push(`stream ${stream.id} holds ${stream.readableLength} unread bytes, over the window of ${WINDOW}`);
    const sent = total(channel.sent, 'data', stream.id);
    const credit = total(received, 'credit', stream.id);
    if (sent > WINDOW + credit) faults.push(`stream ${stream.id}: sent ${sent} bytes with ${WINDOW} + ${credit} of credit`);
    const granted = total(channel.sent, 'credit', stream.id);
    const got = total(received, 'data', stream.id);
    if (granted > got) faults.push(`stream ${stream.id}: granted ${granted} bytes of credit for ${got} received`);
  }
  mux.destroy();
  await tick();
  for (const stream of streams) if (!stream.destroyed) faults.push(`stream ${stream.id} outlived its mux`);
  if (faults.length > 0) throw new Error(faults.join('\n'));
}

export const muxFuzzer = target<Case, null>({
  name: 'mux',
  what: 'mux: arbitrary frame sequences from the peer while both sides use streams',
  cases: fc.record({
    initiator: fc.boolean(),
    ours: fc.array(fc.nat({ max: 3 * WINDOW }), { maxLength: 2 }),
    peer: fc.array(peer, { maxLength: 30 }),
    policies: fc.array(fc.constantFrom<Policy>('read', 'unread', 'echo', 'end', 'reset', 'flood'), { minLength: 1, maxLength: 4 }),
  }),
  shortRuns: 1500,
  timeoutMs: 2000,
  setup: async () => null,
  run: (_ctx, c) => run(c),
  teardown: async () => undefined,
});
