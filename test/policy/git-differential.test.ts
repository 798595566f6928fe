// Differential test: with `gitignore: "exclude"` and no other rules, `excluded` must equal git's "ignored" on
// every path, and the deciding line must be the one git reports; the batch `checkAll` must answer as `check`.
// Seeded; LSPAIR_SEED replays a run.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Policy } from '../../src/policy/index.js';
import { Random, seedFromEnv } from '../helpers/random.js';
import { tmpdir } from '../helpers/tmp.js';
import { gitCheckIgnore, gitInit, randomTree, writeTree, type Tree } from '../helpers/trees.js';

const SEED = seedFromEnv(20261124);
const ROUNDS = Number(process.env.LSPAIR_ROUNDS ?? 12);

/** A git repository holding a random tree, its .gitignore files in force as lspair's exclusions. */
function repository(rng: Random, prefix: string, options: Parameters<typeof randomTree>[1]): { root: string; tree: Tree } {
  const root = tmpdir(prefix);
  gitInit(root);
  const tree = randomTree(rng, options);
  writeTree(root, tree);
  writeFileSync(path.join(root, '.vsls.json'), '{"gitignore": "exclude"}');
  return { root, tree };
}

test(`policy agrees with git check-ignore on generated trees (seed ${SEED})`, () => {
  console.log(`  git differential: seed ${SEED} (replay with LSPAIR_SEED=${SEED})`);
  let checks = 0;
  const mismatches: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rng = new Random(SEED + round);
    const { root, tree } = repository(rng, 'lspair-gitdiff-', { files: 900, depth: 4, ignoreFiles: 12, lines: 14 });
    const paths = [...tree.dirs, ...tree.files, 'no/such/file', 'foo/no-such.log', ...tree.dirs.slice(0, 20).map((d) => `${d}/missing`)];
    const git = gitCheckIgnore(root, paths);
    const policy = new Policy(root);
    const batch = policy.checkAll(paths);
    paths.forEach((p, i) => {
      const ours = policy.check(p);
      if (JSON.stringify(batch[i]) !== JSON.stringify(ours)) mismatches.push(`round ${round} ${JSON.stringify(p)}: checkAll ${JSON.stringify(batch[i])} check ${JSON.stringify(ours)}`);
      const theirs = git[i] ?? null;
      const ignored = theirs !== null && !theirs.pattern.startsWith('!');
      const rule = ours.rule === null ? null : { source: ours.rule.source, line: ours.rule.line, pattern: ours.rule.pattern };
      checks++;
      if ((ours.state === 'excluded') !== ignored || JSON.stringify(rule) !== JSON.stringify(theirs)) {
        mismatches.push(`round ${round} ${JSON.stringify(p)}: git ${JSON.stringify(theirs)} ours ${ours.state} ${JSON.stringify(rule)}`);
      }
    });
  }
  console.log(`  git differential: ${checks} path checks, ${mismatches.length} mismatches`);
  assert.ok(checks >= 10_000, `only ${checks} checks`);
  assert.equal(mismatches.slice(0, 10), [], `seed ${SEED}`);
});

test("core.ignorecase on patterns picked for it: classes, ranges, literals, suffixes, anchors, negation", () => {
  const root = tmpdir('lspair-gitdiff-fold-');
  gitInit(root);
  const lines = ['[[:upper:]]x', '[[:lower:]]y', '[A-C]z', '[!a-c]w', '[Z-a]q', 'Secret/', '*.PEM', '/Build', 'docs/**/Draft*', 'NoteS.txt', '!keep.PEM', 'a?C', 'Mixed[[:upper:][:digit:]]End'];
  writeFileSync(path.join(root, '.gitignore'), `${lines.join('\n')}\n`);
  writeFileSync(path.join(root, '.vsls.json'), '{"gitignore": "exclude"}');
  const names = ['ax', 'Ax', 'AY', 'ay', 'bz', 'Bz', 'dZ', 'Aw', 'dw', 'Dw', 'zq', 'Zq', 'Aq', '_q', 'secret/k', 'SECRET/k', 'x.pem', 'X.Pem', 'build', 'BUILD', 'sub/build', 'DOCS/a/b/draft1', 'docs/DRAFT', 'notes.TXT', 'KEEP.pem', 'abc', 'AbC', 'mixedXend', 'MIXED7END', 'mixedxEND'];
  const git = gitCheckIgnore(root, names, true);
  const policy = new Policy(root, { ignoreCase: true });
  const differ = names.filter((name, i) => (policy.check(name).state === 'excluded') !== (git[i] !== null && !git[i]!.pattern.startsWith('!')));
  assert.equal(differ, []);
  assert.ok(git.filter((g) => g !== null).length >= 20, 'the spellings exercise the patterns');
});

/** `rel` with each ASCII letter's case swapped at random (about half of them). */
function respell(rng: Random, rel: string): string {
  return rel.replace(/[A-Za-z]/g, (c) => (rng.int(2) === 0 ? c : c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
}

test(`on a case-insensitive disk, policy agrees with git's core.ignorecase on every spelling (seed ${SEED})`, () => {
  let checks = 0;
  const mismatches: string[] = [];
  for (let round = 0; round < ROUNDS / 2; round++) {
    const rng = new Random(SEED + 1000 + round);
    // One root .gitignore: git and lspair both look nested ones up under the spelling asked, which this disk tells apart.
    const { root, tree } = repository(rng, 'lspair-gitdiff-case-', { files: 600, depth: 4, ignoreFiles: 1, lines: 20 });
    const paths = [...tree.dirs, ...tree.files].map((p) => respell(rng, p));
    const git = gitCheckIgnore(root, paths, true);
    const policy = new Policy(root, { ignoreCase: true });
    paths.forEach((p, i) => {
      const ours = policy.check(p);
      const theirs = git[i] ?? null;
      const ignored = theirs !== null && !theirs.pattern.startsWith('!');
      checks++;
      if ((ours.state === 'excluded') !== ignored) mismatches.push(`round ${round} ${JSON.stringify(p)}: git ${JSON.stringify(theirs)} ours ${ours.state} ${JSON.stringify(ours.rule)}`);
    });
  }
  console.log(`  git differential, core.ignorecase: ${checks} respelled paths, ${mismatches.length} mismatches`);
  assert.ok(checks >= 3000, `only ${checks} checks`);
  assert.equal(mismatches.slice(0, 10), [], `seed ${SEED}`);
});

test.run();
