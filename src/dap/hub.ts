// The DAP hub: one debug session of one configured adapter, shared by the host's client that owns it and every
// follower (guests, other host clients). The owner launches or attaches it and configures it, as with the adapter
// alone; a follower's initialize is answered from the cached capabilities (trimmed to a guest's permissions), its
// attach joins the session, and it is replayed `initialized`, the threads and the stopped state, then hears every
// event. Every guest request is gated, mapped and checked with the command table (DESIGN §7); breakpoint sets
// are merged; reverse requests go to the owner only; a follower's disconnect or terminate only detaches it.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HostUris } from '../policy/index.js';
import { logger } from '../log.js';
import { peerAudit } from '../log-throttle.js';
import { PEER_LIMITS } from '../wire/framed-peer.js';
import { StdioProcess, TOOL_LIMITS, type ToolCommand } from '../wire/stdio-process.js';
import { BreakpointBook, type Merged } from './breakpoints.js';
import { trimCapabilities } from './capabilities.js';
import { eventEntry, requestEntry, type RequestEntry } from './commands.js';
import { Endpoint, errorResponse, nestedDeeper, type Event, type Request, type Response } from './endpoint.js';
import { Refused, mapSites, type PathMap } from './paths.js';
import { Participant, type Who } from './participant.js';
import { Dropped } from './sites.js';

const log = logger('dap-hub');

type AdapterProcess = StdioProcess<Endpoint>;

/** Requests one participant may have waiting on the adapter at once. */
const MAX_IN_FLIGHT = 256;
/** How deep a guest's arguments may nest: deeper ones could not be encoded again, and could crash an adapter. */
const MAX_NESTING = 64;
/** How long an adapter may take to exit after the session's disconnect before it is killed. */
const EXIT_GRACE_MS = 5000;

export interface DapHubOptions {
  /** The adapter's name (of `lspair dap NAME`), for logs and messages. */
  readonly name: string;
  readonly command: ToolCommand;
  readonly uris: HostUris;
}

type Call =
  | { readonly kind: 'participant'; readonly participant: Participant; readonly seq: number; readonly command: string; readonly entry: RequestEntry | undefined; readonly args: Record<string, unknown>; readonly merged?: Merged }
  | { readonly kind: 'hub'; readonly merged: Merged };

type Body = Record<string, unknown>;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Host paths ↔ the neutral names a guest uses, with the policy deciding on every one. */
function guestPaths(uris: HostUris, format: unknown): { out: PathMap; in: PathMap } {
  const asUri = format === 'uri';
  return {
    out: {
      path: (p) => {
        const uri = asUri ? p : path.isAbsolute(p) ? pathToFileURL(p).href : null;
        return uri === null ? null : uris.toGuest(uri);
      },
      name: (s) => path.basename(s),
      text: () => null,
    },
    in: {
      path: (neutral) => {
        const uri = uris.toHost(neutral); // throws with the reason
        return asUri ? uri : fileURLToPath(uri);
      },
    },
  };
}

/** Events: 'ended' (how the adapter ended) when a debug session is over. */
export class DapHub extends EventEmitter {
  #adapter: AdapterProcess | null = null;
  /** The adapter's answer to the owner's initialize: its capabilities. */
  #init: Promise<Body> | null = null;
  #capabilities: Body = {};
  /** The adapter sent `initialized`: participants may configure. */
  #configurable = false;
  /** The adapter sent `terminated`: the participants heard it. */
  #terminated = false;
  #owner: Participant | null = null;
  /** Set while the session whose owner left ends: a client that starts the next one waits for it. */
  #ending: Promise<void> | null = null;
  #closed = false;
  readonly #participants = new Set<Participant>();
  readonly #calls = new Map<number, Call>();
  /** Reverse requests waiting on the owner: the owner's seq → the adapter's request. */
  readonly #reverse = new Map<number, Request>();
  readonly #threads = new Set<number>();
  /** The last `stopped` per thread (all threads under -1 when the adapter stopped them all). */
  readonly #stopped = new Map<number, Body>();
  /** Progress reports tied to a participant's request, by progressId. */
  readonly #progress = new Map<string, Participant>();
  readonly #book = new BreakpointBook();

  constructor(private readonly options: DapHubOptions) {
    super();
  }

  get name(): string {
    return this.options.name;
  }

  /** A session is running (or starting): followers may join it. */
  get running(): boolean {
    return this.#init !== null;
  }

  /** Connects a client speaking DAP over `input`/`output` (a socket, or a guest's mux stream). */
  connect(input: Readable, output: Writable, who: Who): Participant {
    const endpoint = new Endpoint(input, output, who.kind === 'guest' ? PEER_LIMITS.guest : PEER_LIMITS.hostTool);
    const p = new Participant(endpoint, who);
    this.#participants.add(p);
    const inOrder = (work: () => unknown): void => {
      p.queue = p.queue.then(async () => void (await work())).catch((err: Error) => log.error({ err, participant: who.id }, 'client message failed'));
    };
    endpoint.on('request', (req: Request) => inOrder(() => this.#request(p, req)));
    endpoint.on('response', (r: Response) => this.#ownerAnswered(p, r));
    endpoint.on('close', (reason: string | null) => this.#left(p, reason));
    log.info({ adapter: this.options.name, participant: who.id }, 'debug client connected');
    return p;
  }

  connectStream(stream: Duplex, who: Who): Participant {
    return this.connect(stream, stream, who);
  }

  /** A guest's permissions changed: its clients' UIs are told what it may do now (the gate follows by itself). */
  permissionsChanged(guestId: string): void {
    for (const p of this.#participants) {
      if (!p.isGuest || p.who.id !== guestId || p.state === 'new' || !this.#init) continue;
      p.event('capabilities', { capabilities: trimCapabilities(this.#capabilities, (perm) => p.who.has(perm), true) });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#participants) p.endpoint.close(null);
    await this.#stopAdapter();
  }

  // ---- participants → adapter -----------------------------------------------------------------------------------

  async #request(p: Participant, req: Request): Promise<void> {
    if (p.isGuest && nestedDeeper(req.arguments, MAX_NESTING)) return this.#deny(p, req, `arguments nested over ${MAX_NESTING} levels deep`);
    const args = isObject(req.arguments) ? req.arguments : {};
    if (req.command === 'initialize') return this.#initialize(p, req, args);
    if (p.state === 'new') return this.#fail(p, req, 'send initialize first');
    const entry = requestEntry(req.command);
    if (p.isGuest) {
      const refusal = this.#gate(p, entry, req.command, args);
      if (refusal) return this.#deny(p, req, refusal);
    }
    if ((p.state === 'left' || p.state === 'ended') && req.command !== 'disconnect') return this.#fail(p, req, p.state === 'ended' ? 'the debug session ended' : 'you left the debug session; start a new one to follow again');
    if (!p.isOwner && entry && entry.guest !== 'forward' && entry.guest !== 'refuse') return this.#lifecycle[entry.guest](p, req);
    if (!p.isOwner && req.command === 'launch') return this.#fail(p, req, `a debug session of '${this.options.name}' is already running; attach to join it`);
    if (req.command === 'cancel') return this.#cancel(p, req, args);
    if (entry?.merge) return this.#setBreakpoints(p, req, entry, args);
    let mapped: Record<string, unknown> = args;
    if (p.paths && entry) {
      try {
        mapped = mapSites(entry.arguments, args, p.paths.in, { checks: p.handles! }) as Record<string, unknown>;
      } catch (err) {
        return this.#deny(p, req, (err as Error).message);
      }
    }
    if (p.isOwner && (req.command === 'launch' || req.command === 'attach')) p.state = 'joined';
    this.#forward(p, req, entry, mapped);
  }

  /** Why a guest may not send this (null: it may). */
  #gate(p: Participant, entry: RequestEntry | undefined, command: string, args: Record<string, unknown>): string | null {
    if (!entry) return `'${command}' is not a request lspair forwards from guests`;
    if (entry.guest === 'refuse') return entry.why ?? `'${command}' is not available to guests`;
    const grant = (permission: string): string => `(the host can grant it: lspair guests grant ${p.who.id} ${permission})`;
    if (entry.permission && !p.who.has(entry.permission)) return `'${command}' needs the ${entry.permission} permission ${grant(entry.permission)}`;
    if (entry.code?.(args) && !p.who.has('debug.repl')) return `'${command}' with a condition, hit condition, log message or expression runs code in the debuggee: it needs the debug.repl permission ${grant('debug.repl')}`;
    return null;
  }

  /** Refuses a guest's request: an error response and an audit line. */
  #deny(p: Participant, req: Request, reason: string): void {
    peerAudit.info(log, p.who.id, { audit: 'dap-deny', adapter: this.options.name, guest: p.who.id }, { command: req.command, reason }, 'guest request refused');
    this.#fail(p, req, reason);
  }

  #fail(p: Participant, req: Request, message: string): void {
    p.endpoint.send(errorResponse(req, `lspair: ${message}`));
  }

  #reply(p: Participant, req: Request, body?: unknown): void {
    p.endpoint.send({ type: 'response', request_seq: req.seq, command: req.command, success: true, ...(body === undefined ? {} : { body }) });
  }

  #forward(p: Participant, req: Request, entry: RequestEntry | undefined, args: Record<string, unknown>, merged?: Merged): void {
    const adapter = this.#adapter;
    if (!adapter || adapter.exited) return this.#fail(p, req, 'the debug session ended');
    if (p.requests.size >= MAX_IN_FLIGHT) return this.#fail(p, req, `more than ${MAX_IN_FLIGHT} requests waiting; wait for answers`);
    const seq = adapter.endpoint.send({ type: 'request', command: req.command, arguments: args });
    this.#calls.set(seq, { kind: 'participant', participant: p, seq: req.seq, command: req.command, entry, args, ...(merged ? { merged } : {}) });
    p.requests.set(req.seq, seq);
  }

  async #initialize(p: Participant, req: Request, args: Record<string, unknown>): Promise<void> {
    if (p.state !== 'new') return this.#fail(p, req, 'initialize was already sent');
    if (this.#ending) await this.#ending; // not a follower of a session that is over, but the owner of the next
    if (this.#closed) return this.#fail(p, req, 'the host is shutting down');
    p.client = args;
    if (!this.#init) {
      if (p.isGuest) return this.#fail(p, req, `no debug session of '${this.options.name}' is running on the host yet: ask the host to start one, then attach`);
      p.role = 'owner';
      this.#owner = p;
      this.#init = this.#start(p, req);
      return void (await this.#init.catch(() => undefined)); // answered by #start, in the adapter's order
    }
    let capabilities: Body;
    try {
      capabilities = await this.#init;
    } catch (err) {
      return this.#fail(p, req, (err as Error).message);
    }
    const session = this.#owner?.client ?? {};
    const base = (k: string, c: Readonly<Record<string, unknown>>): boolean => c[k] !== false;
    const differs = ['linesStartAt1', 'columnsStartAt1'].find((k) => base(k, session) !== base(k, args));
    if (differs) return this.#fail(p, req, `your client's ${differs} differs from the debug session's; lspair does not convert line and column numbers`);
    if (p.isGuest) p.paths = guestPaths(this.options.uris, session.pathFormat);
    p.state = 'initialized';
    this.#reply(p, req, p.isGuest ? trimCapabilities(capabilities, (perm) => p.who.has(perm)) : { ...capabilities, supportsConfigurationDoneRequest: true });
  }

  // ---- a follower's lifecycle: the hub answers it ----------------------------------------------------------------

  readonly #lifecycle: Readonly<Record<'join' | 'detach' | 'local', (p: Participant, req: Request) => void>> = {
    /** attach: joins the running session; it is told `initialized` once the adapter was configurable. */
    join: (p, req) => {
      if (p.state === 'joined') return this.#fail(p, req, 'you already follow this debug session');
      if (!this.#adapter) return this.#fail(p, req, 'the debug session ended');
      p.state = 'joined';
      this.#reply(p, req);
      log.info({ audit: p.isGuest ? 'dap-attach' : undefined, adapter: this.options.name, participant: p.who.id }, 'follower attached to the debug session');
      if (this.#configurable) this.#configure(p);
    },
    /** disconnect, terminate: only this follower leaves; the debuggee and the others go on. */
    detach: (p, req) => {
      this.#reply(p, req);
      if (req.command === 'terminate' && p.state === 'joined') p.event('terminated');
      this.#detach(p);
    },
    /** configurationDone: the session is configured already; the follower is brought up to date. */
    local: (p, req) => {
      this.#reply(p, req);
      if (req.command === 'configurationDone' && p.following) this.#replay(p);
    },
  };

  #configure(p: Participant): void {
    if (p.configurable) return;
    p.configurable = true;
    p.event('initialized');
  }

  /** What a follower missed: the threads, and where they are stopped. */
  #replay(p: Participant): void {
    for (const threadId of this.#threads) this.#deliver(p, 'thread', { reason: 'started', threadId });
    for (const body of this.#stopped.values()) this.#deliver(p, 'stopped', body);
  }

  /** A follower stops following: its breakpoints go, its requests' answers are dropped. */
  #detach(p: Participant): void {
    if (p.state === 'left' || p.state === 'ended') return;
    const wasJoined = p.state === 'joined';
    p.state = 'left';
    for (const [id, owner] of this.#progress) if (owner === p) this.#progress.delete(id);
    for (const merged of this.#book.remove(p)) this.#sendUnion(merged);
    if (wasJoined) log.info({ audit: p.isGuest ? 'dap-detach' : undefined, adapter: this.options.name, participant: p.who.id }, 'follower left the debug session');
  }

  #cancel(p: Participant, req: Request, args: Record<string, unknown>): void {
    const mine = typeof args.requestId === 'number' ? p.requests.get(args.requestId) : undefined;
    const progress = typeof args.progressId === 'string' ? args.progressId : undefined;
    const progressMine = progress !== undefined && (!p.isGuest || this.#progress.get(progress) === p);
    if (mine === undefined && !progressMine) return this.#reply(p, req); // nothing of its own to cancel: done
    this.#forward(p, req, requestEntry('cancel'), { ...(mine === undefined ? {} : { requestId: mine }), ...(progressMine ? { progressId: progress } : {}) });
  }

  #setBreakpoints(p: Participant, req: Request, entry: RequestEntry, args: Record<string, unknown>): void {
    let mapped: Record<string, unknown> = args;
    if (p.paths) {
      try {
        mapped = mapSites(entry.arguments, args, p.paths.in, { checks: p.handles! }) as Record<string, unknown>;
      } catch (err) {
        return this.#deny(p, req, (err as Error).message);
      }
    }
    const merge = entry.merge!;
    const empty = merge.lists.every((list) => !Array.isArray(mapped[list]) || mapped[list].length === 0) && !Array.isArray(mapped.lines);
    if (!p.isOwner && empty && !this.#book.holds(BreakpointBook.key(req.command, merge, mapped), p)) return this.#reply(p, req, { breakpoints: [] });
    const merged = this.#book.update(req.command, merge, p, mapped);
    this.#forward(p, req, entry, merged.args, merged);
  }

  /** A union the hub sends on its own (a participant left): the others' answers keep their ids. */
  #sendUnion(merged: Merged): void {
    const adapter = this.#adapter;
    if (!adapter || adapter.exited) return;
    const seq = adapter.endpoint.send({ type: 'request', command: merged.command, arguments: merged.args });
    this.#calls.set(seq, { kind: 'hub', merged });
  }

  /** The owner answers a reverse request. Followers are never sent one. */
  #ownerAnswered(p: Participant, r: Response): void {
    const request = p.isOwner ? this.#reverse.get(r.request_seq) : undefined;
    if (!request) return;
    this.#reverse.delete(r.request_seq);
    this.#adapter?.endpoint.send({ type: 'response', request_seq: request.seq, command: request.command, success: r.success, ...(r.message === undefined ? {} : { message: r.message }), ...(r.body === undefined ? {} : { body: r.body }) });
  }

  #left(p: Participant, reason: string | null): void {
    if (!this.#participants.delete(p)) return;
    log.info({ adapter: this.options.name, participant: p.who.id, reason: reason ?? undefined }, reason ? 'debug client disconnected' : 'debug client left');
    if (p !== this.#owner) return this.#detach(p);
    this.#owner = null;
    // The owner's client is gone: the session ends as if it had disconnected.
    const adapter = this.#adapter;
    if (adapter && !adapter.exited) adapter.endpoint.send({ type: 'request', command: 'disconnect', arguments: {} });
    const ending = this.#stopAdapter();
    this.#ending = ending;
    void ending.then(() => {
      if (this.#ending === ending) this.#ending = null;
    });
  }

  // ---- adapter → participants -----------------------------------------------------------------------------------

  /** Starts the adapter for its owner: the owner's initialize goes to it, and its answer back at once. */
  #start(owner: Participant, req: Request): Promise<Body> {
    const { name, command, uris } = this.options;
    const adapter: AdapterProcess = new StdioProcess(`debug adapter '${name}'`, command, fileURLToPath(uris.rootUri), (stdout, stdin, onClose) => new Endpoint(stdout, stdin, TOOL_LIMITS, onClose));
    this.#adapter = adapter;
    // A fault handling one message is logged; it must not end the adapter's connection (the reader's errors do).
    const guard =
      <T>(handle: (m: T) => void) =>
      (m: T): void => {
        try {
          handle(m);
        } catch (err) {
          log.error({ err, adapter: name }, 'adapter message failed');
        }
      };
    adapter.endpoint.on('response', guard((r: Response) => this.#response(r)));
    adapter.endpoint.on('event', guard((e: Event) => this.#event(e)));
    adapter.endpoint.on('request', guard((r: Request) => this.#reverseRequest(r)));
    adapter.once('exit', (how: string) => this.#ended(adapter, how));
    log.info({ adapter: name, pid: adapter.pid }, 'debug adapter started');
    return new Promise<Body>((resolve, reject) => {
      let answered = false;
      const seq = adapter.endpoint.send({ type: 'request', command: 'initialize', arguments: owner.client });
      const onResponse = (r: Response): void => {
        if (r.request_seq !== seq) return;
        answered = true;
        adapter.endpoint.off('response', onResponse);
        // Answered synchronously, so the owner hears it before any event the adapter sent after it.
        owner.endpoint.send({ type: 'response', request_seq: req.seq, command: req.command, success: r.success, ...(r.message === undefined ? {} : { message: r.message }), ...(r.body === undefined ? {} : { body: r.body }) });
        if (!r.success) {
          adapter.kill();
          return reject(new Error(`the debug adapter '${name}' did not initialize: ${r.message ?? 'no reason given'}`));
        }
        owner.state = 'initialized';
        this.#capabilities = isObject(r.body) ? { ...r.body } : {};
        resolve(this.#capabilities);
      };
      adapter.endpoint.on('response', onResponse);
      adapter.once('exit', (how: string) => {
        if (answered) return;
        this.#fail(owner, req, `the debug adapter '${name}' ${how}`);
        reject(new Error(`the debug adapter '${name}' ${how}`));
      });
    });
  }

  #response(r: Response): void {
    const call = this.#calls.get(r.request_seq);
    if (!call) return; // initialize's, or a call whose participant is gone
    this.#calls.delete(r.request_seq);
    const breakpoints = isObject(r.body) && Array.isArray(r.body.breakpoints) ? r.body.breakpoints : [];
    if (call.kind === 'hub') return void this.#book.settle(call.merged, null, breakpoints);
    const p = call.participant;
    if (p.requests.get(call.seq) === r.request_seq) p.requests.delete(call.seq);
    let body = r.body;
    if (call.merged) body = { ...(isObject(body) ? body : {}), breakpoints: this.#book.settle(call.merged, p, breakpoints).get(p) ?? [] };
    if (r.success && call.entry?.resumes) this.#resumed(call.args.threadId, isObject(r.body) && typeof r.body.allThreadsContinued === 'boolean' ? r.body.allThreadsContinued : call.args.singleThread !== true, p);
    if (p.endpoint.closed || (p.state === 'left' && call.command !== 'disconnect')) return; // it detached meanwhile
    if (p.paths && call.entry && r.success) {
      try {
        body = mapSites(call.entry.body, body, p.paths.out, { grants: p.handles! });
      } catch (err) {
        if (!(err instanceof Dropped || err instanceof Refused)) throw err;
        peerAudit.info(log, p.who.id, { audit: 'dap-filter', adapter: this.options.name, guest: p.who.id }, { command: call.command }, 'answer refused whole: it names a file the guest may not see');
        return this.#fail(p, { seq: call.seq, type: 'request', command: call.command }, 'the answer names a file you may not see, so it was withheld');
      }
    }
    p.endpoint.send({ type: 'response', request_seq: call.seq, command: call.command, success: r.success, ...(r.message === undefined ? {} : { message: r.message }), ...(body === undefined ? {} : { body }) });
  }

  #event(e: Event): void {
    const body: Body = isObject(e.body) ? e.body : {};
    this.#track(e.event, body);
    if (e.event === 'terminated') this.#terminated = true;
    if (e.event === 'initialized') {
      this.#configurable = true;
      for (const p of this.#participants) if (p.isOwner || p.following) this.#configure(p);
      return;
    }
    for (const p of this.#participants) if (p.isOwner || p.following) this.#deliver(p, e.event, e.body);
  }

  /** Keeps what a late follower is replayed, and who a progress report belongs to. */
  #track(event: string, body: Body): void {
    const threadId = typeof body.threadId === 'number' ? body.threadId : undefined;
    switch (event) {
      case 'thread':
        if (threadId !== undefined && body.reason === 'started') this.#threads.add(threadId);
        if (threadId !== undefined && body.reason === 'exited') this.#threads.delete(threadId);
        return;
      case 'stopped':
        if (body.allThreadsStopped === true) this.#stopped.clear();
        this.#stopped.set(body.allThreadsStopped === true ? -1 : (threadId ?? -1), body);
        if (threadId !== undefined) this.#threads.add(threadId);
        return;
      case 'continued':
        return this.#resumed(threadId, body.allThreadsContinued !== false, null);
      case 'capabilities':
        if (isObject(body.capabilities)) Object.assign(this.#capabilities, body.capabilities);
        return;
      case 'progressStart': {
        const call = typeof body.requestId === 'number' ? this.#calls.get(body.requestId) : undefined;
        if (typeof body.progressId === 'string' && call?.kind === 'participant') this.#progress.set(body.progressId, call.participant);
        return;
      }
      case 'progressEnd':
        if (typeof body.progressId === 'string') this.#progress.delete(body.progressId);
        return;
    }
  }

  /**
   * The debuggee runs again: the stopped state and the guests' frames and variables are gone. When a request
   * implied it (adapters need not send `continued` then), the other followers are told.
   */
  #resumed(threadId: unknown, all: boolean, by: Participant | null): void {
    if (all) this.#stopped.clear();
    else if (typeof threadId === 'number') {
      this.#stopped.delete(threadId);
      this.#stopped.delete(-1);
    }
    for (const p of this.#participants) p.handles?.resumed();
    if (!by) return;
    const body = { ...(typeof threadId === 'number' ? { threadId } : { threadId: 0 }), allThreadsContinued: all };
    for (const p of this.#participants) if (p !== by && (p.isOwner || p.following)) this.#deliver(p, 'continued', body);
  }

  /** One event as this participant may hear it: gated, mapped, its breakpoint ids as it knows them. */
  #deliver(p: Participant, event: string, raw: unknown): void {
    const entry = eventEntry(event);
    let body = raw;
    if (p.isGuest) {
      if (!entry || (entry.permission && !p.who.has(entry.permission))) return;
      try {
        body = mapSites(entry.body, body, p.paths!.out, { grants: p.handles! });
      } catch (err) {
        if (!(err instanceof Dropped)) log.warn({ adapter: this.options.name, event, err: (err as Error).message }, 'event not delivered to a guest');
        return;
      }
      if (event === 'capabilities' && isObject(body)) body = { capabilities: trimCapabilities(body.capabilities, (perm) => p.who.has(perm)) };
    }
    if (event === 'progressStart' && isObject(body) && 'requestId' in body) {
      const { requestId, ...rest } = body;
      const call = typeof requestId === 'number' ? this.#calls.get(requestId) : undefined;
      body = call?.kind === 'participant' && call.participant === p ? { ...rest, requestId: call.seq } : rest;
    }
    p.event(event, this.#knownIds(p, event, body));
  }

  /** Breakpoint ids in an event, as this participant was told them. */
  #knownIds(p: Participant, event: string, body: unknown): unknown {
    if (!isObject(body)) return body;
    if (event === 'stopped' && Array.isArray(body.hitBreakpointIds)) {
      return { ...body, hitBreakpointIds: body.hitBreakpointIds.map((id) => (typeof id === 'number' ? this.#book.translate(p, id) : id)) };
    }
    if (event === 'breakpoint' && isObject(body.breakpoint) && typeof body.breakpoint.id === 'number') {
      return { ...body, breakpoint: { ...body.breakpoint, id: this.#book.translate(p, body.breakpoint.id) } };
    }
    return body;
  }

  /** Reverse requests (runInTerminal, startDebugging, an adapter's own): the owner's client only. */
  #reverseRequest(req: Request): void {
    const owner = this.#owner;
    if (!owner || owner.endpoint.closed) {
      this.#adapter?.endpoint.send(errorResponse(req, `no host debug client is connected to answer ${req.command}`));
      return;
    }
    const seq = owner.endpoint.send({ type: 'request', command: req.command, ...(req.arguments === undefined ? {} : { arguments: req.arguments }) });
    this.#reverse.set(seq, req);
  }

  // ---- the session's end ------------------------------------------------------------------------------------------

  /** The adapter exited: every participant's session is over; the next host client starts a new one. */
  #ended(adapter: AdapterProcess, how: string): void {
    if (adapter !== this.#adapter) return;
    log.info({ adapter: this.options.name, how }, 'debug session ended');
    this.#adapter = null;
    this.#init = null;
    this.#configurable = false;
    this.#capabilities = {};
    for (const [, call] of this.#calls) {
      if (call.kind === 'participant' && !call.participant.endpoint.closed) this.#fail(call.participant, { seq: call.seq, type: 'request', command: call.command }, `the debug adapter '${this.options.name}' ${how}`);
    }
    this.#calls.clear();
    this.#reverse.clear();
    this.#threads.clear();
    this.#stopped.clear();
    this.#progress.clear();
    this.#book.clear();
    for (const p of this.#participants) {
      if ((p.isOwner || p.following) && !this.#terminated) p.event('terminated');
      p.state = 'ended';
      p.requests.clear();
    }
    this.#terminated = false;
    this.#owner = null;
    this.emit('ended', how);
  }

  async #stopAdapter(): Promise<void> {
    const adapter = this.#adapter;
    if (!adapter || adapter.exited) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => adapter.kill(), EXIT_GRACE_MS).unref();
      adapter.once('exit', () => (clearTimeout(timer), resolve()));
      if (this.#closed) adapter.endpoint.close(null); // the host is stopping: closing stdin asks it to end
    });
  }
}
