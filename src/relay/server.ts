// `lspair relay`: rendezvous by session id and forwarding of opaque frames between a host and each guest.
// It never parses, decrypts or stores payloads; it logs counts and sizes, never contents. Every resource a
// client can make it hold is bounded, and each bound is reported with a close code and reason.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { logger } from '../log.js';
import { RateLimiter } from '../wire/rate-limit.js';
import { CLOSE, MAX_MESSAGE, RELAY_PATHS, parseControl, refuseUpgrade, requestPath, type ControlMessage } from '../wire/relay-protocol.js';

export interface RelayLimits {
  /** Largest WebSocket message, bytes (a secure-channel frame plus its header fits). */
  maxMessage: number;
  maxSessions: number;
  maxGuestsPerSession: number;
  /** Join attempts per remote address per minute. */
  joinsPerMinute: number;
  /** Bytes queued towards one connection before its sender is paused. */
  maxBuffered: number;
  /** How long a paused sender may wait for a slow reader before both are disconnected. */
  slowReaderMs: number;
  /** How long a connection may take to register, accept, or be paired. */
  setupTimeoutMs: number;
  /** How long a session outlives its host's control connection (so the host can reconnect). */
  graceMs: number;
  pingIntervalMs: number;
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxMessage: MAX_MESSAGE,
  maxSessions: 1000,
  maxGuestsPerSession: 32,
  joinsPerMinute: 60,
  maxBuffered: 4 * 1024 * 1024,
  slowReaderMs: 30_000,
  setupTimeoutMs: 30_000,
  graceMs: 60_000,
  pingIntervalMs: 15_000,
};

export interface RelayOptions {
  readonly host?: string;
  readonly port?: number;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly limits?: Partial<RelayLimits>;
}

interface Session {
  readonly id: string;
  readonly token: Buffer;
  control: WebSocket | null;
  /** Guests waiting for the host to accept them, by connection id; `paired` ends their waiting. */
  readonly pending: Map<string, { readonly ws: WebSocket; readonly paired: () => void }>;
  paired: number;
  grace: NodeJS.Timeout | null;
}

const log = logger('relay');

function short(id: string): string {
  return `${id.slice(0, 6)}…`;
}

function send(ws: WebSocket, message: ControlMessage): void {
  ws.send(JSON.stringify(message));
}

function close(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
}

/** The first text message of a connection, or null if it does not come in time or is malformed. */
function firstMessage(ws: WebSocket, timeoutMs: number): Promise<ControlMessage | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(null), timeoutMs);
    const done = (m: ControlMessage | null): void => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      resolve(m);
    };
    const onMessage = (data: RawData, binary: boolean): void => done(binary ? null : parseControl(data));
    const onClose = (): void => done(null);
    ws.on('message', onMessage);
    ws.on('close', onClose);
  });
}

export class Relay {
  readonly url: string;
  private readonly sessions = new Map<string, Session>();
  private readonly joins: RateLimiter;
  private readonly alive = new WeakSet<WebSocket>();
  private readonly pinger: NodeJS.Timeout;
  /** The most bytes ever queued towards one connection: bounded by maxBuffered plus one message. */
  private peakQueued = 0;

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    private readonly limits: RelayLimits,
    secure: boolean,
  ) {
    const { address, port } = server.address() as AddressInfo;
    this.url = `${secure ? 'wss' : 'ws'}://${address.includes(':') ? `[${address}]` : address}:${port}`;
    this.pinger = setInterval(() => this.ping(), limits.pingIntervalMs).unref();
    this.joins = new RateLimiter(limits.joinsPerMinute);
  }

  static async start(options: RelayOptions = {}): Promise<Relay> {
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }) : createHttpServer();
    server.on('request', (_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('lspair relay: WebSocket only\n'));
    const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessage, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const relay = new Relay(server, wss, limits, Boolean(options.tls));
    server.on('upgrade', (req, socket, head) => relay.upgrade(req, socket, head));
    log.info({ url: relay.url }, 'relay listening');
    return relay;
  }

  /** Counts for tests and benchmarks (never contents). */
  stats(): { sessions: number; pending: number; paired: number; peakQueued: number } {
    let pending = 0;
    let paired = 0;
    for (const s of this.sessions.values()) {
      pending += s.pending.size;
      paired += s.paired;
    }
    return { sessions: this.sessions.size, pending, paired, peakQueued: this.peakQueued };
  }

  async close(): Promise<void> {
    clearInterval(this.pinger);
    for (const ws of this.wss.clients) ws.terminate();
    for (const s of this.sessions.values()) if (s.grace) clearTimeout(s.grace);
    this.sessions.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = requestPath(req.url);
    const address = req.socket.remoteAddress ?? '?';
    if (path === null) return this.refuse(socket, 400, 'the request target is not a path');
    const route = RELAY_PATHS.host.test(path) ? 'host' : RELAY_PATHS.join.test(path) ? 'join' : RELAY_PATHS.accept.test(path) ? 'accept' : null;
    if (!route) return this.refuse(socket, 404, 'unknown relay path');
    if (route === 'join' && !this.joins.admit(address)) return this.refuse(socket, 429, 'too many join attempts from this address; wait a minute');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.alive.add(ws);
      ws.on('pong', () => this.alive.add(ws));
      ws.on('error', (err) => log.debug({ err: err.message }, 'connection error'));
      if (route === 'host') void this.onHost(ws, RELAY_PATHS.host.exec(path)![1]!);
      else if (route === 'join') this.onJoin(ws, RELAY_PATHS.join.exec(path)![1]!, address);
      else {
        const [, sid, conn] = RELAY_PATHS.accept.exec(path)!;
        void this.onAccept(ws, sid!, conn!);
      }
    });
  }

  private refuse(socket: Duplex, status: number, message: string): void {
    log.info({ status }, message);
    refuseUpgrade(socket, status, message);
  }

  private async onHost(ws: WebSocket, sid: string): Promise<void> {
    const hello = await firstMessage(ws, this.limits.setupTimeoutMs);
    if (hello?.type !== 'register') return close(ws, CLOSE.badRequest, 'expected a register message');
    const token = Buffer.from(hello.token, 'base64url');
    let session = this.sessions.get(sid);
    const resumed = session !== undefined;
    if (session && !timingSafeEqual(session.token, token)) return close(ws, CLOSE.badToken, 'this session id belongs to another host');
    if (!session) {
      if (this.sessions.size >= this.limits.maxSessions) return close(ws, CLOSE.tooMany, 'relay is at its session limit');
      session = { id: sid, token, control: null, pending: new Map(), paired: 0, grace: null };
      this.sessions.set(sid, session);
    }
    const s = session;
    if (s.grace) clearTimeout(s.grace);
    s.grace = null;
    if (s.control) close(s.control, CLOSE.replaced, 'the host registered again');
    s.control = ws;
    send(ws, { type: 'registered' });
    for (const conn of s.pending.keys()) send(ws, { type: 'guest', conn });
    log.info({ session: short(sid), resumed }, 'host registered');
    ws.on('message', () => close(ws, CLOSE.badRequest, 'nothing is expected on the control connection'));
    ws.on('close', () => {
      if (s.control !== ws) return;
      s.control = null;
      s.grace = setTimeout(() => this.expire(s), this.limits.graceMs).unref();
    });
  }

  private expire(s: Session): void {
    for (const guest of s.pending.values()) close(guest.ws, CLOSE.noSession, 'the host is gone');
    this.sessions.delete(s.id);
    log.info({ session: short(s.id) }, 'session expired');
  }

  private onJoin(ws: WebSocket, sid: string, address: string): void {
    const s = this.sessions.get(sid);
    if (!s) return close(ws, CLOSE.noSession, 'no such session (the host is not connected to this relay)');
    if (s.pending.size + s.paired >= this.limits.maxGuestsPerSession) return close(ws, CLOSE.tooMany, 'the session is full');
    const conn = randomBytes(16).toString('base64url');
    const timer = setTimeout(() => close(ws, CLOSE.timeout, 'the host did not accept in time'), this.limits.setupTimeoutMs);
    const early = (): void => close(ws, CLOSE.badRequest, 'wait for "paired" before sending');
    ws.on('message', early);
    ws.once('close', () => {
      clearTimeout(timer);
      s.pending.delete(conn);
    });
    s.pending.set(conn, {
      ws,
      paired: () => {
        clearTimeout(timer);
        ws.off('message', early);
      },
    });
    if (s.control) send(s.control, { type: 'guest', conn });
    log.info({ session: short(sid), address }, 'guest waiting');
  }

  private async onAccept(ws: WebSocket, sid: string, conn: string): Promise<void> {
    const hello = await firstMessage(ws, this.limits.setupTimeoutMs);
    const s = this.sessions.get(sid);
    if (hello?.type !== 'accept') return close(ws, CLOSE.badRequest, 'expected an accept message');
    if (!s || !timingSafeEqual(s.token, Buffer.from(hello.token, 'base64url'))) return close(ws, CLOSE.badToken, 'not the host of this session');
    const guest = s.pending.get(conn);
    if (!guest || guest.ws.readyState !== WebSocket.OPEN) return close(ws, CLOSE.noSession, 'no such guest (gone or already accepted)');
    s.pending.delete(conn);
    guest.paired();
    this.pair(s, guest.ws, ws);
  }

  private pair(s: Session, guest: WebSocket, host: WebSocket): void {
    s.paired++;
    const counts = { up: 0, down: 0 };
    this.forward(guest, host, (n) => (counts.up += n));
    this.forward(host, guest, (n) => (counts.down += n));
    let ended = false;
    const end = (from: WebSocket, to: WebSocket) => (code: number): void => {
      if (ended) return;
      ended = true;
      s.paired--;
      close(to, code >= 4000 ? code : CLOSE.peerGone, from === guest ? 'the guest left' : 'the host left');
      log.info({ session: short(s.id), bytesUp: counts.up, bytesDown: counts.down }, 'pair closed');
    };
    guest.on('close', end(guest, host));
    host.on('close', end(host, guest));
    send(guest, { type: 'paired' });
    send(host, { type: 'paired' });
    log.info({ session: short(s.id) }, 'guest paired with host');
  }

  /** Binary messages from `from` go to `to`; past maxBuffered queued bytes `from` is paused until `to` drains. */
  private forward(from: WebSocket, to: WebSocket, count: (bytes: number) => void): void {
    let queued = 0;
    let stalled: NodeJS.Timeout | null = null;
    const drained = (bytes: number) => (): void => {
      queued -= bytes;
      if (stalled && queued <= this.limits.maxBuffered / 2) {
        clearTimeout(stalled);
        stalled = null;
        from.resume();
      }
    };
    from.on('message', (data: RawData, binary: boolean) => {
      if (!binary) return close(from, CLOSE.badRequest, 'only binary frames after pairing');
      const chunk = data as Buffer;
      count(chunk.length);
      queued += chunk.length;
      this.peakQueued = Math.max(this.peakQueued, queued);
      to.send(chunk, { binary: true }, drained(chunk.length));
      if (queued > this.limits.maxBuffered && !stalled) {
        from.pause();
        stalled = setTimeout(() => {
          log.info({ queued }, 'slow reader disconnected');
          close(from, CLOSE.slowReader, 'the other side is too slow to read');
          to.terminate(); // it is not reading, so it would never read a close frame either
        }, this.limits.slowReaderMs);
      }
    });
    from.on('close', () => {
      if (stalled) clearTimeout(stalled);
    });
  }

  private ping(): void {
    for (const ws of this.wss.clients) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }
}
