// What guests may list: every visible file and folder of the share, with the size and mtime a resync compares,
// kept up to date from file events and recomputed when rules change. A symlink whose target is visible is
// listed as what it leads to (a file with the target's contents, a folder with its entries), never as a link;
// a link to one of its own ancestors (a cycle) is left out. Special files (FIFOs, sockets, devices) never are.
import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { logger } from '../log.js';
import type { Policy } from '../policy/index.js';
import { checkPath, PathError, within } from './paths.js';
import { LIMITS, type Change, type Entry } from './protocol.js';

const log = logger('files');

function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

/** The entry for `rel` from its stats; null for what is neither a file nor a folder. */
export function entryOf(rel: string, stat: Stats): Entry | null {
  if (stat.isDirectory()) return { path: rel, type: 'dir', size: 0, mtime: 0 };
  if (stat.isFile()) return { path: rel, type: 'file', size: stat.size, mtime: stat.mtimeMs };
  return null;
}

function same(a: Entry, b: Entry): boolean {
  return a.type === b.type && a.size === b.size && a.mtime === b.mtime;
}

function sorted(names: string[]): string[] {
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export class VisibleTree {
  #entries: Map<string, Entry> | null = null;
  #full = false;

  constructor(private readonly policy: Policy) {}

  /** The listing, walked on first use. */
  entries(): Map<string, Entry> {
    this.#entries ??= this.#walk();
    return this.#entries;
  }

  /** Walks the share again (its rules changed): the changes since the last state. */
  rescan(): Change[] {
    if (this.#entries === null) return [];
    const next = this.#walk();
    const changes = diff(this.#entries, this.#entries.keys(), next);
    this.#entries = next;
    return changes;
  }

  /** Brings `rel` (and all under it) up to date after a file event there: the changes. */
  update(rel: string): Change[] {
    const entries = this.#entries;
    if (entries === null) return [];
    const next = new Map<string, Entry>();
    if (this.policy.check(rel).state === 'visible') {
      try {
        this.#describe(rel, realpathSync.native(path.join(this.policy.root, parentOf(rel))), next);
      } catch {
        // gone again already: what was there is deleted
      }
    }
    const old = entries.get(rel);
    const known = old?.type === 'dir' ? [...entries.keys()].filter((k) => within(k, rel)) : old ? [rel] : [];
    const changes = diff(entries, known, next);
    for (const change of changes) {
      if (change.type === 'deleted') entries.delete(change.path);
      else entries.set(change.entry.path, change.entry);
    }
    return changes;
  }

  #walk(): Map<string, Entry> {
    const entries = new Map<string, Entry>();
    this.#full = false;
    for (const found of this.policy.entries()) {
      const rel = found.path.endsWith('/') ? found.path.slice(0, -1) : found.path;
      if (!this.#room(entries)) break;
      this.#describe(rel, path.join(this.policy.root, parentOf(rel)), entries, found.type === 'dir');
    }
    return entries;
  }

  /**
   * Adds the visible path `rel` (whose folder is really at `realParent`), and for a folder reached through a
   * link, everything visible under it. `shallow`: a real folder whose entries the policy's walk yields itself.
   */
  #describe(rel: string, realParent: string, into: Map<string, Entry>, shallow = false): void {
    try {
      checkPath(rel);
    } catch (err) {
      if (!(err instanceof PathError)) throw err;
      return void log.warn({ reason: err.message }, 'a file whose name cannot be shared as it is; left out');
    }
    const abs = path.join(this.policy.root, rel);
    let stat: Stats;
    let real: string;
    try {
      stat = lstatSync(abs);
      real = stat.isSymbolicLink() ? realpathSync.native(abs) : path.join(realParent, path.basename(rel));
      if (stat.isSymbolicLink()) stat = statSync(real);
    } catch {
      return; // gone, or a dangling link
    }
    const entry = entryOf(rel, stat);
    if (entry === null) return;
    if (entry.type === 'dir' && (realParent === real || realParent.startsWith(`${real}/`))) {
      return void log.info({ path: rel }, 'a link to one of its own folders (a cycle); left out');
    }
    into.set(rel, entry);
    if (entry.type !== 'dir' || shallow) return;
    let names: string[];
    try {
      names = sorted(readdirSync(abs));
    } catch {
      return;
    }
    for (const name of names) {
      const child = `${rel}/${name}`;
      if (!this.#room(into)) return;
      if (this.policy.check(child).state === 'visible') this.#describe(child, real, into);
    }
  }

  #room(entries: Map<string, Entry>): boolean {
    if (entries.size < LIMITS.entries) return true;
    if (!this.#full) log.warn({ limit: LIMITS.entries }, 'the share has more visible entries than a listing holds; the rest is left out');
    this.#full = true;
    return false;
  }
}

/** The changes from `before` (its entries `keys`) to `after`. */
function diff(before: ReadonlyMap<string, Entry>, keys: Iterable<string>, after: ReadonlyMap<string, Entry>): Change[] {
  const changes: Change[] = [];
  for (const rel of keys) {
    if (!after.has(rel)) changes.push({ type: 'deleted', path: rel });
  }
  for (const [rel, entry] of after) {
    const old = before.get(rel);
    if (!old) changes.push({ type: 'created', entry });
    else if (!same(old, entry)) changes.push({ type: old.type === entry.type ? 'changed' : 'created', entry });
  }
  return changes;
}
