// One JSON-RPC peer over a pair of byte streams (a language server's stdio, an editor's socket, a guest's mux
// stream): framed, bounded, validated. Every message that arrives is classified as a request, a notification or
// a response; anything else is answered with the JSON-RPC error it deserves, and a framing fault or a peer too
// slow to read what we send ends the endpoint with a reason.
import { ErrorCodes, type NotificationMessage, type RequestMessage, type ResponseMessage } from 'vscode-jsonrpc';
import { FramedPeer, type PeerLimits } from '../wire/framed-peer.js';

export type Id = number | string;
export type Request = RequestMessage & { id: Id; params?: unknown };
export type Notification = NotificationMessage & { params?: unknown };
export type Response = ResponseMessage;
export type Message = Request | Notification | Response;

export type EndpointOptions = PeerLimits;

export function errorResponse(id: Id | null, code: number, message: string): Response {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

function isId(x: unknown): x is Id {
  return (typeof x === 'number' && Number.isSafeInteger(x)) || (typeof x === 'string' && x.length <= 256);
}

type Classified = { kind: 'request'; message: Request } | { kind: 'notification'; message: Notification } | { kind: 'response'; message: Response } | { kind: 'invalid'; id: Id | null; reason: string };

/** What a parsed JSON value is, by the JSON-RPC 2.0 rules. */
export function classify(value: unknown): Classified {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'invalid', id: null, reason: 'not a JSON-RPC object (batches are not part of LSP)' };
  const m = value as Record<string, unknown>;
  const id = 'id' in m ? m.id : undefined;
  if (m.jsonrpc !== '2.0') return { kind: 'invalid', id: isId(id) ? id : null, reason: 'jsonrpc must be "2.0"' };
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method.length > 256) return { kind: 'invalid', id: isId(id) ? id : null, reason: 'method must be a short string' };
    if ('params' in m && (typeof m.params !== 'object' || m.params === null)) return { kind: 'invalid', id: isId(id) ? id : null, reason: 'params must be an object or an array' };
    if (id === undefined) return { kind: 'notification', message: m as unknown as Notification };
    if (!isId(id)) return { kind: 'invalid', id: null, reason: 'id must be an integer or a short string' };
    return { kind: 'request', message: m as unknown as Request };
  }
  if (id !== null && !isId(id)) return { kind: 'invalid', id: null, reason: 'response id must be an integer or a short string' };
  const hasResult = 'result' in m;
  const error = m.error as { code?: unknown; message?: unknown } | undefined;
  const errorOk = typeof error === 'object' && error !== null && Number.isInteger(error.code) && typeof error.message === 'string';
  if (hasResult === ('error' in m) || ('error' in m && !errorOk)) return { kind: 'invalid', id: null, reason: 'a response has either a result or a well-formed error' };
  return { kind: 'response', message: m as unknown as Response };
}

/**
 * Events: 'request', 'notification', 'response' (each with the message), 'close' (a reason string, or null
 * when the peer simply hung up). Never emits 'error'.
 */
export class Endpoint extends FramedPeer {
  send(message: Message): void {
    this.write(message);
  }

  protected receive(value: unknown): void {
    const c = classify(value);
    if (c.kind === 'invalid') {
      // A notification that is invalid has no id to answer; JSON-RPC answers with a null id.
      return this.send(errorResponse(c.id, ErrorCodes.InvalidRequest, c.reason));
    }
    this.emit(c.kind, c.message);
  }

  protected garbage(): void {
    this.send(errorResponse(null, ErrorCodes.ParseError, 'message body is not JSON'));
  }
}
