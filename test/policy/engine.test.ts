// The engine's edges: builtin rules, hostile inputs, unsafe rule files, single patterns checked against git, and a
// case-insensitive disk.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { caseInsensitiveDisk } from '../../src/policy/case.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { tmpdir } from '../helpers/tmp.js';
import { gitCheckIgnore, gitInit } from '../helpers/trees.js';

/** Files with their text; a path ending in `/`, or one that other paths lie under, is made a folder. */
function tree(files: Record<string, string>): string {
  const root = tmpdir();
  const rels = Object.keys(files);
  for (const rel of rels) {
    const isDir = rel.endsWith('/') || rels.some((other) => other.startsWith(`${rel}/`));
    mkdirSync(path.join(root, isDir ? rel : path.dirname(rel)), { recursive: true });
    if (!isDir) writeFileSync(path.join(root, rel), files[rel]!);
  }
  return root;
}

const builtins = suite('builtin rules');
builtins('.git (folder or file, any case), .vsls.json, .lspair/ and .lspair.json are always excluded', () => {
  const root = tree({ '.git/config': '', 'sub/.git': 'gitdir: x', '.GIT/HEAD': '', 'a/.lspair/keys': '', '.lspair.json': '{}', 'b/.VSLS.JSON': '', 'ok.txt': '' });
  writeFileSync(path.join(root, '.vsls.json'), '{"excludeFiles": ["!.git", "!.git/", "!.lspair.json"]}');
  const policy = new Policy(root);
  for (const p of ['.git/config', '.git/', 'sub/.git', '.GIT/HEAD', 'a/.lspair/keys', '.lspair.json', 'b/.VSLS.JSON', '.vsls.json']) {
    const d = policy.check(p);
    assert.is(d.state, 'excluded', p);
    assert.is(d.rule?.source, 'builtin', p);
  }
  assert.is(policy.check('ok.txt').state, 'visible');
});

builtins('extra paths (the host config) are excluded as builtin', () => {
  const root = tree({ 'host.json': '{}', 'etc/other.json': '' });
  const policy = new Policy(root, { exclude: [path.join(root, 'host.json'), '/somewhere/else.json'] });
  assert.equal(policy.check('host.json'), { state: 'excluded', rule: { source: 'builtin', line: 0, pattern: '/host.json', kind: 'exclude' } });
  assert.is(policy.check('etc/other.json').state, 'visible');
});
builtins.run();

const hostile = suite('hostile inputs');
hostile('NUL, parent escapes and absolute paths elsewhere are answered, never thrown', () => {
  const root = tree({ 'a/b.txt': '' });
  const policy = new Policy(root);
  assert.is(policy.check('a/b\0.txt').state, 'excluded');
  assert.is(policy.check('a/../../x').state, 'outside');
  assert.is(policy.check('/').state, 'outside');
  assert.is(policy.check(`${root}-sibling/a`).state, 'outside');
  assert.is(policy.check('a/./b.txt').state, 'visible');
  assert.is(policy.check(`${'x/'.repeat(2000)}y`).state, 'visible');
  assert.is(policy.check('.').state, 'visible');
});
hostile.run();

const files = suite('unsafe rule files fail closed');
files('a .vsls.json that is a symlink, a folder or a FIFO excludes its folder without blocking', () => {
  const root = tree({ 'link/x.txt': '', 'dir/.vsls.json/': '', 'dir/x.txt': '', 'fifo/x.txt': '', 'elsewhere.json': '{}' });
  symlinkSync('../elsewhere.json', path.join(root, 'link/.vsls.json'));
  execFileSync('mkfifo', [path.join(root, 'fifo/.vsls.json')]);
  const policy = new Policy(root);
  for (const dir of ['link', 'dir', 'fifo']) {
    const d = policy.check(`${dir}/x.txt`);
    assert.is(d.state, 'excluded', dir);
    assert.ok(d.rule?.error?.startsWith(`${dir}/.vsls.json`), dir);
  }
});

files('a symlinked .gitignore is skipped, as git skips it', () => {
  const root = tree({ 'real-ignore': '*.log\n', 'x.log': '' });
  symlinkSync('real-ignore', path.join(root, '.gitignore'));
  gitInit(root);
  assert.is(gitCheckIgnore(root, ['x.log'])[0], null);
  assert.is(new Policy(root).check('x.log').state, 'visible');
});
files.run();

const patterns = suite('single patterns agree with git');
const CASES: [string, string[]][] = [
  ['foo**/bar', ['foo/bar', 'foox/bar', 'foo/x/bar', 'fooxbar']],
  ['/a/**', ['a', 'a/b', 'a/b/c']],
  ['a/**/b', ['a/b', 'a/x/b', 'a/x/y/b', 'ab']],
  ['**/b', ['b', 'a/b', 'a/c/b']],
  ['a?b', ['a/b', 'axb']],
  ['/a?b', ['a/b', 'axb']],
  ['/a[!x]b', ['a/b', 'ayb']],
  ['/a[^x]b', ['a/b', 'ayb']],
  ['/a*b', ['a/b', 'ab', 'axxb']],
  ['[[:alpha:]][[:digit:]]', ['a1', 'A9', '1a']],
  ['[[:space:]]x', [' x', 'ax']],
  ['[a-c-e]', ['a', 'd', '-', 'e']],
  ['[]a]', [']', 'a', 'b']],
  ['[!]a]', [']', 'b']],
  ['\\#x', ['#x']],
  ['\\!x', ['!x']],
  ['x\\ ', ['x ', 'x']],
  ['x  ', ['x', 'x ']],
  ['é?', ['éa', 'éé']],
  ['?', ['é', 'a']],
  ['??', ['é']],
  ['[é]', ['é']],
  ['*.TXT', ['a.txt', 'a.TXT']],
  ['a[', ['a[', 'a']],
  ['\\', ['\\']],
  ['{a,b}', ['a', '{a,b}']],
  ['+(a)', ['a', '+(a)']],
];
patterns('each pattern as the only line of a .gitignore, on each path', () => {
  for (const [pattern, paths] of CASES) {
    const files: Record<string, string> = {};
    for (const p of paths) files[p] = '';
    const root = tree(files);
    writeFileSync(path.join(root, '.gitignore'), `${pattern}\n`);
    writeFileSync(path.join(root, '.vsls.json'), '{"gitignore": "exclude"}');
    gitInit(root);
    const git = gitCheckIgnore(root, paths);
    const policy = new Policy(root);
    paths.forEach((p, i) => {
      const ignored = git[i] !== null && !git[i]!.pattern.startsWith('!');
      assert.is(policy.check(p).state === 'excluded', ignored, `${JSON.stringify(pattern)} on ${JSON.stringify(p)}`);
    });
  }
});
patterns.run();

const anyCase = suite('a case-insensitive disk');
anyCase('the probe agrees with the disk: a name with its letters swapped opens the same file, or nothing', () => {
  const root = tree({ 'Probe.txt': '' });
  const swapped = path.join(root, 'pROBE.TXT');
  let sameFile = false;
  try {
    sameFile = statSync(swapped).ino === statSync(path.join(root, 'Probe.txt')).ino;
  } catch {
    // not there: a case-sensitive disk
  }
  assert.is(caseInsensitiveDisk(root), sameFile);
  assert.is(new Policy(root).ignoreCase, sameFile);
});

anyCase('every spelling of an excluded or hidden name is decided as the name itself, and a guest URI of one is refused', () => {
  const root = tree({ 'secret/vault.ts': '', 'keys/id.pem': '', 'Build/out.js': '', 'host.json': '{}', 'src/main.ts': '' });
  writeFileSync(path.join(root, '.vsls.json'), JSON.stringify({ excludeFiles: ['secret/', '*.PEM'], hideFiles: ['build/'] }));
  const folded = new Policy(root, { ignoreCase: true, exclude: [path.join(root, 'host.json')] });
  const exact = new Policy(root, { ignoreCase: false, exclude: [path.join(root, 'host.json')] });
  const spellings = { excluded: ['secret/vault.ts', 'SECRET/vault.ts', 'Secret/VAULT.TS', 'keys/id.pem', 'KEYS/ID.Pem', 'HOST.JSON', '.Vsls.Json'], hidden: ['Build/out.js', 'BUILD/OUT.JS', 'build/out.js'] };
  for (const [state, paths] of Object.entries(spellings)) for (const p of paths) assert.is(folded.check(p).state, state, p);
  assert.is(folded.check('SRC/Main.ts').state, 'visible');
  // Where names are told apart by case, a rule holds for its own spelling only (as git on Linux).
  assert.equal(['SECRET/vault.ts', 'keys/id.pem', 'HOST.JSON', 'BUILD/OUT.JS'].map((p) => exact.check(p).state), ['visible', 'visible', 'visible', 'visible']);
  const uris = new HostUris(folded, false);
  assert.throws(() => uris.toHost('lspair:/SECRET/vault.ts'), /SECRET\/vault\.ts is excluded \(rule 'secret\/' in \.vsls\.json\)/);
  assert.is(uris.toGuest(pathToFileURL(path.join(root, 'Secret/Vault.ts')).href), null);
});
anyCase('a rule file that changes holds at once for every spelling of its folder', () => {
  const root = tree({ 'docs/a.md': '', 'docs/b.md': '' });
  const policy = new Policy(root, { ignoreCase: true });
  assert.is(policy.check('DOCS/a.md').state, 'visible'); // a record made under another spelling
  writeFileSync(path.join(root, 'docs/.vsls.json'), JSON.stringify({ excludeFiles: ['a.md'] }));
  policy.invalidate('docs'); // what the watcher does for docs/.vsls.json (this disk finds it under this spelling only)
  assert.equal(['docs/a.md', 'DOCS/a.md', 'Docs/A.MD', 'DOCS/b.md'].map((p) => policy.check(p).state), ['excluded', 'excluded', 'excluded', 'visible']);
});
anyCase.run();
