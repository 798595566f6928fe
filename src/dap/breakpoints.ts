// Breakpoint merging. `setBreakpoints` (per source) and `setFunctionBreakpoints`, `setExceptionBreakpoints`,
// `setDataBreakpoints`, `setInstructionBreakpoints` (per session) each replace a whole set, so the hub keeps every
// participant's own set and sends the adapter their union (identical breakpoints once). The adapter answers the
// union in order; each participant gets back the answers for its own breakpoints. Adapters may renumber every
// breakpoint of a set on each request (debugpy does): each participant keeps the ids it was told, and the ids in
// later events are translated back to those.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Merge } from './commands.js';

interface Held {
  /** Its breakpoints, by argument list. */
  readonly lists: Readonly<Record<string, readonly unknown[]>>;
  /** The ids it was told, by position across its lists (undefined: not told, or the adapter gave none). */
  told: (number | undefined)[];
  /** The adapter's current ids for the same positions. */
  current: (number | undefined)[];
}

interface BreakpointSet {
  readonly command: string;
  readonly merge: Merge;
  /** The arguments of the latest request for this set, without its lists (the source, sourceModified, …). */
  base: Record<string, unknown>;
  readonly held: Map<object, Held>;
}

/** Where each participant's breakpoints sit in the union answer. */
export type Layout = ReadonlyMap<object, readonly number[]>;

export interface Merged {
  readonly key: string;
  readonly command: string;
  readonly args: Record<string, unknown>;
  readonly layout: Layout;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** One name per file, however a client spelled its path (symlinks, `..`): two spellings must not be two sets. */
function canonical(p: string): string {
  if (!path.isAbsolute(p)) return p;
  try {
    return realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

/** A participant's lists from its arguments (`lines`, the deprecated form of setBreakpoints, as breakpoints). */
function listsOf(merge: Merge, args: Readonly<Record<string, unknown>>): Record<string, unknown[]> {
  const lists: Record<string, unknown[]> = {};
  for (const name of merge.lists) lists[name] = Array.isArray(args[name]) ? [...args[name]] : [];
  if (merge.bySource && !Array.isArray(args.breakpoints) && Array.isArray(args.lines)) lists.breakpoints = args.lines.map((line) => ({ line }));
  return lists;
}

export class BreakpointBook {
  readonly #sets = new Map<string, BreakpointSet>();

  /** The set a request replaces: one per command, and per source for setBreakpoints. */
  static key(command: string, merge: Merge, args: Readonly<Record<string, unknown>>): string {
    if (!merge.bySource) return command;
    const source = isObject(args.source) ? args.source : {};
    return `${command}\0${typeof source.path === 'string' ? `path:${canonical(source.path)}` : `ref:${String(source.sourceReference)}`}`;
  }

  /** Whether `owner` holds breakpoints in that set. */
  holds(key: string, owner: object): boolean {
    return this.#sets.get(key)?.held.has(owner) ?? false;
  }

  /** Records `owner`'s new set; returns the union to send the adapter. */
  update(command: string, merge: Merge, owner: object, args: Readonly<Record<string, unknown>>): Merged {
    const key = BreakpointBook.key(command, merge, args);
    const set = this.#sets.get(key) ?? { command, merge, base: {}, held: new Map<object, Held>() };
    this.#sets.set(key, set);
    set.base = Object.fromEntries(Object.entries(args).filter(([name]) => name !== 'lines' && !merge.lists.includes(name)));
    const lists = listsOf(merge, args);
    const count = merge.lists.reduce((n, name) => n + lists[name]!.length, 0);
    if (count === 0) set.held.delete(owner);
    else set.held.set(owner, { lists, told: new Array<undefined>(count).fill(undefined), current: new Array<undefined>(count).fill(undefined) });
    return this.#union(key, set);
  }

  /** Removes `owner` from every set; returns the unions to send again, for the sets it was in. */
  remove(owner: object): Merged[] {
    const changed: Merged[] = [];
    for (const [key, set] of this.#sets) {
      if (!set.held.delete(owner)) continue;
      changed.push(this.#union(key, set));
      if (set.held.size === 0) this.#sets.delete(key);
    }
    return changed;
  }

  /**
   * Takes the adapter's answer to a union: returns each participant's own answers, in its order. The
   * requester's are what it is now told; the others keep the ids they were told.
   */
  settle(merged: Merged, requester: object | null, breakpoints: readonly unknown[]): Map<object, unknown[]> {
    const set = this.#sets.get(merged.key);
    const answers = new Map<object, unknown[]>();
    for (const [owner, positions] of merged.layout) {
      const answer = positions.map((pos) => breakpoints[pos] ?? { verified: false, message: 'no answer from the debug adapter' });
      answers.set(owner, answer);
      const held = set?.held.get(owner);
      if (!held || held.current.length !== answer.length) continue; // replaced or gone meanwhile
      held.current = answer.map((bp) => (isObject(bp) && typeof bp.id === 'number' ? bp.id : undefined));
      held.told = owner === requester ? [...held.current] : held.told.map((told, i) => told ?? held.current[i]);
    }
    return answers;
  }

  /** A breakpoint id of the adapter as `owner` knows that breakpoint (itself when it was never renumbered). */
  translate(owner: object, id: number): number {
    for (const set of this.#sets.values()) {
      const held = set.held.get(owner);
      const at = held ? held.current.indexOf(id) : -1;
      if (at >= 0) return held!.told[at] ?? id;
    }
    return id;
  }

  clear(): void {
    this.#sets.clear();
  }

  #union(key: string, set: BreakpointSet): Merged {
    const args: Record<string, unknown> = { ...set.base };
    const positions = new Map<object, number[]>([...set.held.keys()].map((owner) => [owner, []]));
    let offset = 0;
    for (const name of set.merge.lists) {
      const union: unknown[] = [];
      const index = new Map<string, number>();
      for (const [owner, held] of set.held) {
        for (const item of held.lists[name]!) {
          const id = JSON.stringify(item);
          if (!index.has(id)) index.set(id, union.push(item) - 1);
          positions.get(owner)!.push(offset + index.get(id)!);
        }
      }
      args[name] = union;
      offset += union.length;
    }
    return { key, command: set.command, args, layout: positions };
  }
}
