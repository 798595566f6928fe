// The host's file service against a hostile guest speaking raw JSON-RPC: what it lists, what it reads and
// refuses (excluded, outside, crafted paths, links), writes under files.write, the change notifications, and
// the bounds on what a guest controls. No byte the guest receives carries an excluded file's contents.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ResponseError } from 'vscode-jsonrpc/node.js';
import { FILE_ERRORS, LIMITS, type Change, type Chunk, type Entry } from '../../src/fs/index.js';
import { RequestGate } from '../../src/fs/rpc.js';
import { tmpdir } from '../helpers/tmp.js';
import { CANARY, client, decoded, guest, hosting, share, streamTo, until, type Hosting } from './helpers.js';

const outside = tmpdir('lspair-outside-');
writeFileSync(path.join(outside, 'passwd'), `${CANARY} outside the share\n`);

/** The fixture plus links of every kind, a .git folder and a FIFO. */
function linkedShare(): string {
  const root = share();
  symlinkSync('main.ts', path.join(root, 'src/alias.ts'));
  symlinkSync('../secrets/token.txt', path.join(root, 'src/to-secret.txt'));
  symlinkSync('../config/server.key', path.join(root, 'src/to-key'));
  symlinkSync('secrets', path.join(root, 'secrets-link'));
  symlinkSync(outside, path.join(root, 'out'));
  symlinkSync('docs', path.join(root, 'docs-link'));
  symlinkSync('..', path.join(root, 'docs/loop'));
  mkdirSync(path.join(root, '.git'));
  writeFileSync(path.join(root, '.git/config'), `${CANARY} in git\n`);
  spawnSync('mkfifo', [path.join(root, 'src/pipe')]);
  return root;
}

function errorCode(err: unknown): string {
  assert.instance(err, ResponseError);
  const code = (err as ResponseError<unknown>).code;
  return Object.entries(FILE_ERRORS).find(([, c]) => c === code)?.[0] ?? `code ${code}`;
}

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (err) {
    return errorCode(err);
  }
  return 'accepted';
}

/** A guest connected to the service, its notifications as events. */
function connectGuest(h: Hosting, write = false) {
  const who = guest('g1', write);
  const end = streamTo((stream) => h.files.serve(stream, who));
  const { rpc, notes, events } = client(end);
  const changes = (): Change[] => notes.flatMap((n) => (n.params as { changes: Change[] }).changes);
  const read = (rel: unknown) => rpc.sendRequest<Chunk>('fs/read', { path: rel, offset: 0, length: LIMITS.chunk });
  return { who, end, rpc, changes, events, read };
}

const s = suite('host file service');

s('lists visible files and folders only; links are listed as what they lead to, cycles and special files left out', async () => {
  const h = await hosting(linkedShare());
  try {
    const g = connectGuest(h);
    const { entries } = await g.rpc.sendRequest<{ entries: Entry[] }>('fs/list');
    const byPath = new Map(entries.map((e) => [e.path, e]));
    assert.equal([...byPath.keys()].sort(), [
      '.gitignore', 'README.md', 'config', 'config/app.json', 'docs', 'docs-link', 'docs-link/guide.md', 'docs/guide.md', 'src', 'src/alias.ts', 'src/lib', 'src/lib/util.ts', 'src/main.ts',
    ]);
    assert.equal(byPath.get('src/alias.ts'), { ...byPath.get('src/main.ts')!, path: 'src/alias.ts' }, 'a link to a file is that file');
    assert.is(byPath.get('docs-link')!.type, 'dir');
    assert.is(byPath.get('src/main.ts')!.size, statSync(path.join(h.root, 'src/main.ts')).size);
    g.rpc.dispose();
  } finally {
    await h.close();
  }
});

s('reads visible and hidden files; refuses excluded, outside and crafted paths with a clear error', async () => {
  const h = await hosting(linkedShare());
  try {
    const g = connectGuest(h);
    const main = await g.read('src/main.ts');
    assert.is(Buffer.from(main.data, 'base64').toString(), readFileSync(path.join(h.root, 'src/main.ts'), 'utf8'));
    assert.is(Buffer.from((await g.read('vendor/dep/index.ts')).data, 'base64').toString(), "export const dep = 'hidden dependency';\n");
    assert.is(Buffer.from((await g.read('src/alias.ts')).data, 'base64').toString(), Buffer.from(main.data, 'base64').toString());
    const cases: [unknown, string][] = [
      ['secrets/token.txt', 'notShared'],
      ['config/server.key', 'notShared'],
      ['.vsls.json', 'notShared'],
      ['.git/config', 'notShared'],
      ['secrets/no-such-file', 'notShared'], // an excluded path is refused whether it exists or not
      ['src/to-secret.txt', 'notShared'], // a link in the share to an excluded file
      ['src/to-key', 'notShared'],
      ['secrets-link/token.txt', 'notShared'], // a link to an excluded folder
      ['out/passwd', 'notShared'], // a link out of the share
      ['docs/loop/secrets/token.txt', 'notShared'], // a link back up, then down into an excluded folder
      ['../share/secrets/token.txt', 'invalidPath'],
      ['src/../secrets/token.txt', 'invalidPath'],
      [`${outside}/passwd`, 'invalidPath'],
      ['/etc/passwd', 'invalidPath'],
      ['secrets/token.txt\0.md', 'invalidPath'],
      ['src\\..\\secrets\\token.txt', 'invalidPath'],
      ['src//main.ts', 'invalidPath'],
      ['./src/main.ts', 'invalidPath'],
      ['src/main.ts/', 'invalidPath'],
      ['', 'invalidPath'],
      ['\u001b]0;owned\u0007', 'invalidPath'],
      ['\ud800', 'invalidPath'],
      [`${'a/'.repeat(2100)}x`, 'invalidPath'],
      [42, 'invalidPath'],
      [{ path: 'src/main.ts' }, 'invalidPath'],
      ['src/%2e%2e/secrets/token.txt', 'notShared'], // `secrets/` matches at any depth
      ['src/%2e%2e/README.md', 'notFound'], // no percent-decoding: a literal name
      ['secrets%2ftoken.txt', 'notFound'],
      ['SECRETS/token.txt', 'notFound'],
      ['src/missing.ts', 'notFound'],
      ['src', 'notAFile'],
      ['src/pipe', 'notAFile'],
    ];
    for (const [rel, want] of cases) assert.is(await refusal(g.read(rel)), want, JSON.stringify(rel));
    assert.is(errorCode(await g.rpc.sendRequest('fs/read', null).catch((e: unknown) => e)), 'invalidPath');
    assert.is(await refusal(g.rpc.sendRequest('fs/read', { path: 'src/main.ts', offset: -1, length: 10 })), 'invalidPath');
    assert.is(await refusal(g.rpc.sendRequest('fs/read', { path: 'src/main.ts', offset: 0, length: LIMITS.chunk + 1 })), 'invalidPath');
    assert.is(await refusal(g.rpc.sendRequest('fs/external', { token: 'abc', offset: 0, length: 10 })), 'notFound');
    assert.is(await refusal(g.rpc.sendRequest('fs/nonsense', {})), 'code -32601');
    const { raw, contents } = decoded(g.end.received);
    assert.not.ok(raw.includes(CANARY) || contents.includes(CANARY), 'no excluded or outside contents reached the guest');
    assert.not.ok(raw.includes(h.root), 'no host path in any answer');
    g.rpc.dispose();
  } finally {
    await h.close();
  }
});

s('stat: entries for shared paths (hidden ones marked), null for the rest; bounded', async () => {
  const h = await hosting(linkedShare());
  try {
    const g = connectGuest(h);
    const { entries } = await g.rpc.sendRequest<{ entries: (Entry | null)[] }>('fs/stat', { paths: ['src/main.ts', 'debug.log', 'secrets/token.txt', '../x', 'src', 'nope'] });
    assert.equal(entries.map((e) => e && [e.path, e.type, e.hidden ?? false]), [['src/main.ts', 'file', false], ['debug.log', 'file', true], null, null, ['src', 'dir', false], null]);
    assert.is(await refusal(g.rpc.sendRequest('fs/stat', { paths: Array.from({ length: LIMITS.stat + 1 }, () => 'README.md') })), 'invalidPath');
    g.rpc.dispose();
  } finally {
    await h.close();
  }
});

s('external files: only through the resolver, and never an excluded file of the share', async () => {
  const lib = path.join(tmpdir('lspair-lib-'), 'lib.d.ts');
  writeFileSync(lib, 'declare const x: number;\n');
  const root = share();
  const tokens: Record<string, string> = { t1: lib, t2: path.join(root, 'secrets/token.txt') };
  const h = await hosting(root, (token) => tokens[token] ?? null);
  try {
    const g = connectGuest(h);
    const chunk = await g.rpc.sendRequest<Chunk>('fs/external', { token: 't1', offset: 0, length: 100 });
    assert.is(Buffer.from(chunk.data, 'base64').toString(), 'declare const x: number;\n');
    assert.is(await refusal(g.rpc.sendRequest('fs/external', { token: 't2', offset: 0, length: 100 })), 'notShared');
    assert.is(await refusal(g.rpc.sendRequest('fs/external', { token: '../t1', offset: 0, length: 100 })), 'invalidPath');
    assert.is(await refusal(g.rpc.sendRequest('fs/external', { token: 't3', offset: 0, length: 100 })), 'notFound');
    g.rpc.dispose();
  } finally {
    await h.close();
  }
});

s('writes need files.write, land atomically through links, keep the mode, and never reach what is not shared', async () => {
  const h = await hosting(linkedShare());
  try {
    const g = connectGuest(h);
    const write = (rel: string, text: string) => g.rpc.sendRequest<Entry>('fs/write', { path: rel, data: Buffer.from(text).toString('base64') });
    const main = path.join(h.root, 'src/main.ts');
    const before = readFileSync(main, 'utf8');
    assert.is(await refusal(write('src/main.ts', 'viewer edit')), 'denied');
    assert.is(readFileSync(main, 'utf8'), before);
    g.who.write = true; // granted: the next message sees it
    chmodSync(main, 0o640);
    const entry = await write('src/main.ts', 'edited\n');
    assert.equal([entry.path, entry.type, entry.size], ['src/main.ts', 'file', 7]);
    assert.is(readFileSync(main, 'utf8'), 'edited\n');
    assert.is(statSync(main).mode & 0o777, 0o640, 'mode kept');
    await write('src/alias.ts', 'through the link\n');
    assert.ok(lstatSync(path.join(h.root, 'src/alias.ts')).isSymbolicLink(), 'the link stays a link');
    assert.is(readFileSync(main, 'utf8'), 'through the link\n');
    await write('docs-link/new.md', 'new\n');
    assert.is(readFileSync(path.join(h.root, 'docs/new.md'), 'utf8'), 'new\n');
    await write('notes/today/todo.md', 'made\n');
    assert.is(readFileSync(path.join(h.root, 'notes/today/todo.md'), 'utf8'), 'made\n');
    const secret = readFileSync(path.join(h.root, 'secrets/token.txt'), 'utf8');
    for (const [rel, want] of [
      ['secrets/token.txt', 'notShared'],
      ['src/to-secret.txt', 'notShared'],
      ['secrets-link/token.txt', 'notShared'],
      ['secrets/planted.txt', 'notShared'],
      ['out/passwd', 'notShared'],
      ['.vsls.json', 'notShared'],
      ['../escape.txt', 'invalidPath'],
      ['src', 'notAFile'],
    ] as const) {
      assert.is(await refusal(write(rel, 'overwritten')), want, rel);
    }
    assert.is(readFileSync(path.join(h.root, 'secrets/token.txt'), 'utf8'), secret);
    assert.not.ok(existsSync(path.join(h.root, 'secrets/planted.txt')));
    assert.not.ok(existsSync(path.join(path.dirname(h.root), 'escape.txt')));
    assert.is(readFileSync(path.join(outside, 'passwd'), 'utf8'), `${CANARY} outside the share\n`);
    assert.is(await refusal(g.rpc.sendRequest('fs/write', { path: 'big.bin', data: 'A'.repeat(Math.ceil(LIMITS.write / 3) * 4 + 4) })), 'tooLarge');
    g.who.write = false;
    assert.is(await refusal(write('src/main.ts', 'revoked')), 'denied');
    g.rpc.dispose();
  } finally {
    await h.close();
  }
});

s('change notifications: visible files, hidden files the guest read, and what a rule change excludes or reveals', async () => {
  const h = await hosting(share());
  try {
    const g = connectGuest(h);
    await g.rpc.sendRequest('fs/list');
    await g.read('vendor/dep/index.ts');
    const seen = (type: string, rel: string) => () => g.changes().some((c) => c.type === type && (c.type === 'deleted' ? c.path : c.entry.path) === rel);
    writeFileSync(path.join(h.root, 'debug.log'), 'a hidden file this guest never read\n');
    writeFileSync(path.join(h.root, 'src/main.ts'), 'changed\n');
    await until(g.events, 'note', seen('changed', 'src/main.ts'));
    writeFileSync(path.join(h.root, 'src/new.ts'), 'new\n');
    await until(g.events, 'note', seen('created', 'src/new.ts'));
    rmSync(path.join(h.root, 'README.md'));
    await until(g.events, 'note', seen('deleted', 'README.md'));
    writeFileSync(path.join(h.root, 'vendor/dep/index.ts'), 'export const dep = 2;\n');
    await until(g.events, 'note', seen('changed', 'vendor/dep/index.ts'));
    assert.ok(g.changes().some((c) => c.type === 'changed' && c.entry.path === 'vendor/dep/index.ts' && c.entry.hidden), 'marked hidden');
    writeFileSync(path.join(h.root, 'secrets/token.txt'), `${CANARY} changed\n`);
    writeFileSync(path.join(h.root, '.vsls.json'), JSON.stringify({ excludeFiles: ['secrets/', '*.key', 'docs/', 'vendor/'], hideFiles: [] }));
    await until(g.events, 'note', () => seen('deleted', 'docs/guide.md')() && seen('deleted', 'vendor/dep/index.ts')());
    assert.ok(seen('deleted', 'docs')());
    writeFileSync(path.join(h.root, '.vsls.json'), JSON.stringify({ excludeFiles: ['secrets/', '*.key'], hideFiles: ['vendor/'] }));
    await until(g.events, 'note', seen('created', 'docs/guide.md'));
    const paths = g.changes().map((c) => (c.type === 'deleted' ? c.path : c.entry.path));
    assert.not.ok(paths.includes('debug.log'), 'an unread hidden file is not reported');
    assert.not.ok(paths.some((p) => p.startsWith('secrets') || p === '.vsls.json'), 'excluded paths are never reported');
    const { raw, contents } = decoded(g.end.received);
    assert.not.ok(raw.includes(CANARY) || contents.includes(CANARY));
    g.rpc.dispose();
  } finally {
    await h.close();
  }
});

s('bounds: a message larger than allowed closes the stream; requests beyond the gate are refused as busy', async () => {
  const h = await hosting(share());
  try {
    const g = streamTo((stream) => h.files.serve(stream, guest('g2')));
    const closed = new Promise((resolve) => g.host.on('close', resolve));
    g.stream.write(`Content-Length: ${LIMITS.guestMessage + 1}\r\n\r\n{"jsonrpc":"2.0"`);
    await closed;
  } finally {
    await h.close();
  }
  const gate = new RequestGate(2);
  const held: (() => void)[] = [];
  const slow = () => gate.run(() => new Promise<string>((resolve) => held.push(() => resolve('done'))));
  const [a, b] = [slow(), slow()];
  assert.is(await refusal(slow()), 'busy');
  held.shift()!();
  assert.is(await a, 'done');
  const c = slow(); // room again
  held.forEach((release) => release());
  held.shift()!();
  assert.equal(await Promise.all([b, c]), ['done', 'done']);
});

s.run();
