// Live reload: chokidar watches the shared folder; when a .gitignore or .vsls.json appears, changes or goes,
// the cached decisions under it are dropped and the policy emits `change` with the folder whose subtree may
// have changed; when a folder or symlink comes or goes, its cached record is dropped. Subscribers then hear
// of every file event (a rule file's too), once the policy already answers for the new state of the disk.
// chokidar drops a file's `change` events for 50 ms after one, so a file written twice in quick succession
// would keep its first version here: after each change the file is looked at again once that window is over.
import { lstatSync, type Stats } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { logger } from '../log.js';
import type { Policy } from './policy.js';

export type FileEventType = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';

export interface FileEvent {
  readonly type: FileEventType;
  /** Relative to the shared root, `/`-separated; never '' (the root itself). */
  readonly path: string;
}

export type FileListener = (event: FileEvent) => void;

export interface PolicyWatcher {
  /** Resolves once the initial scan is done and changes are being reported. */
  readonly ready: Promise<void>;
  /** Calls `listener` for each file event under the share; returns the function that stops it. */
  subscribe(listener: FileListener): () => void;
  close(): Promise<void>;
}

const RULE_FILES = new Set(['.gitignore', '.vsls.json']);
/** chokidar's window for repeated `change` events, and when to look again after one. */
const CHANGE_THROTTLE_MS = 50;
const RECHECK_MS = 2 * CHANGE_THROTTLE_MS;

/** What tells one version of a file from the next (from `stats` when chokidar has them); null when gone. */
function stamp(abs: string, stats?: Stats): string | null {
  try {
    const stat = stats ?? lstatSync(abs);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
  } catch {
    return null;
  }
}
const EVENTS: readonly FileEventType[] = ['add', 'change', 'unlink', 'addDir', 'unlinkDir'];

export function watchPolicy(policy: Policy): PolicyWatcher {
  const log = logger('policy-watch');
  const listeners = new Set<FileListener>();
  const watcher: FSWatcher = watch(policy.root, {
    ignoreInitial: true,
    followSymlinks: false,
    ignored: (p) => path.basename(p).toLowerCase() === '.git',
  });
  const relative = (abs: string): string => path.relative(policy.root, abs).split(path.sep).join('/');
  /** Brings the policy up to date with a change at `rel`. */
  const update = (type: FileEventType, rel: string): void => {
    const isDir = type === 'addDir' || type === 'unlinkDir';
    if (isDir || !RULE_FILES.has(path.posix.basename(rel))) return policy.forget(rel);
    log.info({ file: rel }, 'rule file changed; decisions below it are recomputed');
    policy.invalidate(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));
  };
  const rechecks = new Map<string, NodeJS.Timeout>();
  const dispatch = (type: FileEventType, abs: string, stats?: Stats): void => {
    const rel = relative(abs);
    if (rel === '') return;
    const seen = type === 'change' ? stamp(abs, stats) : null; // before anyone (a subscriber, too) changes it again
    update(type, rel);
    for (const listener of listeners) {
      try {
        listener({ type, path: rel });
      } catch (err) {
        log.error({ err, event: type }, 'a file-event subscriber failed');
      }
    }
    if (type === 'change') recheck(abs, seen);
  };
  /** Reports the change chokidar may swallow in its throttle window. */
  const recheck = (abs: string, seen: string | null): void => {
    clearTimeout(rechecks.get(abs));
    const timer = setTimeout(() => {
      rechecks.delete(abs);
      const now = stamp(abs);
      if (now !== null && now !== seen) dispatch('change', abs);
    }, RECHECK_MS);
    rechecks.set(abs, timer);
  };
  for (const type of EVENTS) watcher.on(type, (abs: string, stats?: Stats) => dispatch(type, abs, stats));
  watcher.on('error', (err) => log.warn({ err }, 'watch error'));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close: () => {
      for (const timer of rechecks.values()) clearTimeout(timer);
      rechecks.clear();
      return watcher.close();
    },
  };
}
