// The relay: pairing, forwarding, ownership of session ids, and every limit with its clear refusal.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { Relay, type RelayLimits } from '../../src/relay/server.js';
import { acceptGuest, joinRelay, registerHost, RelayError, type RelayControl } from '../../src/wire/relay-client.js';
import { CLOSE } from '../../src/wire/relay-protocol.js';
import { read } from './streams.js';

const id = (): string => randomBytes(16).toString('base64url');
const token = (): string => randomBytes(32).toString('base64url');

/** A host that accepts every waiting guest and hands its stream to `onStream`. */
async function host(relay: Relay, sid = id(), secret = token(), onStream: (s: Duplex) => void = () => undefined): Promise<{ sid: string; secret: string; control: RelayControl }> {
  const control = await registerHost(relay.url, sid, secret, (conn) => void acceptGuest(relay.url, sid, conn, secret).then(onStream, () => undefined));
  return { sid, secret, control };
}

async function refusal(promise: Promise<unknown>): Promise<RelayError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, RelayError);
    return err as RelayError;
  }
  throw new Error('expected a refusal');
}

function relaySuite(name: string, limits: Partial<RelayLimits> = {}) {
  const s = suite<{ relay: Relay }>(name, { relay: undefined as unknown as Relay });
  s.before.each(async (ctx) => {
    ctx.relay = await Relay.start({ limits });
  });
  s.after.each(async (ctx) => {
    await ctx.relay.close();
  });
  return s;
}

const pairing = relaySuite('relay pairs and forwards');
pairing('bytes go both ways unchanged, large messages included', async ({ relay }) => {
  let hostSide!: Duplex;
  let paired!: () => void;
  const ready = new Promise<void>((resolve) => (paired = resolve));
  const { sid } = await host(relay, undefined, undefined, (s) => ((hostSide = s), paired()));
  const guest = await joinRelay(relay.url, sid);
  await ready;
  const big = randomBytes(1 << 20);
  const got = read(hostSide, big.length + 5);
  guest.write('hello');
  guest.write(big);
  assert.ok((await got).equals(Buffer.concat([Buffer.from('hello'), big])));
  const back = read(guest, 3);
  hostSide.write('hey');
  assert.is((await back).toString(), 'hey');
  assert.equal({ ...relay.stats(), peakQueued: 0 }, { sessions: 1, pending: 0, paired: 1, peakQueued: 0 });
  guest.destroy();
  hostSide.destroy();
});

pairing('a guest may join while the host is reconnecting, and is accepted once it is back', async ({ relay }) => {
  const sid = id();
  const secret = token();
  const first = await registerHost(relay.url, sid, secret, () => undefined);
  first.close();
  await once(first, 'close');
  const joined = joinRelay(relay.url, sid);
  await new Promise((r) => setTimeout(r, 50));
  assert.is(relay.stats().pending, 1);
  await host(relay, sid, secret);
  (await joined).destroy();
});
pairing.run();

const ownership = relaySuite('relay session ids belong to their first host');
ownership('another token is refused; the same token resumes and replaces the old control connection', async ({ relay }) => {
  const sid = id();
  const secret = token();
  const first = await registerHost(relay.url, sid, secret, () => undefined);
  const err = await refusal(registerHost(relay.url, sid, token(), () => undefined));
  assert.is(err.code, CLOSE.badToken);
  const closed = once(first, 'close');
  await registerHost(relay.url, sid, secret, () => undefined);
  assert.is((await closed)[0], CLOSE.replaced);
});

ownership('joining an unknown session is refused with a reason', async ({ relay }) => {
  const err = await refusal(joinRelay(relay.url, id()));
  assert.is(err.code, CLOSE.noSession);
  assert.match(err.message, /no such session/);
});

ownership('accepting with a wrong token, or a guest that is not waiting, is refused', async ({ relay }) => {
  const { sid } = await host(relay);
  assert.is((await refusal(acceptGuest(relay.url, sid, id(), token()))).code, CLOSE.badToken);
});
ownership.run();

const limits = relaySuite('relay limits', { maxGuestsPerSession: 1, joinsPerMinute: 3, setupTimeoutMs: 300, maxMessage: 1024 });
limits('a full session refuses the next guest', async ({ relay }) => {
  const { sid } = await host(relay);
  const first = await joinRelay(relay.url, sid);
  assert.is((await refusal(joinRelay(relay.url, sid))).code, CLOSE.tooMany);
  first.destroy();
});

limits('join attempts per address per minute are limited', async ({ relay }) => {
  const sid = id();
  for (let i = 0; i < 3; i++) await refusal(joinRelay(relay.url, sid));
  const err = await refusal(joinRelay(relay.url, sid));
  assert.is(err.code, 429);
});

limits('a guest the host never accepts times out', async ({ relay }) => {
  const sid = id();
  await registerHost(relay.url, sid, token(), () => undefined);
  const err = await refusal(joinRelay(relay.url, sid));
  assert.is(err.code, CLOSE.timeout);
});

limits('an oversized message closes the connection (1009)', async ({ relay }) => {
  let hostSide!: Duplex;
  const { sid } = await host(relay, undefined, undefined, (s) => (hostSide = s));
  const guest = await joinRelay(relay.url, sid);
  const closed = new Promise<void>((resolve) => guest.on('error', () => resolve()).on('end', () => resolve()));
  guest.resume();
  guest.write(randomBytes(4096));
  await closed;
  hostSide?.destroy();
});

limits('text frames are refused before and after pairing', async ({ relay }) => {
  const sid = id();
  await registerHost(relay.url, sid, token(), () => undefined);
  const ws = new WebSocket(`${relay.url}/v1/join/${sid}`);
  await once(ws, 'open');
  ws.send('{"type":"paired"}');
  const [code] = await once(ws, 'close');
  assert.is(code, CLOSE.badRequest);
});
limits.run();

const slow = relaySuite('relay backpressure', { maxBuffered: 64 * 1024, slowReaderMs: 400 });
slow('a reader that stops reading pauses only its own sender, and is disconnected after a while', async ({ relay }) => {
  const streams: Duplex[] = [];
  const { sid } = await host(relay, undefined, undefined, (s) => streams.push(s));
  const stalled = await joinRelay(relay.url, sid);
  const healthy = await joinRelay(relay.url, sid);
  while (streams.length < 2) await new Promise((r) => setTimeout(r, 10));
  const [toStalled, toHealthy] = streams as [Duplex, Duplex];
  stalled.pause(); // the guest stops reading
  // Write towards the reader that does not read until the kernel's socket buffers are full and the relay
  // has to hold bytes itself (bounded: at most 64 MB are tried).
  const chunk = randomBytes(64 * 1024);
  for (let i = 0; i < 1024 && relay.stats().peakQueued <= 64 * 1024; i++) {
    if (!toStalled.write(chunk)) await new Promise((r) => setTimeout(r, 5));
  }
  assert.ok(relay.stats().peakQueued > 64 * 1024, 'the relay never had to queue');
  // The other guest's traffic keeps flowing meanwhile.
  for (let i = 0; i < 5; i++) {
    const echo = read(toHealthy, 4);
    healthy.write('ping');
    assert.is((await echo).toString(), 'ping');
  }
  // The relay paused the host's sender instead of queueing 3.2 MB, then dropped the stalled pair.
  while (relay.stats().paired > 1) await new Promise((r) => setTimeout(r, 20));
  assert.ok(relay.stats().peakQueued <= 64 * 1024 + chunk.length, `queued ${relay.stats().peakQueued} bytes`);
  const echo = read(toHealthy, 4);
  healthy.write('pong');
  assert.is((await echo).toString(), 'pong');
  healthy.destroy();
  toHealthy.destroy();
  stalled.destroy();
});
slow.run();
