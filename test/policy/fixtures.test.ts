// Table-driven: every rule of the policy on the fixture repos under fixtures/policy.
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Policy, type State } from '../../src/policy/index.js';

const root = (name: string): string => fileURLToPath(new URL(`../../fixtures/policy/${name}`, import.meta.url));

/** [path, state, "source:line pattern" of the deciding rule, or null]. */
type Row = [string, State, string | null];

const TABLES: Record<string, Row[]> = {
  basic: [
    ['src/main.ts', 'visible', null],
    ['src/server.key', 'excluded', '.vsls.json:4 *.key'],
    ['config/', 'excluded', '.vsls.json:5 config/'],
    ['config/app.json', 'excluded', '.vsls.json:5 config/'],
    ['config/public.json', 'excluded', '.vsls.json:5 config/'], // under an excluded folder: no re-include
    ['.env', 'excluded', '.vsls.json:7 .env*'],
    ['.env.local', 'excluded', '.vsls.json:7 .env*'],
    ['.env.example', 'visible', '.vsls.json:8 !.env.example'],
    ['docs/notes.md', 'hidden', '.vsls.json:11 *.md'],
    ['README.md', 'visible', '.vsls.json:12 !README.md'],
    ['build/', 'hidden', '.gitignore:1 build/'],
    ['build/out.js', 'hidden', '.gitignore:1 build/'],
    ['debug.log', 'hidden', '.gitignore:2 *.log'],
    ['keep.log', 'visible', '.gitignore:3 !keep.log'],
    ['.vsls.json', 'excluded', 'builtin:0 .vsls.json'],
    ['.gitignore', 'visible', null],
    ['', 'visible', null],
  ],
  nested: [
    ['a.secret', 'excluded', '.vsls.json:1 *.secret'],
    ['top-only.txt', 'excluded', '.vsls.json:1 /top-only.txt'],
    ['lib/top-only.txt', 'visible', null], // anchored to the folder of the .vsls.json
    ['x.tmp', 'visible', null], // gitignore: none at the root
    ['app/y.tmp', 'excluded', '.gitignore:1 *.tmp'], // app says gitignore: exclude, and the root .gitignore applies below
    ['app/b.secret', 'excluded', '.vsls.json:1 *.secret'],
    ['app/public/c.secret', 'visible', 'app/.vsls.json:1 !public/*.secret'],
    ['app/private/', 'excluded', 'app/.vsls.json:1 private/'],
    ['app/private/p.txt', 'excluded', 'app/.vsls.json:1 private/'],
    ['app/d.gen.ts', 'hidden', 'app/.vsls.json:1 *.gen.ts'],
    ['app/deep/e.secret', 'visible', 'app/deep/.vsls.json:1 !*.secret'],
    ['app/deep/f.gen.ts', 'visible', 'app/deep/.vsls.json:1 !*.gen.ts'],
    ['app/deep/local.txt', 'excluded', 'app/deep/.gitignore:1 local.txt'], // mode inherited from app
    ['app/deep/er/local.txt', 'excluded', 'app/deep/.gitignore:1 local.txt'],
    ['app/deep/z.tmp', 'excluded', '.gitignore:1 *.tmp'],
  ],
  modes: [
    ['default.log', 'hidden', '.gitignore:1 *.log'],
    ['hide/app.log', 'hidden', 'hide/.gitignore:2 *.log'],
    ['hide/important.log', 'visible', 'hide/.gitignore:3 !important.log'],
    ['hide/dist/', 'hidden', 'hide/.gitignore:1 dist/'],
    ['hide/dist/bundle.js', 'hidden', 'hide/.gitignore:1 dist/'],
    ['hide/main.c', 'visible', null],
    ['exclude/app.log', 'excluded', 'exclude/.gitignore:2 *.log'],
    ['exclude/important.log', 'visible', 'exclude/.gitignore:3 !important.log'],
    ['exclude/dist/bundle.js', 'excluded', 'exclude/.gitignore:1 dist/'],
    ['none/app.log', 'visible', null],
    ['none/dist/bundle.js', 'visible', null],
  ],
  'parent-excluded': [
    ['secrets/', 'excluded', '.vsls.json:1 secrets/'],
    ['secrets/allowed.txt', 'excluded', '.vsls.json:1 secrets/'],
    ['secrets/sub/deep.txt', 'excluded', '.vsls.json:1 secrets/'],
    ['secrets/key.pem', 'excluded', '.vsls.json:1 secrets/'],
    ['other/', 'hidden', '.vsls.json:1 other/'],
    ['other/note.txt', 'hidden', '.vsls.json:1 other/'], // a .gitignore negation inside cannot un-hide it
  ],
  malformed: [
    ['badjson/', 'excluded', 'badjson/.vsls.json:2 '],
    ['badjson/file.txt', 'excluded', 'badjson/.vsls.json:2 '],
    ['unknownkey/file.txt', 'excluded', 'unknownkey/.vsls.json:2 '],
    ['wrongtype/file.txt', 'excluded', 'wrongtype/.vsls.json:2 '],
    ['dupkey/file.txt', 'excluded', 'dupkey/.vsls.json:3 '],
    ['comments/file.txt', 'excluded', 'comments/.vsls.json:2 '],
    ['good/file.txt', 'visible', null],
    ['good/a.key', 'excluded', 'good/.vsls.json:1 *.key'],
    ['root.txt', 'visible', null],
  ],
  symlinks: [
    ['src/ok.txt', 'visible', null],
    ['private/secret.txt', 'excluded', '.vsls.json:1 private/'],
    ['src/escape-file', 'outside', null],
    ['escape-dir', 'outside', null],
    ['escape-dir/passwd', 'outside', null],
    ['src/to-private', 'excluded', '.vsls.json:1 private/'],
    ['src/to-private/secret.txt', 'excluded', '.vsls.json:1 private/'],
    ['src/alias.txt', 'visible', null],
    ['src/secret-alias.txt', 'excluded', '.vsls.json:1 private/'],
    ['src/dangling', 'visible', null],
    ['src/dangling-out', 'outside', null],
    ['/etc/passwd', 'outside', null],
    ['../basic/src/main.ts', 'outside', null],
    ['src/../../symlinks/src/ok.txt', 'visible', null],
  ],
};

for (const [fixture, rows] of Object.entries(TABLES)) {
  const s = suite(`policy fixture ${fixture}`);
  const policy = new Policy(root(fixture));
  for (const [path, state, rule] of rows) {
    s(`${path || '(root)'} is ${state}`, () => {
      const d = policy.check(path);
      const got = d.rule ? `${d.rule.source}:${d.rule.line} ${d.rule.pattern}` : null;
      assert.equal({ state: d.state, rule: got }, { state, rule });
    });
  }
  s.run();
}

const errors = suite('policy errors name the file and the position');
errors('each malformed .vsls.json is reported with line and column', () => {
  const policy = new Policy(root('malformed'));
  for (const dir of ['badjson', 'unknownkey', 'wrongtype', 'dupkey', 'comments', 'good']) policy.check(`${dir}/file.txt`);
  const byFile = Object.fromEntries(policy.errors.map((e) => [e.source, e]));
  assert.equal(Object.keys(byFile).sort(), ['badjson/.vsls.json', 'comments/.vsls.json', 'dupkey/.vsls.json', 'unknownkey/.vsls.json', 'wrongtype/.vsls.json']);
  assert.match(byFile['badjson/.vsls.json']!.message, /invalid JSON/);
  assert.equal([byFile['badjson/.vsls.json']!.line, byFile['badjson/.vsls.json']!.column], [2, 28]);
  assert.match(byFile['unknownkey/.vsls.json']!.message, /unknown property "excludeFile"/);
  assert.match(byFile['wrongtype/.vsls.json']!.message, /\/gitignore/);
  assert.match(byFile['dupkey/.vsls.json']!.message, /duplicate key "excludeFiles"/);
  assert.match(byFile['comments/.vsls.json']!.message, /invalid JSON/);
  assert.ok(policy.check('badjson/file.txt').rule?.error?.startsWith('badjson/.vsls.json:2:28: '));
});
errors.run();
