// A man in the middle on the wire: a relay that passes the host's registration and accepts through to a real
// relay, but answers guests itself with its own static key. It even knows the join secret (as if the link had
// leaked); what it cannot have is the host's private key. The guest must refuse it with a key mismatch, and
// before its third handshake message, so the impostor never learns who the guest is.
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { createSessionKey, Handshake, HandshakeError, type KeyPair } from '../../src/crypto/index.js';
import { encodeHello } from '../../src/session/hello.js';
import { formatLink, parseLink, type JoinLink } from '../../src/session/link.js';
import { encodeFrame, FrameDecoder } from '../../src/wire/frames.js';
import { RELAY_PATHS } from '../../src/wire/relay-protocol.js';
import type { Event } from '../helpers/process.js';
import { relayProcess, world } from './world.js';

interface Impostor {
  readonly url: string;
  /** What it learned: the link it stole, and what happened on each guest connection it answered. */
  stolen: JoinLink | null;
  readonly seen: { readFailed: boolean; messagesAfterReply: number }[];
  close(): void;
}

/** Replays the upgrade request to the real relay and splices the two sockets. */
function passThrough(upstream: URL, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const out = connect(Number(upstream.port), upstream.hostname, () => {
    const headers = req.rawHeaders.map((v, i) => (i % 2 ? `${v}\r\n` : `${v}: `)).join('');
    out.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers}\r\n`);
    out.write(head);
    socket.pipe(out).pipe(socket);
  });
  const end = (): void => void (socket.destroy(), out.destroy());
  out.on('error', end).on('close', end);
  socket.on('error', end).on('close', end);
}

/** Plays the host for a guest, holding `key` instead of the host's: reads message 1, answers a message 2. */
function impersonate(ws: WebSocket, sid: string, key: KeyPair, impostor: Impostor): void {
  const seen = { readFailed: false, messagesAfterReply: 0 };
  impostor.seen.push(seen);
  const { secret } = impostor.stolen!;
  const hello = encodeHello('host');
  const decoder = new FrameDecoder();
  let replied = false;
  ws.send(JSON.stringify({ type: 'paired' }));
  ws.on('message', (data: RawData) => {
    if (replied) return void seen.messagesAfterReply++;
    decoder.push(data as Buffer);
    const message1 = decoder.next({ min: 1, max: 65535 });
    if (!message1) return;
    try {
      Handshake.host({ sessionKey: key, psk: secret, sessionId: sid, hello }).receive(message1);
    } catch (err) {
      seen.readFailed = err instanceof HandshakeError && err.code === 'decrypt';
    }
    // It cannot read message 1 (its `es` needs the host's private key), so it forges a well-formed message 2
    // from a handshake with itself: a fresh ephemeral key and a hello, under a chain rooted in its own key.
    const self = Handshake.guest({ identity: createSessionKey(), hostPublicKey: key.publicKey, psk: secret, sessionId: sid, hello });
    const { reply } = Handshake.host({ sessionKey: key, psk: secret, sessionId: sid, hello }).receive(self.start()!);
    replied = true;
    ws.send(encodeFrame(reply!));
  });
}

async function impostorRelay(upstream: string): Promise<Impostor> {
  const key = createSessionKey();
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const join = RELAY_PATHS.join.exec(new URL(req.url ?? '/', 'http://relay').pathname);
    if (!join) return passThrough(new URL(upstream), req, socket, head);
    wss.handleUpgrade(req, socket, head, (ws) => impersonate(ws, join[1]!, key, impostor));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const impostor: Impostor = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stolen: null,
    seen: [],
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      server.close();
      server.closeAllConnections();
    },
  };
  return impostor;
}

test('a relay that answers guests with its own host key: the guest refuses with key-mismatch (exit 4) and never says who it is', async () => {
  const w = world();
  const { relay, url } = await relayProcess();
  const impostor = await impostorRelay(url);
  const { host, link } = await w.hosting('--relay', impostor.url, '--anonymous', 'accept');
  impostor.stolen = parseLink(link);
  assert.is(impostor.stolen.relay, impostor.url, 'the genuine link names the impostor relay');

  const victim = w.join(link, 'nina');
  const error = await victim.next('error');
  assert.is(error.code, 'key-mismatch');
  assert.match(String(error.message), /could not prove it holds the key in the link/);
  assert.is(await victim.exited, 4);
  assert.equal(impostor.seen, [{ readFailed: true, messagesAfterReply: 0 }]);
  assert.not.ok(victim.events.some((e: Event) => e.event === 'waiting'), 'no PIN was shown for the impostor');
  assert.not.ok(host.events.some((e: Event) => e.event.startsWith('guest-')), 'the real host never saw the guest');

  // The same link through the real relay works: the impostor was the only thing in the way.
  const honest = w.join(formatLink({ ...impostor.stolen, relay: url }), 'nina');
  assert.is((await honest.next('joined')).role, 'viewer');
  honest.kill();
  host.kill();
  await host.exited;
  impostor.close();
  relay.kill();
  await relay.exited;
});

test.run();
