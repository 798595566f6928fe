// Generated folder trees and .gitignore files for differential tests and benchmarks, plus git as the oracle.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Random } from './random.js';

/** Names that exercise git's matcher: dots, case, spaces, glob characters, non-ASCII, `#` and `!`. */
export const NAMES = [
  'a', 'b', 'c', 'ab', 'abc', 'foo', 'bar', 'baz', 'x.log', 'y.txt', 'z.tmp', 'A', 'B.LOG', '.hidden', '.env',
  'node_modules', 'build', 'src', 'lib', 'sp ace', 'trail ', 'ünï', 'é.txt', '日本', 'star*', 'q?', '[br]',
  'back\\slash', '#hash', '!bang', 'a-b', 'a.b.c', '__x__', 'x1', 'X2', 'foo.log', 'foobar', 'barfoo',
];

export interface Tree {
  readonly dirs: string[];
  readonly files: string[];
  /** Folder (relative, '' = root) → .gitignore text. */
  readonly ignores: Map<string, string>;
}

function escapeName(name: string, first: boolean): string {
  let out = name.replace(/[*?[\\]/g, (c) => `\\${c}`);
  if (first && (out.startsWith('#') || out.startsWith('!'))) out = `\\${out}`;
  if (out.endsWith(' ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

function bracketFor(rng: Random, ch: string): string {
  const forms = [`[${ch}]`, `[${ch}xyz]`, `[!${ch}]`, `[^${ch}]`, '[a-f]', '[!a-f]', '[A-Z]', '[[:alpha:]]', '[[:digit:]]',
    '[[:upper:][:digit:]]', '[[:punct:]]', '[[:space:]]', '[]a]', '[!]]', '[a-]', '[-a]', '[\\]]', '[[:bogus:]]', '[[:alpha:]', '[[]'];
  return rng.pick(forms);
}

function segment(rng: Random, first: boolean): string {
  const name = rng.pick(NAMES);
  const cut = 1 + rng.int(Math.max(1, name.length - 1));
  switch (rng.int(14)) {
    case 0: case 1: return escapeName(name, first);
    case 2: return '*';
    case 3: return rng.pick(['**', '***']);
    case 4: return `*${name.includes('.') ? name.slice(name.lastIndexOf('.')) : name.slice(cut)}`;
    case 5: return `${escapeName(name.slice(0, cut), first)}*`;
    case 6: return `${escapeName(name.slice(0, cut - 1), first)}?${escapeName(name.slice(cut), false)}`;
    case 7: return `${bracketFor(rng, name[0] === '\\' ? 'a' : name[0]!)}${escapeName(name.slice(1), false)}`;
    case 8: return `${escapeName(name.slice(0, cut), first)}**${escapeName(name.slice(cut), false)}`;
    case 9: return name; // raw: its glob characters act as globs
    case 10: return rng.pick(['[a', 'a\\', '[!', '*[', '\\']);
    case 11: return `*${escapeName(name.slice(cut), false)}*`;
    case 12: // two names joined by a wildcard that must not cross the `/` between two folders
      return `${escapeName(name, first)}${rng.pick(['?', '*', '[!z]', '[^/]', '[/]', '[[:punct:]]'])}${escapeName(rng.pick(NAMES), false)}`;
    default: return escapeName(name, first).toUpperCase();
  }
}

export function randomPattern(rng: Random): string {
  if (rng.chance(0.03)) return rng.pick(['', '#comment', '   ', '\\#hash', '\\!bang', '!', '/', '**', '!**/', '*/']);
  const count = 1 + (rng.chance(0.6) ? 0 : rng.int(3));
  const parts = Array.from({ length: count }, (_, i) => segment(rng, i === 0));
  // A bare `*` or `**` alone decides almost every path; keep them rare so the other forms get exercised.
  if (count === 1 && /^\*+$/.test(parts[0]!) && rng.chance(0.85)) parts[0] = escapeName(rng.pick(NAMES), true);
  let p = parts.join('/');
  if (rng.chance(0.2)) p = `/${p}`;
  if (rng.chance(0.25)) p = `${p}/`;
  if (rng.chance(0.2)) p = `!${p}`;
  if (rng.chance(0.08)) p += rng.pick([' ', '  ', '\\ ', '\t']);
  return p;
}

export function randomIgnoreFile(rng: Random, lines: number): string {
  const body = Array.from({ length: lines }, () => randomPattern(rng));
  const eol = rng.chance(0.15) ? '\r\n' : '\n';
  return (rng.chance(0.05) ? '\ufeff' : '') + body.join(eol) + (rng.chance(0.8) ? eol : '');
}

/** A random tree of about `files` files under folders up to `depth` deep, with `ignoreFiles` .gitignore files. */
export function randomTree(rng: Random, options: { files: number; depth: number; ignoreFiles: number; lines: number; names?: readonly string[] }): Tree {
  const names = options.names ?? NAMES;
  const dirs = new Set<string>();
  const files = new Set<string>();
  for (let i = 0; i < options.files; i++) {
    let dir = '';
    const depth = rng.int(options.depth + 1);
    for (let d = 0; d < depth; d++) {
      const next = dir === '' ? rng.pick(names) : `${dir}/${rng.pick(names)}`;
      if (files.has(next)) break;
      dir = next;
      dirs.add(dir);
    }
    const file = `${dir === '' ? '' : `${dir}/`}${rng.pick(names)}${rng.chance(0.3) ? rng.pick(['.log', '.ts', '.txt', '']) : ''}`;
    if (!dirs.has(file) && file !== '.gitignore') files.add(file);
  }
  const folders = ['', ...dirs];
  const ignores = new Map<string, string>();
  for (let i = 0; i < options.ignoreFiles; i++) {
    const dir = i === 0 ? '' : rng.pick(folders);
    ignores.set(dir, randomIgnoreFile(rng, 1 + rng.int(options.lines)));
  }
  return { dirs: [...dirs], files: [...files], ignores };
}

export function writeTree(root: string, tree: Tree): void {
  for (const dir of tree.dirs) mkdirSync(path.join(root, dir), { recursive: true });
  for (const file of tree.files) writeFileSync(path.join(root, file), '');
  for (const [dir, text] of tree.ignores) writeFileSync(path.join(root, dir, '.gitignore'), text);
}

export interface GitAnswer {
  readonly source: string;
  readonly line: number;
  readonly pattern: string;
}

export const HERMETIC_GIT_ENV = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_COUNT: '0' };
/** `git check-ignore` as the oracle, names compared case-sensitively unless `ignoreCase` (git's core.ignorecase). */
export const checkIgnore = (ignoreCase = false): string[] => ['-c', `core.ignorecase=${ignoreCase}`, '-c', 'core.excludesFile=/dev/null', 'check-ignore', '--no-index', '-v', '-n', '-z', '--stdin'];

export function gitInit(root: string): void {
  const r = spawnSync('git', ['init', '-q', '--template=', root], { env: { ...process.env, ...HERMETIC_GIT_ENV } });
  if (r.status !== 0) throw new Error(`git init failed: ${r.stderr}`);
}

/** git check-ignore's verdict per path (null: no pattern matched), in input order. */
export function gitCheckIgnore(root: string, paths: readonly string[], ignoreCase = false): (GitAnswer | null)[] {
  const r = spawnSync('git', checkIgnore(ignoreCase), {
    cwd: root,
    input: Buffer.from(paths.map((p) => `${p}\0`).join(''), 'utf8'),
    env: { ...process.env, ...HERMETIC_GIT_ENV },
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`git check-ignore failed (${r.status}): ${r.stderr}`);
  const fields = r.stdout.toString('utf8').split('\0');
  const answers: (GitAnswer | null)[] = [];
  for (let i = 0; i + 3 < fields.length; i += 4) {
    answers.push(fields[i] === '' ? null : { source: fields[i]!, line: Number(fields[i + 1]), pattern: fields[i + 2]! });
  }
  if (answers.length !== paths.length) throw new Error(`git answered ${answers.length} of ${paths.length} paths`);
  return answers;
}
