// Relay benchmark: round-trip latency and message rate through a relay vs a direct WebSocket to the same echo
// host, in the same run; and the relay's memory per idle session (its resident size, from /proc, while 900
// hosts are registered). Payloads are opaque bytes: the end-to-end crypto is the same on both paths.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { acceptGuest, joinRelay, registerHost, type RelayControl } from '../src/wire/relay-client.js';

const ROUND_TRIPS = 2000;
const STREAMED = 20_000;
const SIZE = 1024;
const IDLE_SESSIONS = 900; // under the relay's default limit of 1 000 sessions

function echo(stream: Duplex): void {
  stream.on('data', (chunk: Buffer) => stream.write(chunk));
}

/** Median round trip (µs) of one message at a time, and messages per second with many in flight. */
async function measure(stream: Duplex): Promise<{ rttUs: number; perSecond: number }> {
  const message = randomBytes(SIZE);
  const times: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const start = process.hrtime.bigint();
    let got = 0;
    stream.write(message);
    while (got < SIZE) got += ((await once(stream, 'data')) as [Buffer])[0].length;
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  const start = performance.now();
  let received = 0;
  const done = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received >= STREAMED * SIZE) {
        stream.off('data', onData);
        resolve();
      }
    };
    stream.on('data', onData);
  });
  for (let i = 0; i < STREAMED; i++) if (!stream.write(message)) await once(stream, 'drain');
  await done;
  return { rttUs: times[times.length >> 1]!, perSecond: STREAMED / ((performance.now() - start) / 1000) };
}

async function direct(): Promise<{ rttUs: number; perSecond: number }> {
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sid = randomBytes(16).toString('base64url');
  // Like the host's own listener: "paired" at once, then bytes (echoed here).
  wss.on('connection', (ws) => {
    ws.send(JSON.stringify({ type: 'paired' }));
    echo(createWebSocketStream(ws));
  });
  const stream = await joinRelay(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, sid);
  const result = await measure(stream);
  stream.destroy();
  for (const ws of wss.clients) ws.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return result;
}

async function startRelay(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const bin = fileURLToPath(new URL('../bin/lspair.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'relay', '--listen', '127.0.0.1:0', '--json'], { env: { ...process.env, LSPAIR_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return {
    url: (JSON.parse(line) as { url: string }).url,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

async function relayed(url: string): Promise<{ rttUs: number; perSecond: number }> {
  const sid = randomBytes(16).toString('base64url');
  const token = randomBytes(32).toString('base64url');
  const control = await registerHost(url, sid, token, (conn) => void acceptGuest(url, sid, conn, token).then(echo));
  const stream = await joinRelay(url, sid);
  const result = await measure(stream);
  stream.destroy();
  control.close();
  return result;
}

async function idleCost(relay: { url: string; pid: number }): Promise<number> {
  const before = rssKiB(relay.pid);
  const controls: RelayControl[] = [];
  for (let i = 0; i < IDLE_SESSIONS; i++) {
    controls.push(await registerHost(relay.url, randomBytes(16).toString('base64url'), randomBytes(32).toString('base64url'), () => undefined));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = rssKiB(relay.pid);
  for (const c of controls) c.close();
  return ((after - before) * 1024) / IDLE_SESSIONS;
}

async function withRelay<T>(use: (relay: { url: string; pid: number }) => Promise<T>): Promise<T> {
  const relay = await startRelay();
  try {
    return await use(relay);
  } finally {
    await relay.stop();
  }
}

export async function runRelayBench(): Promise<string[]> {
  const d = await direct();
  const r = await withRelay((relay) => relayed(relay.url));
  // A fresh relay for the memory figure: after the traffic above, its heap has room to spare and RSS would not move.
  const perSession = await withRelay(idleCost);
  return [
    `relay (lspair relay in its own process) vs direct WebSocket, ${SIZE} B messages to an echo host:`,
    `  round trip (median of ${ROUND_TRIPS}): direct ${d.rttUs.toFixed(0)} µs, relayed ${r.rttUs.toFixed(0)} µs, added ${(r.rttUs - d.rttUs).toFixed(0)} µs`,
    `  echoed messages/s (${STREAMED} in flight): direct ${Math.round(d.perSecond)}, relayed ${Math.round(r.perSecond)}, ratio ${((r.perSecond / d.perSecond) * 100).toFixed(0)} %`,
    `  memory per idle session (relay RSS with ${IDLE_SESSIONS} hosts registered): ${(perSession / 1024).toFixed(1)} KiB`,
  ];
}
