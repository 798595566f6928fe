// `lspair policy` as a contract: output formats, input order, exit codes.
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lspair } from '../helpers/cli.js';

const basic = fileURLToPath(new URL('../../fixtures/policy/basic', import.meta.url));

test('--help and --version work', () => {
  const help = lspair(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /policy/);
  assert.match(lspair(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
  assert.is(lspair(['policy', '--help']).code, 0);
});

test('check: plain STATE<TAB>PATH, one per path, in input order', () => {
  const r = lspair(['policy', 'check', '--root', basic, 'src/main.ts', 'src/server.key', 'docs/notes.md', '/etc/passwd', 'build/']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'visible\tsrc/main.ts\nexcluded\tsrc/server.key\nhidden\tdocs/notes.md\noutside\t/etc/passwd\nhidden\tbuild/\n');
});

test('check --json: path as given, state, rule', () => {
  const r = lspair(['policy', 'check', '--json', '--root', basic, `${basic}/src/server.key`, 'keep.log', 'src/main.ts']);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines, [
    { path: `${basic}/src/server.key`, state: 'excluded', rule: { source: '.vsls.json', line: 4, pattern: '*.key', kind: 'exclude' } },
    { path: 'keep.log', state: 'visible', rule: { source: '.gitignore', line: 3, pattern: '!keep.log', kind: 'hide' } },
    { path: 'src/main.ts', state: 'visible', rule: null },
  ]);
});

test('check --stdin reads newline-separated paths; the root defaults to the current folder', () => {
  const r = lspair(['policy', 'check', '--stdin'], { cwd: basic, input: 'config/public.json\n.vsls.json\nREADME.md\n' });
  assert.is(r.stdout, 'excluded\tconfig/public.json\nexcluded\t.vsls.json\nvisible\tREADME.md\n');
});

test('usage errors and an unreadable root exit 2 with a message', () => {
  for (const args of [['policy', 'check'], ['policy', 'check', '--bogus', 'x'], ['policy', 'explain'], ['policy', 'frobnicate'], ['nope'],
    ['policy', 'check', '--root', '/no/such/folder', 'a']]) {
    const r = lspair(args, { cwd: basic });
    assert.is(r.code, 2, args.join(' '));
    assert.ok(r.stderr.length > 0, args.join(' '));
  }
});

test('explain names the sources from the root down and the deciding rule', () => {
  const r = lspair(['policy', 'explain', '--root', basic, 'config/public.json']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /^config\/public\.json: excluded\n/);
  assert.match(r.stdout, /decided on the folder config\/: \.vsls\.json:5 "config\/" \(exclude\)/);
  const keep = lspair(['policy', 'explain', '--root', basic, 'keep.log']).stdout;
  assert.match(keep, /re-included by \.gitignore:3 "!keep\.log" \(hide\)/);
  assert.match(keep, /\.gitignore \(gitignore: hide\): hide: line 3 "!keep\.log"/);
  assert.match(keep, /\.vsls\.json: exclude: -  hide: -/);
});

test('ls lists what a guest sees, sorted as a tree, never entering excluded folders', () => {
  const r = lspair(['policy', 'ls', '--root', basic]);
  assert.is(r.stdout, '.env.example\n.gitignore\nREADME.md\ndocs/\nkeep.log\nsrc/\nsrc/main.ts\n');
  const hidden = lspair(['policy', 'ls', '--hidden', '--root', basic]).stdout;
  assert.match(hidden, /build\/\t\(hidden\)\nbuild\/out\.js\t\(hidden\)/);
  assert.not.match(hidden, /config|server\.key|\.env\n|\.vsls\.json/);
  const json = lspair(['policy', 'ls', '--json', '--root', basic]).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(json[5], { path: 'src/', type: 'dir', state: 'visible', rule: null });
});

test('a malformed .vsls.json is reported on stderr with file and position, and the run still answers', () => {
  const malformed = fileURLToPath(new URL('../../fixtures/policy/malformed', import.meta.url));
  const r = lspair(['policy', 'check', '--root', malformed, 'badjson/file.txt', 'good/file.txt']);
  assert.is(r.code, 0);
  assert.is(r.stdout, 'excluded\tbadjson/file.txt\nvisible\tgood/file.txt\n');
  assert.match(r.stderr, /badjson\/\.vsls\.json:2:28: invalid JSON/);
});

test.run();
