// The guest's mirror folder: what the host's policy lets this guest see, as files an editor can open. Visible
// files are synced at attach (only listed with `lazy`) and kept up to date from the host's notifications;
// hidden files are fetched on demand (`ensure`); external files land read-only under `.lspair/external/`.
// The host is not trusted: every path it sends is checked, every write is contained (contained.ts), sizes are
// bounded, and the mirror only ever replaces or deletes files it wrote itself and that are still as it left
// them — a file changed in the mirror is the user's from then on. On a new connection (a reconnect, or a new
// run on the same folder) it resyncs by difference: unchanged files are not downloaded again.
// Events: progress {done, total, bytes} during a sync, synced (SyncSummary), change {path, outcome} once a
// path the host reported has been settled, detached.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, openSync, realpathSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { chmod, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { logger } from '../log.js';
import { ContainedFolder, ContainmentError, TEMP_FLAGS } from './contained.js';
import { mirrorPath, openMirrorFolder, PRIVATE, saveState, type MirrorFolder, type Owned } from './mirror-folder.js';
import { checkPath, PathError, within } from './paths.js';
import { Changed, External, LIMITS, List, Read, Stat, type Chunk, type Entry } from './protocol.js';
import { connect, fileErrorCode, type Connection } from './rpc.js';

const log = logger('mirror');

export interface MirrorOptions {
  readonly dir: string;
  /** Sync the listing only; contents arrive on `ensure`. */
  readonly lazy?: boolean;
  /** Downloads at once during a sync; default 8. */
  readonly concurrency?: number;
}

export interface SyncSummary {
  /** Visible files and folders, and the bytes of the files, as the host listed them. */
  readonly files: number;
  readonly dirs: number;
  readonly bytes: number;
  readonly fetched: number;
  /** Already in the mirror, unchanged. */
  readonly kept: number;
  readonly deleted: number;
  /** Larger than the mirror takes. */
  readonly skipped: number;
  /** Paths where something of the user's is in the way (left alone). */
  readonly conflicts: number;
  /** Paths refused (unsafe) or that could not be fetched. */
  readonly failed: number;
  readonly lazy: boolean;
  readonly ms: number;
}

export interface MirrorEntry {
  readonly path: string;
  readonly type: 'file' | 'dir';
  readonly size: number;
  /** Whether its contents are in the mirror. */
  readonly local: boolean;
}

type Outcome = 'fetched' | 'kept' | 'deleted' | 'skipped' | 'conflict' | 'failed' | 'none';

interface Download {
  readonly temp: string;
  readonly size: number;
  readonly mtime: number;
}

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const SAVE_DELAY_MS = 500;
const MAX_ATTEMPTS = 3;

function depth(rel: string): number {
  return rel.split('/').length;
}

/** An entry from the host, checked; a PathError or TypeError says what is wrong with it. */
function checkEntry(value: unknown): Entry {
  const e = value as Record<string, unknown> | null;
  if (typeof e !== 'object' || e === null) throw new TypeError('an entry must be an object');
  const rel = mirrorPath(e.path);
  if (e.type !== 'file' && e.type !== 'dir') throw new TypeError(`${rel}: unknown type`);
  if (!Number.isSafeInteger(e.size) || (e.size as number) < 0 || typeof e.mtime !== 'number' || !Number.isFinite(e.mtime)) throw new TypeError(`${rel}: bad size or mtime`);
  return { path: rel, type: e.type, size: e.size as number, mtime: e.mtime, ...(e.hidden === true ? { hidden: true as const } : {}) };
}

class TooLarge extends RangeError {}

function realOrSelf(abs: string): string {
  try {
    return realpathSync.native(abs);
  } catch {
    return abs;
  }
}

function checkChunk(value: unknown, label: string): Chunk {
  const c = value as Record<string, unknown> | null;
  const ok = typeof c === 'object' && c !== null && typeof c.data === 'string' && c.data.length <= Math.ceil(LIMITS.chunk / 3) * 4 + 4;
  if (!ok || !Number.isSafeInteger(c.size) || (c.size as number) < 0 || typeof c.mtime !== 'number' || !Number.isFinite(c.mtime)) {
    throw new TypeError(`${label}: malformed chunk from the host`);
  }
  if ((c.size as number) > LIMITS.file) throw new TooLarge(`${label}: larger than ${LIMITS.file} bytes; not mirrored`);
  return c as unknown as Chunk;
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a), readFile(b)]);
  return x.equals(y);
}

async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}

export class Mirror extends EventEmitter {
  /** Real path of the mirror folder. */
  readonly root: string;
  readonly lazy: boolean;
  readonly #folder: MirrorFolder;
  readonly #files: ContainedFolder;
  readonly #external: ContainedFolder;
  readonly #concurrency: number;
  /** The host's visible entries, as last heard. */
  #listing = new Map<string, Entry>();
  /** Hidden files this mirror fetched, as the host last described them. */
  readonly #hidden = new Map<string, Entry>();
  readonly #externals = new Set<string>();
  readonly #chains = new Map<string, Promise<unknown>>();
  #connection: { link: Connection; stream: Duplex } | null = null;
  #saveTimer: NodeJS.Timeout | null = null;
  #saving: Promise<void> = Promise.resolve();
  readonly #tempPrefix = randomBytes(6).toString('hex');
  #temps = 0;

  private constructor(folder: MirrorFolder, options: MirrorOptions) {
    super();
    this.#folder = folder;
    this.root = folder.root;
    this.lazy = options.lazy ?? false;
    this.#concurrency = options.concurrency ?? 8;
    this.#files = new ContainedFolder(folder.root);
    this.#external = new ContainedFolder(folder.external);
  }

  /** Opens the mirror folder (made when missing); refuses a non-empty folder that is not a mirror. */
  static open(options: MirrorOptions): Mirror {
    return new Mirror(openMirrorFolder(options.dir), options);
  }

  get connected(): boolean {
    return this.#connection !== null;
  }

  /**
   * Serves the mirror from the host's `files` stream: lists, resyncs by difference, then follows changes.
   * Resolves with the summary once the sync is done; rejects when the connection fails first.
   */
  async attach(stream: Duplex): Promise<SyncSummary> {
    this.detach();
    const started = Date.now();
    const link = connect(stream, LIMITS.hostMessage);
    const { rpc } = link;
    const connection = { link, stream };
    const early: unknown[] = [];
    let listed = false;
    rpc.onNotification(Changed, (params: unknown) => (listed ? void this.#onChanged(params) : early.push(params)));
    rpc.onError(([err]) => log.info({ err: err.message }, 'file stream error'));
    rpc.onClose(() => this.#lost(connection));
    rpc.listen();
    this.#connection = connection;
    try {
      return await this.#sync(link, early, () => (listed = true), started);
    } catch (err) {
      if (this.#connection === connection) this.detach();
      throw err;
    }
  }

  async #sync(link: Connection, early: unknown[], listening: () => void, started: number): Promise<SyncSummary> {
    const connection = this.#connection;
    const { entries } = await link.request(List);
    this.#listing = this.#checkListing(entries);
    for (const params of early) this.#apply(params);
    listening();
    await this.#restatHidden(link);
    const tally = await this.#reconcileAll([...new Set([...this.#listing.keys(), ...this.#folder.owned.keys()])], true);
    if (this.#connection !== connection) throw new Error('the connection to the host was lost during the sync');
    const listedFiles = [...this.#listing.values()].filter((e) => e.type === 'file');
    const summary: SyncSummary = {
      files: listedFiles.length,
      dirs: this.#listing.size - listedFiles.length,
      bytes: listedFiles.reduce((sum, e) => sum + e.size, 0),
      fetched: tally.fetched,
      kept: tally.kept,
      deleted: tally.deleted,
      skipped: tally.skipped,
      conflicts: tally.conflict,
      failed: tally.failed,
      lazy: this.lazy,
      ms: Date.now() - started,
    };
    this.emit('synced', summary);
    return summary;
  }

  /** Stops following the host (the stream is closed); the mirror stays as it is. */
  detach(): void {
    const connection = this.#connection;
    this.#connection = null;
    connection?.link.rpc.dispose();
    connection?.stream.destroy();
  }

  /**
   * The local path of the shared file or folder `rel`, fetched first when its contents are not in the mirror
   * (a hidden file, or any file with `lazy`). Throws when the host refuses it (excluded, outside, missing).
   */
  async ensure(rel: string): Promise<string> {
    const checked = mirrorPath(rel);
    return this.#serial(checked, () => this.#ensure(checked));
  }

  /**
   * The local path of an external file (outside the share, named by the host's token), fetched read-only
   * into `.lspair/external/TOKEN/NAME` on first use.
   */
  async ensureExternal(token: string, name: string): Promise<string> {
    if (typeof token !== 'string' || !TOKEN.test(token)) throw new PathError('malformed external-file token');
    const rel = `${token}/${checkPath(name)}`;
    return this.#serial(`${PRIVATE}/external/${rel}`, async () => {
      if (this.#externals.has(rel)) return this.#external.path(rel);
      const link = this.#need();
      const got = await this.#download((offset) => link.request(External, { token, offset, length: LIMITS.chunk }), `external file ${name}`);
      try {
        await chmod(got.temp, 0o444);
        if (!this.#external.put(got.temp, rel, (current) => current === null).placed) throw new ContainmentError(`${rel}: already in the mirror's external files`);
      } finally {
        await rm(got.temp, { force: true });
      }
      this.#externals.add(rel);
      return this.#external.path(rel);
    });
  }

  /** The guest's view of the share: visible files and folders, sorted, and whether each is local. */
  list(): MirrorEntry[] {
    const entries = [...this.#listing.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return entries.map((e) => ({ path: e.path, type: e.type, size: e.size, local: this.#folder.owned.get(e.path)?.type === e.type }));
  }

  /** Where the shared path `rel` ('' for the root) is, or would be, in the mirror; nothing is fetched. */
  localPath(rel: string): string {
    return rel === '' ? this.root : this.#files.path(mirrorPath(rel));
  }

  /** The shared path ('' for the root) of a local path in the mirror; null outside it or in its own folder. */
  sharedPath(abs: string): string | null {
    const resolved = path.resolve(abs);
    return this.#shared(resolved) ?? this.#shared(realOrSelf(resolved));
  }

  /** Detaches and records what the mirror owns. */
  async close(): Promise<void> {
    this.detach();
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    await this.#save();
  }

  #shared(abs: string): string | null {
    const rel = path.relative(this.root, abs).split(path.sep).join('/');
    if (rel === '') return '';
    try {
      return mirrorPath(rel);
    } catch {
      return null;
    }
  }

  #lost(connection: { link: Connection; stream: Duplex }): void {
    if (this.#connection !== connection) return;
    this.#connection = null;
    this.emit('detached');
  }

  #need(): Connection {
    if (!this.#connection) throw new Error('not connected to the host');
    return this.#connection.link;
  }

  #checkListing(entries: unknown): Map<string, Entry> {
    const listing = new Map<string, Entry>();
    if (!Array.isArray(entries)) throw new TypeError('the host sent a malformed listing');
    for (const value of entries.slice(0, LIMITS.entries)) {
      try {
        const entry = checkEntry(value);
        if (!entry.hidden) listing.set(entry.path, entry);
      } catch (err) {
        log.warn({ reason: (err as Error).message }, 'the host listed a path the mirror refuses; left out');
      }
    }
    return listing;
  }

  /** Asks the host about the hidden files the mirror holds: still there, changed, or gone. */
  async #restatHidden(link: Connection): Promise<void> {
    const held = [...this.#folder.owned].filter(([, o]) => o.hidden && o.type === 'file').map(([rel]) => rel);
    for (let i = 0; i < held.length; i += LIMITS.stat) {
      const paths = held.slice(i, i + LIMITS.stat);
      const { entries } = await link.request(Stat, { paths });
      paths.forEach((rel, j) => {
        let entry: Entry | null = null;
        try {
          entry = Array.isArray(entries) && entries[j] !== null ? checkEntry(entries[j]) : null;
        } catch {
          entry = null;
        }
        if (entry?.path === rel && entry.type === 'file' && entry.hidden) this.#hidden.set(rel, entry);
        else this.#hidden.delete(rel);
      });
    }
  }

  async #onChanged(params: unknown): Promise<void> {
    const affected = this.#apply(params);
    await this.#reconcileAll(affected, false);
  }

  /** Applies a notification to what the mirror knows of the host; returns the paths to settle. */
  #apply(params: unknown): string[] {
    const changes = (params as { changes?: unknown } | null)?.changes;
    if (!Array.isArray(changes)) {
      log.warn('the host sent a malformed change notification; ignored');
      return [];
    }
    const affected: string[] = [];
    for (const change of changes as { type?: unknown; path?: unknown; entry?: unknown }[]) {
      try {
        if (change?.type === 'deleted') affected.push(...this.#forget(mirrorPath(change.path)));
        else if (change?.type === 'created' || change?.type === 'changed') {
          const entry = checkEntry(change.entry);
          if (entry.hidden && !this.#hidden.has(entry.path)) continue; // only hidden files we fetched are followed
          if (entry.hidden) this.#hidden.set(entry.path, entry);
          else {
            this.#listing.set(entry.path, entry);
            this.#hidden.delete(entry.path);
          }
          affected.push(entry.path);
        } else throw new TypeError('unknown change type');
      } catch (err) {
        log.warn({ reason: (err as Error).message }, 'the host sent a change the mirror refuses; ignored');
      }
    }
    return affected;
  }

  /** Forgets `rel` and everything under it; returns those paths. */
  #forget(rel: string): string[] {
    const gone = new Set([rel]);
    const folder = this.#listing.get(rel)?.type === 'dir' || this.#folder.owned.get(rel)?.type === 'dir';
    for (const known of folder ? [this.#listing.keys(), this.#hidden.keys(), this.#folder.owned.keys()] : []) {
      for (const other of known) if (within(other, rel)) gone.add(other);
    }
    for (const other of gone) {
      this.#listing.delete(other);
      this.#hidden.delete(other);
    }
    return [...gone];
  }

  /** Settles many paths: fetches and folders in parallel, then removals deepest first. */
  async #reconcileAll(paths: readonly string[], progress: boolean): Promise<Record<Outcome, number>> {
    const tally: Record<Outcome, number> = { fetched: 0, kept: 0, deleted: 0, skipped: 0, conflict: 0, failed: 0, none: 0 };
    const removals = paths.filter((rel) => !this.#want(rel)).sort((a, b) => depth(b) - depth(a));
    const settles = paths.filter((rel) => this.#want(rel));
    let done = 0;
    let bytes = 0;
    const settle = async (rel: string): Promise<void> => {
      const outcome = await this.#serial(rel, () => this.#settle(rel)).catch((err: Error) => this.#failed(rel, err));
      tally[outcome]++;
      if (outcome === 'fetched') bytes += this.#want(rel)?.size ?? 0;
      if (progress) this.emit('progress', { done: ++done, total: paths.length, bytes });
      else this.emit('change', { path: rel, outcome });
    };
    await pool(settles, this.#concurrency, settle);
    for (const rel of removals) await settle(rel);
    return tally;
  }

  #failed(rel: string, err: Error): Outcome {
    if (err instanceof TooLarge || fileErrorCode(err) === 'tooLarge') {
      log.info({ path: rel }, `larger than ${LIMITS.file} bytes; not mirrored`);
      return 'skipped';
    }
    const refused = err instanceof ContainmentError || err instanceof PathError;
    log.warn({ path: rel, reason: err.message }, refused ? 'refused to write this path in the mirror' : 'could not mirror this path');
    return 'failed';
  }

  #want(rel: string): Entry | undefined {
    return this.#listing.get(rel) ?? this.#hidden.get(rel);
  }

  /** Brings one path of the mirror to what the host says it is. */
  async #settle(rel: string): Promise<Outcome> {
    const want = this.#want(rel);
    let have = this.#folder.owned.get(rel);
    if (have && (!want || have.type !== want.type)) {
      const outcome = this.#remove(rel, have);
      if (!want) return outcome;
      have = undefined;
    }
    if (!want) return 'none';
    if (want.type === 'dir') return this.lazy || have ? 'none' : this.#makeFolder(rel);
    if (have && have.size === want.size && have.mtime === want.mtime && this.#intact(rel, have)) return 'kept';
    if (this.lazy && !have) return 'none';
    if (want.size > LIMITS.file) {
      log.info({ path: rel, size: want.size }, `larger than ${LIMITS.file} bytes; not mirrored`);
      return 'skipped';
    }
    return this.#fetch(rel, want.hidden === true);
  }

  async #ensure(rel: string): Promise<string> {
    const abs = this.#files.path(rel);
    const have = this.#folder.owned.get(rel);
    if (have?.type === 'dir' || this.#listing.get(rel)?.type === 'dir') {
      this.#makeFolder(rel);
      return abs;
    }
    if (have?.type === 'file' && this.#files.inspect(rel)?.isFile()) return abs;
    const hidden = !this.#listing.has(rel);
    try {
      const outcome = await this.#fetch(rel, hidden);
      if (outcome === 'conflict' && !this.#files.inspect(rel)?.isFile()) throw new ContainmentError(`${rel}: something else is in the way in the mirror`);
    } catch (err) {
      if (fileErrorCode(err) !== 'notAFile') throw err;
      const [entry] = (await this.#need().request(Stat, { paths: [rel] })).entries;
      if (checkEntry(entry).type !== 'dir') throw err;
      this.#makeFolder(rel);
      return abs;
    }
    const owned = this.#folder.owned.get(rel);
    if (hidden && owned) this.#hidden.set(rel, { path: rel, type: 'file', size: owned.size, mtime: owned.mtime, hidden: true });
    return abs;
  }

  /** Makes the folder `rel` and those above it; the ones it made are the mirror's. Folders are not counted. */
  #makeFolder(rel: string): Outcome {
    this.#ownFolders(this.#files.prepare(rel));
    return 'none';
  }

  #ownFolders(made: readonly string[]): void {
    for (const dir of made) this.#own(dir, { type: 'dir', size: 0, mtime: 0, ino: 0, localSize: 0, localMtime: 0 });
  }

  /** Whether the local file is still the one the mirror wrote. */
  #intact(rel: string, have: Owned): boolean {
    const stat = this.#files.inspect(rel);
    return stat !== null && same(have, stat);
  }

  /** Removes what the mirror wrote at `rel` if it is still as written; otherwise leaves it to the user. */
  #remove(rel: string, have: Owned): Outcome {
    const stat = this.#files.inspect(rel);
    if (stat === null) return this.#disown(rel, 'deleted');
    if (have.type === 'dir') {
      if (!stat.isDirectory()) return this.#disown(rel, 'conflict');
      return this.#files.rmdir(rel) ? this.#disown(rel, 'deleted') : 'none'; // not empty: the user's files are in it
    }
    if (!same(have, stat)) {
      log.info({ path: rel }, 'deleted on the host but changed in the mirror; left as the user\'s');
      return this.#disown(rel, 'conflict');
    }
    this.#files.unlink(rel);
    return this.#disown(rel, 'deleted');
  }

  async #fetch(rel: string, hidden: boolean): Promise<Outcome> {
    const link = this.#need();
    const got = await this.#download((offset) => link.request(Read, { path: rel, offset, length: LIMITS.chunk }), rel);
    try {
      return await this.#put(rel, got, hidden);
    } finally {
      await rm(got.temp, { force: true });
    }
  }

  /** Puts a download at `rel`, unless something that is not the mirror's is there (kept, if identical, as ours). */
  async #put(rel: string, got: Download, hidden: boolean): Promise<Outcome> {
    const have = this.#folder.owned.get(rel);
    const { made, current, placed } = this.#files.put(got.temp, rel, (now) => now === null || (have?.type === 'file' && same(have, now)));
    this.#ownFolders(made);
    const record = (stat: Stats): void =>
      this.#own(rel, { type: 'file', size: got.size, mtime: got.mtime, ino: stat.ino, localSize: stat.size, localMtime: stat.mtimeMs, ...(hidden ? { hidden: true as const } : {}) });
    if (placed) {
      record(placed);
      return 'fetched';
    }
    if (current?.isFile() && (await sameContent(got.temp, this.#files.path(rel)))) {
      record(current);
      return 'kept';
    }
    log.warn({ path: rel }, 'something of the user\'s is at this path in the mirror; left alone, the host\'s version is not applied');
    this.#folder.owned.delete(rel);
    return 'conflict';
  }

  /** Downloads a whole file in chunks into the mirror's temporary folder; restarts if it changes meanwhile. */
  async #download(read: (offset: number) => Promise<Chunk>, label: string): Promise<Download> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const first = checkChunk(await read(0), label);
      const temp = path.join(this.#folder.temp, `${this.#tempPrefix}-${this.#temps++}`);
      const fd = openSync(temp, TEMP_FLAGS, 0o644);
      let offset = 0;
      try {
        for (let chunk = first; ; chunk = checkChunk(await read(offset), label)) {
          if (chunk.size !== first.size || chunk.mtime !== first.mtime) break; // changed meanwhile: start again
          const bytes = Buffer.from(chunk.data, 'base64');
          if (offset + bytes.length > first.size) throw new RangeError(`${label}: the host sent more than the file holds`);
          if (bytes.length === 0 && offset < first.size) throw new RangeError(`${label}: the host sent an empty chunk before the end`);
          writeFileSync(fd, bytes);
          offset += bytes.length;
          if (offset === first.size) break;
        }
      } catch (err) {
        closeSync(fd);
        rmSync(temp, { force: true });
        throw err;
      }
      closeSync(fd);
      if (offset === first.size) return { temp, size: first.size, mtime: first.mtime };
      rmSync(temp, { force: true });
    }
    throw new Error(`${label} kept changing while it was read; try again`);
  }

  #own(rel: string, owned: Owned): void {
    this.#folder.owned.set(rel, owned);
    this.#dirty();
  }

  #disown(rel: string, outcome: Outcome): Outcome {
    this.#folder.owned.delete(rel);
    this.#dirty();
    return outcome;
  }

  /** Runs `work` for `key` after the work already queued for it: one path is never settled twice at once. */
  #serial<T>(key: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#chains.get(key) ?? Promise.resolve()).then(work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#chains.set(key, tail);
    void tail.then(() => this.#chains.get(key) === tail && this.#chains.delete(key));
    return run;
  }

  #dirty(): void {
    this.#saveTimer ??= setTimeout(() => {
      this.#saveTimer = null;
      void this.#save();
    }, SAVE_DELAY_MS).unref();
  }

  #save(): Promise<void> {
    this.#saving = this.#saving.then(() => saveState(this.#folder)).catch((err: Error) => log.warn({ err: err.message }, 'could not record the mirror state'));
    return this.#saving;
  }
}

function same(have: Owned, stat: Stats): boolean {
  if (have.type === 'dir') return stat.isDirectory();
  return stat.isFile() && stat.ino === have.ino && stat.size === have.localSize && stat.mtimeMs === have.localMtime;
}
