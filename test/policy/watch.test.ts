// Live reload: edits to .vsls.json and .gitignore files change decisions without a restart.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { EventEmitter, once } from 'node:events';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../../src/crypto/handshake.js';
import { Policy, watchPolicy, type FileEvent } from '../../src/policy/index.js';
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

test('subscribers hear each file event once the policy reflects it, and the change chokidar would swallow', async () => {
  const root = tmpdir();
  mkdirSync(path.join(root, 'sub'));
  writeFileSync(path.join(root, 'sub/a.txt'), '');
  const policy = new Policy(root);
  const watcher = watchPolicy(policy);
  const heard: (FileEvent & { state: string; text: string | null })[] = [];
  const changed = new EventEmitter();
  const stop = watcher.subscribe((event) => {
    let text: string | null = null;
    try {
      text = readFileSync(path.join(root, event.path), 'utf8');
    } catch {
      // a folder, or gone
    }
    heard.push({ ...event, state: policy.check('sub/a.txt').state, text });
    if (event.path === 'sub/a.txt' && text === 'one') writeFileSync(path.join(root, 'sub/a.txt'), 'second'); // within chokidar's 50 ms
    changed.emit('event');
  });
  const until = async (check: () => boolean) => {
    while (!check()) await once(changed, 'event');
  };
  try {
    await watcher.ready;
    writeFileSync(path.join(root, '.vsls.json'), '{"excludeFiles": ["*.txt"]}');
    await withTimeout(until(() => heard.some((e) => e.path === '.vsls.json')), 10_000);
    assert.is(heard.find((e) => e.path === '.vsls.json')!.state, 'excluded', 'the policy had the new rule when the event arrived');
    mkdirSync(path.join(root, 'new'));
    await withTimeout(until(() => heard.some((e) => e.type === 'addDir' && e.path === 'new')), 10_000);
    writeFileSync(path.join(root, 'sub/a.txt'), 'one');
    await withTimeout(until(() => heard.some((e) => e.path === 'sub/a.txt' && e.type === 'change' && e.text === 'second')), 10_000);
  } finally {
    stop();
    await watcher.close();
  }
});

test.run();
