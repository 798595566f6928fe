// Share-relative paths as the file service speaks them. Both sides check every path they receive — the host
// against a hostile guest, the mirror against a hostile host — and refuse rather than repair: a path is
// `/`-separated, relative, without empty, `.` or `..` segments, and without NUL, backslashes (a separator on
// Windows), control characters (terminal escapes when `lspair ls` prints it) or lone surrogates (no file has
// that name). Whether the path is shared is the policy's question, asked after this one.

export const MAX_PATH_BYTES = 4096;
export const MAX_NAME_BYTES = 255;

export class PathError extends Error {
  override readonly name = 'PathError';
}

const FORBIDDEN = /[\x00-\x1f\x7f\\]|\p{Cs}/u;

/** `input` when it is a canonical share-relative path; a PathError saying why it is not otherwise. */
export function checkPath(input: unknown): string {
  if (typeof input !== 'string') throw new PathError('a path must be a string');
  const shown = JSON.stringify(input.length > 200 ? `${input.slice(0, 200)}…` : input);
  const refuse = (why: string): never => {
    throw new PathError(`${shown}: ${why}`);
  };
  if (input === '') refuse('empty path');
  if (Buffer.byteLength(input) > MAX_PATH_BYTES) refuse(`longer than ${MAX_PATH_BYTES} bytes`);
  if (FORBIDDEN.test(input)) refuse('NUL, backslash, control character or invalid UTF-16 in a path');
  if (input.startsWith('/')) refuse('absolute path (paths are relative to the shared folder)');
  for (const name of input.split('/')) {
    if (name === '') refuse('empty path segment');
    if (name === '.' || name === '..') refuse(`'${name}' segment`);
    if (Buffer.byteLength(name) > MAX_NAME_BYTES) refuse(`a name longer than ${MAX_NAME_BYTES} bytes`);
  }
  return input;
}

/** Whether `rel` is `dir` or lies under it ('' is the root and contains everything). */
export function within(rel: string, dir: string): boolean {
  return dir === '' || rel === dir || rel.startsWith(`${dir}/`);
}
