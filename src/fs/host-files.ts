// The host's file service: each joined guest opens a `files` stream and asks for the listing, stats and
// contents; the policy decides every path (visible: listed and readable; hidden: readable by name; excluded or
// outside: refused, with an audit line), and each guest hears what changed — visible files, and the hidden
// files it read. Writes need `files.write`. Everything a guest controls is bounded: message size, requests in
// progress, path length, paths per request, and the notifications it leaves unread.
import { realpathSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { MessageConnection } from 'vscode-jsonrpc/node.js';
import { logger } from '../log.js';
import { peerAudit } from '../log-throttle.js';
import type { Decision, Policy, PolicyWatcher, FileEvent } from '../policy/index.js';
import { entryOf, VisibleTree } from './host-tree.js';
import { ioError, readChunk, replaceFile, TEMP_NAME } from './host-io.js';
import { checkPath, PathError, within } from './paths.js';
import { Changed, External, LIMITS, List, Read, Stat, Write, type Change, type Chunk, type Entry } from './protocol.js';
import { connect, fileError, RequestGate } from './rpc.js';

const log = logger('files');

/** What the service needs to know of the guest behind a stream (the session's GuestContext is one). */
export interface FileGuest {
  readonly id: string;
  readonly name: string;
  /** Asked on every write, so a permission change applies to the next one. */
  has(permission: 'files.write'): boolean;
}

/**
 * Where the file behind an `lspair-external:` token lies (an absolute path on the host), or null for a token
 * it never gave out. The LSP layer owns the tokens; the service only reads what they name.
 */
export type ExternalResolver = (token: string) => string | null;

export interface HostFilesOptions {
  readonly policy: Policy;
  readonly watcher: PolicyWatcher;
  readonly externals?: ExternalResolver;
}

interface Client {
  readonly guest: FileGuest;
  readonly stream: Duplex;
  readonly connection: MessageConnection;
  /** Hidden files this guest read or asked about, as last told: it hears of their changes too. */
  readonly hidden: Map<string, Entry>;
  queue: Change[];
  /** Notifications sent but not yet taken by the stream. */
  backlog: number;
  readonly gate: RequestGate;
}

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
/** Hidden files one guest is told about when they change; more are still readable, just not followed. */
const MAX_FOLLOWED = 100_000;

/** The real path of `abs`, or the service's error about `rel`. */
function realOrFail(abs: string, rel: string): string {
  try {
    return realpathSync.native(abs);
  } catch (err) {
    throw ioError(err, rel);
  }
}

function shared(decision: Decision): boolean {
  return decision.state === 'visible' || decision.state === 'hidden';
}

function record(params: unknown): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw fileError('invalidPath', 'parameters must be an object');
  return params as Record<string, unknown>;
}

function integer(value: unknown, name: string, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > max) throw fileError('invalidPath', `${name} must be an integer from 0 to ${max}`);
  return value as number;
}

export class HostFiles {
  readonly #policy: Policy;
  readonly #tree: VisibleTree;
  readonly #externals: ExternalResolver | undefined;
  readonly #clients = new Set<Client>();
  readonly #unsubscribe: () => void;
  readonly #onRules = (): void => this.#later('rescan');
  readonly #scheduled = new Set<'rescan' | 'flush'>();

  constructor(options: HostFilesOptions) {
    this.#policy = options.policy;
    this.#tree = new VisibleTree(options.policy);
    this.#externals = options.externals;
    this.#unsubscribe = options.watcher.subscribe((event) => this.#onFile(event));
    this.#policy.on('change', this.#onRules);
  }

  /** Serves one guest's `files` stream until it closes (a StreamHandler for HostSession.serve). */
  readonly serve = (stream: Duplex, guest: FileGuest): void => {
    const { rpc: connection } = connect(stream, LIMITS.guestMessage);
    const client: Client = { guest, stream, connection, hidden: new Map(), queue: [], backlog: 0, gate: new RequestGate(LIMITS.concurrent) };
    this.#clients.add(client);
    const handle = <R>(op: string, run: (params: unknown) => Promise<R> | R) => (params?: unknown) => this.#request(client, op, params, run);
    connection.onRequest(List, handle('list', () => ({ entries: this.list() })));
    connection.onRequest(Stat, handle('stat', (params) => this.#stat(client, params)));
    connection.onRequest(Read, handle('read', (params) => this.#read(client, params)));
    connection.onRequest(External, handle('external', (params) => this.#external(params)));
    connection.onRequest(Write, handle('write', (params) => this.#writeRequest(guest, params)));
    connection.onError(([err]) => log.info({ guest: guest.id, err: err.message }, 'file service stream error'));
    connection.onClose(() => this.#clients.delete(client));
    stream.on('close', () => {
      this.#clients.delete(client);
      connection.dispose();
    });
    connection.listen();
  };

  /** The visible files and folders, as `fs/list` answers. */
  list(): Entry[] {
    return [...this.#tree.entries().values()];
  }

  /**
   * Replaces (or creates) the file `rel` for `guest`: needs `files.write`, and a path that is shared (visible
   * or hidden). Atomic (temporary file and rename), through a link to its target, keeping the file's mode.
   * Leaves an audit line, as does a refusal on policy or permission grounds.
   */
  write(guest: FileGuest, rel: string, data: string | Uint8Array): Promise<Entry> {
    return this.#write(guest, rel, data).catch((err: unknown) => {
      throw this.#refused({ guest: { id: guest.id, name: guest.name }, op: 'write' }, rel, err);
    });
  }

  /** Stops serving: streams close, events are no longer followed. */
  close(): void {
    this.#unsubscribe();
    this.#policy.off('change', this.#onRules);
    for (const client of this.#clients) client.stream.destroy();
    this.#clients.clear();
  }

  async #request<R>(client: Client, op: string, params: unknown, run: (params: unknown) => Promise<R> | R): Promise<R> {
    try {
      return await client.gate.run(() => run(params));
    } catch (err) {
      const rel = typeof (params as { path?: unknown } | null)?.path === 'string' ? String((params as { path: string }).path).slice(0, 200) : undefined;
      throw this.#refused({ guest: { id: client.guest.id, name: client.guest.name }, op }, rel, err);
    }
  }

  /** A failure as the service error the guest gets; refusals on policy or permission grounds are audited. */
  #refused(audit: { guest: { id: string; name: string }; op: string }, rel: string | undefined, err: unknown): Error {
    const error = err instanceof PathError ? fileError('invalidPath', err.message) : ioError(err, rel ?? '(no path)');
    const reason = (error.data as { reason?: string } | undefined)?.reason;
    if (reason === 'notShared' || reason === 'denied' || reason === 'invalidPath') {
      peerAudit.info(log, audit.guest.id, { audit: 'refused', guest: audit.guest }, { op: audit.op, path: rel, reason: error.message }, 'guest request refused');
    }
    return error;
  }

  /** The policy's verdict on `rel`, which must be shared; hidden or not. */
  #decide(rel: string): { hidden: boolean } {
    const decision = this.#policy.check(rel);
    if (!shared(decision)) throw fileError('notShared', `${rel} is not shared with guests (${decision.state})`);
    return { hidden: decision.state === 'hidden' };
  }

  /**
   * A shared path's real location, judged again there: a case variant on a case-insensitive disk, or a folder
   * link, must not reach what the path's own name would not.
   */
  #locate(rel: string): { abs: string; hidden: boolean } {
    checkPath(rel);
    const named = this.#decide(rel);
    const abs = realOrFail(path.join(this.#policy.root, rel), rel);
    const real = this.#relative(abs);
    if (real === null) throw fileError('notShared', `${rel} leads outside the shared folder`);
    const there = real === rel ? named : this.#decide(real);
    return { abs, hidden: named.hidden || there.hidden };
  }

  /** Where a write to `abs` lands: the real file, through links, all of which the policy judged already. */
  #writeTarget(abs: string, rel: string): string {
    const named = path.join(realOrFail(path.dirname(abs), rel), path.basename(abs));
    let target = named;
    try {
      target = realpathSync.native(named);
    } catch {
      // a new file, or a dangling link (which the write refuses to replace)
    }
    const real = this.#relative(target);
    if (real === null) throw fileError('notShared', `${rel} leads outside the shared folder`);
    if (real !== rel) this.#decide(real);
    return target;
  }

  #relative(abs: string): string | null {
    const rel = path.relative(this.#policy.root, abs);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return null;
    return rel.split(path.sep).join('/');
  }

  #stat(client: Client, params: unknown): { entries: (Entry | null)[] } {
    const paths = record(params).paths;
    if (!Array.isArray(paths) || paths.length > LIMITS.stat) throw fileError('invalidPath', `paths must be an array of at most ${LIMITS.stat}`);
    const entries: (Entry | null)[] = [];
    for (const rel of paths) {
      try {
        entries.push(this.#entry(client, checkPath(rel)));
      } catch (err) {
        this.#refused({ guest: { id: client.guest.id, name: client.guest.name }, op: 'stat' }, String(rel).slice(0, 200), err);
        entries.push(null);
      }
    }
    return { entries };
  }

  /** A shared path's entry (a hidden one is then followed for this guest). */
  #entry(client: Client, rel: string): Entry {
    const { abs, hidden } = this.#locate(rel);
    const entry = entryOf(rel, statSync(abs));
    if (entry === null) throw fileError('notAFile', `${rel} is not a regular file or folder`);
    if (!hidden) return entry;
    return this.#follow(client, { ...entry, hidden: true });
  }

  async #read(client: Client, params: unknown): Promise<Chunk> {
    const { path: rel, offset, length } = record(params);
    const { abs, hidden } = this.#locate(checkPath(rel));
    const chunk = await readChunk(abs, rel as string, integer(offset, 'offset', LIMITS.file), integer(length, 'length', LIMITS.chunk));
    if (hidden) this.#follow(client, { path: rel as string, type: 'file', size: chunk.size, mtime: chunk.mtime, hidden: true });
    return chunk;
  }

  async #external(params: unknown): Promise<Chunk> {
    const { token, offset, length } = record(params);
    if (typeof token !== 'string' || !TOKEN.test(token)) throw fileError('invalidPath', 'malformed external-file token');
    const where = this.#externals?.(token) ?? null;
    if (where === null) throw fileError('notFound', 'no external file has this token');
    const abs = realOrFail(where, 'external file');
    const inside = this.#relative(abs);
    if (inside !== null) this.#decide(inside); // "external" yet inside the share: the policy still decides
    return readChunk(abs, 'external file', integer(offset, 'offset', LIMITS.file), integer(length, 'length', LIMITS.chunk));
  }

  #writeRequest(guest: FileGuest, params: unknown): Promise<Entry> {
    const { path: rel, data } = record(params);
    if (typeof data !== 'string' || data.length > Math.ceil(LIMITS.write / 3) * 4) throw fileError('tooLarge', `data must be base64 of at most ${LIMITS.write} bytes`);
    return this.#write(guest, checkPath(rel), Buffer.from(data, 'base64'));
  }

  async #write(guest: FileGuest, rel: string, data: string | Uint8Array): Promise<Entry> {
    if (!guest.has('files.write')) throw fileError('denied', 'you may not write files (files.write)');
    checkPath(rel);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length > LIMITS.write) throw fileError('tooLarge', `${rel}: writes are limited to ${LIMITS.write} bytes`);
    this.#decide(rel);
    const abs = path.join(this.#policy.root, rel);
    await mkdir(path.dirname(abs), { recursive: true }).catch((err: unknown) => {
      throw ioError(err, rel);
    });
    const target = this.#writeTarget(abs, rel);
    const after = await replaceFile(target, rel, bytes).catch((err: unknown) => {
      throw ioError(err, rel);
    });
    log.info({ audit: 'write', guest: { id: guest.id, name: guest.name }, path: rel, bytes: bytes.length }, 'guest wrote a file');
    return entryOf(rel, after)!;
  }

  #follow(client: Client, entry: Entry): Entry {
    if (client.hidden.size < MAX_FOLLOWED || client.hidden.has(entry.path)) client.hidden.set(entry.path, entry);
    return entry;
  }

  #onFile(event: FileEvent): void {
    if (TEMP_NAME.test(path.posix.basename(event.path))) return;
    this.#queue(this.#tree.update(event.path));
    const folder = event.type === 'addDir' || event.type === 'unlinkDir';
    for (const client of this.#clients) {
      const affected = folder ? [...client.hidden.keys()].filter((rel) => within(rel, event.path)) : client.hidden.has(event.path) ? [event.path] : [];
      for (const rel of affected) this.#recheck(client, rel);
    }
  }

  /** A followed hidden file after a change: changed, deleted (gone or no longer shared), or now visible. */
  #recheck(client: Client, rel: string): void {
    const decision = this.#policy.check(rel);
    if (decision.state === 'visible') return void client.hidden.delete(rel); // the listing reports it now
    let entry: Entry | null = null;
    try {
      if (decision.state === 'hidden') entry = entryOf(rel, statSync(path.join(this.#policy.root, rel)));
    } catch {
      entry = null;
    }
    const last = client.hidden.get(rel);
    if (entry?.type === 'file') {
      if (last && last.size === entry.size && last.mtime === entry.mtime) return;
      client.queue.push({ type: 'changed', entry: this.#follow(client, { ...entry, hidden: true }) });
    } else {
      client.hidden.delete(rel);
      client.queue.push({ type: 'deleted', path: rel });
    }
    this.#later('flush');
  }

  #queue(changes: Change[]): void {
    if (changes.length === 0) return;
    for (const client of this.#clients) client.queue.push(...changes);
    this.#later('flush');
  }

  /** Coalesces work into the next turn: a burst of events (a checkout) becomes one rescan and one message. */
  #later(what: 'rescan' | 'flush'): void {
    if (this.#scheduled.has(what)) return;
    this.#scheduled.add(what);
    setImmediate(() => {
      this.#scheduled.delete(what);
      if (what === 'flush') return this.#flush();
      this.#queue(this.#tree.rescan());
      for (const client of this.#clients) for (const rel of [...client.hidden.keys()]) this.#recheck(client, rel);
    });
  }

  #flush(): void {
    for (const client of this.#clients) {
      if (client.queue.length === 0) continue;
      const changes = client.queue;
      client.queue = [];
      if (client.backlog >= LIMITS.backlog) {
        log.warn({ guest: client.guest.id }, 'guest does not take file notifications; its file stream is closed');
        client.stream.destroy(new Error('too slow to take file notifications'));
        continue;
      }
      client.backlog++;
      client.connection.sendNotification(Changed, { changes }).then(
        () => client.backlog--,
        () => undefined,
      );
    }
  }
}
