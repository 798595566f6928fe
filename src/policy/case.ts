// Whether a folder's disk tells names apart by case. On a case-insensitive disk (the macOS and Windows defaults)
// `SECRET/keys` opens `secret/keys`, so a rule written for one spelling must hold for every spelling, as git's
// core.ignorecase makes it.
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** `name` with the case of its ASCII letters swapped; the same string when it has none. */
function swapCase(name: string): string {
  return name.replace(/[A-Za-z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
}

/** Whether `parent/name` is also reached with its letters' case swapped; null when the name has no letters. */
function sameUnderSwappedCase(parent: string, name: string): boolean | null {
  const swapped = swapCase(name);
  if (swapped === name) return null;
  try {
    const a = lstatSync(path.join(parent, name));
    const b = lstatSync(path.join(parent, swapped), { throwIfNoEntry: false });
    return b !== undefined && a.ino === b.ino && a.dev === b.dev;
  } catch {
    return null;
  }
}

/**
 * Probed on an entry of the folder (its own disk, even when the folder is a mount point), else on the folder's
 * own name; a folder with no letters in any of those names counts as case-sensitive.
 */
export function caseInsensitiveDisk(dir: string): boolean {
  let names: string[] = [];
  try {
    names = readdirSync(dir).slice(0, 64);
  } catch {
    // unreadable: the folder's own name decides
  }
  for (const name of names) {
    const answer = sameUnderSwappedCase(dir, name);
    if (answer !== null) return answer;
  }
  return sameUnderSwappedCase(path.dirname(dir), path.basename(dir)) ?? false;
}
