// The guest mirror end to end, with real processes on loopback: `lspair host` on a copy of fixtures/mirror,
// `lspair join --dir`, `lspair ls` and `lspair open`. Visible files arrive intact and follow the host; hidden
// ones only on demand; excluded ones never, in no byte of the mirror; a reconnect resyncs by difference.
import { chmodSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatLink, parseLink } from '../../src/session/link.js';
import { lspair } from '../helpers/cli.js';
import { LspairProcess, type Event } from '../helpers/process.js';
import { tmpdir } from '../helpers/tmp.js';
import { CANARY, EXCLUDED, filesUnder, FIXTURE, HIDDEN, read, VISIBLE } from './helpers.js';

/** Separate config and cache folders per participant, one private runtime folder for control sockets. */
function world() {
  const root = tmpdir('lspair-fs-e2e-');
  const runtime = path.join(root, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  chmodSync(runtime, 0o700);
  const env = (who: string) => ({ XDG_CONFIG_HOME: path.join(root, who), XDG_CACHE_HOME: path.join(root, who, 'cache'), XDG_RUNTIME_DIR: runtime });
  const folder = path.join(root, 'share');
  cpSync(FIXTURE, folder, { recursive: true });
  return {
    folder,
    mirror: (name: string) => path.join(root, name),
    async hosting(): Promise<{ host: LspairProcess; link: string }> {
      const host = new LspairProcess(['host', folder, '--json', '--anonymous', 'accept'], env('host'));
      return { host, link: String((await host.next('ready')).link) };
    },
    join: (link: string, who: string, ...args: string[]) => new LspairProcess(['join', link, '--json', '--name', who, ...args], env(who)),
    /** `lspair ARGS` as guest `who` would run it, from `cwd`. */
    run: (who: string, cwd: string, ...args: string[]) => lspair(args, { cwd, env: env(who) }),
  };
}

/** Resolves once `check` holds (polled; the test's own timeout is the only clock). */
async function eventually(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not so after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every byte the mirror folder holds, its own records included. */
function everything(dir: string): string {
  return filesUnder(dir).map((rel) => read(dir, rel)).join('\n');
}

const s = suite('guest mirror end to end');

s('the mirror holds the visible tree, follows host changes and rule changes; hidden files on demand; excluded never', async () => {
  const w = world();
  const { host, link } = await w.hosting();
  const m = w.mirror('mirror');
  const guest = w.join(link, 'ana', '--dir', m);
  assert.is((await guest.next('mirror')).path, m);
  const synced = (await guest.next('synced')) as Event & { files: number; fetched: number };
  assert.equal([synced.files, synced.fetched], [VISIBLE.length, VISIBLE.length]);
  assert.equal(filesUnder(m, '.lspair'), VISIBLE);
  for (const rel of VISIBLE) assert.is(read(m, rel), read(w.folder, rel), rel);

  writeFileSync(path.join(w.folder, 'src/main.ts'), 'console.log("edited on the host");\n');
  await eventually(() => read(m, 'src/main.ts') === 'console.log("edited on the host");\n', 'the host edit reached the mirror');
  writeFileSync(path.join(w.folder, 'docs/extra.md'), 'more\n');
  await eventually(() => existsSync(path.join(m, 'docs/extra.md')), 'a new host file reached the mirror');

  const ls = w.run('ana', path.join(m, 'src'), 'ls');
  assert.is(ls.code, 0, ls.stderr);
  assert.equal(ls.stdout.trim().split('\n'), ['lib/util.ts', 'main.ts'], 'relative to the current folder');
  const hidden = w.run('ana', w.folder, 'open', 'vendor/dep/index.ts', '--dir', m);
  assert.is(hidden.code, 0, hidden.stderr);
  assert.is(hidden.stdout.trim(), path.join(m, 'vendor/dep/index.ts'));
  assert.is(read(m, 'vendor/dep/index.ts'), read(w.folder, 'vendor/dep/index.ts'));
  for (const rel of EXCLUDED) {
    const refused = w.run('ana', m, 'open', rel);
    assert.is(refused.code, 1, rel);
    assert.match(refused.stderr, /not shared/);
  }

  writeFileSync(path.join(w.folder, '.vsls.json'), JSON.stringify({ excludeFiles: ['secrets/', '*.key', 'docs/'], hideFiles: ['vendor/'] }));
  await eventually(() => !existsSync(path.join(m, 'docs')), 'a folder the rules now exclude left the mirror');
  const after = w.run('ana', m, 'ls', '--json');
  assert.not.ok(after.stdout.includes('docs/'), 'nor is it listed');
  for (const rel of [...EXCLUDED, HIDDEN[0]!]) assert.not.ok(existsSync(path.join(m, rel)), rel);
  assert.not.ok(everything(m).includes(CANARY), 'no excluded byte anywhere in the mirror');
  guest.kill();
  assert.is(await guest.exited, 0);
  host.kill();
  await host.exited;
});

s('--lazy: only the listing; lspair ls lists what the host shares, lspair open fetches a file', async () => {
  const w = world();
  const { host, link } = await w.hosting();
  const m = w.mirror('lazy');
  const guest = w.join(link, 'bo', '--dir', m, '--lazy');
  assert.equal((await guest.next('mirror')).lazy, true);
  const synced = (await guest.next('synced')) as Event & { files: number; fetched: number };
  assert.equal([synced.files, synced.fetched], [VISIBLE.length, 0]);
  assert.equal(filesUnder(m, '.lspair'), []);
  const ls = w.run('bo', m, 'ls');
  assert.equal(ls.stdout.trim().split('\n'), VISIBLE);
  const status = w.run('bo', m, 'status');
  assert.equal([status.code, status.stdout], [0, `Mirror ${m} (files fetched on demand)\nConnected to the host: yes\n`], status.stderr);
  assert.equal(JSON.parse(w.run('bo', m, 'status', '--json').stdout), { mirror: m, connected: true, lazy: true });
  const opened = w.run('bo', m, 'open', 'src/main.ts');
  assert.is(opened.code, 0, opened.stderr);
  assert.is(opened.stdout.trim(), path.join(m, 'src/main.ts'));
  assert.is(read(m, 'src/main.ts'), read(w.folder, 'src/main.ts'));
  const json = w.run('bo', m, 'ls', '--json').stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string; type: string; local: boolean });
  assert.equal(json.filter((e) => e.local && e.type === 'file').map((e) => e.path), ['src/main.ts']);
  assert.equal(filesUnder(m, '.lspair'), ['src/main.ts']);
  const elsewhere = w.run('bo', w.folder, 'ls');
  assert.is(elsewhere.code, 2, 'outside a mirror, without --dir');
  assert.match(elsewhere.stderr, /not inside an lspair mirror/);
  guest.kill();
  await guest.exited;
  const gone = w.run('bo', m, 'ls');
  assert.equal([gone.code, /no lspair join is running/.test(gone.stderr)], [1, true]);
  host.kill();
  await host.exited;
});

/** A TCP proxy to `target` that the test can take down (cutting connections, refusing new ones) and up again. */
async function proxy(target: URL) {
  const sockets = new Set<Socket>();
  let up = true;
  const server = createServer((guestSide) => {
    if (!up) return void guestSide.destroy();
    const hostSide = connect(Number(target.port), target.hostname);
    guestSide.pipe(hostSide).pipe(guestSide);
    for (const socket of [guestSide, hostSide]) {
      sockets.add(socket);
      socket.on('error', () => undefined).on('close', () => (sockets.delete(socket), guestSide.destroy(), hostSide.destroy()));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    down: () => {
      up = false;
      for (const socket of sockets) socket.destroy();
    },
    up: () => void (up = true),
    close: () => server.close(),
  };
}

s('after a lost connection the mirror resyncs by difference: only what changed meanwhile is fetched', async () => {
  const w = world();
  const { host, link } = await w.hosting();
  const cut = await proxy(new URL(parseLink(link).direct[0]!));
  const m = w.mirror('mirror');
  const guest = w.join(formatLink({ ...parseLink(link), direct: [cut.url] }), 'cy', '--dir', m);
  await guest.next('synced');
  const witness = w.mirror('witness'); // a second guest: once its mirror has the change, so has the host's listing
  const other = w.join(link, 'di', '--dir', witness);
  await other.next('synced');

  cut.down();
  await guest.next('reconnecting');
  writeFileSync(path.join(w.folder, 'src/main.ts'), 'changed while cy was away\n');
  writeFileSync(path.join(w.folder, 'added.txt'), 'added while cy was away\n');
  await eventually(() => existsSync(path.join(witness, 'added.txt')) && read(witness, 'src/main.ts') === 'changed while cy was away\n', 'the host saw the changes');
  cut.up();
  await guest.next('joined', 60_000);
  const resynced = (await guest.next('synced', 30_000)) as Event & { fetched: number; kept: number; deleted: number };
  assert.equal([resynced.fetched, resynced.kept, resynced.deleted], [2, VISIBLE.length - 1, 0]);
  assert.is(read(m, 'src/main.ts'), 'changed while cy was away\n');
  assert.is(read(m, 'added.txt'), 'added while cy was away\n');
  guest.kill();
  other.kill();
  await Promise.all([guest.exited, other.exited]);
  host.kill();
  await host.exited;
  cut.close();
});

s.run();
