// The host's own listener against connections that never become guests (DESIGN §3, resource exhaustion): at most
// 32 handshakes run at once — a 33rd connection is closed at once while the others wait, and the slots come back
// when they go —, and an address gets 60 join attempts a minute, then HTTP 429.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { parseLink } from '../../src/session/link.js';
import { world } from './world.js';

const MAX_HANDSHAKES = 32;
const JOINS_PER_MINUTE = 60;

/** A join attempt that never starts its handshake: resolves once the listener paired it, or with why it could not. */
function stall(url: string): Promise<{ ws: WebSocket; closed: Promise<void> } | { refused: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const closed = new Promise<void>((done) => ws.once('close', () => done()));
    ws.once('message', () => resolve({ ws, closed })); // {"type":"paired"}
    ws.once('unexpected-response', (_req, res) => resolve({ refused: `HTTP ${res.statusCode}` }));
    ws.once('error', (err) => resolve({ refused: err.message }));
  });
}

const within = (ms: number, p: Promise<void>): Promise<boolean> => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

async function hostWithJoinUrl() {
  const w = world();
  const { host, link } = await w.hosting('--anonymous', 'accept');
  const parsed = parseLink(link);
  return { w, host, link, url: `${parsed.direct[0]}/v1/join/${parsed.sessionId}` };
}

test(`${MAX_HANDSHAKES} handshakes at once: one more connection is closed at once, and the slots come back`, async () => {
  const { w, host, link, url } = await hostWithJoinUrl();
  try {
    const held = await Promise.all(Array.from({ length: MAX_HANDSHAKES }, () => stall(url)));
    const stalled = held.flatMap((h) => ('ws' in h ? [h] : []));
    assert.is(stalled.length, MAX_HANDSHAKES, `refused: ${JSON.stringify(held.filter((h) => 'refused' in h))}`);
    const extra = await stall(url);
    assert.ok('ws' in extra, 'the listener paired the 33rd connection (the host drops it, not the listener)');
    assert.ok(await within(5000, extra.closed), 'the 33rd connection was not closed at once');
    // The host's handshake timeout is 10 s: the 32 are still held.
    assert.equal(stalled.filter((s) => s.ws.readyState === WebSocket.OPEN).length, MAX_HANDSHAKES);
    for (const s of stalled) s.ws.close();
    await Promise.all(stalled.map((s) => s.closed));
    const real = w.join(link, 'after');
    assert.ok((await real.next('joined', 30_000)).guestId, 'a guest could not join once the stalled connections went');
    real.kill();
    await real.exited;
  } finally {
    host.kill();
    await host.exited;
  }
});

test(`${JOINS_PER_MINUTE} join attempts a minute per address, then HTTP 429`, async () => {
  const { host, url } = await hostWithJoinUrl();
  try {
    for (let i = 0; i < JOINS_PER_MINUTE; i++) {
      const attempt = await stall(url);
      assert.ok('ws' in attempt, `attempt ${i + 1} was refused: ${'refused' in attempt ? attempt.refused : ''}`);
      attempt.ws.close();
    }
    const over = await stall(url);
    assert.equal('refused' in over ? over.refused : 'paired', 'HTTP 429');
  } finally {
    host.kill();
    await host.exited;
  }
});

test.run();
