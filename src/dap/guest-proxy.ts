// The guest's side of a shared debug session: a DAP client (through `lspair dap` in the mirror folder) talks to
// the host's hub over a mux stream. Paths are mapped mirror ↔ neutral with the command table's sites; a file a
// message names is fetched into the mirror before the client hears of it. The hub decides what the guest may do;
// this side never runs a reverse request (runInTerminal, startDebugging), whatever the host sends.
import type { Duplex, Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { logger } from '../log.js';
import { parseNeutral, UriError, type GuestUris, type MirrorAccess, type Neutral } from '../policy/index.js';
import { PEER_LIMITS } from '../wire/framed-peer.js';
import { PEER_RESET } from '../wire/mux.js';
import { eventEntry, requestEntry, type RequestEntry } from './commands.js';
import { Endpoint, errorResponse, type Event, type Request, type Response } from './endpoint.js';
import { collectPaths, mapSites, type PathMap } from './paths.js';
import type { Site } from './sites.js';

const log = logger('dap-guest');


interface Pending {
  readonly seq: number;
  readonly command: string;
  readonly entry: RequestEntry | undefined;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export class GuestDapProxy {
  readonly #client: Endpoint;
  readonly #host: Endpoint;
  /** The client's requests waiting on the host, by the seq the host knows them by. */
  readonly #pending = new Map<number, Pending>();
  /** The client's paths are file paths, or file URIs (its initialize's pathFormat). */
  #asUri = false;
  #joined = false;
  /** Why the host refused this client's stream (e.g. no such adapter): the answer to each of its requests. */
  #refusal: string | null = null;
  /** Host messages reach the client in order, though fetching a file for one of them takes time. */
  #fromHost: Promise<void> = Promise.resolve();

  constructor(
    input: Readable,
    output: Writable,
    host: Duplex,
    private readonly uris: GuestUris,
    private readonly mirror: MirrorAccess,
  ) {
    this.#client = new Endpoint(input, output, PEER_LIMITS.localTool);
    this.#host = new Endpoint(host, host, PEER_LIMITS.host);
    this.#client.on('request', (req: Request) => this.#clientRequest(req));
    this.#client.on('close', () => this.#host.close(null));
    this.#host.on('response', (r: Response) => this.#inOrder(() => this.#hostResponse(r)));
    this.#host.on('event', (e: Event) => this.#inOrder(() => this.#hostEvent(e)));
    this.#host.on('request', (req: Request) => this.#host.send(errorResponse(req, `lspair: '${req.command}' is never run on a guest`)));
    this.#host.on('close', (reason: string | null) => this.#inOrder(async () => this.#lost(reason)));
  }

  /** Mirror paths (or file URIs) the client names ↔ the neutral names the host knows. */
  readonly #toHost: PathMap = {
    path: (p) => {
      const uri = this.#asUri ? p : pathToFileURL(path.resolve(p)).href;
      const neutral = this.uris.toNeutral(uri);
      if (neutral === null) throw new UriError(`${p} is not a file of the shared folder`);
      return neutral;
    },
  };

  #toClient(failed: ReadonlySet<string>): PathMap {
    return {
      path: (neutral) => {
        const uri = failed.has(neutral) ? null : this.uris.fromNeutral(neutral);
        if (uri === null || this.#asUri) return uri;
        return uri.startsWith('file:') ? fileURLToPath(uri) : null;
      },
    };
  }

  // ---- client → host ----------------------------------------------------------------------------------------

  #clientRequest(req: Request): void {
    const entry = requestEntry(req.command);
    if (req.command === 'initialize' && isObject(req.arguments)) this.#asUri = req.arguments.pathFormat === 'uri';
    let args = req.arguments;
    try {
      if (entry) args = mapSites(entry.arguments, args, this.#toHost);
      if (req.command === 'cancel' && isObject(args)) args = this.#cancelArgs(args);
    } catch (err) {
      return void this.#client.send(errorResponse(req, `lspair: ${(err as Error).message}`));
    }
    if (this.#host.closed) return void this.#client.send(errorResponse(req, `lspair: ${this.#refusal ?? 'not connected to the host'}`));
    if (req.command === 'attach') this.#joined = true;
    const seq = this.#host.send({ type: 'request', command: req.command, ...(args === undefined ? {} : { arguments: args }) });
    this.#pending.set(seq, { seq: req.seq, command: req.command, entry });
  }

  /** `cancel` names the client's seq; the host knows the request by ours. */
  #cancelArgs(args: Record<string, unknown>): Record<string, unknown> {
    if (typeof args.requestId !== 'number') return args;
    const ours = [...this.#pending].find(([, p]) => p.seq === args.requestId)?.[0];
    return { ...args, requestId: ours ?? -1 };
  }

  // ---- host → client ----------------------------------------------------------------------------------------

  #inOrder(work: () => Promise<void>): void {
    this.#fromHost = this.#fromHost.then(work).catch((err: Error) => log.error({ err }, 'message from the host failed'));
  }

  async #hostResponse(r: Response): Promise<void> {
    const pending = this.#pending.get(r.request_seq);
    if (!pending) return;
    this.#pending.delete(r.request_seq);
    let body = r.body;
    try {
      if (r.success && pending.entry) body = await this.#toClientValue(pending.entry.body, r.body);
    } catch {
      return void this.#client.send(errorResponse(pending, 'lspair: the answer names files that could not be fetched from the host'));
    }
    this.#client.send({ type: 'response', request_seq: pending.seq, command: pending.command, success: r.success, ...(r.message === undefined ? {} : { message: r.message }), ...(body === undefined ? {} : { body }) });
  }

  async #hostEvent(e: Event): Promise<void> {
    const entry = eventEntry(e.event);
    if (!entry) return; // the hub sends guests only events of the table
    let body: unknown;
    try {
      body = await this.#toClientValue(entry.body, e.body);
    } catch {
      return log.debug({ event: e.event }, 'event about files that could not be fetched; dropped');
    }
    if (e.event === 'progressStart' && isObject(body) && typeof body.requestId === 'number') {
      const { requestId, ...rest } = body;
      const pending = this.#pending.get(requestId);
      body = pending ? { ...rest, requestId: pending.seq } : rest;
    }
    this.#client.send({ type: 'event', event: e.event, ...(body === undefined ? {} : { body }) });
  }

  /** Fetches every file a value names into the mirror, then maps it (what could not be fetched is hidden; a message that needs it throws). */
  async #toClientValue(sites: readonly Site[], value: unknown): Promise<unknown> {
    const failed = new Set<string>();
    await Promise.all(
      [...new Set(collectPaths(sites, value))].map(async (neutral) => {
        let parsed: Neutral;
        try {
          parsed = parseNeutral(neutral);
        } catch {
          return failed.add(neutral);
        }
        await this.mirror.materialise(parsed).catch((err: Error) => {
          log.info({ err: err.message }, 'could not fetch a file the host named');
          failed.add(neutral);
        });
      }),
    );
    return mapSites(sites, value, this.#toClient(failed));
  }

  /** The host stream is gone: the client's session is over. */
  #lost(reason: string | null): void {
    const refusal = reason?.startsWith(PEER_RESET) ? reason.slice(PEER_RESET.length) : null;
    // Refused before the client asked anything: kept open, so that its requests hear why (it ends the session itself).
    if (refusal !== null && this.#pending.size === 0 && !this.#joined) return void (this.#refusal = refusal);
    const why = refusal ?? `the connection to the host was lost${reason ? ` (${reason})` : ''}`;
    for (const pending of this.#pending.values()) this.#client.send(errorResponse(pending, `lspair: ${why}`));
    this.#pending.clear();
    if (this.#joined) this.#client.send({ type: 'event', event: 'terminated' });
    this.#client.close(null);
  }
}
