// A JSON-RPC connection over one byte stream (a mux stream), with a bound on what the peer may send, and the
// file service's errors.
import type { Duplex } from 'node:stream';
import {
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type Message,
  type MessageConnection,
  type RequestType,
  type RequestType0,
} from 'vscode-jsonrpc/node.js';
import { MessageLimit } from '../wire/message-limit.js';
import { FILE_ERRORS, type FileErrorCode } from './protocol.js';

/**
 * vscode-jsonrpc rethrows a failed request write from inside a promise nobody holds, an unhandled rejection
 * that ends the process: a write to a stream that closed meanwhile must fail quietly (the close ends the
 * connection and its requests, see Connection.request).
 */
class QuietWriter extends StreamMessageWriter {
  override async write(msg: Message): Promise<void> {
    try {
      await super.write(msg);
    } catch {
      // reported by the stream's close
    }
  }
}

export interface Connection {
  readonly rpc: MessageConnection;
  /** The answer; rejects with the peer's error, or when the connection closes or is disposed first. */
  request<R>(type: RequestType0<R, void>): Promise<R>;
  request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
}

/** A connection whose peer may send messages of at most `maxMessage` bytes; a larger one closes the stream. */
export function connect(stream: Duplex, maxMessage: number): Connection {
  const input = new MessageLimit(maxMessage);
  stream.pipe(input);
  input.on('error', (err: Error) => stream.destroy(err));
  stream.on('error', () => undefined); // the connection hears of it by its close; an unheard 'error' would crash
  stream.on('close', () => input.destroy());
  const rpc = createMessageConnection(new StreamMessageReader(input), new QuietWriter(stream));
  let closed = false;
  const gone = new Promise<never>((_, reject) => {
    const end = (): void => {
      closed = true;
      reject(new Error('the connection to the peer closed'));
    };
    rpc.onClose(end);
    rpc.onDispose(end);
  });
  gone.catch(() => undefined);
  const request = <P, R>(type: RequestType<P, R, void> | RequestType0<R, void>, params?: P): Promise<R> => {
    if (closed) return gone;
    return Promise.race([(rpc.sendRequest as (t: unknown, p?: unknown) => Promise<R>)(type, params), gone]);
  };
  return { rpc, request };
}

/** An error response with one of the service's codes. */
export function fileError(code: FileErrorCode, message: string): ResponseError<{ reason: FileErrorCode }> {
  return new ResponseError(FILE_ERRORS[code], message, { reason: code });
}

/** The service code of an error a request failed with, if it is one. */
export function fileErrorCode(err: unknown): FileErrorCode | undefined {
  if (!(err instanceof ResponseError)) return undefined;
  return (Object.keys(FILE_ERRORS) as FileErrorCode[]).find((k) => FILE_ERRORS[k] === err.code);
}

/** At most `max` requests in progress at once; more are refused as busy (a guest cannot queue up work). */
export class RequestGate {
  #inFlight = 0;

  constructor(private readonly max: number) {}

  async run<T>(work: () => Promise<T> | T): Promise<T> {
    if (this.#inFlight >= this.max) throw fileError('busy', `more than ${this.max} requests at once`);
    this.#inFlight++;
    try {
      return await work();
    } finally {
      this.#inFlight--;
    }
  }
}
