// The relay's rendezvous protocol (shared by the relay server and its clients). The relay pairs one guest
// WebSocket with one host WebSocket and then forwards binary messages verbatim: it never sees a key or a byte
// of plaintext. Before pairing, a few JSON text messages set things up:
//   host control  /v1/host/<sid>          → {"type":"register","token"}   ← {"type":"registered"}, {"type":"guest","conn"}
//   guest         /v1/join/<sid>          ← {"type":"paired"}             then binary both ways
//   host per guest /v1/accept/<sid>/<conn> → {"type":"accept","token"}     ← {"type":"paired"}, then binary both ways
// `token` is a host-held random secret (never the join secret): the first registration of a session id owns
// it, and only the same token can register it again (a reconnecting host resumes; nobody else takes it over).

export const RELAY_PATHS = {
  host: /^\/v1\/host\/([A-Za-z0-9_-]{16,64})$/,
  join: /^\/v1\/join\/([A-Za-z0-9_-]{16,64})$/,
  accept: /^\/v1\/accept\/([A-Za-z0-9_-]{16,64})\/([A-Za-z0-9_-]{16,64})$/,
} as const;

/** WebSocket close codes the relay uses (4000–4999 are for applications). */
export const CLOSE = {
  badRequest: 4400,
  badToken: 4401,
  noSession: 4404,
  timeout: 4408,
  replaced: 4409,
  peerGone: 4410,
  tooMany: 4429,
  slowReader: 4503,
} as const;

/** The largest WebSocket message a relay or a host's listener takes: a 16 MiB channel frame and its overhead. */
export const MAX_MESSAGE = 17 * 1024 * 1024;

/**
 * The path of an upgrade request's target in origin form (`/v1/…`), or null for anything else: a request line may
 * hold any text, and one that is not a path (`//host:99999/`, `/\x:1/`) must be refused, not parsed as a URL.
 */
export function requestPath(target: string | undefined): string | null {
  try {
    const url = new URL(target ?? '', 'http://relay.invalid');
    return target?.startsWith('/') && url.host === 'relay.invalid' ? url.pathname : null;
  } catch {
    return null;
  }
}

/**
 * Turns down a WebSocket upgrade with an HTTP status, before any WebSocket exists. Past its upgrade event the HTTP
 * server no longer listens for the socket's errors, so a client that resets the connection would crash the process.
 */
export function refuseUpgrade(socket: { end(data: string): unknown; on(event: 'error', listener: () => void): unknown }, status: number, reason: string): void {
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

export type ControlMessage =
  | { type: 'register'; token: string }
  | { type: 'registered' }
  | { type: 'guest'; conn: string }
  | { type: 'accept'; token: string }
  | { type: 'paired' };

export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Parse one control message; null for anything malformed (callers close with badRequest). */
export function parseControl(data: unknown): ControlMessage | null {
  try {
    const value = JSON.parse(String(data)) as Record<string, unknown>;
    switch (value.type) {
      case 'register':
      case 'accept':
        return typeof value.token === 'string' && TOKEN_PATTERN.test(value.token) ? { type: value.type, token: value.token } : null;
      case 'guest':
        return typeof value.conn === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(value.conn) ? { type: 'guest', conn: value.conn } : null;
      case 'registered':
      case 'paired':
        return { type: value.type };
      default:
        return null;
    }
  } catch {
    return null;
  }
}
