// Why a path has the state it has: every rule file consulted from the root down, the line of each that matched,
// and the folder or rule that decided (like `git check-ignore -v`, for both exclude and hide).
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { toBytes } from './bytes.js';
import { firstMatch, ruleRef, type Decision, type Kind, type Policy, type Rule, type RuleRef } from './policy.js';
import type { GitignoreMode } from './vsls.js';

export interface SourceTrace {
  readonly file: string;
  /** The gitignore mode in force for the path, for a .gitignore file. */
  readonly mode?: GitignoreMode;
  readonly exclude: RuleRef | null;
  readonly hide: RuleRef | null;
}

export interface Explanation {
  readonly input: string;
  /** Canonical path relative to the root; null when the input lies outside it. */
  readonly path: string | null;
  readonly decision: Decision;
  /** The first folder above the path that is not visible: its decision carries to everything inside. */
  readonly folder: { readonly path: string; readonly decision: Decision } | null;
  readonly sources: readonly SourceTrace[];
}

function isDirectory(policy: Policy, rel: string, asked: boolean): boolean {
  try {
    return lstatSync(path.join(policy.root, rel)).isDirectory();
  } catch {
    return asked;
  }
}

export function explain(policy: Policy, input: string): Explanation {
  const decision = policy.check(input);
  const target = policy.locate(input);
  if (target === null || target === 'invalid' || target.rel === '') {
    return { input, path: target && target !== 'invalid' ? target.rel : null, decision, folder: null, sources: [] };
  }
  const parts = target.rel.split('/');
  let folder: Explanation['folder'] = null;
  for (let i = 0; i < parts.length && !folder; i++) {
    const rel = parts.slice(0, i).join('/');
    const { self } = policy.dir(rel);
    if (self.state !== 'visible') folder = { path: rel === '' ? '.' : `${rel}/`, decision: self };
  }
  const parent = policy.dir(parts.slice(0, -1).join('/'));
  const isDir = isDirectory(policy, target.rel, target.dir);
  const nameBytes = toBytes(parts[parts.length - 1]!);
  const pathBytes = toBytes(target.rel);
  const sources: SourceTrace[] = [];
  const match = (rules: readonly Rule[], kind: Kind): RuleRef | null => {
    const rule = firstMatch([rules], pathBytes, nameBytes, isDir);
    return rule ? ruleRef(rule, kind) : null;
  };
  for (const frame of parent.frames) {
    const mode = parent.mode;
    if (frame.gitignore) {
      sources.push({ file: frame.gitignore, mode, exclude: mode === 'exclude' ? match(frame.git, 'exclude') : null, hide: mode === 'hide' ? match(frame.git, 'hide') : null });
    }
    if (frame.vsls) sources.push({ file: frame.vsls, exclude: match(frame.excludeFiles, 'exclude'), hide: match(frame.hideFiles, 'hide') });
  }
  return { input, path: target.rel, decision, folder, sources };
}
