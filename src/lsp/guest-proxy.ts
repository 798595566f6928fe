// The guest's side of a shared language server: an editor (through `lspair lsp NAME` in the mirror folder) talks
// to the host's hub over a mux stream. URIs are mapped mirror ↔ neutral with the method table; a file an answer
// points at is fetched into the mirror before the answer reaches the editor (hidden files, lazy mirrors); and a
// new host stream after a reconnect is brought up to date (initialize, open documents) without the editor noticing.
import type { Duplex, Readable, Writable } from 'node:stream';
import { ErrorCodes } from 'vscode-jsonrpc';
import { LSPErrorCodes } from 'vscode-languageserver-protocol';
import { logger } from '../log.js';
import { Endpoint, errorResponse, type Id, type Notification, type Request, type Response } from './endpoint.js';
import { lookup, type MethodEntry } from './methods.js';
import type { Shape } from './shape.js';
import { Refused, collectUris, mapUris } from './walk.js';
import { applyChanges, isTextChange } from './text.js';
import { parseNeutral, type GuestUris, type Neutral, type UriMap } from '../policy/index.js';

const log = logger('lsp-guest');

/** The mirror as the proxy needs it: a file the host named must exist locally before the editor hears of it. */
export interface MirrorAccess {
  materialise(neutral: Neutral): Promise<void>;
}

const EDITOR_LIMITS = { maxMessage: 64 * 1024 * 1024, maxQueued: 256 * 1024 * 1024 };
const HOST_LIMITS = { maxMessage: 256 * 1024 * 1024, maxQueued: 64 * 1024 * 1024 };

interface OpenDocument {
  readonly languageId: unknown;
  version: unknown;
  text: string;
  /** Changed by the editor since it opened it: a reconnect must send the text again (the hub may have lost it). */
  edited: boolean;
}

export class GuestProxy {
  readonly #editor: Endpoint;
  #host: Endpoint | null = null;
  /** The editor's requests waiting on the host, by id: the table entry says how to map the answer. */
  readonly #pending = new Map<Id, MethodEntry | undefined>();
  readonly #partials = new Map<string, MethodEntry>();
  readonly #docs = new Map<string, OpenDocument>();
  #initialize: Request | null = null;
  #initialized = false;
  /** Host messages reach the editor in order, though fetching a file for one of them takes time. */
  #fromHost: Promise<void> = Promise.resolve();

  constructor(
    input: Readable,
    output: Writable,
    private readonly uris: GuestUris,
    private readonly mirror: MirrorAccess,
    readonly name: string,
  ) {
    this.#editor = new Endpoint(input, output, EDITOR_LIMITS);
    this.#editor.on('request', (req: Request) => this.#editorRequest(req));
    this.#editor.on('notification', (n: Notification) => this.#editorNotification(n));
    this.#editor.on('response', (r: Response) => this.#host?.send(r));
    this.#editor.on('close', () => this.#host?.close(null));
  }

  get closed(): boolean {
    return this.#editor.closed;
  }

  /** Speaks to the hub over `stream`; a replacement (after a reconnect) is brought up to date first. */
  attach(stream: Duplex): void {
    const host = new Endpoint(stream, stream, HOST_LIMITS);
    const previous = this.#host;
    this.#host = host;
    previous?.close(null);
    host.on('response', (r: Response) => this.#inOrder(() => this.#hostResponse(r)));
    host.on('request', (req: Request) => this.#inOrder(() => this.#hostMessage(req, req.method, req.params)));
    host.on('notification', (n: Notification) => this.#inOrder(() => this.#hostMessage(n, n.method, n.params)));
    host.on('close', (reason: string | null) => this.#lost(host, reason));
    if (this.#initialize) this.#catchUp(host);
  }

  close(): void {
    this.#editor.close(null);
  }

  // ---- editor → host ----------------------------------------------------------------------------------------

  #editorRequest(req: Request): void {
    const entry = lookup(req.method);
    let params: unknown;
    try {
      params = mapUris(entry?.params ?? null, req.params, this.uris.toHostSide, 'strict');
    } catch (err) {
      const what = err instanceof Refused ? `${err.uri} is not a file of the shared folder` : `invalid params: ${(err as Error).message}`;
      return this.#editor.send(errorResponse(req.id, err instanceof Refused ? LSPErrorCodes.RequestFailed : ErrorCodes.InvalidParams, `lspair: ${what}`));
    }
    if (req.method === 'initialize') this.#initialize = { ...req, params: params as object };
    if (!this.#host || this.#host.closed) return this.#editor.send(errorResponse(req.id, LSPErrorCodes.RequestFailed, 'lspair: not connected to the host (reconnecting)'));
    this.#pending.set(req.id, entry);
    const token = (params as { partialResultToken?: unknown } | undefined)?.partialResultToken;
    if (entry && (typeof token === 'string' || typeof token === 'number')) this.#partials.set(String(token), entry);
    this.#host.send({ ...req, params: params as object });
  }

  #editorNotification(n: Notification): void {
    let params: unknown;
    try {
      params = mapUris(lookup(n.method)?.params ?? null, n.params, this.uris.toHostSide, 'strict');
    } catch (err) {
      return log.debug({ method: n.method, err: (err as Error).message }, 'notification about a file outside the share; not sent');
    }
    this.#track(n.method, params);
    this.#host?.send({ ...n, params: params as object });
  }

  /** Remembers what a reconnect must replay: the editor's initialized state and open documents (by host-side URI). */
  #track(method: string, params: unknown): void {
    if (method === 'initialized') this.#initialized = true;
    const doc = (params as { textDocument?: { uri?: string; languageId?: unknown; version?: unknown; text?: unknown } } | undefined)?.textDocument;
    if (!doc?.uri) return;
    if (method === 'textDocument/didOpen') this.#docs.set(doc.uri, { languageId: doc.languageId, version: doc.version, text: typeof doc.text === 'string' ? doc.text : '', edited: false });
    else if (method === 'textDocument/didClose') this.#docs.delete(doc.uri);
    else if (method === 'textDocument/didChange') {
      const open = this.#docs.get(doc.uri);
      const changes = (params as { contentChanges?: unknown }).contentChanges;
      if (!open || !Array.isArray(changes) || !changes.every(isTextChange)) return;
      open.version = doc.version;
      open.text = applyChanges(open.text, changes);
      open.edited = true;
    }
  }

  // ---- host → editor ----------------------------------------------------------------------------------------

  #inOrder(work: () => Promise<void>): void {
    this.#fromHost = this.#fromHost.then(work).catch((err: Error) => log.error({ err }, 'message from the host failed'));
  }

  async #hostResponse(r: Response): Promise<void> {
    if (r.id === null || !this.#pending.has(r.id)) return; // the catch-up's own initialize, or nothing we sent
    const entry = this.#pending.get(r.id);
    this.#pending.delete(r.id);
    if (r.error || !entry) return this.#editor.send(r);
    try {
      this.#editor.send({ ...r, result: (await this.#toEditor(entry.result, r.result)) as object });
    } catch {
      this.#editor.send(errorResponse(r.id, LSPErrorCodes.RequestFailed, 'lspair: the answer names files that could not be fetched'));
    }
  }

  async #hostMessage(message: Request | Notification, method: string, params: unknown): Promise<void> {
    if (method === '$/progress') {
      const partial = this.#partials.get(String((params as { token?: unknown } | undefined)?.token));
      if (!partial) return this.#editor.send(message); // work-done progress: text only
      const p = params as { token: unknown; value: unknown };
      const value = await this.#toEditor(partial.partialResult ?? partial.result, p.value).catch(() => null);
      if (value !== null) this.#editor.send({ ...message, params: { token: p.token, value } });
      return;
    }
    try {
      this.#editor.send({ ...message, params: (await this.#toEditor(lookup(method)?.params ?? null, params)) as object });
    } catch {
      log.debug({ method }, 'message about files that could not be fetched; dropped');
    }
  }

  /** Fetches every shared or external file a value names, then maps it to mirror URIs (dropping what failed). */
  async #toEditor(shape: Shape | null, value: unknown): Promise<unknown> {
    const failed = new Set<string>();
    const wanted = [...new Set(collectUris(shape, value))];
    await Promise.all(
      wanted.map(async (uri) => {
        let neutral: Neutral;
        try {
          neutral = parseNeutral(uri);
        } catch {
          return; // not a file (a web link): passed through or dropped by the map
        }
        await this.mirror.materialise(neutral).catch((err: Error) => {
          log.info({ err: err.message }, 'could not fetch a file the host named');
          failed.add(uri);
        });
      }),
    );
    const map: UriMap = failed.size === 0 ? this.uris.fromHostSide : { ...this.uris.fromHostSide, uri: (u) => (failed.has(u) ? null : this.uris.fromHostSide.uri(u)) };
    return mapUris(shape, value, map, 'filter');
  }

  // ---- reconnects -------------------------------------------------------------------------------------------

  #lost(host: Endpoint, reason: string | null): void {
    if (host !== this.#host) return;
    for (const id of this.#pending.keys()) this.#editor.send(errorResponse(id, LSPErrorCodes.RequestFailed, `lspair: the connection to the host was lost${reason ? ` (${reason})` : ''}`));
    this.#pending.clear();
    this.#partials.clear();
  }

  /** A new host stream: initialize it as the editor once did, and open again what the editor has open. */
  #catchUp(host: Endpoint): void {
    host.send({ ...this.#initialize!, id: 'lspair-reconnect' });
    if (this.#initialized) host.send({ jsonrpc: '2.0', method: 'initialized', params: {} });
    for (const [uri, doc] of this.#docs) {
      host.send({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: doc.languageId, version: doc.version, text: doc.text } } });
      if (doc.edited) host.send({ jsonrpc: '2.0', method: 'textDocument/didChange', params: { textDocument: { uri, version: doc.version }, contentChanges: [{ text: doc.text }] } });
    }
    log.info({ server: this.name, documents: this.#docs.size }, 'reconnected: editor state replayed to the host');
  }
}
