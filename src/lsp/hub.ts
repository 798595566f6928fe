// The LSP hub: one language server shared by the host's editors and every guest's. The hub is the server's one
// client: it owns `initialize`, the document stream and the id spaces; it answers each editor's `initialize`
// from the cached result (trimmed to a guest's permissions), routes every server→client message to whom it
// belongs (DESIGN §6), and — for guests — gates, maps and filters every message with the method table.
import { EventEmitter } from 'node:events';
import { setImmediate as turn } from 'node:timers/promises';
import path from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import picomatch from 'picomatch';
import { ErrorCodes } from 'vscode-jsonrpc';
import {
  LSPErrorCodes,
  TextDocumentSyncKind,
  type FileEvent,
  type FileSystemWatcher,
  type InitializeResult,
  type PublishDiagnosticsParams,
  type Registration,
  type ServerCapabilities,
} from 'vscode-languageserver-protocol';
import { logger } from '../log.js';
import { peerAudit } from '../log-throttle.js';
import { trimCapabilities, trimRegistrations } from './capabilities.js';
import { HUB_CAPABILITIES } from './client-capabilities.js';
import { COEDIT, CoEditing } from './coediting.js';
import { Editor, MAX_AT_SERVER, MAX_BACKLOG, MAX_IN_FLIGHT, type Participant } from './editor.js';
import { Endpoint, errorResponse, type Id, type Notification, type Request, type Response } from './endpoint.js';
import { lookup, permitted, type MethodEntry } from './methods.js';
import { PEER_LIMITS } from '../wire/framed-peer.js';
import { StdioProcess, TOOL_LIMITS, type ToolCommand } from '../wire/stdio-process.js';
import { ForgedData } from './seal.js';
import type { Shape } from './shape.js';
import { Malformed, Refused, mapUris, strip } from './walk.js';
import { SHARE_SCHEME, type HostUris } from '../policy/index.js';

const log = logger('lsp-hub');

type ServerProcess = StdioProcess<Endpoint>;

/** Crashes tolerated within RESTART_WINDOW_MS before the hub gives up on a server. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 180_000;

export interface HubOptions {
  /** The server's name (of `lspair lsp NAME`), for logs and messages. */
  readonly name: string;
  readonly command: ToolCommand;
  readonly initializationOptions?: Readonly<Record<string, unknown>>;
  /** Served to `workspace/configuration` and sent once with `workspace/didChangeConfiguration`. */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly uris: HostUris;
  /** Writes a guest's save to the host's disk (the hub has checked files.write). */
  readonly save: (hostUri: string, text: string, who: Participant) => Promise<void>;
  /** Stop the server this long after the last editor left; default 5 minutes. */
  readonly idleMs?: number;
}

type Call =
  | { readonly kind: 'editor'; readonly editor: Editor; readonly id: Id; readonly entry: MethodEntry | undefined; readonly tokens: readonly string[] }
  | { readonly kind: 'hub'; readonly resolve: (response: Response) => void };

interface Token {
  readonly editor: Editor;
  readonly token: unknown;
  /** Partial results are shaped like the request's result and are mapped; work-done progress is text. */
  readonly partial: MethodEntry | null;
}

/** Answers the host's editor would give when none is connected. */
const NO_HOST_EDITOR: Readonly<Record<string, unknown>> = {
  'workspace/applyEdit': { applied: false, failureReason: 'no host editor is connected to apply it' },
  'window/showMessageRequest': null,
  'window/showDocument': { success: false },
};

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** What a setting's dotted section holds, or null. */
function section(settings: Readonly<Record<string, unknown>> | undefined, name: unknown): unknown {
  if (typeof name !== 'string' || name === '') return settings ?? null;
  let value: unknown = settings;
  for (const key of name.split('.')) value = isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
  return value ?? null;
}

export class LspHub extends EventEmitter {
  #server: ServerProcess | null = null;
  #init: Promise<InitializeResult> | null = null;
  #initialized = false;
  #nextServerId = 1;
  #nextToken = 1;
  #idle: NodeJS.Timeout | null = null;
  #closed = false;
  /** Set while the hub stops the server on purpose: its exit is not a crash. */
  #stopping = false;
  readonly #restarts: number[] = [];
  /** Set once the server crashed too often: why it stays stopped, until the host's editor starts it again. */
  #crashLoop: string | null = null;
  readonly #calls = new Map<number, Call>();
  readonly #editors = new Set<Editor>();
  /** Guests' editors whose requests wait for them to read their answers (logged once per stall). */
  readonly #stalled = new WeakSet<Editor>();
  readonly #coediting: CoEditing;
  readonly #diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly #registrations = new Map<string, Registration>();
  readonly #watchers = new Map<string, { watcher: FileSystemWatcher; match: (p: string) => boolean }[]>();
  readonly #tokens = new Map<string, Token>();
  readonly #serverTokens = new Map<string, Set<Editor>>();
  #syncKind: TextDocumentSyncKind = TextDocumentSyncKind.Incremental;

  constructor(private readonly options: HubOptions) {
    super();
    this.#coediting = new CoEditing({
      send: (method, params) => this.#toServer(method, params),
      syncKind: () => this.#syncKind,
      deny: (editor, method, reason) => this.#deny(editor, method, reason, null),
      mayEdit: (editor, hostUri) => !editor.isGuest || (editor.may('files.write') && this.options.uris.toGuest(hostUri)?.startsWith(`${SHARE_SCHEME}:`) === true),
      guestUri: (editor, hostUri) => editor.map!.uri(hostUri),
    });
  }

  /** The running server's process id (one process per name, whoever is connected). */
  get serverPid(): number | undefined {
    return this.#server?.pid;
  }

  /** Connects an editor speaking LSP over `input`/`output` (a socket, or a guest's mux stream). */
  connect(input: Readable, output: Writable, who: Participant): Editor {
    const endpoint = new Endpoint(input, output, who.kind === 'guest' ? PEER_LIMITS.guest : PEER_LIMITS.hostTool);
    const editor = new Editor(endpoint, who, who.kind === 'guest' ? this.options.uris.forGuest : null);
    this.#editors.add(editor);
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
    // A guest's messages are handled one per turn of the event loop: a burst of thousands read at once (a flood)
    // would otherwise run as one chain of microtasks, and every other editor's messages would wait for all of it.
    const inOrder = (work: () => unknown): void => {
      editor.queue = editor.queue
        .then(async () => {
          if (editor.isGuest) await turn();
          await work();
        })
        .catch((err: Error) => log.error({ err, editor: who.id }, 'editor message failed'));
    };
    endpoint.on('request', (req: Request) => inOrder(() => this.#request(editor, req)));
    endpoint.on('notification', (n: Notification) => inOrder(() => this.#notification(editor, n)));
    endpoint.on('close', (reason: string | null) => this.#left(editor, reason));
    endpoint.on('drain', () => this.#next(editor));
    log.info({ server: this.options.name, editor: who.id }, 'editor connected');
    return editor;
  }

  connectStream(stream: Duplex, who: Participant): Editor {
    return this.connect(stream, stream, who);
  }

  /** A file changed on the host (from the share's watcher): the server hears it if it asked to watch it. */
  fileChanged(abs: string, type: FileEvent['type']): void {
    const uri = pathToFileURL(abs).href;
    if (type === 2) this.#coediting.diskChanged(uri);
    if (!this.#initialized || this.#watchers.size === 0) return;
    const bit = 1 << (type - 1); // WatchKind: Create 1, Change 2, Delete 4
    for (const list of this.#watchers.values()) {
      if (list.some(({ watcher, match }) => ((watcher.kind ?? 7) & bit) !== 0 && match(abs))) {
        return this.#toServer('workspace/didChangeWatchedFiles', { changes: [{ uri, type }] });
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#idle) clearTimeout(this.#idle);
    for (const editor of this.#editors) editor.endpoint.close(null);
    await this.#stopServer();
  }

  // ---- editors → server -------------------------------------------------------------------------------------

  async #request(editor: Editor, req: Request): Promise<void> {
    const reply = (result: unknown): void => editor.endpoint.send({ jsonrpc: '2.0', id: req.id, result: result as object });
    const fail = (code: number, message: string): void => editor.endpoint.send(errorResponse(req.id, code, message));
    if (req.method === 'initialize') return this.#initialize(editor, req);
    if (!editor.capabilities) return fail(-32002, 'the editor must send initialize first');
    if (req.method === 'shutdown') return reply(null); // the server is shared: an editor's shutdown ends only itself
    const entry = lookup(req.method);
    const refusal = this.#gate(editor, entry, req.method, 'request');
    if (refusal) return this.#deny(editor, req.method, refusal, fail);
    if (editor.requests.size + editor.waiting.length >= MAX_IN_FLIGHT) return fail(LSPErrorCodes.RequestFailed, `more than ${MAX_IN_FLIGHT} requests waiting; wait for answers`);
    let params: unknown = req.params;
    try {
      params = this.#mapFromEditor(editor, entry, params);
    } catch (err) {
      if (err instanceof Refused) return this.#deny(editor, req.method, this.#whyRefused(err), fail);
      if (err instanceof ForgedData) return this.#deny(editor, req.method, err.message, fail);
      return fail(ErrorCodes.InvalidParams, `invalid params: ${(err as Error).message}`);
    }
    if (editor.isGuest && req.method === 'workspace/executeCommand' && !editor.seal.offered(params)) {
      return this.#deny(editor, req.method, 'a guest may run only a command the language server offered it (in a code action, code lens, completion item or inlay hint), with the arguments it came with', fail);
    }
    try {
      await this.#ensureServer();
    } catch (err) {
      return fail(LSPErrorCodes.RequestFailed, (err as Error).message);
    }
    if (editor.endpoint.closed) return;
    const send = (): void => {
      const tokens: string[] = [];
      const mapped = isObject(params) ? this.#rewriteTokens(editor, params, entry, tokens) : params;
      const serverId = this.#nextServerId++;
      this.#calls.set(serverId, { kind: 'editor', editor, id: req.id, entry, tokens });
      editor.requests.set(req.id, serverId);
      this.#server!.endpoint.send({ jsonrpc: '2.0', id: serverId, method: req.method, params: mapped as object });
    };
    if (!editor.isGuest || (editor.waiting.length === 0 && this.#mayAsk(editor))) return send();
    editor.waiting.push({ id: req.id, send });
    this.#noteStall(editor);
  }

  /** Whether a guest's request may go to the server now: a place there, and the editor reading its answers. */
  #mayAsk(editor: Editor): boolean {
    return editor.requests.size < MAX_AT_SERVER && editor.endpoint.queued <= MAX_BACKLOG;
  }

  /** A guest's request left the server, or its editor read what waited for it: waiting requests take the places. */
  #next(editor: Editor): void {
    while (editor.waiting.length > 0 && this.#server && !editor.endpoint.closed && this.#mayAsk(editor)) editor.waiting.shift()!.send();
    this.#noteStall(editor);
  }

  /** Logs once each time a guest's requests start to wait for it to read its answers. */
  #noteStall(editor: Editor): void {
    const stalled = editor.waiting.length > 0 && editor.endpoint.queued > MAX_BACKLOG;
    if (stalled && !this.#stalled.has(editor)) log.info({ server: this.options.name, editor: editor.who.id, queued: editor.endpoint.queued }, 'editor is not reading its answers: its requests wait');
    if (stalled) this.#stalled.add(editor);
    else this.#stalled.delete(editor);
  }

  async #notification(editor: Editor, n: Notification): Promise<void> {
    const own = this.#own[n.method];
    if (n.method === 'exit') return editor.endpoint.close(null);
    if (!editor.capabilities) return; // before initialize, notifications are dropped (LSP §initialize)
    if (own) return own(editor, n.params);
    const entry = lookup(n.method);
    const refusal = this.#gate(editor, entry, n.method, 'notification');
    if (refusal) return this.#deny(editor, n.method, refusal, null);
    if (entry?.guest === 'drop' && (editor.isGuest || n.method !== 'workspace/didChangeConfiguration')) return; // the hub owns it
    let params: unknown = n.params;
    try {
      params = this.#mapFromEditor(editor, entry, params);
    } catch (err) {
      return this.#deny(editor, n.method, err instanceof Refused ? this.#whyRefused(err) : `invalid params: ${(err as Error).message}`, null);
    }
    if (this.#initialized) this.#toServer(n.method, params);
  }

  /**
   * Why a guest may not send this (null: it may). The host's own editors may send anything. A request named after a
   * notification (an `exit` with an id) or the other way round is refused: servers may act on the name alone.
   */
  #gate(editor: Editor, entry: MethodEntry | undefined, method: string, kind: MethodEntry['kind']): string | null {
    if (!editor.isGuest) return null;
    if (!entry || entry.from === 'server') return `'${method}' is not a method lspair forwards from guests`;
    if (entry.kind !== kind) return `'${method}' is a ${entry.kind}, not a ${kind}`;
    if (entry.guest === 'refuse') return `'${method}' is not available to guests`;
    if (!permitted(entry, (p) => editor.may(p))) {
      const needed = [entry.permission].flat().join(' or ');
      // Holding lsp.commands without files.write: what is missing is files.write (Editor.may).
      const why = editor.who.has('lsp.commands') ? ', and lsp.commands counts only with files.write, as a command may write files' : '';
      const grant = why ? 'files.write' : needed.split(' or ')[0];
      return `'${method}' needs the ${needed} permission${why} (the host can grant it: lspair guests grant ${editor.who.id} ${grant})`;
    }
    return null;
  }

  /** Refuses a guest's message: an error response (or, for a notification, a message), and an audit line. */
  #deny(editor: Editor, method: string, reason: string, fail: ((code: number, message: string) => void) | null): void {
    peerAudit.info(log, editor.who.id, { audit: 'lsp-deny', server: this.options.name, guest: editor.who.id }, { method, reason }, 'guest request refused');
    if (fail) fail(LSPErrorCodes.RequestFailed, `lspair: ${reason}`);
    else editor.tell(2, `lspair: ${reason}`);
  }

  #whyRefused(err: Refused): string {
    try {
      this.options.uris.toHost(err.uri);
      return `${err.uri} may not be used here`;
    } catch (why) {
      return (why as Error).message;
    }
  }

  /** A guest's params as the server may see them: its sealed data opened (forged data refused), its URIs mapped. */
  #mapFromEditor(editor: Editor, entry: MethodEntry | undefined, params: unknown): unknown {
    return editor.isGuest ? mapUris(entry!.params, editor.seal.unseal(params), this.options.uris.fromGuest, 'strict') : params;
  }

  /** A value for a guest: mapped and filtered, stripped of what it may not use, its data sealed. Throws Refused. */
  #forGuest(editor: Editor, shape: Shape | null, value: unknown): unknown {
    const mapped = mapUris(shape, value, editor.map!, 'filter');
    return editor.seal.seal(strip(shape, mapped, (p) => editor.may(p)));
  }

  /** Work-done and partial-result tokens are the editor's; the server sees hub tokens, unique across editors. */
  #rewriteTokens(editor: Editor, params: Record<string, unknown>, entry: MethodEntry | undefined, tokens: string[]): Record<string, unknown> {
    let out = params;
    for (const key of ['workDoneToken', 'partialResultToken'] as const) {
      const token = params[key];
      if (typeof token !== 'string' && typeof token !== 'number') continue;
      const ours = `lspair/${this.#nextToken++}`;
      this.#tokens.set(ours, { editor, token, partial: key === 'partialResultToken' ? (entry ?? null) : null });
      tokens.push(ours);
      out = { ...out, [key]: ours };
    }
    return out;
  }

  async #initialize(editor: Editor, req: Request): Promise<void> {
    if (editor.capabilities) return editor.endpoint.send(errorResponse(req.id, ErrorCodes.InvalidRequest, 'initialize was already sent'));
    if (!editor.isGuest && this.#crashLoop) {
      this.#crashLoop = null; // the host restarted its client: a fresh start, with a fresh count of crashes
      this.#restarts.length = 0;
    }
    let result: InitializeResult;
    try {
      result = await this.#ensureServer();
    } catch (err) {
      return editor.endpoint.send(errorResponse(req.id, LSPErrorCodes.RequestFailed, (err as Error).message));
    }
    const params = isObject(req.params) ? req.params : {};
    editor.capabilities = isObject(params.capabilities) ? params.capabilities : {};
    editor.clientName = isObject(params.clientInfo) && typeof params.clientInfo.name === 'string' ? params.clientInfo.name : '';
    editor.endpoint.send({ jsonrpc: '2.0', id: req.id, result: this.#resultFor(editor, result) as object });
  }

  /** The cached initialize result as one editor may see it: documents always synced incrementally through the hub. */
  #resultFor(editor: Editor, result: InitializeResult): InitializeResult {
    const server = result.capabilities;
    const sync = typeof server.textDocumentSync === 'object' ? server.textDocumentSync : {};
    const capabilities: ServerCapabilities = {
      ...server,
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false }, willSave: sync.willSave ?? false, willSaveWaitUntil: sync.willSaveWaitUntil ?? false },
    };
    if (!editor.isGuest) return { ...result, capabilities };
    const mapped = mapUris(lookup('initialize')!.result, { ...result, capabilities }, editor.map!, 'filter') as InitializeResult;
    return { ...mapped, capabilities: trimCapabilities(mapped.capabilities, (p) => editor.may(p)) };
  }

  // ---- the hub's own handling of editors' document and lifecycle notifications ----------------------------------

  readonly #own: Readonly<Record<string, (editor: Editor, params: unknown) => void | Promise<void>>> = {
    initialized: (editor) => this.#ready(editor),
    'textDocument/didOpen': (editor, params) => this.#didOpen(editor, params),
    'textDocument/didChange': (editor, params) =>
      this.#withDocument(editor, params, 'textDocument/didChange', (uri) => {
        const p = params as { textDocument: { version?: unknown }; contentChanges?: unknown };
        this.#coediting.change(editor, uri, p.textDocument.version, p.contentChanges);
      }),
    'textDocument/didClose': (editor, params) => this.#withDocument(editor, params, 'textDocument/didClose', (uri) => this.#coediting.close(editor, uri)),
    [COEDIT.edit]: (editor, params) => {
      if (!editor.isGuest || !isObject(params) || typeof params.uri !== 'string') return;
      const { uri, rev, op } = params;
      return this.#withDocument(editor, { textDocument: { uri } }, COEDIT.edit, (hostUri) => this.#coediting.edit(editor, hostUri, rev, op));
    },
    'textDocument/didSave': (editor, params) => this.#didSave(editor, params),
    '$/cancelRequest': (editor, params) => {
      const id = isObject(params) ? (params.id as Id) : undefined;
      const serverId = id === undefined ? undefined : editor.requests.get(id);
      if (serverId !== undefined) return this.#toServer('$/cancelRequest', { id: serverId });
      const waiting = editor.waiting.findIndex((w) => w.id === id);
      if (waiting < 0) return;
      editor.waiting.splice(waiting, 1); // never reached the server: answered here
      editor.endpoint.send(errorResponse(id!, LSPErrorCodes.RequestCancelled, 'cancelled'));
    },
    'window/workDoneProgress/cancel': (editor, params) => {
      const token = isObject(params) ? params.token : undefined;
      const ours = [...this.#tokens].find(([, t]) => t.editor === editor && t.token === token)?.[0];
      if (ours !== undefined) this.#toServer('window/workDoneProgress/cancel', { token: ours });
      else if (!editor.isGuest && this.#serverTokens.has(String(token))) this.#toServer('window/workDoneProgress/cancel', { token });
    },
    '$/setTrace': () => undefined, // the hub sets the server's trace
    '$/progress': () => undefined, // client-side progress is not forwarded
    'workspace/didChangeWatchedFiles': () => undefined, // the hub watches the share itself
    'workspace/didChangeWorkspaceFolders': () => undefined, // the hub owns the one workspace folder
  };

  #ready(editor: Editor): void {
    if (editor.ready) return;
    editor.ready = true;
    if (this.#registrations.size > 0) void this.#register(editor, [...this.#registrations.values()]);
    for (const params of this.#diagnostics.values()) this.#sendDiagnostics(editor, params);
  }

  /** The host URI of a document notification's `textDocument.uri`, checked; refusals go to the editor. */
  #withDocument(editor: Editor, params: unknown, method: string, then: (uri: string) => void | Promise<void>): void | Promise<void> {
    const uri = isObject(params) && isObject(params.textDocument) ? params.textDocument.uri : undefined;
    if (typeof uri !== 'string') return this.#deny(editor, method, 'textDocument.uri is missing', null);
    if (!editor.isGuest) return then(uri);
    let hostUri: string;
    try {
      hostUri = this.options.uris.toHost(uri);
    } catch (err) {
      return this.#deny(editor, method, (err as Error).message, null);
    }
    return then(hostUri);
  }

  #didOpen(editor: Editor, params: unknown): void | Promise<void> {
    return this.#withDocument(editor, params, 'textDocument/didOpen', (uri) => {
      const doc = (params as { textDocument: Record<string, unknown> }).textDocument;
      const version = Number.isInteger(doc.version) ? (doc.version as number) : 0;
      const languageId = typeof doc.languageId === 'string' ? doc.languageId.slice(0, 100) : 'plaintext';
      // A guest's copy of the text is not trusted: the hub's copy, or the host's file, is the document.
      this.#coediting.open(editor, uri, languageId, version, typeof doc.text === 'string' ? doc.text : null);
      const diagnostics = this.#diagnostics.get(uri);
      if (diagnostics && editor.ready && editor.docs.has(uri)) this.#sendDiagnostics(editor, diagnostics);
    });
  }

  #didSave(editor: Editor, params: unknown): void | Promise<void> {
    return this.#withDocument(editor, params, 'textDocument/didSave', async (uri) => {
      const doc = this.#coediting.docs.get(uri);
      if (!doc || !editor.docs.has(uri)) return;
      if (editor.isGuest) {
        if (!editor.may('files.write')) return this.#deny(editor, 'textDocument/didSave', 'saving needs the files.write permission', null);
        try {
          const text = doc.text;
          await this.options.save(uri, text, editor.who);
          this.#coediting.saved(uri, text);
        } catch (err) {
          return this.#deny(editor, 'textDocument/didSave', `could not save: ${(err as Error).message}`, null);
        }
      }
      this.#toServer('textDocument/didSave', { textDocument: { uri } });
    });
  }

  #left(editor: Editor, reason: string | null): void {
    if (!this.#editors.delete(editor)) return;
    log.info({ server: this.options.name, editor: editor.who.id, reason: reason ?? undefined }, reason ? 'editor disconnected' : 'editor left');
    for (const uri of [...editor.docs.keys()]) this.#coediting.close(editor, uri);
    for (const serverId of editor.requests.values()) this.#toServer('$/cancelRequest', { id: serverId });
    editor.waiting = []; // they never reached the server
    for (const [token, t] of this.#tokens) if (t.editor === editor) this.#tokens.delete(token);
    for (const editors of this.#serverTokens.values()) editors.delete(editor);
    if (this.#editors.size === 0 && !this.#closed) {
      this.#idle = setTimeout(() => void this.#stopServer(), this.options.idleMs ?? 300_000);
      this.#idle.unref();
    }
  }

  // ---- server → editors ---------------------------------------------------------------------------------------

  #fromServer(server: ServerProcess): void {
    server.endpoint.on('response', (r: Response) => this.#response(r));
    server.endpoint.on('request', (req: Request) => this.#serverRequest(server, req));
    server.endpoint.on('notification', (n: Notification) => this.#serverNotification(n));
  }

  #response(r: Response): void {
    const call = typeof r.id === 'number' ? this.#calls.get(r.id) : undefined;
    if (!call) return;
    this.#calls.delete(r.id as number);
    if (call.kind === 'hub') return call.resolve(r);
    const { editor } = call;
    for (const token of call.tokens) this.#tokens.delete(token);
    if (editor.requests.get(call.id) !== r.id) return; // the editor left
    editor.requests.delete(call.id);
    editor.endpoint.send(this.#answerFor(editor, call.id, call.entry, r));
    this.#next(editor);
  }

  /** The server's answer as the editor may see it: mapped, filtered, stripped of what it may not use. */
  #answerFor(editor: Editor, id: Id, entry: MethodEntry | undefined, r: Response): Response {
    if (r.error || !editor.isGuest || !entry) return { ...r, id };
    try {
      return { jsonrpc: '2.0', id, result: this.#forGuest(editor, entry.result, r.result) as object };
    } catch (err) {
      if (err instanceof Refused) {
        peerAudit.info(log, editor.who.id, { audit: 'lsp-filter', server: this.options.name, guest: editor.who.id }, { method: entry.method }, 'answer refused whole: it touches a file the guest may not see');
        return errorResponse(id, LSPErrorCodes.RequestFailed, 'lspair: the answer would touch a file you may not see, so it was refused whole');
      }
      log.warn({ server: this.options.name, method: entry.method, err: (err as Error).message }, 'malformed answer from the language server');
      return errorResponse(id, ErrorCodes.InternalError, `lspair: the language server's answer was malformed (${err instanceof Malformed ? err.at : 'unknown'})`);
    }
  }

  #serverRequest(server: ServerProcess, req: Request): void {
    const answer = (r: Omit<Response, 'id' | 'jsonrpc'>): void => server.endpoint.send({ jsonrpc: '2.0', id: req.id, ...r });
    const own = this.#ownServerRequests[req.method];
    if (own) return answer({ result: own(req.params) as object });
    const route = lookup(req.method)?.route ?? 'host';
    if (route === 'fanout' || route === 'entitled') {
      for (const editor of this.#editors) if (editor.ready && (route === 'fanout' || !editor.isGuest)) void editor.request(req.method, req.params);
      return answer({ result: null });
    }
    const host = [...this.#editors].find((e) => !e.isGuest && e.ready);
    if (!host) {
      if (Object.hasOwn(NO_HOST_EDITOR, req.method)) return answer({ result: NO_HOST_EDITOR[req.method] as object });
      return answer({ error: { code: ErrorCodes.MethodNotFound, message: `no host editor is connected to answer ${req.method}` } });
    }
    void host.request(req.method, req.params).then((r) => answer(r.error ? { error: r.error } : { result: r.result ?? null }));
  }

  /** Server requests the hub answers itself. */
  readonly #ownServerRequests: Readonly<Record<string, (params: unknown) => unknown>> = {
    'workspace/configuration': (params) => (isObject(params) && Array.isArray(params.items) ? params.items.map((item) => section(this.options.settings, isObject(item) ? item.section : undefined)) : []),
    'workspace/workspaceFolders': () => [{ uri: this.options.uris.rootUri, name: path.basename(this.options.uris.rootUri) }],
    'client/registerCapability': (params) => this.#registered(isObject(params) && Array.isArray(params.registrations) ? (params.registrations as Registration[]) : []),
    'client/unregisterCapability': (params) => this.#unregistered(isObject(params) && Array.isArray(params.unregisterations) ? (params.unregisterations as { id: string }[]) : []),
    'window/workDoneProgress/create': (params) => {
      const token = isObject(params) ? params.token : undefined;
      if (typeof token !== 'string' && typeof token !== 'number') return null;
      const editors = new Set([...this.#editors].filter((e) => e.ready && e.capabilities?.window?.workDoneProgress));
      this.#serverTokens.set(String(token), editors);
      for (const editor of editors) void editor.request('window/workDoneProgress/create', { token });
      return null;
    },
  };

  #registered(registrations: Registration[]): null {
    const forward: Registration[] = [];
    for (const r of registrations) {
      if (!isObject(r) || typeof r.id !== 'string' || typeof r.method !== 'string') continue;
      if (r.method === 'workspace/didChangeWatchedFiles') this.#watch(r);
      else {
        this.#registrations.set(r.id, r);
        forward.push(r);
      }
    }
    for (const editor of this.#editors) if (editor.ready && forward.length > 0) void this.#register(editor, forward);
    return null;
  }

  #unregistered(unregistrations: { id: string }[]): null {
    const valid = unregistrations.filter((u) => isObject(u) && typeof u.id === 'string');
    for (const u of valid) this.#watchers.delete(u.id);
    const gone = valid.filter((u) => this.#registrations.delete(u.id)); // editors never saw the watchers
    for (const editor of this.#editors) if (editor.ready && gone.length > 0) void editor.request('client/unregisterCapability', { unregisterations: gone });
    return null;
  }

  async #register(editor: Editor, registrations: Registration[]): Promise<void> {
    let params: unknown = { registrations };
    if (editor.isGuest) {
      try {
        const mapped = mapUris(lookup('client/registerCapability')!.params, params, editor.map!, 'filter') as { registrations: Registration[] };
        params = { registrations: trimRegistrations(mapped.registrations, (p) => editor.may(p)) };
      } catch {
        return;
      }
    }
    if ((params as { registrations: Registration[] }).registrations.length > 0) await editor.request('client/registerCapability', params);
  }

  /** The hub watches the share for the server: editors never send it file events. */
  #watch(r: Registration): void {
    const watchers = isObject(r.registerOptions) && Array.isArray(r.registerOptions.watchers) ? (r.registerOptions.watchers as FileSystemWatcher[]) : [];
    const root = this.options.uris.rootUri;
    const compiled = watchers.flatMap((watcher) => {
      const glob = watcher.globPattern;
      let pattern: string | null = null;
      if (typeof glob === 'string') pattern = glob.startsWith('/') ? glob : `${new URL(root).pathname}/${glob.startsWith('**') ? glob : `**/${glob}`}`;
      else if (isObject(glob) && typeof glob.pattern === 'string') {
        const base = typeof glob.baseUri === 'string' ? glob.baseUri : isObject(glob.baseUri) ? String(glob.baseUri.uri) : root;
        pattern = `${decodeURIComponent(new URL(base).pathname)}/${glob.pattern}`;
      }
      return pattern === null ? [] : [{ watcher, match: picomatch(pattern, { dot: true }) }];
    });
    this.#watchers.set(r.id, compiled);
  }

  #serverNotification(n: Notification): void {
    if (n.method === '$/progress') return this.#progress(n.params);
    if (n.method === 'textDocument/publishDiagnostics' && isObject(n.params) && typeof n.params.uri === 'string') {
      const params = n.params as unknown as PublishDiagnosticsParams;
      this.#diagnostics.set(params.uri, params);
      for (const editor of this.#editors) if (editor.ready) this.#sendDiagnostics(editor, params);
      return;
    }
    const route = lookup(n.method)?.route ?? 'host';
    for (const editor of this.#editors) {
      if (editor.ready && (route === 'fanout' || !editor.isGuest)) editor.notify(n.method, n.params);
    }
  }

  /** Diagnostics go to each editor entitled to the document; versions are the hub's, so translated or dropped. */
  #sendDiagnostics(editor: Editor, params: PublishDiagnosticsParams): void {
    // Versions are the hub's own line, not the editor's: left out.
    let out: unknown = { uri: params.uri, diagnostics: params.diagnostics };
    if (editor.isGuest) {
      try {
        out = this.#forGuest(editor, lookup('textDocument/publishDiagnostics')!.params, out);
      } catch {
        return; // a document the guest may not see
      }
    }
    editor.notify('textDocument/publishDiagnostics', out);
  }

  #progress(params: unknown): void {
    if (!isObject(params) || (typeof params.token !== 'string' && typeof params.token !== 'number')) return;
    const mine = this.#tokens.get(String(params.token));
    if (mine) {
      let value = params.value;
      if (mine.editor.isGuest && mine.partial) {
        try {
          value = this.#forGuest(mine.editor, mine.partial.partialResult ?? mine.partial.result, value);
        } catch {
          return;
        }
      } else if (mine.editor.isGuest) value = this.#guestProgress(value);
      return mine.editor.notify('$/progress', { token: mine.token, value });
    }
    for (const editor of this.#serverTokens.get(String(params.token)) ?? []) {
      editor.notify('$/progress', { token: params.token, value: editor.isGuest ? this.#guestProgress(params.value) : params.value });
    }
    if (isObject(params.value) && params.value.kind === 'end') this.#serverTokens.delete(String(params.token));
  }

  /** Work-done progress for a guest without its free text, which may name files the guest may not see. */
  #guestProgress(value: unknown): unknown {
    if (!isObject(value)) return value;
    const { message: _message, ...rest } = value;
    return rest;
  }

  // ---- the server's life ----------------------------------------------------------------------------------------

  /** A notification to the server once it is initialized (before, the replay after initialize covers documents). */
  #toServer(method: string, params?: unknown): void {
    if (this.#initialized) this.#server?.endpoint.send({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params: params as object }) });
  }

  #call(server: ServerProcess, method: string, params?: unknown): Promise<Response> {
    const id = this.#nextServerId++;
    return new Promise((resolve) => {
      this.#calls.set(id, { kind: 'hub', resolve });
      server.endpoint.send({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params: params as object }) });
    });
  }

  #ensureServer(): Promise<InitializeResult> {
    if (this.#closed) return Promise.reject(new Error(`the language server '${this.options.name}' is stopped`));
    if (this.#crashLoop) return Promise.reject(new Error(this.#crashLoop)); // not started again by any request
    if (!this.#init) {
      this.#init = this.#start();
      this.#init.catch(() => undefined);
    }
    return this.#init;
  }

  async #start(): Promise<InitializeResult> {
    const { name, command, uris } = this.options;
    const server: ServerProcess = new StdioProcess(`language server '${name}'`, command, fileURLToPath(uris.rootUri), (stdout, stdin, onClose) => new Endpoint(stdout, stdin, TOOL_LIMITS, onClose));
    this.#server = server;
    this.#fromServer(server);
    server.once('exit', (how: string) => this.#exited(server, how));
    log.info({ server: name, pid: server.pid }, 'language server started');
    const r = await this.#call(server, 'initialize', {
      processId: process.pid,
      clientInfo: { name: 'lspair' },
      rootUri: uris.rootUri,
      rootPath: decodeURIComponent(new URL(uris.rootUri).pathname),
      workspaceFolders: [{ uri: uris.rootUri, name: path.basename(uris.rootUri) }],
      capabilities: HUB_CAPABILITIES,
      ...(this.options.initializationOptions ? { initializationOptions: this.options.initializationOptions } : {}),
      trace: 'off',
    });
    if (r.error || !isObject(r.result) || !isObject(r.result.capabilities)) {
      server.kill();
      throw new Error(`the language server '${name}' did not initialize: ${r.error?.message ?? 'no capabilities in its answer'}`);
    }
    const result = r.result as unknown as InitializeResult;
    const sync = result.capabilities.textDocumentSync;
    this.#syncKind = (typeof sync === 'number' ? sync : sync?.change) === TextDocumentSyncKind.Full ? TextDocumentSyncKind.Full : TextDocumentSyncKind.Incremental;
    this.#initialized = true;
    this.#toServer('initialized', {});
    if (this.options.settings) this.#toServer('workspace/didChangeConfiguration', { settings: this.options.settings });
    this.#coediting.docs.replay();
    return result;
  }

  #exited(server: ServerProcess, how: string): void {
    if (server !== this.#server) return;
    this.#server = null;
    this.#init = null;
    this.#initialized = false;
    const lost = errorResponse(null, LSPErrorCodes.RequestFailed, `lspair: the language server '${this.options.name}' ${how}`);
    for (const [serverId, call] of this.#calls) {
      this.#calls.delete(serverId);
      if (call.kind === 'hub') call.resolve(lost);
      else if (call.editor.requests.get(call.id) === serverId) {
        call.editor.requests.delete(call.id);
        call.editor.endpoint.send({ ...lost, id: call.id });
      }
    }
    for (const editor of this.#editors) for (const w of editor.waiting.splice(0)) editor.endpoint.send({ ...lost, id: w.id });
    this.#tokens.clear();
    this.#serverTokens.clear();
    this.#watchers.clear();
    const gone = [...this.#registrations.keys()].map((id) => ({ id, method: this.#registrations.get(id)!.method }));
    this.#registrations.clear();
    for (const editor of this.#editors) if (editor.ready && gone.length > 0) void editor.request('client/unregisterCapability', { unregisterations: gone });
    if (this.#closed || this.#stopping) return;
    log.warn({ server: this.options.name, how }, 'language server exited');
    this.#restart();
  }

  /** Restarts a crashed server while editors are connected; open documents are replayed. Gives up on a crash loop. */
  #restart(): void {
    if (this.#editors.size === 0) return;
    const now = Date.now();
    while (this.#restarts.length > 0 && now - this.#restarts[0]! > RESTART_WINDOW_MS) this.#restarts.shift();
    if (this.#restarts.length >= MAX_RESTARTS) {
      log.error({ server: this.options.name }, 'language server keeps crashing; not restarting it');
      this.#crashLoop = `lspair: the language server '${this.options.name}' crashed ${MAX_RESTARTS} times in ${RESTART_WINDOW_MS / 60_000} minutes; it stays stopped until the host restarts the language client of its editor`;
      for (const editor of this.#editors) editor.tell(1, this.#crashLoop);
      return;
    }
    this.#restarts.push(now);
    this.#ensureServer().then(
      () => log.info({ server: this.options.name, pid: this.#server?.pid }, 'language server restarted; open documents replayed'),
      (err: Error) => log.error({ server: this.options.name, err: err.message }, 'language server restart failed'),
    );
  }

  async #stopServer(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#stopping = true;
    try {
      if (this.#initialized) {
        await Promise.race([this.#call(server, 'shutdown'), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
        this.#toServer('exit');
      }
      await new Promise<void>((resolve) => {
        if (server.exited) return resolve();
        const timer = setTimeout(() => server.kill(), 2000).unref();
        server.once('exit', () => (clearTimeout(timer), resolve()));
      });
    } finally {
      this.#stopping = false;
    }
    log.info({ server: this.options.name }, 'language server stopped');
  }
}
