// Fuzz target: the relay's protocol (src/relay/server.ts, src/wire/relay-protocol.ts) against a real relay in this
// process over WebSocket, and the host's own listener (src/session/listener.ts), which speaks the same guest
// protocol. Each case opens a few hostile connections: raw HTTP upgrade requests on arbitrary paths (traversal,
// percent-encoding, protocol-relative, overlong), and WebSockets that send arbitrary control messages (every
// type, wrong tokens, wrong types, arbitrary JSON, oversized text), binary frames before pairing and after,
// oversized frames, and close or vanish at any point — some against sessions whose hosts accept and echo, some
// against a probe session the fuzzer does not hold the token of. Nothing may crash; the probe session's host is
// never displaced and still echoes through the relay and the listener after each case; and once everyone has
// left, the relay holds no pending guest, pair or session beyond the probe's.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { Relay } from '../../src/relay/server.js';
import { DirectListener } from '../../src/session/listener.js';
import { acceptGuest, joinRelay, registerHost, type RelayControl } from '../../src/wire/relay-client.js';
import { target } from './harness.js';

const MAX_MESSAGE = 4096;
const SETUP_MS = 200;
const GRACE_MS = 50;

const sid = (): string => randomBytes(16).toString('base64url');
const token = (): string => randomBytes(32).toString('base64url');

/** Which session a connection names: the probe's, one of the case's own (hosts that accept and echo), or none. */
type Sid = { readonly probe: true } | { readonly own: number } | { readonly literal: string };

type Step =
  | { readonly text: string }
  | { readonly binary: number }
  | { readonly wait: number }
  | { readonly close: number }
  | { readonly terminate: true };

type Client =
  | { readonly kind: 'ws'; readonly at: 'relay' | 'direct'; readonly route: 'host' | 'join' | 'accept'; readonly sid: Sid; readonly conn: string; readonly steps: Step[] }
  | { readonly kind: 'raw'; readonly at: 'relay' | 'direct'; readonly path: string; readonly headers: string[]; readonly tail: Uint8Array; readonly reset: boolean };

interface Case {
  /** Sessions of the case, each with a host that accepts every guest and echoes. */
  readonly sessions: number;
  readonly clients: Client[];
}

const validId = fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/);
const sidArb: fc.Arbitrary<Sid> = fc.oneof(
  fc.record({ probe: fc.constant(true as const) }),
  fc.record({ own: fc.nat({ max: 1 }) }),
  fc.record({ literal: fc.oneof(validId, fc.string({ maxLength: 80 }), fc.constantFrom('', '..', '%2e%2e', 'a'.repeat(65), 'a'.repeat(15))) }),
);

/** Control messages: well-formed ones of every type (with tokens the relay will not know), bent ones, and junk. */
const controlText: fc.Arbitrary<string> = fc.oneof(
  fc.record({ type: fc.constantFrom('register', 'accept', 'guest', 'registered', 'paired', 'nope'), token: fc.oneof(fc.constant(token()), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.jsonValue()), conn: fc.oneof(validId, fc.jsonValue()) }).map((m) => JSON.stringify(m)),
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 64, unit: 'binary' }),
  fc.constantFrom('{"__proto__":{"type":"register"}}', '{"type":"register","token":"' + 'A'.repeat(43) + '","type":"paired"}', 'null', '[]', '"register"', '{'),
  fc.nat({ max: 3 * MAX_MESSAGE }).map((n) => JSON.stringify({ type: 'register', token: 'x'.repeat(n) })),
);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ text: controlText }) },
  { weight: 4, arbitrary: fc.record({ binary: fc.oneof(fc.nat({ max: 64 }), fc.nat({ max: 2 * MAX_MESSAGE })) }) },
  { weight: 2, arbitrary: fc.record({ wait: fc.nat({ max: 40 }) }) },
  fc.record({ close: fc.constantFrom(1000, 1001, 1008, 3000, 4000, 4401, 4999) }),
  fc.record({ terminate: fc.constant(true as const) }),
);

/** Paths as a hostile client writes them in its request line. */
const hostilePath: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('/v1/host/', '/v1/join/', '/v1/accept/', '/V1/join/', '/v1//join/', '//', '/v1/join/../host/', '/v1/%6aoin/'), validId, fc.constantFrom('', '/', '?a=1', '#x', '/..', '%00', '/' + 'a'.repeat(20)))
    .map(([a, b, c]) => a + b + c),
  fc.constantFrom('//a:99999/', '//[zz]/v1/join/x', 'http://a:99999/v1/join/aaaaaaaaaaaaaaaa', '*', '', ' ', '/%', '/%zz', '\\\\server\\share', '/v1/join/' + 'a'.repeat(9000)),
  fc.webPath(),
  fc.string({ maxLength: 40 }),
);

const header: fc.Arbitrary<string[]> = fc.oneof(
  fc.constantFrom<string[]>(
    ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'],
    ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13'],
    ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: short', 'Sec-WebSocket-Version: 99'],
  ),
  fc.array(fc.string({ maxLength: 30 }), { maxLength: 4 }),
);

const client: fc.Arbitrary<Client> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('ws' as const),
      at: fc.constantFrom('relay' as const, 'relay' as const, 'direct' as const),
      route: fc.constantFrom('host' as const, 'join' as const, 'accept' as const),
      sid: sidArb,
      conn: validId,
      steps: fc.array(step, { maxLength: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), at: fc.constantFrom('relay' as const, 'direct' as const), path: hostilePath, headers: header, tail: fc.uint8Array({ maxLength: 32 }), reset: fc.boolean() }) },
);

interface Ctx {
  readonly relay: Relay;
  readonly direct: DirectListener;
  readonly probe: { readonly sid: string; readonly control: RelayControl; displaced: boolean };
  readonly streams: Set<Duplex>;
}

function echo(streams: Set<Duplex>): (stream: Duplex) => void {
  return (stream) => {
    streams.add(stream);
    stream.on('error', () => undefined);
    stream.on('close', () => streams.delete(stream));
    stream.on('data', (chunk: Buffer) => stream.write(chunk));
  };
}

/** Registers a host that accepts every guest of `id` and echoes. */
function host(relay: Relay, id: string, streams: Set<Duplex>): Promise<RelayControl> {
  const secret = token();
  return registerHost(relay.url, id, secret, (conn) => void acceptGuest(relay.url, id, conn, secret).then(echo(streams), () => undefined));
}

/** Sends a nonce through a fresh guest of the probe session and waits for its echo. */
async function probe(stream: Duplex, what: string): Promise<void> {
  const nonce = randomBytes(16);
  const back = new Promise<void>((resolve, reject) => {
    let got = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= nonce.length) return got.subarray(0, nonce.length).equals(nonce) ? resolve() : reject(new Error(`${what}: echoed other bytes`));
    });
    stream.on('error', reject);
  });
  stream.write(nonce);
  await back;
  stream.destroy();
}

function sidOf(s: Sid, ctx: Ctx, own: readonly string[]): string {
  if ('probe' in s) return ctx.probe.sid;
  if ('own' in s) return own[s.own % own.length] ?? ctx.probe.sid;
  return s.literal;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One WebSocket client: connects, plays its steps, and is closed by the relay or at the end of the case. */
async function wsClient(url: string, steps: readonly Step[]): Promise<WebSocket | null> {
  let ws: WebSocket;
  try {
    ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * MAX_MESSAGE });
  } catch {
    return null; // a path the client library refuses to send: the raw clients cover those
  }
  ws.on('error', () => undefined);
  const opened = await new Promise<boolean>((resolve) => {
    setTimeout(() => resolve(false), 1000); // an upgrade never answered is a finding of its own: the relay's state is checked after
    ws.once('open', () => resolve(true));
    ws.once('close', () => resolve(false));
    ws.once('unexpected-response', (req) => (req.destroy(), resolve(false)));
  });
  if (!opened) return ws;
  for (const s of steps) {
    if (ws.readyState !== WebSocket.OPEN) break;
    if ('text' in s) ws.send(s.text);
    else if ('binary' in s) ws.send(randomBytes(s.binary), { binary: true });
    else if ('wait' in s) await pause(s.wait);
    else if ('close' in s) ws.close(s.close);
    else ws.terminate();
  }
  return ws;
}

/** One raw HTTP client: an upgrade request as written, then bytes; it waits briefly for the answer and hangs up, or
 *  resets the connection as the answer arrives (a TCP RST: the server's socket fails, and someone must listen). */
async function rawClient(port: number, c: Extract<Client, { kind: 'raw' }>): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(`GET ${c.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${c.headers.map((h) => `${h}\r\n`).join('')}\r\n`);
  socket.write(c.tail);
  socket.resume();
  if (c.reset) socket.once('data', () => socket.resetAndDestroy()); // while the server's socket is still open
  await Promise.race([new Promise((resolve) => socket.once('close', resolve)), pause(50)]);
  socket.destroy();
  await pause(c.reset ? 20 : 0); // the reset's error reaches the server within this case
}

async function until(test: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(what());
    await pause(10);
  }
}

async function run(ctx: Ctx, c: Case): Promise<void> {
  const own = Array.from({ length: c.sessions }, sid);
  const controls = await Promise.all(own.map((id) => host(ctx.relay, id, ctx.streams)));
  const sockets: (WebSocket | null)[] = [];
  try {
    await Promise.all(
      c.clients.map(async (cl) => {
        const base = cl.at === 'relay' ? ctx.relay.url : ctx.direct.url;
        if (cl.kind === 'raw') return rawClient(Number(new URL(base).port), cl);
        const id = sidOf(cl.sid, ctx, own);
        const path = cl.route === 'accept' ? `/v1/accept/${id}/${cl.conn}` : `/v1/${cl.route}/${id}`;
        sockets.push(await wsClient(base + path, cl.steps));
      }),
    );
  } finally {
    for (const ws of sockets) ws?.terminate();
    for (const control of controls) control.close();
  }
  for (const stream of ctx.streams) stream.destroy();
  if (ctx.probe.displaced) throw new Error("the probe session's host was displaced");
  await settled(ctx.relay);
  await probe(await joinRelay(ctx.relay.url, ctx.probe.sid), 'through the relay');
  await probe(await joinRelay(ctx.direct.url, ctx.probe.sid), 'through the listener');
  for (const stream of ctx.streams) stream.destroy();
  await settled(ctx.relay);
}

/** Everyone left: nothing pending, nothing paired, and the case's sessions expired after their grace. */
function settled(relay: Relay): Promise<void> {
  const idle = JSON.stringify({ sessions: 1, pending: 0, paired: 0, peakQueued: 0 });
  return until(() => JSON.stringify({ ...relay.stats(), peakQueued: 0 }) === idle, SETUP_MS + GRACE_MS + 1000, () => `the relay still holds ${JSON.stringify(relay.stats())} after everyone left`);
}

export const relayFuzzer = target<Case, Ctx>({
  name: 'relay',
  what: "relay protocol and the host's listener: hostile upgrades, control messages, frames before and after pairing",
  cases: fc.record({ sessions: fc.nat({ max: 2 }), clients: fc.array(client, { minLength: 1, maxLength: 5 }) }),
  shortRuns: 60,
  timeoutMs: 8000,
  setup: async () => {
    const relay = await Relay.start({
      limits: { maxMessage: MAX_MESSAGE, maxSessions: 16, maxGuestsPerSession: 4, joinsPerMinute: 1e9, maxBuffered: 64 * 1024, slowReaderMs: 300, setupTimeoutMs: SETUP_MS, graceMs: GRACE_MS, pingIntervalMs: 60_000 },
    });
    const streams = new Set<Duplex>();
    const probeSid = sid();
    const direct = await DirectListener.start({ host: '127.0.0.1', port: 0, isSession: (s) => s === probeSid, onStream: echo(streams), joinsPerMinute: 1e9, maxMessage: MAX_MESSAGE });
    const control = await host(relay, probeSid, streams);
    const probe = { sid: probeSid, control, displaced: false };
    control.on('close', () => (probe.displaced = true));
    return { relay, direct, probe, streams };
  },
  run,
  teardown: async (ctx) => {
    ctx.probe.control.removeAllListeners('close');
    ctx.probe.control.close();
    for (const stream of ctx.streams) stream.destroy();
    await ctx.direct.close();
    await ctx.relay.close();
  },
});
