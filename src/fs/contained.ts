// Writes into the guest's mirror folder that a hostile host cannot steer outside it. Paths are checked before
// they get here (paths.ts); here every folder on the way is checked on disk to be a real folder — never a
// symlink, whoever placed it — and the final folder's real path must be where the path says. Files arrive by
// rename from the mirror's own temporary folder, so a link at the destination is replaced, never followed
// (and the mirror refuses to replace one it did not write: see Mirror). The checks and the operation they
// guard run synchronously, one after the other: nothing else in the process runs in between.
import { constants, lstatSync, mkdirSync, realpathSync, renameSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import path from 'node:path';

export class ContainmentError extends Error {
  override readonly name = 'ContainmentError';
}

/** Flags for a new temporary file: never an existing file, never through a link. */
export const TEMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function lstatOrNull(abs: string): Stats | null {
  try {
    return lstatSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export class ContainedFolder {
  /** `root` must be a real path (no symlink in it). */
  constructor(readonly root: string) {}

  /** The absolute path of `rel` (a checked share-relative path; '' is the root) in this folder. */
  path(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }

  /** Makes the folders down to `dir` ('' for the root), each checked; returns the ones it made, parents first. */
  prepare(dir: string): string[] {
    const made: string[] = [];
    let at = '';
    for (const name of dir === '' ? [] : dir.split('/')) {
      at = at === '' ? name : `${at}/${name}`;
      let stat = lstatOrNull(this.path(at));
      if (stat === null) {
        mkdirSync(this.path(at), { mode: 0o755 });
        made.push(at);
        stat = lstatSync(this.path(at));
      }
      this.#folder(at, stat);
    }
    this.#real(dir);
    return made;
  }

  /** What is at `rel` now (lstat), after checking the folders above it; null when nothing is. */
  inspect(rel: string): Stats | null {
    this.#parents(rel);
    return lstatOrNull(this.path(rel));
  }

  /**
   * Moves `temp` (a file in the mirror's own folder) to `rel`, making its folders, when what is there now
   * (nothing, or a file) may be replaced. Returns the folders made, what was there, and the placed file's
   * stats (null when it was not placed).
   */
  put(temp: string, rel: string, replaceable: (current: Stats | null) => boolean): { made: string[]; current: Stats | null; placed: Stats | null } {
    const made = this.prepare(rel.split('/').slice(0, -1).join('/'));
    const current = lstatOrNull(this.path(rel));
    if (!replaceable(current)) return { made, current, placed: null };
    renameSync(temp, this.path(rel));
    return { made, current, placed: lstatSync(this.path(rel)) };
  }

  unlink(rel: string): void {
    this.#parents(rel);
    unlinkSync(this.path(rel));
  }

  /** Removes an empty folder; false when it is not empty (something of the user's is left in it). */
  rmdir(rel: string): boolean {
    this.#parents(rel);
    this.#folder(rel, lstatSync(this.path(rel)));
    try {
      rmdirSync(this.path(rel));
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw err;
    }
  }

  /** Every folder above `rel` is a real folder, and the last one is really where it should be. */
  #parents(rel: string): void {
    const names = rel.split('/').slice(0, -1);
    for (let i = 1; i <= names.length; i++) {
      const at = names.slice(0, i).join('/');
      this.#folder(at, lstatSync(this.path(at)));
    }
    this.#real(names.join('/'));
  }

  #folder(rel: string, stat: Stats): void {
    if (stat.isSymbolicLink()) throw new ContainmentError(`${rel} is a symbolic link in the mirror; not followed`);
    if (!stat.isDirectory()) throw new ContainmentError(`${rel} is not a folder in the mirror`);
  }

  #real(dir: string): void {
    if (realpathSync.native(this.path(dir)) !== this.path(dir)) throw new ContainmentError(`${dir || '.'} is not where it should be in the mirror`);
  }
}
