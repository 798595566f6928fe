// The host's disk operations for guests: read a chunk of a regular file (never a FIFO or device, which could
// block; never through a link swapped in after the policy's check), and replace a file atomically (temporary
// file in the same folder, then rename) keeping its mode. Errors are the service's, with share-relative paths
// only: a host's absolute paths never reach a guest.
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ResponseError } from 'vscode-jsonrpc/node.js';
import { LIMITS, type Chunk, type FileErrorCode } from './protocol.js';
import { fileError } from './rpc.js';

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Our temporary files' names, so file events about them are not passed on to guests. */
export const TEMP_NAME = /^\.lspair-write-[0-9a-f]{16}$/;

/** System errors as the service's: [code, what to say after the path]. */
const IO_ERRORS: Readonly<Record<string, readonly [FileErrorCode, string]>> = {
  ENOENT: ['notFound', 'no such file'],
  ENOTDIR: ['notFound', 'no such file'],
  EISDIR: ['notAFile', 'is a folder'],
  ELOOP: ['notShared', 'became a link while being opened; refused'],
  EACCES: ['denied', 'the host cannot access it'],
  EPERM: ['denied', 'the host cannot access it'],
};

/** Any failure about `rel` as a service error (one already is passes through). */
export function ioError(err: unknown, rel: string): ResponseError<unknown> {
  if (err instanceof ResponseError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  const [reason, text] = IO_ERRORS[code] ?? (['notFound', `cannot be read (${code})`] as const);
  return fileError(reason, `${rel}: ${text}`);
}

/** Up to `length` bytes of the regular file `abs` (a real path) from `offset`. */
export async function readChunk(abs: string, rel: string, offset: number, length: number): Promise<Chunk> {
  const handle = await open(abs, READ_FLAGS);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw fileError('notAFile', `${rel} is not a regular file`);
    if (stat.size > LIMITS.file) throw fileError('tooLarge', `${rel} is larger than ${LIMITS.file} bytes; not shared`);
    const buffer = Buffer.alloc(Math.max(0, Math.min(length, LIMITS.chunk, stat.size - offset)));
    const { bytesRead } = buffer.length > 0 ? await handle.read(buffer, 0, buffer.length, offset) : { bytesRead: 0 };
    return { data: buffer.subarray(0, bytesRead).toString('base64'), size: stat.size, mtime: stat.mtimeMs };
  } finally {
    await handle.close();
  }
}

/** Replaces the file at `abs` (a real path, or a new name in a real folder) with `data`; its stats after. */
export async function replaceFile(abs: string, rel: string, data: Uint8Array): Promise<Stats> {
  const old = await lstat(abs).catch(() => null);
  if (old && !old.isFile()) throw fileError('notAFile', `${rel} is not a regular file`);
  const temp = path.join(path.dirname(abs), `.lspair-write-${randomBytes(8).toString('hex')}`);
  const handle = await open(temp, CREATE_FLAGS, old ? old.mode & 0o7777 : 0o666);
  try {
    await handle.writeFile(data);
    if (old) await handle.chmod(old.mode & 0o7777); // the umask applied at creation
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, abs);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return lstat(abs);
}
