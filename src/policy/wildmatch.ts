// One gitignore pattern compiled to a predicate that agrees with git: dir.c's parse_path_pattern,
// match_basename and match_pathname, and wildmatch.c with WM_PATHNAME. All text is byte strings (bytes.ts).
export type Test = (text: string) => boolean;

export interface Pattern {
  /** The line as git reports it: trailing spaces trimmed, with its `!` and trailing `/`. */
  readonly source: string;
  readonly negative: boolean;
  readonly mustBeDir: boolean;
  /** No slash: matched against the basename at any depth; else against the path relative to the base. */
  readonly basename: boolean;
  readonly test: Test;
}

const NEVER: Test = () => false;
const SPECIAL = new Set(['*', '?', '[', '\\']);

/** git's ctype for [:class:] (ASCII only; its isspace is \t \n \r and space). */
const CLASSES: Record<string, (c: number) => boolean> = {
  alnum: (c) => isDigit(c) || isAlpha(c),
  alpha: (c) => isAlpha(c),
  blank: (c) => c === 32 || c === 9,
  cntrl: (c) => c < 32 || c === 127,
  digit: (c) => isDigit(c),
  graph: (c) => c > 32 && c < 127,
  lower: (c) => c >= 97 && c <= 122,
  print: (c) => c >= 32 && c < 127,
  punct: (c) => (c > 32 && c < 48) || (c > 57 && c < 65) || (c > 90 && c < 97) || (c > 122 && c < 127),
  space: (c) => c === 9 || c === 10 || c === 13 || c === 32,
  upper: (c) => c >= 65 && c <= 90,
  xdigit: (c) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
};

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function hex(c: number): string {
  return `\\x${c.toString(16).padStart(2, '0')}`;
}

/** `text` as a regex source; with `fold`, each ASCII letter in either case. */
function literal(text: string, fold: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (fold && /[A-Za-z]/.test(ch)) out += `[${ch.toLowerCase()}${ch.toUpperCase()}]`;
    else out += /[A-Za-z0-9_]/.test(ch) ? ch : hex(ch.charCodeAt(0));
  }
  return out;
}

/** Length of the leading part without glob specials (git's simple_length). */
function simpleLength(p: string): number {
  let i = 0;
  while (i < p.length && !SPECIAL.has(p[i]!)) i++;
  return i;
}

/**
 * A bracket expression starting at `start` (the `[`), as wildmatch.c parses it. Returns the regex class and the
 * index of its closing `]`, or null when it is malformed (git then aborts: the pattern can never match).
 * A bracket never matches `/`.
 */
function bracket(p: string, start: number, fold: boolean): { cls: string; end: number } | null {
  const set = new Uint8Array(256);
  let i = start + 1;
  let ch: string | undefined = p[i];
  const negated = ch === '!' || ch === '^';
  if (negated) ch = p[++i];
  let prev = '';
  do {
    if (ch === undefined) return null;
    if (ch === '\\') {
      ch = p[++i];
      if (ch === undefined) return null;
      set[ch.charCodeAt(0)] = 1;
    } else if (ch === '-' && prev !== '' && p[i + 1] !== undefined && p[i + 1] !== ']') {
      ch = p[++i]!;
      if (ch === '\\') {
        ch = p[++i];
        if (ch === undefined) return null;
      }
      for (let c = prev.charCodeAt(0); c <= ch.charCodeAt(0); c++) set[c] = 1;
      ch = '';
    } else if (ch === '[' && p[i + 1] === ':') {
      const from = i + 2;
      let to = from;
      while (to < p.length && p[to] !== ']') to++;
      if (to >= p.length) return null;
      if (to - from - 1 < 0 || p[to - 1] !== ':') {
        set[91] = 1; // not a class after all: a literal '[', and scanning resumes after it
      } else {
        const inClass = CLASSES[p.slice(from, to - 1)];
        if (!inClass) return null;
        for (let c = 0; c < 128; c++) if (inClass(c)) set[c] = 1;
        i = to;
        ch = '';
      }
    } else {
      set[ch.charCodeAt(0)] = 1;
    }
    prev = ch;
    ch = p[++i];
  } while (ch !== ']');
  if (fold) for (let c = 65; c <= 90; c++) set[c] = set[c + 32] = set[c]! | set[c + 32]!; // as wildmatch.c with WM_CASEFOLD
  let cls = '';
  for (let c = 0; c < 256; c++) {
    if (c === 47 || Boolean(set[c]) === negated) continue;
    let last = c;
    while (last + 1 < 256 && last + 1 !== 47 && Boolean(set[last + 1]) !== negated) last++;
    cls += last === c ? hex(c) : `${hex(c)}-${hex(last)}`;
    c = last;
  }
  return { cls: `[${cls}]`, end: i };
}

/**
 * wildmatch as a regex source. With `pathname`, a run of two or more stars bounded by the pattern's start or a
 * `/` on the left and by its end or a `/` (or an escaped one) on the right crosses directories; any other star
 * stops at `/`. Returns null for a malformed pattern.
 */
function translate(p: string, pathname: boolean, fold: boolean): string | null {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === '\\') {
      if (i + 1 >= p.length) return null;
      out += literal(p[++i]!, fold);
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '*') {
      let last = i;
      while (p[last + 1] === '*') last++;
      const next = last + 1;
      const bounded = pathname && last > i && (i === 0 || p[i - 1] === '/');
      if (bounded && next === p.length) out += '[^]*';
      else if (bounded && p[next] === '/') {
        out += '(?:[^]*/)?';
        last = next;
      } else if (bounded && p[next] === '\\' && p[next + 1] === '/') out += '[^]*';
      else out += '[^/]*';
      i = last;
    } else if (ch === '[') {
      const b = bracket(p, i, fold);
      if (!b) return null;
      out += b.cls;
      i = b.end;
    } else {
      out += literal(ch, fold);
    }
  }
  return out;
}

function regexTest(source: string | null): Test {
  if (source === null) return NEVER;
  const re = new RegExp(`^${source}$`);
  return (text) => re.test(text);
}

/** git's trim_trailing_spaces: unescaped trailing spaces (not tabs) go. */
export function trimTrailingSpaces(line: string): string {
  let lastSpace = -1;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === ' ') {
      if (lastSpace < 0) lastSpace = i;
    } else if (ch === '\\') {
      i++;
      if (i >= line.length) return line;
      lastSpace = -1;
    } else {
      lastSpace = -1;
    }
  }
  return lastSpace < 0 ? line : line.slice(0, lastSpace);
}

const cache = new Map<string, Pattern>();

/** ASCII letters in lower case, the way git folds them (its tolower is ASCII only). */
export function asciiLower(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32)) : text;
}

/** The pattern matching names in any ASCII case, as git's does with core.ignorecase (set on case-insensitive disks). */
export function foldCase(pattern: Pattern): Pattern {
  return compilePattern(pattern.source, true)!;
}

/**
 * Compile one pattern line (a byte string, already without its line ending, comment test and trailing-space
 * trim). Returns null for a line that can never match anything (empty). With `fold`, letters match in either case.
 */
export function compilePattern(line: string, fold = false): Pattern | null {
  const key = fold ? `\0${line}` : line; // a line has no NUL (git ends it there)
  const known = cache.get(key);
  if (known) return known;
  const norm = fold ? asciiLower : (text: string) => text;
  const negative = line.startsWith('!');
  let p = negative ? line.slice(1) : line;
  const mustBeDir = p.endsWith('/');
  if (mustBeDir) p = p.slice(0, -1);
  if (p === '') return null;
  const basename = !p.includes('/');
  let prefix = Math.min(simpleLength(p), p.length);
  let test: Test;
  if (basename) {
    const tail = p.slice(1);
    const [whole, end] = [norm(p), norm(tail)];
    if (prefix === p.length) test = (text) => norm(text) === whole;
    else if (p[0] === '*' && simpleLength(tail) === tail.length) test = (text) => norm(text).endsWith(end);
    else test = regexTest(translate(p, false, fold));
  } else {
    if (p.startsWith('/')) {
      p = p.slice(1);
      prefix--;
    }
    const head = p.slice(0, prefix);
    const rest = p.slice(prefix);
    const whole = norm(head);
    if (rest === '') test = (text) => norm(text) === whole;
    else {
      const wild = translate(rest, true, fold);
      test = regexTest(wild === null ? null : literal(head, fold) + wild);
    }
  }
  const pattern: Pattern = { source: line, negative, mustBeDir, basename, test };
  cache.set(key, pattern);
  return pattern;
}
