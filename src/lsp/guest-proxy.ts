// The guest's side of a shared language server: an editor (through `lspair lsp NAME` in the mirror folder) talks
// to the host's hub over a mux stream. URIs are mapped mirror ↔ neutral with the method table; a file an answer
// points at is fetched into the mirror before the answer reaches the editor (hidden files, lazy mirrors); each
// open document has the editor's EditorView here, so the editor's edits reach the hub as sequenced ops and
// everyone else's reach the editor as applyEdit; and a new host stream after a reconnect is brought up to date
// (initialize, open documents) without the editor noticing.
import type { Duplex, Readable, Writable } from 'node:stream';
import { ErrorCodes } from 'vscode-jsonrpc';
import { LSPErrorCodes } from 'vscode-languageserver-protocol';
import { logger } from '../log.js';
import { peerAudit } from '../log-throttle.js';
import { Endpoint, errorResponse, type Id, type Notification, type Request, type Response } from './endpoint.js';
import { lookup, type MethodEntry } from './methods.js';
import type { Shape } from './shape.js';
import { Refused, collectUris, mapUris } from './walk.js';
import { COEDIT } from './coediting.js';
import { deliveryVersion, EditorView } from './editor-view.js';
import type { TextOp } from './ot.js';
import { isTextChange } from './text.js';
import { parseNeutral, type GuestUris, type MirrorAccess, type Neutral, type UriMap } from '../policy/index.js';
import { PEER_LIMITS } from '../wire/framed-peer.js';
import { PEER_RESET } from '../wire/mux.js';

const log = logger('lsp-guest');


/**
 * Whether the hub may send a guest's editor this request: the table's server requests for every editor (refresh,
 * progress) or answered by the hub (registrations). The others act on the machine they reach or speak for the host
 * (applyEdit, showDocument — an external browser —, showMessageRequest), and an honest hub sends them to the host's
 * editor only; from a host they are an attack on this guest (DESIGN §3), as is a request the table does not know.
 */
function reachesGuests(method: string): boolean {
  const entry = lookup(method);
  return entry !== undefined && entry.from !== 'client' && entry.route !== 'host';
}

function refuseForGuest(host: Endpoint, req: Request): void {
  peerAudit.info(log, 'host', { audit: 'host-request-refused' }, { method: req.method }, "a request from the host that is never run on a guest's editor");
  host.send(errorResponse(req.id, ErrorCodes.MethodNotFound, `lspair: '${req.method}' is never run on a guest's editor`));
}

/** An editor's request waiting on the host: how to map its answer, and its partial-result token (its own). */
interface Pending {
  readonly entry: MethodEntry | undefined;
  readonly partial: string | null;
}

interface OpenDocument {
  readonly languageId: unknown;
  /** The mirror URI the editor uses. */
  readonly local: string;
  view: EditorView;
}

export class GuestProxy {
  readonly #editor: Endpoint;
  #host: Endpoint | null = null;
  /** The editor's requests waiting on the host, by id. */
  readonly #pending = new Map<Id, Pending>();
  /** Partial-result tokens of the requests waiting, and how to map the partial results the host sends for them. */
  readonly #partials = new Map<string, MethodEntry>();
  /** Open documents by neutral URI. */
  readonly #docs = new Map<string, OpenDocument>();
  /** Requests this proxy sends the editor itself (applyEdit), by id; the hub's requests pass through. */
  readonly #own = new Map<Id, (r: Response) => void>();
  #nextOwn = 1;
  #initialize: Request | null = null;
  #initialized = false;
  #clientName = '';
  /** Why the host ended this editor's stream while the session went on (e.g. no such server): said to each request. */
  #refusal: string | null = null;
  /** Host messages reach the editor in order, though fetching a file for one of them takes time. */
  #fromHost: Promise<void> = Promise.resolve();

  constructor(
    input: Readable,
    output: Writable,
    private readonly uris: GuestUris,
    private readonly mirror: MirrorAccess,
    readonly name: string,
  ) {
    this.#editor = new Endpoint(input, output, PEER_LIMITS.localTool);
    this.#editor.on('request', (req: Request) => this.#editorRequest(req));
    this.#editor.on('notification', (n: Notification) => this.#editorNotification(n));
    this.#editor.on('response', (r: Response) => {
      const own = r.id === null ? undefined : this.#own.get(r.id);
      if (!own) return this.#host?.send(r);
      this.#own.delete(r.id!);
      own(r);
    });
    this.#editor.on('close', () => this.#host?.close(null));
  }

  get closed(): boolean {
    return this.#editor.closed;
  }

  /** Speaks to the hub over `stream`; a replacement (after a reconnect) is brought up to date first. */
  attach(stream: Duplex): void {
    const host = new Endpoint(stream, stream, PEER_LIMITS.host);
    const previous = this.#host;
    this.#host = host;
    this.#refusal = null;
    previous?.close(null);
    host.on('response', (r: Response) => this.#inOrder(() => this.#hostResponse(r)));
    host.on('request', (req: Request) => (reachesGuests(req.method) ? this.#inOrder(() => this.#hostMessage(req, req.method, req.params)) : refuseForGuest(host, req)));
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
    if (req.method === 'initialize') {
      this.#initialize = { ...req, params: params as object };
      const info = (params as { clientInfo?: { name?: unknown } } | undefined)?.clientInfo;
      this.#clientName = typeof info?.name === 'string' ? info.name : '';
    }
    if (!this.#host || this.#host.closed) return this.#editor.send(errorResponse(req.id, LSPErrorCodes.RequestFailed, `lspair: ${this.#refusal ?? 'not connected to the host (reconnecting)'}`));
    const token = (params as { partialResultToken?: unknown } | undefined)?.partialResultToken;
    const partial = entry && (typeof token === 'string' || typeof token === 'number') ? String(token) : null;
    this.#pending.set(req.id, { entry, partial });
    if (partial !== null) this.#partials.set(partial, entry!);
    this.#host.send({ ...req, params: params as object });
  }

  #editorNotification(n: Notification): void {
    if (n.method.startsWith('$/lspair/')) return; // the daemon's own protocol: never from an editor
    let params: unknown;
    try {
      params = mapUris(lookup(n.method)?.params ?? null, n.params, this.uris.toHostSide, 'strict');
    } catch (err) {
      return log.debug({ method: n.method, err: (err as Error).message }, 'notification about a file outside the share; not sent');
    }
    const doc = (params as { textDocument?: { uri?: unknown; languageId?: unknown; version?: unknown; text?: unknown } } | undefined)?.textDocument;
    const uri = typeof doc?.uri === 'string' ? doc.uri : '';
    if (n.method === 'initialized') this.#initialized = true;
    if (n.method === 'textDocument/didOpen' && typeof doc?.text === 'string') {
      const local = (n.params as { textDocument: { uri: string } }).textDocument.uri;
      this.#docs.set(uri, { languageId: doc.languageId, local, view: this.#view(uri, local, doc.text, Number.isInteger(doc.version) ? (doc.version as number) : 0) });
    } else if (n.method === 'textDocument/didClose') this.#docs.delete(uri);
    else if (n.method === 'textDocument/didChange') {
      // The editor's edits go as sequenced ops through its view, never as a raw didChange.
      const changes = (params as { contentChanges?: unknown }).contentChanges;
      if (Array.isArray(changes) && changes.every(isTextChange)) this.#docs.get(uri)?.view.editorChanged(Number.isInteger(doc?.version) ? (doc!.version as number) : 0, changes);
      return;
    }
    this.#host?.send({ ...n, params: params as object });
  }

  /** The EditorView of one document: ops to the hub, the hub's edits to the editor as applyEdit. */
  #view(uri: string, local: string, text: string, version: number): EditorView {
    return new EditorView(
      {
        submit: (rev, op) => this.#host?.send({ jsonrpc: '2.0', method: COEDIT.edit, params: { uri, rev, op } }),
        deliver: (edits, at) =>
          this.#request('workspace/applyEdit', { label: 'lspair', edit: { documentChanges: [{ textDocument: { uri: local, version: deliveryVersion(this.#clientName, at) }, edits }] } }).then(
            (r) => (r.result as { applied?: unknown } | undefined)?.applied !== false,
          ),
        note: (event, reason) => log.info({ server: this.name, event }, `editor re-synced: ${reason}`),
      },
      text,
      version,
    );
  }

  /** A request of this proxy's own to the editor; its ids cannot collide with the hub's (numbers). */
  #request(method: string, params: unknown): Promise<Response> {
    const id = `lspair/${this.#nextOwn++}`;
    return new Promise((resolve) => {
      this.#own.set(id, resolve);
      this.#editor.send({ jsonrpc: '2.0', id, method, params: params as object });
    });
  }

  /** The hub's co-editing messages for this guest's documents. */
  #coedit(method: string, params: unknown): boolean {
    const p = params as { uri?: unknown; rev?: unknown; text?: unknown; op?: unknown } | undefined;
    const view = typeof p?.uri === 'string' ? this.#docs.get(p.uri)?.view : undefined;
    if (method === COEDIT.document && typeof p?.rev === 'number' && typeof p.text === 'string') view?.attached(p.rev, p.text);
    else if (method === COEDIT.remote && Array.isArray(p?.op)) view?.remote(p.op as TextOp);
    else if (method === COEDIT.ack) view?.acked();
    else if (method === COEDIT.refused) view?.refused();
    else return method.startsWith('$/lspair/'); // an unknown message of ours: not for the editor
    return true;
  }

  // ---- host → editor ----------------------------------------------------------------------------------------

  #inOrder(work: () => Promise<void>): void {
    this.#fromHost = this.#fromHost.then(work).catch((err: Error) => log.error({ err }, 'message from the host failed'));
  }

  async #hostResponse(r: Response): Promise<void> {
    const pending = r.id === null ? undefined : this.#pending.get(r.id);
    if (!pending) return; // the catch-up's own initialize, or nothing we sent
    const { entry, partial } = pending;
    this.#pending.delete(r.id!);
    if (partial !== null) this.#partials.delete(partial); // its answer ends its partial results
    if (r.error || !entry) return this.#editor.send(r);
    try {
      this.#editor.send({ ...r, result: (await this.#toEditor(entry.result, r.result)) as object });
    } catch {
      this.#editor.send(errorResponse(r.id, LSPErrorCodes.RequestFailed, 'lspair: the answer names files that could not be fetched'));
    }
  }

  async #hostMessage(message: Request | Notification, method: string, params: unknown): Promise<void> {
    if (this.#coedit(method, params)) return;
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
    this.#refusal = reason?.startsWith(PEER_RESET) ? reason.slice(PEER_RESET.length) : null;
    const why = this.#refusal ?? `the connection to the host was lost${reason ? ` (${reason})` : ''}`;
    for (const id of this.#pending.keys()) this.#editor.send(errorResponse(id, LSPErrorCodes.RequestFailed, `lspair: ${why}`));
    this.#pending.clear();
    this.#partials.clear();
  }

  /**
   * A new host stream: initialize it as the editor once did, and open again what the editor has open. Each
   * document gets a fresh view from the editor's text; the hub's answer brings the editor to the hub's text
   * (edits of the editor's that were not acknowledged before the connection was lost are not kept).
   */
  #catchUp(host: Endpoint): void {
    host.send({ ...this.#initialize!, id: 'lspair-reconnect' });
    if (this.#initialized) host.send({ jsonrpc: '2.0', method: 'initialized', params: {} });
    for (const [uri, doc] of this.#docs) {
      const text = doc.view.editorText;
      doc.view = this.#view(uri, doc.local, text, doc.view.version);
      host.send({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: doc.languageId, version: doc.view.version, text } } });
    }
    log.info({ server: this.name, documents: this.#docs.size }, 'reconnected: editor state replayed to the host');
  }
}
