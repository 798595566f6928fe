// A malicious host against the guest's mirror: paths that climb out, absolute paths, NUL and control
// characters, the mirror's own folder, links planted in the mirror, files that lie about their size, huge
// files and huge messages. Nothing may be written outside the mirror folder, and nothing planted is followed.
import { lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { duplexPair } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';
import { FILE_ERRORS, LIMITS, Mirror, type Chunk, type Entry } from '../../src/fs/index.js';
import { tmpdir } from '../helpers/tmp.js';
import { filesUnder, until } from './helpers.js';

type Served = Record<string, (offset: number) => Chunk>;

const whole = (text: string): ((offset: number) => Chunk) => (offset) => ({ data: Buffer.from(text).subarray(offset).toString('base64'), size: Buffer.byteLength(text), mtime: 1 });
const file = (rel: string, size: number): Entry => ({ path: rel, type: 'file', size, mtime: 1 });

/** A host that lists `entries` and serves `contents`; its connection lets the test send anything more. */
function fakeHost(entries: unknown[], contents: Served): { host: MessageConnection; guestSide: import('node:stream').Duplex } {
  const [guestSide, hostSide] = duplexPair();
  const host = createMessageConnection(new StreamMessageReader(hostSide), new StreamMessageWriter(hostSide));
  host.onRequest('fs/list', () => ({ entries }));
  host.onRequest('fs/stat', () => ({ entries: [] }));
  host.onRequest('fs/read', (params: { path: string; offset: number }) => {
    const serve = contents[params.path];
    if (!serve) throw new ResponseError(FILE_ERRORS.notFound, `${params.path}: no such file`);
    return serve(params.offset);
  });
  host.listen();
  return { host, guestSide };
}

/** A mirror folder next to a victim folder, with links planted in the mirror (by anyone) pointing at it. */
function setup(): { dir: string; victim: string; mirror: Mirror } {
  const base = tmpdir('lspair-hostile-');
  const victim = path.join(base, 'victim');
  mkdirSync(victim);
  writeFileSync(path.join(victim, 'victim.txt'), 'untouched\n');
  const dir = path.join(base, 'mirror');
  const mirror = Mirror.open({ dir });
  symlinkSync(victim, path.join(dir, 'evil'));
  symlinkSync(path.join(victim, 'victim.txt'), path.join(dir, 'link-file.txt'));
  return { dir, victim, mirror };
}

function victimIntact(base: string, victim: string): void {
  assert.equal(filesUnder(victim), ['victim.txt']);
  assert.is(readFileSync(path.join(victim, 'victim.txt'), 'utf8'), 'untouched\n');
  assert.equal(filesUnder(base).filter((rel) => !rel.startsWith('mirror/') && !rel.startsWith('victim/')), [], 'nothing written next to the mirror');
}

test('paths that escape, planted links, lies about sizes and huge files: nothing lands outside the mirror', async () => {
  const { dir, victim, mirror } = setup();
  const entries: unknown[] = [
    file('../escape.txt', 5),
    file('../../escape.txt', 5),
    file('/tmp/absolute.txt', 5),
    file(`${victim}/victim.txt`, 5),
    file('a\0b', 5),
    file('a\\..\\..\\escape.txt', 5),
    file('\u001b[2Jclear', 5),
    file('.lspair/mirror.json', 5),
    file('.LSPAIR/state.json', 5),
    file('sub/.lspair/x', 5),
    { path: 'evil', type: 'dir', size: 0, mtime: 0 },
    file('evil/pwned.txt', 5),
    file('evil/victim.txt', 5),
    file('link-file.txt', 5),
    { path: 'weird', type: 'symlink', size: 0, mtime: 0 },
    { path: 'neg.txt', type: 'file', size: -1, mtime: 0 },
    'not an entry',
    null,
    file('huge.bin', 2 ** 40),
    file('sneaky.bin', 5),
    file('liar.bin', 5),
    file('ok.txt', 3),
    file('ok-dir/nested.txt', 6),
  ];
  const payload = whole('pwned');
  const contents: Served = Object.fromEntries(entries.filter((e): e is Entry => typeof e === 'object' && e !== null).map((e) => [e.path, payload]));
  contents['ok.txt'] = whole('ok\n');
  contents['ok-dir/nested.txt'] = whole('nested');
  contents['sneaky.bin'] = () => ({ data: 'AAAA', size: 2 ** 40, mtime: 1 }); // listed small, huge when read
  contents['liar.bin'] = () => ({ data: Buffer.from('more than five bytes').toString('base64'), size: 5, mtime: 1 });
  const { host, guestSide } = fakeHost(entries, contents);
  const summary = await mirror.attach(guestSide);
  assert.equal(filesUnder(dir, '.lspair').filter((rel) => !['evil', 'link-file.txt'].includes(rel)), ['ok-dir/nested.txt', 'ok.txt']);
  assert.is(readFileSync(path.join(dir, 'ok.txt'), 'utf8'), 'ok\n');
  assert.is(summary.skipped, 2, 'huge.bin and sneaky.bin');
  assert.ok(summary.failed >= 3, 'evil, evil/pwned.txt, evil/victim.txt, liar.bin');
  assert.is(summary.conflicts, 1, 'the planted link-file.txt is left alone');
  assert.is(readlinkSync(path.join(dir, 'evil')), victim, 'a planted link is neither followed nor replaced');
  assert.ok(lstatSync(path.join(dir, 'link-file.txt')).isSymbolicLink());
  assert.equal(mirror.list().map((e) => e.path), ['evil', 'evil/pwned.txt', 'evil/victim.txt', 'huge.bin', 'liar.bin', 'link-file.txt', 'ok-dir/nested.txt', 'ok.txt', 'sneaky.bin']);

  // Later notifications are checked the same way.
  contents['evil/late.txt'] = payload;
  contents['../late-escape.txt'] = payload;
  await host.sendNotification('fs/changed', {
    changes: [
      { type: 'created', entry: file('../late-escape.txt', 5) },
      { type: 'deleted', path: '../victim/victim.txt' },
      { type: 'deleted', path: '..' },
      { type: 'created', entry: file('evil/late.txt', 5) },
      { type: 'created', entry: { ...file('hidden-push.txt', 5), hidden: true } }, // a hidden file never asked for
      { type: 'moved', path: 'ok.txt' },
      { type: 'deleted', path: 'ok.txt' },
      { type: 'created', entry: file('late-ok.txt', 4) },
    ],
  });
  contents['late-ok.txt'] = whole('late');
  await until(mirror, 'change', () => filesUnder(dir, '.lspair').includes('late-ok.txt') && !filesUnder(dir, '.lspair').includes('ok.txt'));
  assert.equal(filesUnder(dir, '.lspair').filter((rel) => !['evil', 'link-file.txt'].includes(rel)), ['late-ok.txt', 'ok-dir/nested.txt']);
  victimIntact(path.dirname(dir), victim);
  await mirror.close();
  host.dispose();
});

test('a message larger than the guest accepts ends the connection; the mirror is left as it was', async () => {
  const { dir, victim, mirror } = setup();
  const [guestSide, hostSide] = duplexPair();
  hostSide.on('data', () => hostSide.write(`Content-Length: ${LIMITS.hostMessage + 1}\r\n\r\n{"jsonrpc":"2.0","id":0,"result":{"entries":[`));
  await mirror.attach(guestSide).then(
    () => assert.unreachable('attach should fail'),
    (err: unknown) => assert.instance(err, Error),
  );
  assert.not.ok(mirror.connected);
  assert.equal(filesUnder(dir, '.lspair'), ['evil', 'link-file.txt']);
  victimIntact(path.dirname(dir), victim);
  await mirror.close();
});

test.run();
