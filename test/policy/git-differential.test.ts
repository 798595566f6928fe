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
import { gitCheckIgnore, gitInit, randomTree, writeTree } from '../helpers/trees.js';

const SEED = seedFromEnv(20261124);
const ROUNDS = Number(process.env.LSPAIR_ROUNDS ?? 12);

test(`policy agrees with git check-ignore on generated trees (seed ${SEED})`, () => {
  console.log(`  git differential: seed ${SEED} (replay with LSPAIR_SEED=${SEED})`);
  let checks = 0;
  const mismatches: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rng = new Random(SEED + round);
    const root = tmpdir('lspair-gitdiff-');
    gitInit(root);
    const tree = randomTree(rng, { files: 900, depth: 4, ignoreFiles: 12, lines: 14 });
    writeTree(root, tree);
    writeFileSync(path.join(root, '.vsls.json'), '{"gitignore": "exclude"}');
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

test.run();
