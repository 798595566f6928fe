// The relay under load, in a process of its own on loopback: 50 sessions of 3 guests echo messages through it
// round after round, beside one real encrypted session, while one more guest never reads. The stalled guest is
// cut off by the per-connection buffer limit (its host hears 4503); every other guest gets every byte back; the
// relay's memory stays bounded and its file descriptors return to where they were once everyone has left.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import type { RelayLimits } from '../../src/relay/server.js';
import { acceptGuest, joinRelay, registerHost, WS_CLIENT_OPTIONS, type RelayControl } from '../../src/wire/relay-client.js';
import { CLOSE } from '../../src/wire/relay-protocol.js';
import type { Event } from '../helpers/process.js';
import { world } from '../session/world.js';
import { read } from './streams.js';

const SESSIONS = 50;
const GUESTS = 3;
const ROUNDS = 8;
const MESSAGES = 16; // per guest and round, each echoed by its host
const SIZE = 4096;
const MAX_BUFFERED = 1 << 20;
const LIMITS: Partial<RelayLimits> = { maxBuffered: MAX_BUFFERED, slowReaderMs: 1500, joinsPerMinute: 10_000, graceMs: 100 };
const FLOOD_CHUNK = 64 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (at most ~10 s, polling) until `done` holds; returns whether it did. */
async function eventually(done: () => boolean | Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if (await done()) return true;
    await sleep(20);
  }
  return false;
}

interface Stats {
  readonly sessions: number;
  readonly pending: number;
  readonly paired: number;
  readonly peakQueued: number;
  readonly live?: number;
}

class RelayUnderTest {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly lines: AsyncIterator<string>,
  ) {}

  static async start(limits: Partial<RelayLimits>): Promise<RelayUnderTest> {
    const cwd = fileURLToPath(new URL('../../', import.meta.url));
    const script = fileURLToPath(new URL('./relay-process.ts', import.meta.url));
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, JSON.stringify(limits)], { cwd, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, LSPAIR_LOG: 'warn' } });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const { url } = JSON.parse(String((await lines.next()).value)) as { url: string };
    return new RelayUnderTest(url, child, lines);
  }

  /** Resident memory, KiB. */
  rss(): number {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))![1]);
  }

  fds(): number {
    return readdirSync(`/proc/${this.child.pid}/fd`).length;
  }

  /** The relay's counts; with `gc`, its live memory after full collections too. */
  async stats(gc = false): Promise<Stats> {
    this.child.stdin!.write(gc ? 'gc\n' : '\n');
    return JSON.parse(String((await this.lines.next()).value)) as Stats;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  async stop(): Promise<number> {
    this.child.stdin!.end();
    const [code] = (await once(this.child, 'exit')) as [number];
    return code;
  }
}

interface EchoHost {
  readonly sid: string;
  readonly token: string;
  control: RelayControl;
  /** When set, takes the next waiting guest instead of the echo. */
  divert: ((conn: string) => void) | null;
}

/** A host registered on the relay that echoes whatever each of its guests sends. */
async function echoHost(url: string): Promise<EchoHost> {
  const host = { sid: randomBytes(16).toString('base64url'), token: randomBytes(32).toString('base64url'), divert: null } as EchoHost;
  host.control = await registerHost(url, host.sid, host.token, (conn) => {
    if (host.divert) return host.divert(conn);
    acceptGuest(url, host.sid, conn, host.token).then((stream) => {
      stream.on('error', () => undefined);
      stream.on('data', (chunk: Buffer) => stream.write(chunk));
    }, () => undefined);
  });
  return host;
}

/** The host's side of one guest as a raw WebSocket, so that the test sees the code the relay closes it with. */
function acceptRaw(url: string, host: EchoHost, conn: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url}/v1/accept/${host.sid}/${conn}`, WS_CLIENT_OPTIONS);
  ws.once('open', () => ws.send(JSON.stringify({ type: 'accept', token: host.token })));
  return new Promise((resolve) => ws.once('message', () => resolve(ws)));
}

/** Sends to `ws` (at most 256 MiB, waiting whenever 4 MiB are pending) until it closes; resolves with the code. */
async function flood(ws: WebSocket): Promise<number> {
  const closed = once(ws, 'close').then(([code]) => code as number);
  let open = true;
  void closed.then(() => (open = false));
  const chunk = randomBytes(FLOOD_CHUNK);
  for (let i = 0; open && i < 4096; i++) {
    ws.send(chunk);
    if (ws.bufferedAmount > 4 * 1024 * 1024 && !(await eventually(() => !open || ws.bufferedAmount <= 4 * 1024 * 1024))) break;
  }
  const timer = setTimeout(() => ws.terminate(), 10_000); // a relay that never cuts it off fails the test, below
  const code = await closed;
  clearTimeout(timer);
  return code;
}

/** Every guest sends MESSAGES messages and must get exactly those bytes back, in order. */
async function round(guests: Duplex[]): Promise<void> {
  await Promise.all(
    guests.map(async (guest) => {
      const sent = randomBytes(MESSAGES * SIZE);
      const back = read(guest, sent.length);
      for (let i = 0; i < MESSAGES; i++) guest.write(sent.subarray(i * SIZE, (i + 1) * SIZE));
      const got = await back;
      assert.ok(got.equals(sent), `a guest got ${got.length} bytes back for ${sent.length} sent, or other bytes`);
    }),
  );
}

test('50 sessions × 3 guests and a real session through one relay; a stalled guest is cut off alone; memory and fds bounded', async () => {
  const undo: (() => void)[] = []; // so that a failure does not leave processes and sockets behind
  try {
    const relay = await RelayUnderTest.start(LIMITS);
    undo.push(() => relay.kill());
    const baseline = { rss: relay.rss(), fds: relay.fds(), live: (await relay.stats(true)).live! };

    // One real session (handshake, encrypted channel, control messages) shares the relay with the load.
    const w = world();
    const { host: lspairHost, link } = await w.hosting('--relay', relay.url, '--anonymous', 'accept');
    undo.push(() => lspairHost.kill('SIGKILL'));
    const ada = w.join(link, 'ada');
    undo.push(() => ada.kill('SIGKILL'));
    const { pin } = await ada.next('waiting');
    await ada.next('joined');
    const seen = (await lspairHost.next('guest-joined')) as Event & { guest: { id: string } };
    assert.is(seen.pin, pin);

    const hosts = await Promise.all(Array.from({ length: SESSIONS }, () => echoHost(relay.url)));
    const guests = (await Promise.all(hosts.map((h) => Promise.all(Array.from({ length: GUESTS }, () => joinRelay(relay.url, h.sid)))))).flat();
    undo.push(() => guests.forEach((g) => g.destroy()));
    assert.is(guests.length, SESSIONS * GUESTS);
    const paired = { rss: relay.rss(), live: (await relay.stats(true)).live! };

    // One more guest in the first session never reads; its host keeps sending to it.
    const first = hosts[0]!;
    const diverted = new Promise<WebSocket>((resolve) => {
      first.divert = (conn) => {
        first.divert = null;
        void acceptRaw(relay.url, first, conn).then(resolve);
      };
    });
    const stalled = await joinRelay(relay.url, first.sid); // no 'data' listener: it reads nothing
    undo.push(() => stalled.destroy());
    const cutOff = flood(await diverted);
    assert.ok(await eventually(async () => (await relay.stats()).peakQueued > MAX_BUFFERED), 'the relay never had to hold bytes for the stalled guest');

    for (let r = 0; r < ROUNDS; r++) await round(guests);
    const loaded = relay.rss();
    assert.is(await cutOff, CLOSE.slowReader);
    let dropped = false; // the relay cut the stalled guest's connection too: once it reads again, it hits the end
    stalled.on('error', () => (dropped = true)).on('end', () => (dropped = true)).resume();
    assert.ok(await eventually(() => dropped), 'the stalled guest is still connected');
    await round(guests); // and everyone else still, after the cut

    const stats = await relay.stats(true);
    assert.ok(stats.peakQueued <= MAX_BUFFERED + FLOOD_CHUNK, `the relay queued ${stats.peakQueued} bytes for one connection`);
    assert.is(stats.paired, SESSIONS * GUESTS + 1, 'every pair but the stalled one is still there');
    // What the relay holds after a collection is about what it held before the traffic; its resident size grows
    // as the heap reaches its working size, so that bound is generous, yet below what went through.
    const forwarded = ROUNDS * SESSIONS * GUESTS * MESSAGES * SIZE * 2;
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
    assert.ok(stats.live! - paired.live < 8 * 2 ** 20, `the relay's live memory grew by ${mib(stats.live! - paired.live)} MiB`);
    assert.ok((loaded - paired.rss) * 1024 < (forwarded * 2) / 3, `relay RSS grew by ${loaded - paired.rss} KiB while it forwarded ${forwarded >> 20} MiB`);

    // The real session went through all of it: no reconnection, and a role change still reaches the guest.
    assert.is(w.guests('role', seen.guest.id, 'editor').code, 0);
    assert.is((await ada.next('permissions')).role, 'editor');
    assert.not.ok(ada.events.some((e) => e.event === 'reconnecting'));

    for (const guest of [...guests, stalled]) guest.destroy();
    for (const host of hosts) host.control.close();
    ada.kill();
    lspairHost.kill();
    await Promise.all([ada.exited, lspairHost.exited]);
    const empty = async (): Promise<boolean> => {
      const now = await relay.stats();
      return now.sessions + now.pending + now.paired === 0;
    };
    assert.ok(await eventually(empty), `the relay still holds ${JSON.stringify(await relay.stats())}`);
    assert.ok(await eventually(() => relay.fds() === baseline.fds), `the relay has ${relay.fds()} file descriptors open, ${baseline.fds} before`);
    const perSession = (rss: number, live: number): string => `${(rss / SESSIONS).toFixed(0)} KiB RSS, ${(live / SESSIONS / 1024).toFixed(1)} KiB live per session`;
    console.log(`  relay RSS: ${baseline.rss} KiB at start, ${paired.rss} KiB with ${SESSIONS}×${GUESTS} guests paired, ${loaded} KiB after ${forwarded >> 20} MiB forwarded`);
    console.log(`  relay live memory after collections: ${mib(baseline.live)} MiB at start, ${mib(paired.live)} MiB paired, ${mib(stats.live!)} MiB after the load`);
    console.log(`  ${perSession(paired.rss - baseline.rss, paired.live - baseline.live)} (${GUESTS} guests each); peak queue for one connection ${stats.peakQueued} B`);
    assert.is(await relay.stop(), 0);
  } finally {
    for (const step of undo) step();
  }
});

test.run();
