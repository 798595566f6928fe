// Live reload: edits to .vsls.json and .gitignore files change decisions without a restart.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Policy, watchPolicy } from '../../src/policy/index.js';
import { tmpdir } from '../helpers/tmp.js';

/** Write a file and wait until the policy reports a change for its folder. */
async function edit(policy: Policy, file: string, text: string | null): Promise<{ dir: string }> {
  const changed = once(policy, 'change');
  if (text === null) rmSync(path.join(policy.root, file));
  else writeFileSync(path.join(policy.root, file), text);
  const [event] = await changed;
  return event as { dir: string };
}

test('added, edited, broken and removed rule files take effect live', async () => {
  const root = tmpdir();
  mkdirSync(path.join(root, 'sub'));
  writeFileSync(path.join(root, 'sub/a.key'), '');
  writeFileSync(path.join(root, 'sub/b.log'), '');
  const policy = new Policy(root);
  const watcher = watchPolicy(policy);
  try {
    await watcher.ready;
    assert.is(policy.check('sub/a.key').state, 'visible');

    assert.equal(await edit(policy, '.vsls.json', '{"excludeFiles": ["*.key"]}'), { dir: '' });
    assert.is(policy.check('sub/a.key').state, 'excluded');

    assert.equal(await edit(policy, 'sub/.gitignore', '*.log\n'), { dir: 'sub' });
    assert.is(policy.check('sub/b.log').state, 'hidden');

    await edit(policy, 'sub/.vsls.json', '{"gitignore": "exclude", }');
    assert.is(policy.check('sub/b.log').state, 'excluded');
    assert.ok(policy.check('sub/b.log').rule?.error);

    await edit(policy, 'sub/.vsls.json', '{"gitignore": "none", "excludeFiles": ["!a.key"]}');
    assert.equal(policy.check('sub/b.log'), { state: 'visible', rule: null });
    assert.is(policy.check('sub/a.key').state, 'visible');

    await edit(policy, 'sub/.vsls.json', null);
    assert.is(policy.check('sub/a.key').state, 'excluded');
    assert.is(policy.check('sub/b.log').state, 'hidden');
  } finally {
    await watcher.close();
  }
});

test.run();
