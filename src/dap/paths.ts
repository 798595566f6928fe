// Applies a command-table entry's sites to one message: paths renamed for the other side (host ↔ neutral on
// the host, neutral ↔ mirror on a guest), what a guest may not see hidden, the handles it is given recorded and
// the ones it uses checked. Frames in files a guest may not see become placeholders without a source.
import { Dropped, REMOVE, parseAt, rewriteAt, type Handle, type Site } from './sites.js';

/** How one side renames paths for the other. */
export interface PathMap {
  /** The path as the other side names it; null when it may not be shown. May throw (a refusal, with the reason). */
  path(p: string): string | null;
  /** A free-form name that may hold a host path (a process name). */
  name?(s: string): string;
  /** Free text that may name host files (a formatted stack trace); null: it may not be shown. */
  text?(s: string): string | null;
}

/** The handles one guest was given, and the check of the ones it uses. */
export interface Handles {
  grant(handle: Handle, id: number): void;
  has(handle: Handle, id: number): boolean;
}

/** A guest's request that may not go on: the reason is for the guest and the audit log. */
export class Refused extends Error {
  override readonly name = 'Refused';
}

export const HIDDEN_FRAME_NAME = '(hidden: a file you may not see)';

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isRef(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}

interface Context {
  readonly map: PathMap;
  /** Outgoing to a guest: record what it is given. */
  readonly grants: Handles | null;
  /** Incoming from a guest: check what it uses. */
  readonly checks: Handles | null;
}

/** A Source for the other side, or null when it may not be shown. */
function mapSource(src: unknown, ctx: Context): unknown {
  if (!isObject(src)) return src;
  let out: Record<string, unknown> = src;
  if (typeof src.path === 'string') {
    const mapped = ctx.map.path(src.path);
    if (mapped === null) return null;
    out = { ...out, path: mapped };
  }
  if (Array.isArray(src.sources)) out = { ...out, sources: src.sources.map((s) => mapSource(s, ctx)).filter((s) => s !== null) };
  if (isRef(src.sourceReference)) {
    if (ctx.checks && !ctx.checks.has('source', src.sourceReference)) throw new Refused(`source reference ${src.sourceReference} was never shown to you`);
    ctx.grants?.grant('source', src.sourceReference);
  }
  return out;
}

function mapModule(mod: unknown, ctx: Context): unknown {
  if (!isObject(mod)) return mod;
  let out: Record<string, unknown> = mod;
  for (const key of ['path', 'symbolFilePath']) {
    if (typeof mod[key] !== 'string') continue;
    const mapped = ctx.map.path(mod[key]);
    if (mapped === null && key === 'path') return null;
    if (mapped === null) {
      const { [key]: _gone, ...rest } = out;
      out = rest;
    } else out = { ...out, [key]: mapped };
  }
  return out;
}

function mapFrame(frame: unknown, ctx: Context): unknown {
  if (!isObject(frame)) return frame;
  const source = 'source' in frame ? mapSource(frame.source, ctx) : undefined;
  if (source === null) return { id: frame.id, name: HIDDEN_FRAME_NAME, line: 0, column: 0, presentationHint: 'subtle' };
  if (isRef(frame.id)) ctx.grants?.grant('frame', frame.id);
  return source === undefined ? frame : { ...frame, source };
}

function hide(hidden: 'remove' | 'drop', at: string): typeof REMOVE {
  if (hidden === 'drop') throw new Dropped(`${at} names a file that may not be shown`);
  return REMOVE;
}

/** What a site does to each value at its place. */
function rewriter(site: Site, ctx: Context): (value: unknown) => unknown {
  switch (site.kind) {
    case 'source':
      return (v) => mapSource(v, ctx) ?? hide(site.hidden, site.at);
    case 'module':
      return (v) => mapModule(v, ctx) ?? hide(site.hidden, site.at);
    case 'frame':
      return (v) => mapFrame(v, ctx);
    case 'basename':
      return (v) => (typeof v === 'string' && ctx.map.name ? ctx.map.name(v) : v);
    case 'omit':
      return (v) => (typeof v === 'string' && ctx.map.text ? (ctx.map.text(v) ?? REMOVE) : v);
    case 'grant':
      return (v) => (isRef(v) && ctx.grants?.grant(site.handle, v), v);
    case 'needs':
      return (v) => {
        if (isRef(v) && ctx.checks && !ctx.checks.has(site.handle, v)) throw new Refused(`${site.at} ${v} was never shown to you (or is no longer valid)`);
        return v;
      };
  }
}

/**
 * `value` (arguments or body) with every site applied. Throws Dropped when the message names something the
 * other side may not see and must not reach it at all, Refused (or the map's own error) for a guest's request
 * that may not go on.
 */
export function mapSites(sites: readonly Site[], value: unknown, map: PathMap, handles: { grants?: Handles; checks?: Handles } = {}): unknown {
  const ctx: Context = { map, grants: handles.grants ?? null, checks: handles.checks ?? null };
  return sites.reduce((v, site) => rewriteAt(v, parseAt(site.at), rewriter(site, ctx)), value);
}

/** Every path the sites of a message name (so a guest can fetch those files before its client hears of them). */
export function collectPaths(sites: readonly Site[], value: unknown): string[] {
  const found: string[] = [];
  const collect: PathMap = { path: (p) => (found.push(p), p) };
  try {
    mapSites(sites, value, collect);
  } catch {
    // collecting only
  }
  return found;
}
