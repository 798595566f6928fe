// Channel benchmark: throughput of the full stack (mux + secretstream channel + WebSocket over loopback, to a
// host in its own process, as in real use) as a ratio to raw libsodium secretstream push+pull in one thread,
// measured in the same run; and the time of a whole handshake over a WebSocket.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import sodium from 'libsodium-wrappers';
import { WebSocket, WebSocketServer, createWebSocketStream } from 'ws';
import { Handshake } from '../src/crypto/index.js';
import { generateKeyPair } from '../src/crypto/primitives.js';
import { Mux } from '../src/wire/mux.js';
import { WS_CLIENT_OPTIONS } from '../src/wire/relay-client.js';
import { SecureChannel } from '../src/wire/secure-channel.js';

const TOTAL = Number(process.env.BENCH_CHANNEL_BYTES ?? 64 * 1024 * 1024);
const SIZES = (process.env.BENCH_CHANNEL_SIZES ?? '1024,16384,65536').split(',').map(Number);

function raw(size: number): number {
  const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
  const { state: push, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  const pull = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
  const message = new Uint8Array(randomBytes(size));
  const count = Math.ceil(TOTAL / size);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const sealed = sodium.crypto_secretstream_xchacha20poly1305_push(push, message, null, sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    if (!sodium.crypto_secretstream_xchacha20poly1305_pull(pull, sealed, null)) throw new Error('pull failed');
  }
  return (count * size) / ((performance.now() - start) / 1000);
}

/** A host and a guest SecureChannel joined by a WebSocket on loopback. */
async function pair(): Promise<{ host: SecureChannel; guest: SecureChannel; handshakeMs: number; close(): Promise<void> }> {
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sessionKey = generateKeyPair();
  const identity = generateKeyPair();
  const psk = new Uint8Array(randomBytes(32));
  const sessionId = randomBytes(16).toString('base64url');
  const hello = new Uint8Array(0);
  const start = performance.now();
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, WS_CLIENT_OPTIONS);
  const [hostWs] = await accepted;
  const host = new SecureChannel(createWebSocketStream(hostWs), Handshake.host({ sessionKey, psk, sessionId, hello }));
  await once(ws, 'open');
  const guest = new SecureChannel(createWebSocketStream(ws), Handshake.guest({ identity, hostPublicKey: sessionKey.publicKey, psk, sessionId, hello }));
  await Promise.all([host.ready, guest.ready]);
  const handshakeMs = performance.now() - start;
  return {
    host,
    guest,
    handshakeMs,
    close: async () => {
      host.destroy();
      guest.destroy();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The guest side of a channel to a host in another process (channel-peer.ts), as in real use. */
async function remoteHost(): Promise<{ mux: Mux; stop(): Promise<void> }> {
  const psk = new Uint8Array(randomBytes(32));
  const sessionId = randomBytes(16).toString('base64url');
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./channel-peer.ts', import.meta.url))], {
    env: { ...process.env, BENCH_PSK: Buffer.from(psk).toString('base64url'), BENCH_SESSION: sessionId },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { port, publicKey } = JSON.parse(line) as { port: number; publicKey: string };
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, WS_CLIENT_OPTIONS);
  await once(ws, 'open');
  const hostPublicKey = new Uint8Array(Buffer.from(publicKey, 'base64url'));
  const channel = new SecureChannel(createWebSocketStream(ws), Handshake.guest({ identity: generateKeyPair(), hostPublicKey, psk, sessionId, hello: new Uint8Array(0) }));
  await channel.ready;
  const mux = new Mux(channel, { initiator: true });
  return {
    mux,
    stop: async () => {
      mux.destroy();
      await once(child, 'exit');
    },
  };
}

/** Bytes per second from the first write of `size`-byte messages to the host's "ok" for all of them. */
async function full(mux: Mux, size: number): Promise<number> {
  const count = Math.ceil(TOTAL / size);
  const stream = mux.open('bench', String(count * size));
  const message = new Uint8Array(randomBytes(size));
  const start = performance.now();
  const answered = once(stream, 'data');
  for (let i = 0; i < count; i++) if (!stream.write(message)) await once(stream, 'drain');
  await answered;
  stream.end();
  return (count * size) / ((performance.now() - start) / 1000);
}

function mbps(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(0)} MB/s`;
}

export async function runChannelBench(): Promise<string[]> {
  await sodium.ready;
  const out = [`channel: guest → host in another process (mux + secretstream + WebSocket on loopback) vs raw secretstream push+pull in one thread, ${TOTAL >> 20} MiB per size:`];
  const host = await remoteHost();
  for (const size of SIZES) {
    const r = Math.max(raw(size), raw(size), raw(size));
    const f = Math.max(await full(host.mux, size), await full(host.mux, size), await full(host.mux, size));
    out.push(`  ${String(size >> 10).padStart(2)} KiB messages: full stack ${mbps(f)}, raw ${mbps(r)}, ratio ${(f / r * 100).toFixed(0)} %`);
  }
  await host.stop();
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const link = await pair();
    times.push(link.handshakeMs);
    await link.close();
  }
  times.sort((a, b) => a - b);
  out.push(`  handshake incl. WebSocket connect, median of 20: ${times[10]!.toFixed(1)} ms (min ${times[0]!.toFixed(1)} ms)`);
  return out;
}
