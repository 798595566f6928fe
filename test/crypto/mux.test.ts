// Multiplexed streams over the secure channel: lifecycle, flow control under floods and stalls, protocol
// violations and keepalive, and a property test of per-stream ordering under random interleavings.
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sodium } from '../../src/crypto/sodium.js';
import { withTimeout } from '../../src/crypto/handshake.js';
import { Mux, MuxError, type MuxOptions, type MuxStream } from '../../src/wire/mux.js';
import { decodeMuxFrame, encodeMuxFrame, type MuxFrame } from '../../src/wire/mux-frames.js';
import { channels, collect, link, random, text, utf8 } from './helpers.js';

const WINDOW = 64 * 1024;

/** Two muxes over a real SecureChannel pair on an in-memory link. */
async function muxPair(options: Partial<MuxOptions> = {}) {
  const pair = channels(link());
  const closed = Promise.all([collect(pair.guest), collect(pair.host)]);
  await pair.guest.ready;
  const guest = new Mux(pair.guest, { initiator: true, window: WINDOW, ...options });
  const host = new Mux(pair.host, { initiator: false, window: WINDOW, ...options });
  const shutdown = async () => {
    guest.close();
    host.close();
    const outcomes = await closed;
    for (const outcome of outcomes) assert.is(outcome.error, undefined, 'channels close cleanly');
  };
  return { guest, host, shutdown };
}

/** The streams the peer opens, by kind, whether they arrived already or not yet. */
function arrivals(mux: Mux): (kind: string) => Promise<MuxStream> {
  const slots = new Map<string, { promise: Promise<MuxStream>; resolve(stream: MuxStream): void }>();
  const slot = (kind: string) => {
    if (!slots.has(kind)) {
      let resolve!: (stream: MuxStream) => void;
      slots.set(kind, { promise: new Promise((done) => (resolve = done)), resolve });
    }
    return slots.get(kind)!;
  };
  mux.on('stream', (stream: MuxStream) => slot(stream.kind).resolve(stream));
  return (kind) => slot(kind).promise;
}


/** Reads a stream to its end (not with for-await, which would destroy the writable side too). */
function readAll(stream: MuxStream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  stream.on('data', (chunk: Uint8Array) => chunks.push(chunk));
  return once(stream, 'end').then(() => new Uint8Array(Buffer.concat(chunks)));
}

/** Writes `data` in pieces, honouring backpressure; `accepted` counts what write() took before refusing. */
function writer(stream: MuxStream, data: Uint8Array, piece = 16 * 1024) {
  const state = { accepted: 0, done: false };
  const run = (async () => {
    for (let at = 0; at < data.length; at += piece) {
      const part = data.subarray(at, at + piece);
      state.accepted += part.length;
      if (!stream.write(part)) await once(stream, 'drain');
    }
    stream.end();
    state.done = true;
  })();
  return { state, run };
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('mux frames round-trip, and malformed ones are refused', () => {
  const frames: MuxFrame[] = [
    { type: 'open', id: 3, kind: 'lsp', name: 'pyright ✓' },
    { type: 'data', id: 4, data: utf8('bytes') },
    { type: 'close', id: 5 },
    { type: 'reset', id: 6, reason: 'gone' },
    { type: 'credit', id: 7, bytes: 65536 },
    { type: 'ping', id: 0 },
    { type: 'pong', id: 0 },
  ];
  for (const frame of frames) assert.equal(decodeMuxFrame(encodeMuxFrame(frame)), frame);
  const malformed = [new Uint8Array(0), Uint8Array.of(2, 0, 0, 0), Uint8Array.of(99, 0, 0, 0, 1), Uint8Array.of(5, 0, 0, 0, 1, 0, 0), Uint8Array.of(1, 0, 0, 0, 1, 9, 97), Uint8Array.of(6, 0, 0, 0, 1), Uint8Array.of(4, 0, 0, 0, 1, 0xff)];
  for (const bytes of malformed) assert.throws(() => decodeMuxFrame(bytes), (error: unknown) => error instanceof MuxError, `[${bytes}]`);
});

test('streams open with kind and name, carry data both ways, and close', async () => {
  const { guest, host, shutdown } = await muxPair();
  const peer = arrivals(host);
  const stream = guest.open('lsp', 'pyright');
  stream.end(utf8('initialize'));
  const remote = await peer('lsp');
  assert.is(remote.kind, 'lsp');
  assert.is(remote.name, 'pyright');
  assert.is(remote.id % 2, 1, 'guest ids are odd');
  assert.is(text(await readAll(remote)), 'initialize');
  remote.end(utf8('result'));
  assert.is(text(await readAll(stream)), 'result');
  assert.is(host.open('files').id % 2, 0, 'host ids are even');
  await shutdown();
});

test('a reset reaches the peer as an error on that stream only', async () => {
  const { guest, host, shutdown } = await muxPair();
  const peer = arrivals(host);
  const errors = new Map<string, Error>();
  host.on('stream', (stream: MuxStream) => stream.on('error', (error) => errors.set(stream.kind, error)));
  const doomed = guest.open('dap');
  const other = guest.open('lsp');
  const [remoteDap, remoteLsp] = await Promise.all([peer('dap'), peer('lsp')]);
  doomed.on('error', () => {}); // destroying with an error emits it locally too
  doomed.destroy(new Error('debug session ended'));
  await new Promise((resolve) => remoteDap.on('close', resolve)); // not once(): it rejects on 'error'
  assert.instance(errors.get('dap'), MuxError);
  assert.match(errors.get('dap')!.message, /reset by peer: debug session ended/);
  assert.not.ok(remoteLsp.destroyed, 'the other stream is untouched');
  other.end(utf8('still fine'));
  assert.is(text(await readAll(remoteLsp)), 'still fine');
  await shutdown();
});

test('a peer opens at most maxPeerStreams streams at once: one more is reset alone, and a closed one frees a place', async () => {
  const { guest, host, shutdown } = await muxPair({ maxPeerStreams: 3 });
  const accepted: MuxStream[] = [];
  host.on('stream', (stream: MuxStream) => accepted.push(stream.on('error', () => undefined)));
  const open = [guest.open('lsp', 'a'), guest.open('lsp', 'b'), guest.open('lsp', 'c')];
  const extra = guest.open('lsp', 'd');
  const refused = new Promise<Error>((resolve) => extra.on('error', resolve));
  assert.match((await withTimeout(refused, 5000)).message, /reset by peer: more than 3 streams open/);
  assert.equal(accepted.map((s) => s.name), ['a', 'b', 'c']);
  assert.ok(open.every((s) => !s.destroyed), 'the streams already open are untouched');
  open[0]!.on('error', () => undefined);
  open[0]!.destroy(); // the host's side hears the reset and lets go of it
  await new Promise((resolve) => accepted[0]!.on('close', resolve));
  const next = guest.open('lsp', 'e');
  next.end(utf8('fits again'));
  await withTimeout(new Promise<void>((resolve) => host.once('stream', (s: MuxStream) => (assert.is(s.name, 'e'), resolve()))), 5000);
  for (const s of open.slice(1)) s.end();
  await shutdown();
});

test('a 4 MiB flood on one stream does not hold back small messages on another', async () => {
  const { guest, host, shutdown } = await muxPair({ chunk: 16 * 1024 });
  const peer = arrivals(host);
  const flood = guest.open('flood');
  const chat = guest.open('chat');
  const big = random(4 * 1024 * 1024);
  const sending = writer(flood, big);
  let received = 0;
  (await peer('flood')).on('data', (chunk: Uint8Array) => (received += chunk.length));
  const echo = await peer('chat');
  echo.on('data', (chunk: Uint8Array) => echo.write(chunk));
  for (let i = 0; i < 20; i++) {
    chat.write(utf8(`ping ${i}`));
    const [answer] = await once(chat, 'data');
    assert.is(text(answer as Uint8Array), `ping ${i}`);
  }
  assert.ok(received < big.length, `small messages finished while the flood was still in flight (${received} of ${big.length})`);
  await sending.run;
  chat.end();
  echo.end();
  await shutdown();
});

test('a stalled reader caps what its sender buffers, and others keep flowing', async () => {
  const { guest, host, shutdown } = await muxPair();
  const peer = arrivals(host);
  const stalled = guest.open('stalled');
  const data = random(2 * 1024 * 1024);
  const sending = writer(stalled, data);
  await tick(50);
  // Nobody reads 'stalled' on the host: the sender got at most a window in flight plus its own write buffer.
  const bound = WINDOW + stalled.writableHighWaterMark + 16 * 1024;
  assert.ok(sending.state.accepted <= bound, `accepted ${sending.state.accepted} > ${bound}`);
  assert.not.ok(sending.state.done);
  const remote = await peer('stalled');
  assert.ok(remote.readableLength <= WINDOW, `receiver holds ${remote.readableLength}`);

  const chat = guest.open('chat');
  chat.end(utf8('still here'));
  assert.is(text(await readAll(await peer('chat'))), 'still here');

  const [all] = await Promise.all([readAll(remote), sending.run]); // the reader resumes: everything arrives
  assert.ok(sodium.memcmp(all, data), 'intact after the stall');
  await shutdown();
});

test('a peer that reads nothing on many streams is cut off once what waits for it passes maxQueued in all', async () => {
  const { guest, host } = await muxPair({ maxQueued: 4 * WINDOW });
  const closed = new Promise<Error | undefined>((resolve) => host.once('close', resolve));
  const streams: MuxStream[] = [];
  const all = new Promise<void>((resolve) => host.on('stream', (s: MuxStream) => streams.push(s.on('error', () => undefined)) === 8 && resolve()));
  for (let i = 0; i < 8; i++) guest.open('lsp', `s${i}`); // the guest reads none of them
  await all;
  // Each stream queues two windows (one in flight, one waiting for credit): under maxQueued alone, over it together.
  for (const s of streams) s.write(random(2 * WINDOW));
  const error = await withTimeout(closed, 5000);
  assert.instance(error, MuxError);
  assert.match(error!.message, /too slow/);
  guest.destroy();
});

/** A channel stand-in: records what the mux writes, lets the test inject frames. */
class FakeChannel extends Duplex {
  readonly sent: MuxFrame[] = [];
  constructor() {
    super({ objectMode: true });
  }
  override _write(frame: Uint8Array, _encoding: BufferEncoding, callback: () => void): void {
    this.sent.push(decodeMuxFrame(frame));
    callback();
  }
  override _read(): void {}
  inject(frame: MuxFrame): void {
    this.push(encodeMuxFrame(frame));
  }
}

async function violation(frames: MuxFrame[], pattern: RegExp): Promise<void> {
  const channel = new FakeChannel();
  const mux = new Mux(channel, { initiator: false, window: 1024 });
  mux.on('stream', (stream: MuxStream) => stream.on('error', () => {}));
  const closed = once(mux, 'close');
  channel.on('error', () => {});
  for (const frame of frames) channel.inject(frame);
  const [error] = await closed;
  assert.instance(error, MuxError);
  assert.match((error as Error).message, pattern);
}

test('protocol violations close the mux: data past the window, bad ids, credit overflow', async () => {
  const open = { type: 'open', id: 1, kind: 'lsp', name: '' } as const;
  await violation([open, { type: 'data', id: 1, data: new Uint8Array(1025) }], /window/);
  await violation([{ type: 'open', id: 2, kind: 'lsp', name: '' }], /bad stream id/);
  await violation([open, open], /bad stream id/);
  await violation([{ ...open, id: 3 }, open], /bad stream id/); // ids only grow
  await violation([open, { type: 'credit', id: 1, bytes: 1 }], /credit beyond/);
  await violation([open, { type: 'close', id: 1 }, { type: 'data', id: 1, data: utf8('late') }], /after close/);
});

test('keepalive: pings are answered, and a silent peer is declared dead', async () => {
  const channel = new FakeChannel();
  const mux = new Mux(channel, { initiator: true, keepaliveMs: 10, timeoutMs: 40 });
  channel.on('error', () => {});
  const closed = withTimeout(once(mux, 'close'), 5000); // keeps the process up: the mux's timer is unref'd
  channel.inject({ type: 'ping', id: 0 });
  // Its first ping is due after 10 ms; a loaded machine may take longer, so wait for both rather than a fixed time.
  const seen = (type: string) => channel.sent.some((frame) => frame.type === type);
  for (let waited = 0; waited < 2000 && !(seen('pong') && seen('ping')); waited += 5) await tick(5);
  assert.ok(seen('pong'), 'answers a ping');
  assert.ok(seen('ping'), 'sends pings');
  const [error] = await closed;
  assert.instance(error, MuxError);
  assert.match((error as Error).message, /silent/);
});

test('live peers answering pings stay connected', async () => {
  const { guest, host, shutdown } = await muxPair({ keepaliveMs: 10, timeoutMs: 100 });
  let closed = false;
  guest.on('close', () => (closed = true));
  host.on('close', () => (closed = true));
  await tick(250);
  assert.not.ok(closed, 'idle for over two timeouts, but pings keep both sides up');
  await shutdown();
});

test('property: random messages on random interleavings arrive intact and in order per stream', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat({ max: 3 }), fc.uint8Array({ minLength: 1, maxLength: 40_000 })), { minLength: 1, maxLength: 25 }),
      fc.integer({ min: 1, max: 20_000 }),
      async (writes, chunk) => {
        const { guest, host, shutdown } = await muxPair({ chunk });
        try {
          const received = new Map<string, Promise<Uint8Array>>();
          const accepted = new Promise((resolve) =>
            host.on('stream', (stream: MuxStream) => received.set(stream.kind, readAll(stream)).size === 4 && resolve(null)),
          );
          const streams = [0, 1, 2, 3].map((i) => guest.open(`s${i}`));
          for (const [index, bytes] of writes) streams[index]!.write(bytes);
          for (const stream of streams) stream.end();
          await accepted;
          const got = await Promise.all(streams.map((stream) => received.get(stream.kind)!));
          return got.every((bytes, index) => Buffer.concat(writes.filter(([i]) => i === index).map(([, data]) => data)).equals(bytes));
        } finally {
          await shutdown();
        }
      },
    ),
    { numRuns: 25 },
  );
});

test.run();
