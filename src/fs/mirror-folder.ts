// The mirror folder on disk: a marker that says "this is an lspair mirror" (so a sync never spills into a
// folder of the user's), the record of what the mirror wrote (so it only ever replaces or deletes its own
// files, and a restart resyncs by difference), and its private space: temporary files and external files.
//   MIRROR/.lspair/mirror.json      the marker
//   MIRROR/.lspair/state.json       what the mirror wrote
//   MIRROR/.lspair/tmp/             downloads in progress
//   MIRROR/.lspair/external/TOKEN/NAME   read-only copies of files outside the share
// `.lspair` is always excluded on the host, so no shared path can collide with it.
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { logger } from '../log.js';
import { checkPath, PathError } from './paths.js';

const log = logger('mirror');

export const PRIVATE = '.lspair';
const MARKER = 'mirror.json';
const STATE = 'state.json';
const MARK = { lspair: 'mirror', version: 1 };

/** What the mirror wrote at a path: the host's version of it, and the local file's identity when written. */
export interface Owned {
  readonly type: 'file' | 'dir';
  /** The host's size and mtime of the version written (files). */
  readonly size: number;
  readonly mtime: number;
  /** The local file as the mirror left it: a different one is the user's now. */
  readonly ino: number;
  readonly localSize: number;
  readonly localMtime: number;
  readonly hidden?: true;
}

export interface MirrorFolder {
  /** Real path of the mirror. */
  readonly root: string;
  readonly temp: string;
  readonly external: string;
  readonly owned: Map<string, Owned>;
}

function isMarked(dir: string): boolean {
  try {
    const mark = JSON.parse(readFileSync(path.join(dir, PRIVATE, MARKER), 'utf8')) as unknown;
    return typeof mark === 'object' && mark !== null && (mark as { lspair?: unknown }).lspair === 'mirror';
  } catch {
    return false;
  }
}

/** A private folder of the mirror: made if missing, and never a link. */
function ownFolder(at: string): string {
  mkdirSync(at, { recursive: true, mode: 0o700 });
  if (!lstatSync(at).isDirectory()) throw new Error(`${at} must be a folder (not a link)`);
  return at;
}

/** A checked share-relative path that may exist in the mirror (none inside its private folder); else a PathError. */
export function mirrorPath(input: unknown): string {
  const rel = checkPath(input);
  if (rel.split('/').some((name) => name.toLowerCase() === PRIVATE)) throw new PathError(`${rel}: inside the mirror's own folder`);
  return rel;
}

function isMirrorPath(rel: string): boolean {
  try {
    return mirrorPath(rel) === rel;
  } catch {
    return false;
  }
}

function isOwned(value: unknown): value is Owned {
  const v = value as Record<string, unknown>;
  const numbers = ['size', 'mtime', 'ino', 'localSize', 'localMtime'].every((k) => typeof v?.[k] === 'number' && Number.isFinite(v[k]));
  return typeof value === 'object' && value !== null && (v.type === 'file' || v.type === 'dir') && numbers;
}

function loadState(file: string): Map<string, Owned> {
  const owned = new Map<string, Owned>();
  if (!existsSync(file)) return owned;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as { owned?: Record<string, unknown> };
    for (const [rel, value] of Object.entries(state.owned ?? {})) {
      if (isOwned(value) && isMirrorPath(rel)) owned.set(rel, value);
    }
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'the mirror state is unreadable; files already in the mirror are left alone');
    owned.clear();
  }
  return owned;
}

/**
 * Opens (creating it when missing) the mirror folder `dir`. A folder that is neither empty nor a mirror is
 * refused: the mirror never writes among files it did not make.
 */
export function openMirrorFolder(dir: string): MirrorFolder {
  mkdirSync(dir, { recursive: true });
  const root = realpathSync.native(dir);
  if (!isMarked(root) && readdirSync(root).length > 0) {
    throw new Error(`${root} is not empty and is not an lspair mirror; choose an empty or new folder (--dir)`);
  }
  const own = ownFolder(path.join(root, PRIVATE));
  const temp = path.join(own, 'tmp');
  const external = path.join(own, 'external');
  rmSync(temp, { recursive: true, force: true }); // downloads a previous run left unfinished
  rmSync(external, { recursive: true, force: true }); // tokens of an earlier session mean nothing now
  ownFolder(temp);
  ownFolder(external);
  if (!isMarked(root)) writeFileSync(path.join(own, MARKER), `${JSON.stringify(MARK)}\n`);
  return { root, temp: realpathSync.native(temp), external: realpathSync.native(external), owned: loadState(path.join(own, STATE)) };
}

/** Records what the mirror owns (atomically: a crash leaves the old record or the new). */
export async function saveState(folder: MirrorFolder): Promise<void> {
  const file = path.join(folder.root, PRIVATE, STATE);
  const temp = path.join(folder.temp, `state-${randomBytes(6).toString('hex')}`);
  await writeFile(temp, JSON.stringify({ version: 1, owned: Object.fromEntries(folder.owned) }), { flag: 'wx' });
  await rename(temp, file);
}

/** The mirror folder holding `from` (the nearest folder upwards with a mirror marker), or null. */
export function findMirror(from: string): string | null {
  let dir = realpathSync.native(from);
  for (;;) {
    if (isMarked(dir)) return dir;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}
