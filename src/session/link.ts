// The join link: one URL that says where to connect and how to recognise the host.
//   lspair://HOST:PORT/SESSION_ID[?relay=1][&tls=1][&direct=HOST:PORT,…]#HOST_KEY.JOIN_SECRET
// The authority is the host's own listener, or a relay when `relay=1` (then `direct` lists the host's own
// addresses, tried first; they are plain ws://, as the channel inside is end-to-end encrypted anyway).
// `tls=1` makes the authority wss://. The fragment holds the host's session public key and the join secret (the Noise
// psk), base64url: a fragment is never sent to a server, so neither reaches the relay.

export interface JoinLink {
  /** ws:// or wss:// endpoints of the host's own listener, tried first. */
  readonly direct: readonly string[];
  /** The relay's ws:// or wss:// URL, tried after the direct endpoints; null without a relay. */
  readonly relay: string | null;
  readonly sessionId: string;
  /** The host's static public key for this session (32 bytes). */
  readonly hostKey: Uint8Array;
  /** The join secret (32 bytes). */
  readonly secret: Uint8Array;
}

export class LinkError extends Error {
  override name = 'LinkError';
}

const KEY = /^[A-Za-z0-9_-]{43}$/;
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function address(value: string): string {
  const m = ADDRESS.exec(value);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new LinkError(`not a HOST:PORT address: '${value}'`);
  return value;
}

function bytes32(value: string, what: string): Uint8Array {
  if (!KEY.test(value)) throw new LinkError(`the link's ${what} is not 32 bytes of base64url`);
  return new Uint8Array(Buffer.from(value, 'base64url'));
}

/** HOST:PORT of a ws:// or wss:// URL. */
function authority(url: string): { address: string; tls: boolean } {
  const u = new URL(url);
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new LinkError(`not a ws:// or wss:// URL: ${url}`);
  const port = u.port || (u.protocol === 'wss:' ? '443' : '80');
  return { address: address(`${u.hostname}:${port}`), tls: u.protocol === 'wss:' };
}

export function formatLink(link: JoinLink): string {
  const first = link.relay ?? link.direct[0];
  if (!first) throw new LinkError('a link needs a relay or a direct address');
  const { address: where, tls } = authority(first);
  const query = new URLSearchParams();
  if (link.relay) query.set('relay', '1');
  if (tls) query.set('tls', '1');
  const others = link.relay ? link.direct : link.direct.slice(1);
  if (others.some((d) => authority(d).tls)) throw new LinkError('direct addresses after the first are plain ws://');
  if (others.length > 0) query.set('direct', others.map((d) => authority(d).address).join(','));
  const q = query.toString().replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%5B/g, '[').replace(/%5D/g, ']');
  const key = Buffer.from(link.hostKey).toString('base64url');
  const secret = Buffer.from(link.secret).toString('base64url');
  return `lspair://${where}/${link.sessionId}${q ? `?${q}` : ''}#${key}.${secret}`;
}

/** Parse a link someone pasted: anything malformed is a LinkError that says what. */
export function parseLink(text: string): JoinLink {
  const m = /^lspair:\/\/([^/?#]+)\/([^/?#]+)(?:\?([^#]*))?#([^.]+)\.(.+)$/.exec(text.trim());
  if (!m) throw new LinkError('not an lspair link (expected lspair://HOST:PORT/SESSION?…#KEY.SECRET)');
  const [, where, sessionId, rawQuery, key, secret] = m as unknown as [string, string, string, string | undefined, string, string];
  if (!SESSION_ID.test(sessionId)) throw new LinkError('the link has an invalid session id');
  const query = new URLSearchParams(rawQuery ?? '');
  const scheme = query.get('tls') === '1' ? 'wss' : 'ws';
  const first = `${scheme}://${address(where)}`;
  const others = (query.get('direct') ?? '').split(',').filter(Boolean).map((d) => `ws://${address(d)}`);
  const relay = query.get('relay') === '1' ? first : null;
  return {
    direct: relay ? others : [first, ...others],
    relay,
    sessionId,
    hostKey: bytes32(key, 'host key'),
    secret: bytes32(secret, 'join secret'),
  };
}
