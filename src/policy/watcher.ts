// Live reload: chokidar watches the shared folder; when a .gitignore or .vsls.json appears, changes or goes,
// the cached decisions under it are dropped and subscribers hear `change` with the folder whose subtree may
// have changed; when a folder or symlink comes or goes, its cached record is dropped.
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { logger } from '../log.js';
import type { Policy } from './policy.js';

export interface PolicyWatcher {
  /** Resolves once the initial scan is done and changes are being reported. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const RULE_FILES = new Set(['.gitignore', '.vsls.json']);

export function watchPolicy(policy: Policy): PolicyWatcher {
  const log = logger('policy-watch');
  const watcher: FSWatcher = watch(policy.root, {
    ignoreInitial: true,
    followSymlinks: false,
    ignored: (p) => path.basename(p).toLowerCase() === '.git',
  });
  const relative = (abs: string): string => path.relative(policy.root, abs).split(path.sep).join('/');
  const onPath = (abs: string): void => {
    if (!RULE_FILES.has(path.basename(abs))) return policy.forget(relative(abs));
    log.info({ file: relative(abs) }, 'rule file changed; decisions below it are recomputed');
    policy.invalidate(relative(path.dirname(abs)));
  };
  watcher.on('add', onPath).on('change', onPath).on('unlink', onPath);
  watcher.on('addDir', (abs) => policy.forget(relative(abs))).on('unlinkDir', (abs) => policy.forget(relative(abs)));
  watcher.on('error', (err) => log.warn({ err }, 'watch error'));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return { ready, close: () => watcher.close() };
}
