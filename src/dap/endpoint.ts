// One DAP peer over a pair of byte streams (a debug adapter's stdio, a client's socket, a guest's mux stream):
// framed and bounded by the base protocol of wire/, every message checked for the DAP shape. Each endpoint
// numbers what it sends in its own `seq` space, so every participant of a debug session has its own.
import { FramedPeer, type PeerLimits } from '../wire/framed-peer.js';
import { logger } from '../log.js';

const log = logger('dap-endpoint');

export interface Request {
  readonly seq: number;
  readonly type: 'request';
  readonly command: string;
  readonly arguments?: unknown;
}

export interface Response {
  readonly seq: number;
  readonly type: 'response';
  readonly request_seq: number;
  readonly success: boolean;
  readonly command: string;
  readonly message?: string;
  readonly body?: unknown;
}

export interface Event {
  readonly seq: number;
  readonly type: 'event';
  readonly event: string;
  readonly body?: unknown;
}

export type Message = Request | Response | Event;
/** What a sender gives: the endpoint numbers it. */
export type Outgoing = Omit<Request, 'seq'> | Omit<Response, 'seq'> | Omit<Event, 'seq'>;

export type EndpointOptions = PeerLimits;

const NAME = /^[A-Za-z0-9_./$-]{1,128}$/;

function isSeq(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * A parsed JSON value as a DAP message, rebuilt from its known fields only (an adapter's extra top-level
 * fields, such as lldb-vscode's `statistics`, never travel on), or the reason it is not one.
 */
export function classify(value: unknown): Message | { readonly invalid: string; readonly seq?: number; readonly command?: string } {
  if (!isObject(value)) return { invalid: 'not a DAP message object' };
  const { seq, type } = value;
  if (!isSeq(seq)) return { invalid: 'seq must be a non-negative integer' };
  const body = 'body' in value ? { body: value.body } : {};
  if (type === 'request') {
    if (typeof value.command !== 'string' || !NAME.test(value.command)) return { invalid: 'command must be a short name', seq };
    if ('arguments' in value && value.arguments !== undefined && !isObject(value.arguments)) return { invalid: 'arguments must be an object', seq, command: value.command };
    return { seq, type, command: value.command, ...('arguments' in value ? { arguments: value.arguments } : {}) };
  }
  if (type === 'response') {
    const { request_seq, success, command, message } = value;
    if (!isSeq(request_seq) || typeof success !== 'boolean' || typeof command !== 'string' || (message !== undefined && typeof message !== 'string')) {
      return { invalid: 'a response needs request_seq, success and command' };
    }
    return { seq, type, request_seq, success, command, ...(message === undefined ? {} : { message }), ...body };
  }
  if (type === 'event') {
    if (typeof value.event !== 'string' || !NAME.test(value.event)) return { invalid: 'event must be a short name' };
    return { seq, type, event: value.event, ...body };
  }
  return { invalid: 'type must be request, response or event' };
}

/** Whether `value` nests objects or arrays more than `max` deep; without recursion, as a hostile value may be very deep. */
export function nestedDeeper(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** A failed response to `req`; clients show `body.error.format` (braces in it would be read as variables). */
export function errorResponse(req: { readonly seq: number; readonly command: string }, message: string): Omit<Response, 'seq'> {
  const text = message.replace(/[{}]/g, '');
  return { type: 'response', request_seq: req.seq, command: req.command, success: false, message: text, body: { error: { id: 1, format: text, showUser: true } } };
}

/**
 * Events: 'request', 'response', 'event' (each with the message), 'close' (a reason string, or null when the
 * peer simply hung up). Never emits 'error'.
 */
export class Endpoint extends FramedPeer {
  #nextSeq = 1;

  /** Sends a message numbered in this peer's seq space; returns its seq. */
  send(message: Outgoing): number {
    const seq = this.#nextSeq++;
    this.write({ seq, ...message });
    return seq;
  }

  protected receive(value: unknown): void {
    const m = classify(value);
    if ('invalid' in m) {
      if (m.seq !== undefined && m.command !== undefined) this.send(errorResponse({ seq: m.seq, command: m.command }, `lspair: invalid request: ${m.invalid}`));
      else log.debug({ reason: m.invalid }, 'invalid DAP message ignored');
      return;
    }
    this.emit(m.type, m);
  }

  protected garbage(): void {
    log.debug('message body is not JSON; ignored');
  }
}
