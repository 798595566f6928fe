// The names of shared files that guests and the host exchange (LSP URIs, DAP paths alike). A guest never learns where the share lives on the host, and the host
// never learns where the guest's mirror is: between them a shared file is `lspair:/<path in the share>` and a
// file outside the share that the language server itself referred to is `lspair-external:/<token>/<name>`.
// The host maps these to its own `file:` URIs (HostUris, under the policy); the guest maps them to files in its
// mirror folder (GuestUris). Every URI from the other side is parsed strictly and canonicalised.
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Policy } from './policy.js';

export const SHARE_SCHEME = 'lspair';
export const EXTERNAL_SCHEME = 'lspair-external';
/** Where a guest's mirror keeps external files: `.lspair/` is always excluded on the host, so never shared. */
export const EXTERNAL_FOLDER = '.lspair/external';
/** Schemes a guest may see as they are (links in documentation, not files). */
const PASS_THROUGH = new Set(['http:', 'https:']);

/** How one side renames the URIs of a message for the other: null when the other side may not see it. */
export interface UriMap {
  /** Every URI site (any scheme). */
  uri(uri: string): string | null;
  /** An absolute glob pattern (a document filter's, a file watcher's). */
  glob(pattern: string): string | null;
  /** A plain path (InitializeParams.rootPath). */
  path?(p: string): string | null;
}

export class UriError extends Error {
  override readonly name = 'UriError';
}

/** The guest's mirror as its proxies need it: a file the host named must exist locally before a tool hears of it. */
export interface MirrorAccess {
  materialise(neutral: Neutral): Promise<void>;
}

export type Neutral = { readonly kind: 'share'; readonly rel: string } | { readonly kind: 'external'; readonly token: string; readonly name: string };

function encodePath(rel: string): string {
  return rel === '' ? '' : rel.split('/').map(encodeURIComponent).join('/');
}

/** A share path ('' is the root) as a neutral URI. */
export function shareUri(rel: string): string {
  return `${SHARE_SCHEME}:/${encodePath(rel)}`;
}

export function externalUri(token: string, name: string): string {
  return `${EXTERNAL_SCHEME}:/${token}/${encodeURIComponent(name)}`;
}

/** Decoded path segments of a neutral URI's path; each must be a plain name. */
function segments(encoded: string, uri: string): string[] {
  if (encoded === '') return [];
  return encoded.split('/').map((raw) => {
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      throw new UriError(`${uri}: bad percent-encoding`);
    }
    if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) throw new UriError(`${uri}: '${raw}' is not a plain file name`);
    return name;
  });
}

/** Parses a neutral URI strictly: the scheme (any case), an empty authority, a path of plain names, nothing else. */
export function parseNeutral(uri: string): Neutral {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/\/?|\/)?([^?#]*)$/.exec(uri);
  if (!m || uri.length > 4096) throw new UriError(`${uri.slice(0, 200)}: not a shared file's URI`);
  const scheme = m[1]!.toLowerCase();
  if (m[2] === '//') throw new UriError(`${uri}: a shared file's URI has no authority`);
  const parts = segments(m[3]!, uri);
  if (scheme === SHARE_SCHEME) return { kind: 'share', rel: parts.join('/') };
  if (scheme === EXTERNAL_SCHEME && parts.length === 2 && /^[A-Za-z0-9_-]{16}$/.test(parts[0]!)) return { kind: 'external', token: parts[0]!, name: parts[1]! };
  throw new UriError(`${uri.slice(0, 200)}: not a shared file's URI (only ${SHARE_SCHEME}: and ${EXTERNAL_SCHEME}: are)`);
}

/** `lspair:/REST` (a glob in neutral terms) rooted at `root`, or null when it is not one or would leave `root`. */
function globUnder(root: string, glob: string): string | null {
  if (!glob.startsWith(`${SHARE_SCHEME}:/`)) return null;
  const abs = path.join(root, glob.slice(SHARE_SCHEME.length + 2));
  return abs === root || abs.startsWith(`${root}${path.sep}`) ? abs : null;
}

function filePath(uri: string): string | null {
  if (!/^file:/i.test(uri)) return null;
  try {
    return path.normalize(fileURLToPath(uri));
  } catch {
    return null;
  }
}

/** The host's side: neutral URIs ↔ the host's `file:` URIs, deciding with the policy on every one. */
export class HostUris {
  readonly rootUri: string;
  /** External files the language server referred to, by token: the only outside files a guest may read. */
  readonly #externals = new Map<string, string>();
  readonly forGuest: UriMap;
  readonly fromGuest: UriMap;

  constructor(
    private readonly policy: Policy,
    private readonly shareExternalFiles: boolean,
  ) {
    this.rootUri = pathToFileURL(policy.root).href;
    this.forGuest = { uri: (u) => this.toGuest(u), glob: (g) => this.globToGuest(g), path: (p) => this.pathToGuest(p) };
    this.fromGuest = {
      uri: (u) => this.#tryHost(u),
      glob: (g) => globUnder(policy.root, g),
      path: () => null,
    };
  }

  /** A guest's URI as the host's file URI; a UriError says why not (malformed, outside, excluded, unknown external). */
  toHost(uri: string): string {
    const neutral = parseNeutral(uri);
    if (neutral.kind === 'external') {
      const abs = this.external(neutral.token);
      if (abs === null || path.basename(abs) !== neutral.name) throw new UriError(`${uri}: not a file the language server referred to`);
      return pathToFileURL(abs).href;
    }
    const decision = this.policy.classify(neutral.rel);
    if (decision.state === 'excluded' || decision.state === 'outside') throw new UriError(`${uri}: ${neutral.rel || 'the share'} is ${decision.state}${decision.rule?.pattern ? ` (rule '${decision.rule.pattern}' in ${decision.rule.source})` : ''}`);
    return pathToFileURL(path.join(this.policy.root, neutral.rel)).href;
  }

  /** A host URI as the guest may name it, or null when the guest may not see it. */
  toGuest(uri: string): string | null {
    const abs = filePath(uri);
    if (abs === null) return PASS_THROUGH.has(/^[A-Za-z][A-Za-z0-9+.-]*:/.exec(uri)?.[0]?.toLowerCase() ?? '') ? uri : null;
    const rel = this.#shareRel(abs);
    if (rel === null) return this.#surface(abs);
    const state = this.policy.classify(rel).state;
    return state === 'visible' || state === 'hidden' ? shareUri(rel) : null;
  }

  /** The host path of an external file the server referred to (for the file service), or null. */
  external(token: string): string | null {
    return this.#externals.get(token) ?? null;
  }

  #tryHost(uri: string): string | null {
    try {
      return this.toHost(uri);
    } catch {
      return null;
    }
  }

  /** Where `abs` is in the share, lexically or by its real path; null when it is outside. */
  #shareRel(abs: string): string | null {
    const lexical = this.policy.locate(abs);
    if (lexical !== null && lexical !== 'invalid') return lexical.rel;
    if (lexical === 'invalid') return null;
    try {
      const real = this.policy.locate(realpathSync.native(abs));
      return real !== null && real !== 'invalid' ? real.rel : null;
    } catch {
      return null;
    }
  }

  #surface(abs: string): string | null {
    if (!this.shareExternalFiles) return null;
    const token = createHash('sha256').update(abs).digest('base64url').slice(0, 16);
    this.#externals.set(token, abs);
    return externalUri(token, path.basename(abs));
  }

  private globToGuest(glob: string): string | null {
    const rel = path.relative(this.policy.root, glob);
    return rel.startsWith('..') || path.isAbsolute(rel) ? null : `${SHARE_SCHEME}:/${rel.split(path.sep).join('/')}`;
  }

  private pathToGuest(p: string): string | null {
    return this.#shareRel(p) === '' ? '/' : null;
  }
}

/** The guest's side: the mirror folder's `file:` URIs ↔ neutral URIs. */
export class GuestUris {
  readonly rootUri: string;
  readonly toHostSide: UriMap;
  readonly fromHostSide: UriMap;

  constructor(readonly root: string) {
    this.rootUri = pathToFileURL(root).href;
    this.toHostSide = { uri: (u) => this.toNeutral(u), glob: () => null, path: (p) => (path.resolve(p) === root ? '/' : null) };
    this.fromHostSide = {
      uri: (u) => this.fromNeutral(u),
      glob: (g) => globUnder(root, g),
      path: () => root,
    };
  }

  /** A mirror file's URI as a neutral one, or null when it is not a shared file. */
  toNeutral(uri: string): string | null {
    const abs = filePath(uri);
    if (abs === null) return null;
    const rel = path.relative(this.root, abs).split(path.sep).join('/');
    if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
    const ext = rel.startsWith(`${EXTERNAL_FOLDER}/`) ? rel.slice(EXTERNAL_FOLDER.length + 1).split('/') : null;
    if (ext) return ext.length === 2 ? externalUri(ext[0]!, ext[1]!) : null;
    return rel.split('/')[0]?.toLowerCase() === '.lspair' ? null : shareUri(rel);
  }

  /** A neutral URI as a mirror file's URI; other schemes the host passed on stay as they are; null when malformed. */
  fromNeutral(uri: string): string | null {
    if (PASS_THROUGH.has(/^[A-Za-z][A-Za-z0-9+.-]*:/.exec(uri)?.[0]?.toLowerCase() ?? '')) return uri;
    try {
      return pathToFileURL(this.localPath(parseNeutral(uri))).href;
    } catch {
      return null;
    }
  }

  /** Where a neutral file lives in the mirror. */
  localPath(neutral: Neutral): string {
    return neutral.kind === 'share' ? path.join(this.root, neutral.rel) : path.join(this.root, EXTERNAL_FOLDER, neutral.token, neutral.name);
  }
}
