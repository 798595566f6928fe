// The client side of the relay protocol (relay-protocol.ts): a host's control connection, and the byte streams
// of a joined or accepted guest. The streams carry the secure channel; the relay only ever sees its ciphertext.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { WebSocket, createWebSocketStream } from 'ws';
import { parseControl, type ControlMessage } from './relay-protocol.js';

/** A refusal by the relay, with its close code (CLOSE in relay-protocol.ts) and reason. */
export class RelayError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

/**
 * Options for every client WebSocket. Masking exists to keep a browser's script from steering the bytes an HTTP
 * intermediary sees; our payload is ciphertext a peer cannot choose, so the mask is zero and ws skips the XOR.
 */
export const WS_CLIENT_OPTIONS = { perMessageDeflate: false, generateMask: (mask: Buffer) => void mask.fill(0) } as const;

function endpoint(relay: string, path: string): string {
  return new URL(path, relay.endsWith('/') ? relay : `${relay}/`).toString();
}

/** Node's codes for a TLS certificate that did not verify (X.509 verification errors and a name mismatch). */
const UNTRUSTED_CERT = /CERT|SIGNATURE|ISSUER/;

/** Why a connection failed, with what to do about a certificate the relay's users do not trust yet. */
function unreachable(err: Error & { code?: string }): RelayError {
  if (err.code && UNTRUSTED_CERT.test(err.code)) {
    return new RelayError(`the relay's TLS certificate is not trusted (${err.message}); if the relay uses its own CA or a self-signed certificate, point NODE_EXTRA_CA_CERTS at it`, 0);
  }
  return new RelayError(`cannot reach the relay: ${err.message}`, 0);
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new RelayError(`relay refused: ${res.statusCode} ${res.statusMessage ?? ''}`.trim(), res.statusCode ?? 0)));
    ws.once('error', (err) => reject(unreachable(err)));
  });
}

/**
 * Wait for one control message of `type`, then run `next` at once, in the same event: the peer's first binary
 * frame may arrive in the same read, so whatever consumes the connection must be listening before it returns.
 * A close before the message becomes a RelayError with the relay's reason.
 */
function expect<T>(ws: WebSocket, type: ControlMessage['type'], next: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: unknown, binary: boolean): void => {
      const m = binary ? null : parseControl(data);
      cleanup();
      if (m?.type === type) resolve(next());
      else reject(new RelayError(`relay protocol error: expected ${type}`, 0));
    };
    const onClose = (code: number, reason: Buffer): void => {
      cleanup();
      reject(new RelayError(`connection closed: ${reason.toString() || code}`, code));
    };
    const cleanup = (): void => {
      ws.off('message', onMessage);
      ws.off('close', onClose);
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
  });
}

/** A host's registration: calls `onGuest` for each guest waiting; emits `close` (code, reason). */
export class RelayControl extends EventEmitter {
  constructor(
    private readonly ws: WebSocket,
    onGuest: (conn: string) => void,
  ) {
    super();
    ws.on('message', (data, binary) => {
      const m = binary ? null : parseControl(data);
      if (m?.type === 'guest') onGuest(m.conn);
    });
    ws.on('close', (code, reason) => this.emit('close', code, reason.toString()));
    ws.on('error', () => undefined); // surfaced through close
  }

  close(): void {
    this.ws.close(1000, 'host leaving');
  }
}

/** Register as the host of `sessionId`; guests already waiting are announced right away. */
export async function registerHost(relay: string, sessionId: string, token: string, onGuest: (conn: string) => void): Promise<RelayControl> {
  const ws = new WebSocket(endpoint(relay, `v1/host/${sessionId}`), WS_CLIENT_OPTIONS);
  await opened(ws);
  ws.send(JSON.stringify({ type: 'register', token }));
  return expect(ws, 'registered', () => new RelayControl(ws, onGuest));
}

async function paired(url: string, hello: ControlMessage | null): Promise<Duplex> {
  const ws = new WebSocket(url, WS_CLIENT_OPTIONS);
  // Listen first: a host's own listener sends "paired" at once, in the same read as the upgrade response.
  const stream = expect(ws, 'paired', () => createWebSocketStream(ws));
  stream.catch(() => undefined); // a failure to connect is reported by opened() below
  await opened(ws);
  if (hello) ws.send(JSON.stringify(hello));
  return stream;
}

/** A guest's byte stream to the host of `sessionId`, once the host has accepted it. */
export function joinRelay(relay: string, sessionId: string): Promise<Duplex> {
  return paired(endpoint(relay, `v1/join/${sessionId}`), null);
}

/** The host's byte stream to the guest waiting as `conn`. */
export function acceptGuest(relay: string, sessionId: string, conn: string, token: string): Promise<Duplex> {
  return paired(endpoint(relay, `v1/accept/${sessionId}/${conn}`), { type: 'accept', token });
}
