// The DAP hub's edges with a scripted adapter (fixtures/dap/fake-adapter.mjs): reverse requests go to the
// owner only, every participant has its own seq space, breakpoint ids stay the ones each was told, cancel
// reaches only one's own requests, adapters' extra fields and custom events never reach a guest, and the
// session's end reaches everyone.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DapHub, HOST, type DapPermission } from '../../src/dap/index.js';
import type { Event, Message, Request, Response } from '../../src/dap/endpoint.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { listen, RawClient, share } from './helpers.js';

const FAKE = fileURLToPath(new URL('../../fixtures/dap/fake-adapter.mjs', import.meta.url));
const GUEST = { kind: 'guest' as const, id: 'g1', has: (p: DapPermission) => p !== 'debug.repl' };

async function session() {
  const dir = share('py');
  const hub = new DapHub({ name: 'fake', command: { command: process.execPath, args: [FAKE, path.join(dir, 'app.py')] }, uris: new HostUris(new Policy(dir), true) });
  const hosts = await listen((conn) => hub.connect(conn, conn, HOST));
  const guests = await listen((conn) => hub.connect(conn, conn, GUEST));
  const host = await RawClient.over(hosts.path);
  assert.ok((await host.request('initialize', { adapterID: 'fake' })).success);
  const join = async (): Promise<RawClient> => {
    const guest = await RawClient.over(guests.path);
    assert.ok((await guest.request('initialize', { adapterID: 'fake' })).success);
    assert.ok((await guest.request('attach', {})).success);
    await guest.event('initialized');
    return guest;
  };
  const guest = await join();
  return {
    dir,
    hub,
    host,
    guest,
    join,
    async done() {
      host.close();
      guest.close();
      await hub.close();
      hosts.server.close();
      guests.server.close();
    },
  };
}

test("reverse requests go to the owner's client only, and its answer back to the adapter", async () => {
  const s = await session();
  const launched = s.host.request('launch', {});
  const asked = await s.host.next<Request>((m) => m.type === 'request', 'runInTerminal');
  assert.equal([asked.command, asked.arguments], ['runInTerminal', { kind: 'integrated', cwd: '/', args: ['echo', 'hi'] }]);
  s.host.endpoint.send({ type: 'response', request_seq: asked.seq, command: 'runInTerminal', success: true, body: { processId: 42 } });
  assert.ok((await launched).success);
  for (const c of [s.host, s.guest]) assert.match(JSON.stringify((await c.event('output')).body), /runInTerminal answered \{\\"processId\\":42\}/);
  assert.not.ok(s.guest.received.some((m) => m.type === 'request'), 'the guest was never asked');
  await s.done();
});

test('every participant has its own seq space; extra fields and custom events never reach a guest', async () => {
  const s = await session();
  await s.host.request('threads');
  await s.guest.request('threads');
  await s.host.request('stop');
  await s.guest.event('stopped');
  await s.host.event('fakeCustom');
  const seqs = (c: RawClient): number[] => c.received.map((m: Message) => m.seq);
  for (const c of [s.host, s.guest]) assert.equal(seqs(c), seqs(c).map((_, i) => i + 1), 'numbered 1, 2, 3… for each');
  assert.not.ok([...s.host.received, ...s.guest.received].some((m) => 'statistics' in m), "the adapter's extra top-level field is dropped");
  assert.not.ok(s.guest.received.some((m) => m.type === 'event' && m.event === 'fakeCustom'), 'custom events are the host’s');
  await s.done();
});

test('breakpoints: each gets its own answers, the adapter gets the union, and ids stay the ones each was told', async () => {
  const s = await session();
  const app = path.join(s.dir, 'app.py');
  const mine = async (c: RawClient, p: string, lines: number[]) => ((await c.request('setBreakpoints', { source: { path: p }, breakpoints: lines.map((line) => ({ line })) })).body as { breakpoints: { id: number; line: number; source: { path: string } }[] }).breakpoints;
  const hostBps = await mine(s.host, app, [1]);
  assert.equal(hostBps.map((b) => [b.id, b.line]), [[100, 1]]);
  const guestBps = await mine(s.guest, 'lspair:/app.py', [1, 2]);
  assert.equal(guestBps.map((b) => [b.id, b.line, b.source.path]), [[101, 1, 'lspair:/app.py'], [102, 2, 'lspair:/app.py']], 'the union [1, 2] renumbered; the guest hears only its own');
  await s.host.request('stop');
  const hits = async (c: RawClient) => ((await c.event('stopped')).body as { hitBreakpointIds: number[] }).hitBreakpointIds;
  assert.equal(await hits(s.host), [100, 102], 'the host still knows its breakpoint as 100');
  assert.equal(await hits(s.guest), [101, 102]);
  // The guest leaves: the adapter is sent the host's set alone (before the disconnect is answered), and the host's id stays.
  await s.guest.request('disconnect', {});
  await s.host.request('stop');
  const stops = (m: Message): boolean => m.type === 'event' && m.event === 'stopped';
  const again = await s.host.next<Event>((m) => stops(m) && s.host.received.filter(stops).indexOf(m) === 1, 'a second stopped event');
  assert.equal(again.body, { reason: 'breakpoint', threadId: 1, allThreadsStopped: true, hitBreakpointIds: [100] });
  await s.done();
});

test('cancel reaches only its own requests; progress names the request in the asker’s own seq', async () => {
  const s = await session();
  const slowSeq = s.host.send('slow');
  const progress = await s.host.event('progressStart');
  assert.is((progress.body as { requestId: number }).requestId, slowSeq);
  assert.not.ok('requestId' in ((await s.guest.event('progressStart')).body as object), "the guest never learns the host's requests");
  assert.ok((await s.guest.request('cancel', { requestId: slowSeq })).success, 'nothing of its own to cancel: done');
  await s.host.request('threads');
  assert.not.ok(s.host.received.some((m) => m.type === 'response' && m.request_seq === slowSeq), "the guest's cancel did not reach the host's request");
  assert.ok((await s.host.request('cancel', { requestId: slowSeq })).success);
  const cancelled = await s.host.next<Response>((m) => m.type === 'response' && m.request_seq === slowSeq, 'slow');
  assert.equal([cancelled.success, cancelled.message], [false, 'cancelled']);
  await s.done();
});

test("a guest's terminate only detaches it; the owner's leaving ends the session for everyone", async () => {
  const s = await session();
  const other = await s.join();
  assert.ok((await s.guest.request('terminate', {})).success);
  await s.guest.event('terminated');
  assert.ok((await s.host.request('threads')).success, 'the session goes on');
  assert.match(String((await s.guest.request('threads')).message), /you left the debug session/);
  assert.ok((await s.guest.request('disconnect', {})).success, 'its disconnect is answered');
  const ended = once(s.hub, 'ended');
  s.host.close();
  await other.event('terminated');
  await ended;
  assert.match(String((await other.request('threads')).message), /the debug session ended/);
  assert.is(other.received.filter((m) => m.type === 'event' && m.event === 'terminated').length, 1, 'told once');
  other.close();
  await s.done();
});

test.run();
