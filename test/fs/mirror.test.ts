// The guest's mirror against a real host file service (in-memory streams): the initial sync, hidden files on
// demand, following the host's changes, lazy mode, resync by difference, external files, and never touching
// what the user put in the mirror.
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Mirror, PathError, type SyncSummary } from '../../src/fs/index.js';
import { tmpdir } from '../helpers/tmp.js';
import { CANARY, decoded, EXCLUDED, filesUnder, guest, HIDDEN, hosting, onHost, read, share, streamTo, until, VISIBLE, type GuestEnd, type Hosting } from './helpers.js';

function mirrorDir(): string {
  return path.join(tmpdir('lspair-mirror-'), 'mirror');
}

/** A mirror attached to the host's service, and the guest end (what it received). */
async function mirrored(h: Hosting, options: { dir?: string; lazy?: boolean } = {}): Promise<{ mirror: Mirror; end: GuestEnd; summary: SyncSummary }> {
  const mirror = Mirror.open({ dir: options.dir ?? mirrorDir(), lazy: options.lazy });
  const end = streamTo((stream) => h.files.serve(stream, guest()));
  const summary = await mirror.attach(end.stream);
  return { mirror, end, summary };
}

/** Everything the mirror wrote, its own folder included, as one string. */
function written(root: string): string {
  return filesUnder(root).map((rel) => read(root, rel)).join('\n');
}

const s = suite('guest mirror');

s('the initial sync writes exactly the visible files, with identical contents; nothing excluded is received or written', async () => {
  const h = await hosting(share());
  try {
    const { mirror, end, summary } = await mirrored(h);
    assert.equal(filesUnder(mirror.root, '.lspair'), VISIBLE);
    for (const rel of VISIBLE) assert.is(read(mirror.root, rel), read(h.root, rel), rel);
    for (const rel of [...HIDDEN, ...EXCLUDED]) assert.not.ok(existsSync(path.join(mirror.root, rel)), rel);
    assert.equal([summary.files, summary.fetched, summary.kept, summary.deleted, summary.failed], [VISIBLE.length, VISIBLE.length, 0, 0, 0]);
    assert.equal(mirror.list().filter((e) => e.type === 'file').map((e) => [e.path, e.local]), VISIBLE.map((rel) => [rel, true]));
    const { raw, contents } = decoded(end.received);
    assert.not.ok(raw.includes(CANARY) || contents.includes(CANARY), 'not in any byte received');
    assert.not.ok(written(mirror.root).includes(CANARY), 'not in any byte written');
    await mirror.close();
  } finally {
    await h.close();
  }
});

s('ensure: hidden files on demand; excluded and crafted paths refused with nothing written', async () => {
  const h = await hosting(share());
  try {
    const { mirror } = await mirrored(h);
    const local = await mirror.ensure('vendor/dep/index.ts');
    assert.is(local, path.join(mirror.root, 'vendor/dep/index.ts'));
    assert.is(readFileSync(local, 'utf8'), read(h.root, 'vendor/dep/index.ts'));
    assert.is(await mirror.ensure('src/main.ts'), path.join(mirror.root, 'src/main.ts'));
    assert.is(await mirror.ensure('src'), path.join(mirror.root, 'src'));
    for (const rel of ['secrets/token.txt', 'config/server.key', '.vsls.json']) {
      await mirror.ensure(rel).then(
        () => assert.unreachable(rel),
        (err: Error) => assert.match(err.message, /not shared/),
      );
      assert.not.ok(existsSync(path.join(mirror.root, rel)));
    }
    for (const rel of ['../escape.txt', '/etc/passwd', '.lspair/state.json', 'src/.LSPAIR/x', 'a\0b']) {
      await mirror.ensure(rel).then(
        () => assert.unreachable(rel),
        (err: Error) => assert.instance(err, PathError),
      );
    }
    await mirror.ensure('src/missing.ts').then(
      () => assert.unreachable(),
      (err: Error) => assert.match(err.message, /no such file/),
    );
    assert.is(mirror.sharedPath(path.join(mirror.root, 'src/main.ts')), 'src/main.ts');
    assert.is(mirror.sharedPath(mirror.root), '');
    assert.is(mirror.sharedPath(path.join(mirror.root, '.lspair/state.json')), null);
    assert.is(mirror.sharedPath(path.dirname(mirror.root)), null);
    assert.is(mirror.localPath('src/main.ts'), path.join(mirror.root, 'src/main.ts'));
    assert.not.ok(written(mirror.root).includes(CANARY));
    await mirror.close();
  } finally {
    await h.close();
  }
});

s('follows the host: changed, created and deleted files, hidden files it fetched, and rule changes', async () => {
  const h = await hosting(share());
  try {
    const { mirror } = await mirrored(h);
    await mirror.ensure('vendor/dep/index.ts');
    const local = (rel: string) => path.join(mirror.root, rel);
    const has = (rel: string, text: string) => () => existsSync(local(rel)) && readFileSync(local(rel), 'utf8') === text;
    writeFileSync(path.join(h.root, 'src/main.ts'), 'console.log(2);\n');
    await until(mirror, 'change', has('src/main.ts', 'console.log(2);\n'));
    mkdirSync(path.join(h.root, 'src/extra'));
    writeFileSync(path.join(h.root, 'src/extra/new.ts'), 'export {};\n');
    await until(mirror, 'change', has('src/extra/new.ts', 'export {};\n'));
    rmSync(path.join(h.root, 'README.md'));
    await until(mirror, 'change', () => !existsSync(local('README.md')));
    writeFileSync(path.join(h.root, 'vendor/dep/index.ts'), 'export const dep = 2;\n');
    await until(mirror, 'change', has('vendor/dep/index.ts', 'export const dep = 2;\n'));
    writeFileSync(path.join(h.root, '.vsls.json'), JSON.stringify({ excludeFiles: ['secrets/', '*.key', 'docs/', 'src/extra/'], hideFiles: ['vendor/'] }));
    await until(mirror, 'change', () => !existsSync(local('docs')) && !existsSync(local('src/extra')));
    assert.ok(existsSync(local('vendor/dep/index.ts')), 'still hidden, still there');
    writeFileSync(path.join(h.root, 'debug.log'), 'never fetched, never followed\n');
    writeFileSync(path.join(h.root, 'secrets/token.txt'), `${CANARY} changed\n`);
    writeFileSync(path.join(h.root, '.vsls.json'), JSON.stringify({ excludeFiles: ['secrets/', '*.key'], hideFiles: ['vendor/'] }));
    await until(mirror, 'change', has('docs/guide.md', read(h.root, 'docs/guide.md')));
    assert.not.ok(existsSync(local('debug.log')));
    assert.not.ok(written(mirror.root).includes(CANARY));
    await mirror.close();
  } finally {
    await h.close();
  }
});

s('only its own files: what the user changed or placed in the mirror is never replaced or deleted', async () => {
  const h = await hosting(share());
  try {
    const { mirror } = await mirrored(h);
    const local = (rel: string) => path.join(mirror.root, rel);
    writeFileSync(local('README.md'), 'my notes on top\n');
    writeFileSync(local('src/mine.txt'), 'mine\n');
    writeFileSync(local('docs/same.md'), 'same\n');
    rmSync(path.join(h.root, 'README.md'));
    writeFileSync(path.join(h.root, 'src/mine.txt'), 'the host has one too\n');
    writeFileSync(path.join(h.root, 'docs/same.md'), 'same\n');
    const settled = new Set<string>();
    mirror.on('change', ({ path: rel }: { path: string }) => settled.add(rel));
    await until(mirror, 'change', () => ['README.md', 'src/mine.txt', 'docs/same.md'].every((rel) => settled.has(rel)));
    assert.is(readFileSync(local('README.md'), 'utf8'), 'my notes on top\n', 'changed locally: kept when the host deletes it');
    assert.is(readFileSync(local('src/mine.txt'), 'utf8'), 'mine\n', "the user's file is not replaced");
    assert.ok(mirror.list().find((e) => e.path === 'docs/same.md')?.local, 'an identical file is adopted');
    writeFileSync(path.join(h.root, 'docs/same.md'), 'same, then changed\n');
    await until(mirror, 'change', () => readFileSync(local('docs/same.md'), 'utf8') === 'same, then changed\n');
    await mirror.close();
  } finally {
    await h.close();
  }
});

s('lazy: the listing only; ensure fetches, and fetched files follow the host', async () => {
  const h = await hosting(share());
  try {
    const { mirror, summary } = await mirrored(h, { lazy: true });
    assert.equal([summary.files, summary.fetched, summary.lazy], [VISIBLE.length, 0, true]);
    assert.equal(filesUnder(mirror.root, '.lspair'), []);
    assert.ok(mirror.list().every((e) => !e.local));
    await mirror.ensure('src/main.ts');
    assert.equal(filesUnder(mirror.root, '.lspair'), ['src/main.ts']);
    assert.ok(mirror.list().find((e) => e.path === 'src/main.ts')?.local);
    writeFileSync(path.join(h.root, 'src/main.ts'), 'lazy but followed\n');
    writeFileSync(path.join(h.root, 'docs/later.md'), 'listed, not fetched\n');
    await until(mirror, 'change', () => mirror.list().some((e) => e.path === 'docs/later.md') && read(mirror.root, 'src/main.ts') === 'lazy but followed\n');
    assert.equal(filesUnder(mirror.root, '.lspair'), ['src/main.ts']);
    await mirror.close();
  } finally {
    await h.close();
  }
});

s('a new connection (reconnect, or a new run on the folder) resyncs by difference', async () => {
  const h = await hosting(share());
  try {
    const dir = mirrorDir();
    const first = await mirrored(h, { dir });
    first.mirror.detach();
    await onHost(h, ['src/main.ts', 'docs/guide.md', 'added.txt'], () => {
      writeFileSync(path.join(h.root, 'src/main.ts'), 'changed while away\n');
      rmSync(path.join(h.root, 'docs/guide.md'));
      writeFileSync(path.join(h.root, 'added.txt'), 'added while away\n');
    });
    const again = await first.mirror.attach(streamTo((stream) => h.files.serve(stream, guest())).stream);
    assert.equal([again.fetched, again.deleted, again.kept], [2, 1, VISIBLE.length - 2]);
    assert.is(read(first.mirror.root, 'src/main.ts'), 'changed while away\n');
    assert.not.ok(existsSync(path.join(first.mirror.root, 'docs/guide.md')));
    await first.mirror.close();
    const restarted = await mirrored(h, { dir });
    assert.equal([restarted.summary.fetched, restarted.summary.kept, restarted.summary.conflicts], [0, VISIBLE.length, 0]);
    await restarted.mirror.close();
  } finally {
    await h.close();
  }
});

s('a folder that is neither empty nor a mirror is refused', () => {
  const dir = mirrorDir();
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'precious.txt'), 'mine');
  assert.throws(() => Mirror.open({ dir }), /not empty and is not an lspair mirror/);
});

s('external files land read-only under .lspair/external; malformed tokens and names are refused', async () => {
  const lib = path.join(tmpdir('lspair-lib-'), 'lib.d.ts');
  writeFileSync(lib, 'declare const x: number;\n');
  const h = await hosting(share(), (token) => (token === 'tok1' ? lib : null));
  try {
    const { mirror } = await mirrored(h);
    const local = await mirror.ensureExternal('tok1', 'typescript/lib.d.ts');
    assert.is(local, path.join(mirror.root, '.lspair/external/tok1/typescript/lib.d.ts'));
    assert.is(readFileSync(local, 'utf8'), 'declare const x: number;\n');
    assert.is(statSync(local).mode & 0o222, 0, 'read-only');
    assert.is(await mirror.ensureExternal('tok1', 'typescript/lib.d.ts'), local);
    for (const [token, name] of [['../x', 'a'], ['tok1', '../../../escape'], ['tok1', '/etc/passwd'], ['', 'a']]) {
      await mirror.ensureExternal(token!, name!).then(
        () => assert.unreachable(`${token} ${name}`),
        (err: Error) => assert.instance(err, PathError),
      );
    }
    await mirror.ensureExternal('tok2', 'x.d.ts').then(
      () => assert.unreachable(),
      (err: Error) => assert.match(err.message, /no external file/),
    );
    assert.not.ok(existsSync(path.join(mirror.root, '.lspair/escape')));
    await mirror.close();
  } finally {
    await h.close();
  }
});

s('a file larger than one chunk arrives intact', async () => {
  const root = share();
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  writeFileSync(path.join(root, 'big.bin'), big);
  const h = await hosting(root);
  try {
    const { mirror } = await mirrored(h);
    assert.ok(readFileSync(path.join(mirror.root, 'big.bin')).equals(big));
    assert.ok(lstatSync(path.join(mirror.root, 'big.bin')).isFile());
    await mirror.close();
  } finally {
    await h.close();
  }
});

s.run();
