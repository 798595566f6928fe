// Mux frames, one per channel message: type (u8), stream id (u32 BE), then a type-specific body.
//   open   kind length (u8), kind (UTF-8), name (UTF-8)     data    bytes
//   close  —  (no more data from the sender)                  reset   reason (UTF-8)
//   credit bytes the receiver has room for again (u32 BE)     ping/pong  — (stream id 0)

export class MuxError extends Error {
  override readonly name = 'MuxError';
}

export type MuxFrame =
  | { readonly type: 'open'; readonly id: number; readonly kind: string; readonly name: string }
  | { readonly type: 'data'; readonly id: number; readonly data: Uint8Array }
  | { readonly type: 'close'; readonly id: number }
  | { readonly type: 'reset'; readonly id: number; readonly reason: string }
  | { readonly type: 'credit'; readonly id: number; readonly bytes: number }
  | { readonly type: 'ping' | 'pong'; readonly id: 0 };

const CODES = { open: 1, data: 2, close: 3, reset: 4, credit: 5, ping: 6, pong: 7 } as const;
const TYPES = Object.fromEntries(Object.entries(CODES).map(([type, code]) => [code, type])) as Record<number, MuxFrame['type']>;
const HEAD = 5;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeMuxFrame(frame: MuxFrame): Uint8Array {
  const body = encodeBody(frame);
  const out = new Uint8Array(HEAD + body.length);
  out[0] = CODES[frame.type];
  new DataView(out.buffer).setUint32(1, frame.id);
  out.set(body, HEAD);
  return out;
}

function encodeBody(frame: MuxFrame): Uint8Array {
  switch (frame.type) {
    case 'open': {
      const kind = encoder.encode(frame.kind);
      if (kind.length > 255) throw new RangeError('stream kind over 255 bytes');
      return Uint8Array.from([kind.length, ...kind, ...encoder.encode(frame.name)]);
    }
    case 'data':
      return frame.data;
    case 'reset':
      return encoder.encode(frame.reason);
    case 'credit': {
      const body = new Uint8Array(4);
      new DataView(body.buffer).setUint32(0, frame.bytes);
      return body;
    }
    default:
      return new Uint8Array(0);
  }
}

/** Throws MuxError on anything malformed: the peer is then not speaking this protocol. */
export function decodeMuxFrame(bytes: Uint8Array): MuxFrame {
  const type = TYPES[bytes[0] ?? 0];
  if (!type || bytes.length < HEAD) throw new MuxError('malformed mux frame');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const id = view.getUint32(1);
  const body = bytes.subarray(HEAD);
  try {
    return decodeBody(type, id, body, view);
  } catch (error) {
    throw error instanceof MuxError ? error : new MuxError(`malformed ${type} frame`);
  }
}

function decodeBody(type: MuxFrame['type'], id: number, body: Uint8Array, view: DataView): MuxFrame {
  switch (type) {
    case 'open': {
      const kindLength = body[0] ?? Infinity;
      if (1 + kindLength > body.length) throw new MuxError('malformed open frame');
      return { type, id, kind: decoder.decode(body.subarray(1, 1 + kindLength)), name: decoder.decode(body.subarray(1 + kindLength)) };
    }
    case 'data':
      return { type, id, data: body };
    case 'reset':
      return { type, id, reason: decoder.decode(body) };
    case 'credit':
      if (body.length !== 4) throw new MuxError('malformed credit frame');
      return { type, id, bytes: view.getUint32(HEAD) };
    case 'close':
      return { type, id };
    default:
      if (id !== 0) throw new MuxError(`${type} frame on a stream`);
      return { type, id };
  }
}
