// The receiving end of the channel benchmark, in its own process as a real host would be: a WebSocket
// listener, the host side of the handshake, a mux; each stream named with a byte count is read to that count
// and answered with "ok". Prints {"port","publicKey"} once listening.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { Handshake } from '../src/crypto/index.js';
import { generateKeyPair } from '../src/crypto/primitives.js';
import { Mux, type MuxStream } from '../src/wire/mux.js';
import { SecureChannel } from '../src/wire/secure-channel.js';

const sessionKey = generateKeyPair();
const psk = new Uint8Array(Buffer.from(process.env.BENCH_PSK!, 'base64url'));
const sessionId = process.env.BENCH_SESSION!;
const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (ws) => {
  const channel = new SecureChannel(createWebSocketStream(ws), Handshake.host({ sessionKey, psk, sessionId, hello: new Uint8Array(0) }));
  const mux = new Mux(channel, { initiator: false });
  mux.on('stream', (stream: MuxStream) => {
    const expected = Number(stream.name);
    let received = 0;
    stream.on('error', () => undefined); // the guest may reset it once answered
    stream.on('data', (chunk: Uint8Array) => {
      received += chunk.length;
      if (received === expected) stream.end(new TextEncoder().encode('ok'));
    });
  });
  mux.on('close', () => process.exit(0));
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port, publicKey: Buffer.from(sessionKey.publicKey).toString('base64url') }));
});
