// What the fuzzers found, each reduced to the one input that failed, so that it stays fixed: a relay or a host's
// listener crashed by an upgrade whose target is not a path, or by a client that resets the connection once its
// upgrade is refused; a guest's `exit` sent as a request, which reached the
// shared language server and stopped it; a guest's `workspace/executeCommand` sent as a notification, past the
// check that it runs only commands the server offered; a guest's DAP arguments nested too deep to encode again,
// which left it unanswered; a mux stream that granted credit for bytes nobody had read.
import { connect } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Relay } from '../../src/relay/server.js';
import { DirectListener } from '../../src/session/listener.js';
import { Mux, MuxError } from '../../src/wire/mux.js';
import { encodeMuxFrame } from '../../src/wire/mux-frames.js';
import { acceptGuest, joinRelay, registerHost } from '../../src/wire/relay-client.js';
import { requestPath } from '../../src/wire/relay-protocol.js';
import { ask, debugSession, join as joinDebug } from './dap.js';
import { guarded } from './harness.js';
import { Deep, framed, jsonBytes } from './hostile.js';
import { Channel } from './mux.js';
import { FAKE_SERVER, answer, frame, join as joinLsp, lspWorld } from './lsp.js';

/** The status line an upgrade request for `target` is answered with ('' if none comes within a second). */
function upgradeStatus(port: number, target: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(1000, () => socket.destroy()); // a server that threw in its upgrade handler never answers
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer.split('\r\n', 1)[0]!));
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  });
}

test('an upgrade whose target is not a path is refused, by the relay and by the listener, without a crash', async () => {
  await guarded(async (caught) => {
    const relay = await Relay.start();
    const direct = await DirectListener.start({ host: '127.0.0.1', port: 0, isSession: () => true, onStream: (s) => s.destroy() });
    // A protocol-relative target with a port out of range: `new URL` throws on it.
    const target = '//a:99999/';
    assert.match(await upgradeStatus(Number(new URL(relay.url).port), target), /^HTTP\/1\.1 400 /);
    assert.match(await upgradeStatus(Number(new URL(direct.url).port), target), /^HTTP\/1\.1 404 /);
    // ...and the relay still pairs.
    const [sid, secret] = ['a'.repeat(22), 'b'.repeat(43)];
    const control = await registerHost(relay.url, sid, secret, (conn) => void acceptGuest(relay.url, sid, conn, secret).then((s) => s.destroy(), () => undefined));
    const guest = await joinRelay(relay.url, sid);
    guest.destroy();
    control.close();
    await direct.close();
    await relay.close();
    assert.equal(caught, [], 'nothing uncaught');
  });
});

/** Sends an upgrade request for `target`, and resets the connection (TCP RST) as soon as an answer arrives. */
function upgradeThenReset(port: number, target: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.setTimeout(1000, () => (socket.destroy(), resolve()));
    socket.once('data', () => (socket.resetAndDestroy(), setTimeout(resolve, 100)));
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`);
  });
}

test('a client that resets the connection after its upgrade was refused crashes neither the relay nor the listener', async () => {
  await guarded(async (caught) => {
    const relay = await Relay.start();
    const direct = await DirectListener.start({ host: '127.0.0.1', port: 0, isSession: () => true, onStream: (s) => s.destroy() });
    // Past the upgrade event the HTTP server no longer listens for the socket's errors: the refusal must.
    await upgradeThenReset(Number(new URL(relay.url).port), '/nowhere');
    await upgradeThenReset(Number(new URL(direct.url).port), '/nowhere');
    await direct.close();
    await relay.close();
    assert.equal(caught.map(String), [], 'nothing uncaught');
  });
});

test('the path of a request target: origin form only', () => {
  assert.is(requestPath('/v1/join/abc?x#y'), '/v1/join/abc');
  for (const target of ['//a:99999/', '//[zz]/v1/join/x', 'http://a/v1/join/x', '*', '', 'v1/join/x', undefined]) assert.is(requestPath(target), null, String(target));
});

test("a guest's request named after a notification (exit) or a notification named after a request (executeCommand) is refused", async () => {
  const world = await lspWorld(FAKE_SERVER);
  const pid = world.hub.serverPid;
  const guest = await joinLsp(world, new Set(['lsp.commands']), 5000);
  const refusal = answer(guest, 7, 5000);
  guest.input.write(frame({ jsonrpc: '2.0', id: 7, method: 'exit' }));
  assert.match(JSON.stringify(await refusal), /'exit' is a notification, not a request/);
  const told = guest.next<{ method?: string; params?: { message?: string } }>((m) => m.method === 'window/showMessage', 5000);
  guest.input.write(frame({ jsonrpc: '2.0', method: 'workspace/executeCommand', params: { command: 'fake.run', arguments: [] } }));
  assert.match((await told)?.params?.message ?? 'not told', /'workspace\/executeCommand' is a request, not a notification/);
  assert.is(world.hub.serverPid, pid, 'the shared server still runs');
  world.host.dispose();
  await world.hub.close();
});

test("a guest's DAP arguments nested deeper than the hub encodes are refused, and the hub goes on", async () => {
  await guarded(async (caught) => {
    const session = await debugSession();
    const guest = await joinDebug(session, { permissions: ['debug.inspect'], inspect: false }, 5000);
    const refused = guest.next<{ request_seq?: number }>((m) => m.request_seq === 5, 5000);
    guest.input.write(framed(jsonBytes({ seq: 5, type: 'request', command: 'threads', arguments: new Deep(100_000, 'object') })));
    assert.match(JSON.stringify(await refused), /"success":false.*nested over 64 levels deep/);
    assert.ok((await ask(guest, 6, 'threads', {}, 5000))?.success, 'the guest is still answered');
    await session.hub.close();
    assert.equal(caught, [], 'nothing uncaught');
  });
});

test('a mux stream nobody reads grants no credit, so its peer cannot make it hold more than a window', async () => {
  const channel = new Channel();
  const mux = new Mux(channel, { initiator: false, window: 4096, keepaliveMs: 60_000 });
  const closed = new Promise<Error | undefined>((resolve) => mux.on('close', resolve));
  const stream = mux.open('unread');
  stream.on('error', () => undefined);
  channel.push(encodeMuxFrame({ type: 'data', id: stream.id, data: new Uint8Array(1024) }));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(channel.sent.filter((f) => f.type === 'credit'), [], 'no credit for bytes still in the buffer');
  channel.push(encodeMuxFrame({ type: 'data', id: stream.id, data: new Uint8Array(3073) }));
  const error = await closed;
  assert.instance(error, MuxError);
  assert.match(error!.message, /beyond the granted window/);
});

test.run();
