// The file policy of one shared folder (DESIGN §5): for any path, what a guest may see of it and which rule
// decided. Rule files are read lazily, one folder at a time, and each folder's rule stack is cached.
import { EventEmitter } from 'node:events';
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { logger } from '../log.js';
import { fromBytes, toBytes } from './bytes.js';
import { caseInsensitiveDisk } from './case.js';
import { readRuleFile } from './files.js';
import { parseIgnoreFile, type Line } from './ignorefile.js';
import { parseVsls, type GitignoreMode, type PolicyError } from './vsls.js';
import { asciiLower, foldCase } from './wildmatch.js';

export type State = 'visible' | 'hidden' | 'excluded' | 'outside';
export type Kind = 'exclude' | 'hide';

export interface RuleRef {
  /** The rule file relative to the root, or `builtin`. */
  readonly source: string;
  readonly line: number;
  /** The pattern as written (with its `!`); empty for a rule file that failed to load. */
  readonly pattern: string;
  readonly kind: Kind;
  /** Set when the folder is excluded because its .vsls.json (or .gitignore) could not be used. */
  readonly error?: string;
}

export interface Decision {
  readonly state: State;
  /** The rule that decided; for `visible`, the negation that re-included the path, if any. */
  readonly rule: RuleRef | null;
}

export interface PolicyOptions {
  /** More absolute paths that are always excluded (the host's own config files, if inside the share). */
  readonly exclude?: readonly string[];
  /** Rules match names in any case (git's core.ignorecase); default: whether the share's disk ignores case. */
  readonly ignoreCase?: boolean;
}

/** One pattern of a rule file, with where it came from. */
export interface Rule extends Line {
  readonly source: string;
  /** Bytes of the path prefix (`dir/`) that the pattern's path is relative to. */
  readonly baseLen: number;
}

/** The rules that one folder contributes. */
export interface Frame {
  readonly dir: string;
  readonly gitignore: string | null;
  readonly vsls: string | null;
  readonly git: readonly Rule[];
  readonly excludeFiles: readonly Rule[];
  readonly hideFiles: readonly Rule[];
  readonly mode: GitignoreMode | undefined;
}

/** A folder: its own decision, and the rule stacks its children are judged by. */
export interface Dir {
  readonly rel: string;
  readonly bytes: string;
  readonly self: Decision;
  /** Root first. Empty when the folder is excluded or outside (its children inherit `self`). */
  readonly frames: readonly Frame[];
  readonly mode: GitignoreMode;
  /** Where the folder really is, relative to the root, when a symlink on the way leads elsewhere inside. */
  readonly real: string | null;
  /** Deepest first: the first list with a match decides, and in a list the last match wins (as in git). */
  readonly exclude: readonly (readonly Rule[])[];
  readonly hide: readonly (readonly Rule[])[];
}

export type EntryType = 'dir' | 'file' | 'symlink';

/** An input that needs path.resolve: absolute, or with empty, `.` or `..` segments. */
const NOT_PLAIN = /^\/|\/\/|(^|\/)\.\.?(\/|$)|^$/;

const RANK: Record<State, number> = { visible: 0, hidden: 1, excluded: 2, outside: 3 };
const OUTSIDE: Decision = { state: 'outside', rule: null };
const VISIBLE: Decision = { state: 'visible', rule: null };
const INVALID: Decision = { state: 'excluded', rule: { source: 'builtin', line: 0, pattern: '(invalid path)', kind: 'exclude' } };

/** Names that are always excluded, compared case-insensitively so a case-insensitive disk cannot dodge them. */
export const BUILTIN_NAMES: ReadonlyMap<string, string> = new Map([
  ['.git', '.git'],
  ['.vsls.json', '.vsls.json'],
  ['.lspair', '.lspair/'],
  ['.lspair.json', '.lspair.json'],
]);

function builtin(pattern: string): Decision {
  return { state: 'excluded', rule: { source: 'builtin', line: 0, pattern, kind: 'exclude' } };
}

function stricter(a: Decision, b: Decision): Decision {
  return RANK[b.state] > RANK[a.state] ? b : a;
}

function direntType(entry: Dirent): EntryType {
  return entry.isSymbolicLink() ? 'symlink' : entry.isDirectory() ? 'dir' : 'file';
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

export function ruleRef(rule: Rule, kind: Kind): RuleRef {
  return { source: rule.source, line: rule.line, pattern: fromBytes(rule.pattern.source), kind };
}

/** The last matching rule of the first list that has one (git's last_matching_pattern_from_lists). */
export function firstMatch(lists: readonly (readonly Rule[])[], pathBytes: string, nameBytes: string, isDir: boolean): Rule | null {
  for (const list of lists) {
    for (let i = list.length - 1; i >= 0; i--) {
      const rule = list[i]!;
      if (rule.pattern.mustBeDir && !isDir) continue;
      if (rule.pattern.test(rule.pattern.basename ? nameBytes : pathBytes.slice(rule.baseLen))) return rule;
    }
  }
  return null;
}

/** The patterns of one frame that fall in a channel under a gitignore mode: .gitignore lines, then .vsls.json. */
function channel(frame: Frame, mode: GitignoreMode, kind: Kind): readonly Rule[] {
  const own = kind === 'exclude' ? frame.excludeFiles : frame.hideFiles;
  return mode === kind && frame.git.length > 0 ? [...frame.git, ...own] : own;
}

export class Policy extends EventEmitter {
  readonly root: string;
  private readonly given: string;
  private readonly dirs = new Map<string, Dir>();
  private readonly extra: ReadonlySet<string>;
  /** Names match in any case: on a case-insensitive disk every spelling of an excluded name is that file. */
  readonly ignoreCase: boolean;
  private readonly problems = new Map<string, PolicyError>();
  private readonly log = logger('policy');

  /** `root` must be a readable folder; its real path (symlinks resolved) is the boundary of the share. */
  constructor(root: string, options: PolicyOptions = {}) {
    super();
    this.given = path.resolve(root);
    this.root = realpathSync.native(this.given);
    if (!statSync(this.root).isDirectory()) throw new Error(`${root} is not a folder`);
    const extra = (options.exclude ?? []).map((p) => this.relative(path.resolve(p)) ?? this.relative(this.realOrSelf(p)));
    this.ignoreCase = options.ignoreCase ?? caseInsensitiveDisk(this.root);
    if (this.ignoreCase && options.ignoreCase === undefined) this.log.info({ root: this.root }, "the share is on a case-insensitive disk: its rules match names in any case (as git's core.ignorecase)");
    this.extra = new Set(extra.filter((rel): rel is string => rel !== null && rel !== '').map((rel) => this.#spelling(rel)));
  }

  /** Problems with rule files found so far (each one excludes the folder that holds it). */
  get errors(): PolicyError[] {
    return [...this.problems.values()];
  }

  /** A path relative to the root (any form: relative to the root, or absolute), as a decision. */
  check(input: string): Decision {
    const target = this.locate(input);
    if (target === 'invalid') return INVALID;
    if (target === null) return OUTSIDE;
    return this.classify(target.rel, target.dir);
  }

  /**
   * Many paths at once: each folder is listed once for the whole batch instead of one lstat per path, which
   * is what makes a 100 000-path check fast. Answers are the same as `check` on each.
   */
  checkAll(inputs: readonly string[]): Decision[] {
    const listings = new Map<string, Map<string, EntryType> | null>();
    const typeOf = (rel: string): EntryType | undefined => {
      const dir = parentOf(rel);
      let listing = listings.get(dir);
      if (listing === undefined) listings.set(dir, (listing = this.list(dir)));
      return listing === null ? this.typeOf(rel) : listing.get(rel.slice(rel.lastIndexOf('/') + 1));
    };
    const answers = new Array<Decision>(inputs.length);
    // Folder by folder (sorted), so each folder's records stay hot while its entries are decided.
    const order = inputs.map((_, i) => i).sort((a, b) => (inputs[a]! < inputs[b]! ? -1 : inputs[a]! > inputs[b]! ? 1 : 0));
    for (const i of order) {
      const target = this.locate(inputs[i]!);
      if (target === 'invalid') answers[i] = INVALID;
      else if (target === null) answers[i] = OUTSIDE;
      else answers[i] = target.rel === '' ? this.dir('').self : this.classify(target.rel, target.dir, typeOf(target.rel));
    }
    return answers;
  }

  /** The canonical relative path of an input, null when it lies outside the root, `invalid` for a NUL. */
  locate(input: string): { rel: string; dir: boolean } | null | 'invalid' {
    if (input.includes('\0')) return 'invalid';
    const dir = input.endsWith('/');
    if (!NOT_PLAIN.test(input)) return { rel: dir ? input.slice(0, -1) : input, dir };
    const abs = path.resolve(this.given, input);
    const rel = this.relative(abs, this.given) ?? this.relative(abs);
    return rel === null ? null : { rel, dir };
  }

  /** Decide a canonical relative path ('' is the root); `asDir` when the caller knows it is a folder. */
  classify(rel: string, asDir = false, type: EntryType | undefined = this.typeOf(rel)): Decision {
    if (rel === '') return this.dir('').self;
    if (type === 'symlink') return this.viaLink(this.dir(parentOf(rel)), rel);
    if (type === 'dir' || (type === undefined && asDir)) return this.dir(rel).self;
    return this.file(this.dir(parentOf(rel)), rel, asDir);
  }

  /** Every entry a guest would see, depth first, siblings sorted; excluded folders are never entered. */
  *entries(options: { hidden?: boolean } = {}): Generator<{ path: string; type: 'dir' | 'file' | 'symlink'; decision: Decision }> {
    yield* this.walk(this.dir(''), options.hidden ?? false);
  }

  /** A rule file in folder `rel` changed: recompute decisions under it and tell subscribers (`change`). */
  invalidate(rel: string): void {
    this.forget(rel);
    this.emit('change', { dir: rel });
  }

  /** Drop cached folder records at and under `rel` (a folder or symlink came or went), and any reached by a symlink. */
  forget(rel: string): void {
    const spelled = this.#spelling(rel);
    if (rel !== '' && !this.dirs.has(spelled)) return;
    for (const [key, dir] of this.dirs) {
      if (rel === '' || key === spelled || key.startsWith(`${spelled}/`) || dir.real !== null) this.dirs.delete(key);
    }
  }

  /**
   * The folder record of a canonical relative path (for explanations and walks). Records are kept by the disk's
   * spelling, so that a change under one spelling is a change under all of them.
   */
  dir(rel: string): Dir {
    const key = this.#spelling(rel);
    const known = this.dirs.get(key);
    if (known) return known;
    const made = rel === '' ? this.makeRoot() : this.makeDir(this.dir(parentOf(rel)), rel);
    this.dirs.set(key, made);
    return made;
  }

  /** A child of `dir` judged by its rule stacks, lexically (symlinks are the callers' business). */
  evaluate(dir: Dir, name: string, isDir: boolean): Decision {
    if (dir.self.state === 'excluded' || dir.self.state === 'outside') return dir.self;
    const rel = join(dir.rel, name);
    const named = BUILTIN_NAMES.get(name.toLowerCase());
    if (named) return builtin(named);
    if (this.extra.has(this.#spelling(rel))) return builtin(`/${rel}`);
    const nameBytes = toBytes(name);
    const pathBytes = dir.bytes === '' ? nameBytes : `${dir.bytes}/${nameBytes}`;
    const excluded = firstMatch(dir.exclude, pathBytes, nameBytes, isDir);
    if (excluded && !excluded.pattern.negative) return { state: 'excluded', rule: ruleRef(excluded, 'exclude') };
    if (dir.self.state === 'hidden') return dir.self;
    const hidden = firstMatch(dir.hide, pathBytes, nameBytes, isDir);
    if (hidden && !hidden.pattern.negative) return { state: 'hidden', rule: ruleRef(hidden, 'hide') };
    if (excluded) return { state: 'visible', rule: ruleRef(excluded, 'exclude') };
    return hidden ? { state: 'visible', rule: ruleRef(hidden, 'hide') } : VISIBLE;
  }

  private file(dir: Dir, rel: string, isDir: boolean): Decision {
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    const lexical = this.evaluate(dir, name, isDir);
    return dir.real === null ? lexical : stricter(lexical, this.evaluate(this.dir(dir.real), name, isDir));
  }

  /** A symlink: git sees a link (not a folder); a guest would reach its target, so both must pass. */
  private viaLink(dir: Dir, rel: string): Decision {
    const target = this.linkTarget(rel);
    if (target === null) return OUTSIDE;
    const lexical = this.file(dir, rel, false);
    if (RANK[lexical.state] >= RANK.excluded) return lexical;
    return stricter(lexical, this.typeOf(target) === 'dir' ? this.dir(target).self : this.file(this.dir(parentOf(target)), target, false));
  }

  /** Where a symlink leads, relative to the root; null when it leaves the root or cannot be resolved. */
  private linkTarget(rel: string): string | null {
    const abs = path.join(this.root, rel);
    try {
      return this.relative(realpathSync.native(abs));
    } catch {
      try {
        return this.relative(path.resolve(realpathSync.native(path.dirname(abs)), readlinkSync(abs)));
      } catch {
        return null;
      }
    }
  }

  private makeRoot(): Dir {
    const frame = this.frame('');
    const base = { rel: '', bytes: '', real: null };
    if ('error' in frame) return { ...base, self: frame.error, frames: [], mode: 'hide', exclude: [], hide: [] };
    return this.withFrames(base, VISIBLE, [frame], frame.mode ?? 'hide');
  }

  private makeDir(parent: Dir, rel: string): Dir {
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    const base = { rel, bytes: toBytes(rel), real: parent.real === null ? null : join(parent.real, name) };
    const closed = (self: Decision): Dir => ({ ...base, self, frames: [], mode: parent.mode, exclude: [], hide: [] });
    if (parent.self.state === 'outside' || parent.self.state === 'excluded') return closed(parent.self);
    let self = this.evaluate(parent, name, true);
    if (this.typeOf(rel) === 'symlink') {
      const target = this.linkTarget(rel);
      if (target === null) return closed(OUTSIDE);
      self = stricter(this.evaluate(parent, name, false), this.dir(target).self);
      base.real = target;
    } else if (base.real !== null) {
      self = stricter(self, this.dir(base.real).self);
    }
    if (self.state === 'excluded' || self.state === 'outside') return closed(self);
    const frame = this.frame(rel);
    if ('error' in frame) return closed(frame.error);
    return this.withFrames(base, self, [...parent.frames, frame], frame.mode ?? parent.mode);
  }

  private withFrames(base: Pick<Dir, 'rel' | 'bytes' | 'real'>, self: Decision, frames: Frame[], mode: GitignoreMode): Dir {
    const deepest = [...frames].reverse();
    const lists = (kind: Kind): Rule[][] => deepest.map((f) => [...channel(f, mode, kind)]).filter((l) => l.length > 0);
    return { ...base, self, frames, mode, exclude: lists('exclude'), hide: lists('hide') };
  }

  /** Read the rule files of one folder; a .vsls.json that cannot be used excludes the folder (fail closed). */
  private frame(dir: string): Frame | { error: Decision } {
    const prefixLen = dir === '' ? 0 : toBytes(dir).length + 1;
    const rules = (lines: Line[], source: string): Rule[] => lines.map((l) => ({ ...l, pattern: this.ignoreCase ? foldCase(l.pattern) : l.pattern, source, baseLen: prefixLen }));
    const gitignorePath = join(dir, '.gitignore');
    const vslsPath = join(dir, '.vsls.json');
    const git = readRuleFile(path.join(this.root, gitignorePath));
    let gitRules: Rule[] = [];
    if (git.kind === 'file') gitRules = rules(parseIgnoreFile(git.data.toString('latin1')), gitignorePath);
    else if (git.kind === 'refused' && (git.why === 'symlink' || git.why === 'special')) this.log.warn({ file: gitignorePath }, `.gitignore ${git.reason}; skipped as git does`);
    else if (git.kind === 'refused') return { error: this.fail({ source: gitignorePath, line: 0, column: 0, message: git.reason }) };
    const vsls = readRuleFile(path.join(this.root, vslsPath));
    if (vsls.kind === 'refused') return { error: this.fail({ source: vslsPath, line: 0, column: 0, message: vsls.reason }) };
    const frame = { dir, gitignore: git.kind === 'file' ? gitignorePath : null, git: gitRules };
    if (vsls.kind === 'absent') return { ...frame, vsls: null, excludeFiles: [], hideFiles: [], mode: undefined };
    const parsed = parseVsls(vsls.data.toString('utf8'), vslsPath);
    if ('error' in parsed) return { error: this.fail(parsed.error) };
    const { config } = parsed;
    return { ...frame, vsls: vslsPath, excludeFiles: rules(config.exclude, vslsPath), hideFiles: rules(config.hide, vslsPath), mode: config.gitignore };
  }

  private fail(problem: PolicyError): Decision {
    if (!this.problems.has(problem.source)) {
      this.log.warn({ file: problem.source, line: problem.line, column: problem.column }, `${problem.message}; its folder is excluded`);
    }
    this.problems.set(problem.source, problem);
    const where = problem.line > 0 ? `${problem.source}:${problem.line}:${problem.column}` : problem.source;
    return { state: 'excluded', rule: { source: problem.source, line: problem.line, pattern: '', kind: 'exclude', error: `${where}: ${problem.message}` } };
  }

  private *walk(dir: Dir, hidden: boolean): Generator<{ path: string; type: 'dir' | 'file' | 'symlink'; decision: Decision }> {
    let entries: Dirent[];
    try {
      entries = readdirSync(path.join(this.root, dir.rel), { withFileTypes: true });
    } catch (err) {
      this.log.warn({ dir: dir.rel, code: (err as NodeJS.ErrnoException).code }, 'cannot list folder; left out');
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const rel = join(dir.rel, entry.name);
      const type = direntType(entry);
      const child = type === 'dir' ? this.dir(rel) : null;
      const decision = child?.self ?? (type === 'symlink' ? this.viaLink(dir, rel) : this.file(dir, rel, false));
      if (decision.state !== 'visible' && !(hidden && decision.state === 'hidden')) continue;
      yield { path: child ? `${rel}/` : rel, type, decision };
      if (child) yield* this.walk(child, hidden);
    }
  }

  private typeOf(rel: string): EntryType | undefined {
    try {
      const stat = lstatSync(path.join(this.root, rel), { throwIfNoEntry: false });
      return stat === undefined ? undefined : stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'dir' : 'file';
    } catch {
      return undefined;
    }
  }

  /** A folder's entries and their types; null when it cannot be listed (callers fall back to lstat). */
  private list(dir: string): Map<string, EntryType> | null {
    try {
      const entries = readdirSync(path.join(this.root, dir), { withFileTypes: true });
      return new Map(entries.map((e) => [e.name, direntType(e)]));
    } catch {
      return null;
    }
  }

  /** A relative path as the disk tells it apart from others. */
  #spelling(rel: string): string {
    return this.ignoreCase ? asciiLower(rel) : rel;
  }

  private realOrSelf(p: string): string {
    try {
      return realpathSync.native(p);
    } catch {
      return path.resolve(p);
    }
  }

  /** `abs` relative to `base` (default: the real root) in `/` form; null when outside. */
  private relative(abs: string, base = this.root): string | null {
    const rel = path.relative(base, abs);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return null;
    return rel.split(path.sep).join('/');
  }
}
