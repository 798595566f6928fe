// Reading a rule file (.gitignore, .vsls.json) safely: never through a symlink, never a FIFO or device
// (which could block the daemon), never an unbounded size.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/** Larger rule files are refused; real ones are a few KiB. */
export const MAX_RULE_FILE = 8 * 1024 * 1024;

/** Why a file was refused: git itself skips a symlinked or non-regular .gitignore, so callers tell them apart. */
export type Refusal = 'symlink' | 'special' | 'size' | 'io';

export type ReadResult = { kind: 'absent' } | { kind: 'file'; data: Buffer } | { kind: 'refused'; why: Refusal; reason: string };

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export function readRuleFile(abs: string): ReadResult {
  let fd: number;
  try {
    fd = openSync(abs, FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'absent' };
    if (code === 'ELOOP') return { kind: 'refused', why: 'symlink', reason: 'is a symbolic link (not followed)' };
    return { kind: 'refused', why: 'io', reason: `cannot be read (${code ?? String(err)})` };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { kind: 'refused', why: 'special', reason: 'is not a regular file' };
    if (stat.size > MAX_RULE_FILE) return { kind: 'refused', why: 'size', reason: `is larger than ${MAX_RULE_FILE} bytes` };
    return { kind: 'file', data: readFileSync(fd) };
  } catch (err) {
    return { kind: 'refused', why: 'io', reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  } finally {
    closeSync(fd);
  }
}
