// The lines of a .gitignore file as git's add_patterns_from_buffer reads them: a UTF-8 BOM is skipped, `#`
// starts a comment, CR before LF is dropped, unescaped trailing spaces are trimmed, a NUL ends the line (git
// works on C strings), blank lines are skipped.
import { compilePattern, trimTrailingSpaces, type Pattern } from './wildmatch.js';

export interface Line {
  readonly line: number;
  readonly pattern: Pattern;
}

/** Compile one line (a byte string without its LF); null for a comment or a line that can never match. */
export function compileLine(raw: string): Pattern | null {
  if (raw === '' || raw.startsWith('#')) return null;
  let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  return compilePattern(trimTrailingSpaces(text));
}

/** Parse a whole .gitignore given as a byte string. */
export function parseIgnoreFile(bytes: string): Line[] {
  const body = bytes.startsWith('\xef\xbb\xbf') ? bytes.slice(3) : bytes;
  const lines: Line[] = [];
  body.split('\n').forEach((raw, index) => {
    const pattern = compileLine(raw);
    if (pattern) lines.push({ line: index + 1, pattern });
  });
  return lines;
}
