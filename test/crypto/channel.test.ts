// The secure channel end to end over an in-memory link (whose relay can tamper) and over TCP loopback.
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, createWebSocketStream } from 'ws';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HandshakeError, IntegrityError } from '../../src/crypto/errors.js';
import { SecureChannel } from '../../src/wire/secure-channel.js';
import { encodeFrame } from '../../src/wire/frames.js';
import { channels, collect, flipBit, link, parties, text, utf8, type Outcome, type Tamper } from './helpers.js';

// Frames from the guest: 0 message 1, 1 message 3, 2 the secretstream header, 3… data. From the host: 0 message 2, 1 header, 2… data.
const FIRST_DATA = 3;
const SENT = ['m0', 'm1', 'm2', 'm3', 'm4'];

function integrity(outcome: Outcome, code: string): void {
  assert.instance(outcome.error, IntegrityError, `expected IntegrityError(${code}), got ${outcome.error}`);
  assert.is((outcome.error as IntegrityError).code, code);
}

/** The guest sends SENT then ends; returns what the host received and how it closed. */
async function guestSends(tamper: Tamper) {
  const pair = channels(link({ toHost: tamper }));
  const [host, guest] = [collect(pair.host), collect(pair.guest)];
  for (const message of SENT) pair.guest.write(utf8(message));
  pair.guest.end();
  pair.host.end();
  return { host: await host, guest: await guest };
}

const atData = (index: number, change: (frame: Uint8Array) => Uint8Array[]): Tamper => (frame, i) => (i === FIRST_DATA + index ? change(frame) : [frame]);

test('messages flow both ways, both sides see the same PIN, and close gracefully', async () => {
  const pair = channels(link());
  const [host, guest] = [collect(pair.host), collect(pair.guest)];
  const [hostPeer, guestPeer] = await Promise.all([pair.host.ready, pair.guest.ready]);
  assert.is(hostPeer.pin, guestPeer.pin);
  assert.equal(hostPeer.remoteStatic, pair.setup.guestKey.publicKey);
  assert.is(text(guestPeer.hello), '{"name":"host"}');
  for (const message of SENT) pair.guest.write(utf8(message));
  pair.host.write(utf8('reply'));
  pair.guest.end();
  pair.host.end();
  assert.equal(await host, { messages: SENT, error: undefined, ended: true });
  assert.equal(await guest, { messages: ['reply'], error: undefined, ended: true });
});

type Transport = 'tcp' | 'unix' | 'websocket';

/** A connected pair of byte streams over TCP loopback, a unix socket or a WebSocket, and a way to stop listening. */
async function sockets(where: Transport): Promise<{ client: Duplex; server: Duplex; stop(): void }> {
  if (where === 'websocket') {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const [server] = await accepted;
    return { client: createWebSocketStream(client), server: createWebSocketStream(server), stop: () => wss.close() };
  }
  const listener = createServer();
  const path = join(tmpdir(), `lspair-channel-${process.pid}.sock`);
  if (where === 'unix') listener.listen(path);
  else listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const client = where === 'unix' ? connect(path) : connect((listener.address() as AddressInfo).port, '127.0.0.1');
  const [server] = await accepted;
  return { client, server, stop: () => listener.close() };
}

for (const where of ['tcp', 'unix', 'websocket'] as const) {
  test(`over ${where} sockets, with messages of 1 byte to 4 MiB and frequent rekeys`, async () => {
    const { client, server, stop } = await sockets(where);
    const p = parties();
    const rekey = { frames: 2, bytes: 1 << 20, ms: 60_000 };
    const guest = new SecureChannel(client, p.guest(), { rekey });
    const host = new SecureChannel(server, p.host(), { rekey });
    const [received, closed] = [collect(host), collect(guest)];
    const sizes = [1, 1000, 16 * 1024, 4 * 1024 * 1024, 0, 77];
    const sent = sizes.map((size, i) => String(i).repeat(size));
    for (const message of sent) guest.write(utf8(message));
    guest.end();
    host.end();
    const outcome = await received;
    assert.equal(await closed, { messages: [], error: undefined, ended: true });
    stop();
    assert.is(outcome.error, undefined);
    assert.equal(outcome.messages.map((m) => m.length), sizes);
    assert.ok(outcome.messages.every((m, i) => m === sent[i]));
  });
}

test('wrong psk: the host refuses the handshake and the guest is closed', async () => {
  const p = parties();
  const net = link();
  const guest = new SecureChannel(net.guest, p.guest({ psk: new Uint8Array(32).fill(7) }));
  const host = new SecureChannel(net.host, p.host());
  const [hostOutcome, guestOutcome] = await Promise.all([collect(host), collect(guest)]);
  assert.instance(hostOutcome.error, HandshakeError);
  assert.is((hostOutcome.error as HandshakeError).code, 'decrypt');
  await host.ready.then(() => assert.unreachable('host ready'), (error: HandshakeError) => assert.is(error.code, 'decrypt'));
  integrity(guestOutcome, 'truncated');
});

test('a handshake that does not finish in time fails with a timeout', async () => {
  const net = link();
  const guest = new SecureChannel(net.guest, parties().guest(), { handshakeTimeoutMs: 30 });
  const outcome = await collect(guest);
  assert.instance(outcome.error, HandshakeError);
  assert.is((outcome.error as HandshakeError).code, 'timeout');
  net.host.destroy();
});

test('a flipped bit in a data frame: the frames before it arrive, nothing after', async () => {
  for (const at of [0, 1, 5, -16, -1]) {
    const { host } = await guestSends(atData(2, (frame) => [flipBit(frame, (at + frame.length) % frame.length, 3)]));
    assert.equal(host.messages, ['m0', 'm1'], `byte ${at}`);
    integrity(host, 'bad-frame');
  }
});

test('a flipped bit in the secretstream header: nothing arrives', async () => {
  const { host } = await guestSends((frame, i) => [i === FIRST_DATA - 1 ? flipBit(frame, 5) : frame]);
  assert.equal(host.messages, []);
  integrity(host, 'bad-frame');
});

test('replayed, reordered and dropped frames close the channel', async () => {
  let held: Uint8Array | undefined;
  const cases: Record<string, [Tamper, string[]]> = {
    replayed: [atData(1, (frame) => [frame, frame]), ['m0', 'm1']],
    dropped: [atData(1, () => []), ['m0']],
    reordered: [
      (frame, i) => (i === FIRST_DATA + 1 ? ((held = frame), []) : i === FIRST_DATA + 2 ? [frame, held!] : [frame]),
      ['m0'],
    ],
  };
  for (const [name, [tamper, expected]] of Object.entries(cases)) {
    const { host } = await guestSends(tamper);
    assert.equal(host.messages, expected, name);
    integrity(host, 'bad-frame');
  }
});

test('EOF without the final frame is truncation, even after whole messages', async () => {
  const net = link();
  const pair = channels(net);
  const [host, guest] = [collect(pair.host), collect(pair.guest)];
  pair.guest.write(utf8('m0'));
  pair.guest.write(utf8('m1'), () => net.toHost.end());
  integrity(await host, 'truncated');
  assert.equal((await host).messages, ['m0', 'm1']);
  await guest;
});

test('oversized and malformed length prefixes close the channel', async () => {
  const prefixes: Record<string, Uint8Array> = {
    oversize: Uint8Array.of(0xff, 0xff, 0xff, 0xff),
    malformed: encodeFrame(new Uint8Array(16)), // shorter than a secretstream MAC
  };
  for (const [code, bytes] of Object.entries(prefixes)) {
    const net = link();
    const pair = channels(net);
    const [host, guest] = [collect(pair.host), collect(pair.guest)];
    await pair.host.ready;
    pair.guest.write(utf8('m0'), () => net.toHost.inject(bytes));
    integrity(await host, code);
    await guest;
  }
});

test('a message over the receiver\'s limit is refused on arrival; over the sender\'s, on write', async () => {
  const pair = channels(link(), parties(), { maxMessage: 4096 }, { maxMessage: 1024 });
  const [host, guest] = [collect(pair.host), collect(pair.guest)];
  pair.guest.write(new Uint8Array(1024));
  pair.guest.write(new Uint8Array(1025));
  assert.equal((await host).messages.map((m) => m.length), [1024]);
  integrity(await host, 'oversize');
  await guest;

  const small = channels(link(), parties(), { maxMessage: 10 });
  const [smallHost, smallGuest] = [collect(small.host), collect(small.guest)];
  small.guest.write(new Uint8Array(11));
  assert.instance((await smallGuest).error, RangeError);
  await smallHost;
});

test('reflection: the guest refuses its own frames sent back to it', async () => {
  const fromGuest: Uint8Array[] = [];
  const net = link({
    toHost: (frame) => (fromGuest.push(frame), [frame]),
    toGuest: (frame, i) => {
      if (i === 0) return [frame];
      const own = fromGuest[i + 1];
      if (!own) throw new Error(`guest frame ${i + 1} not seen yet`);
      return [own];
    },
  });
  const pair = channels(net);
  const [host, guest] = [collect(pair.host), collect(pair.guest)];
  pair.guest.write(utf8('g0'));
  await pair.host.ready;
  pair.host.write(utf8('h0'));
  const outcome = await guest;
  assert.equal(outcome.messages, []);
  integrity(outcome, 'bad-frame');
  await host;
});

test('bytes after the final frame are an integrity error', async () => {
  const net = link();
  const pair = channels(net);
  const [host, guest] = [collect(pair.host), collect(pair.guest)];
  pair.guest.end(utf8('last'));
  await once(pair.host, 'end');
  net.toHost.inject(encodeFrame(new Uint8Array(40)));
  const outcome = await host;
  assert.equal(outcome.messages, ['last']);
  integrity(outcome, 'after-final');
  await guest;
});

test.run();
