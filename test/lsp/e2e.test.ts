// Shared language servers and co-editing end to end, with real processes on loopback: `lspair relay`, `lspair host`
// sharing typescript-language-server (typescript@5) and pyright, `lspair join` with a mirror folder, and Neovim
// 0.7.2 headless as the guest's editor and as the host's editor at the same time, each through `lspair lsp`.
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN } from '../helpers/cli.js';
import { Nvim } from '../helpers/nvim.js';
import { LspairProcess } from '../helpers/process.js';
import { relayProcess, world } from '../session/world.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/lsp-share', import.meta.url));
const BINS = fileURLToPath(new URL('../../node_modules/.bin/', import.meta.url));
const CANARY = 'CANARY-7f3a9c1e-EXCLUDED-CONTENT';

interface Diagnostic {
  message: string;
  range: { start: { line: number; character: number } };
}

/** A relay, a host sharing the fixture with both servers, and a guest joined through the relay with a mirror. */
async function session() {
  const w = world();
  cpSync(FIXTURE, w.folder, { recursive: true });
  const { relay, url } = await relayProcess();
  const { host } = await w.hosting('--relay', url, '--anonymous', 'accept', '--server', `ts=${BINS}typescript-language-server --stdio`, '--server', `py=${BINS}pyright-langserver --stdio`);
  const link = String(host.events.find((e) => e.event === 'ready')!.link);
  const mirror = path.join(w.root, 'mirror');
  const guest = new LspairProcess(['join', link, '--json', '--name', 'ana', '--dir', mirror], w.env('ana'));
  await guest.next('joined');
  await guest.next('synced', 30_000);
  const guestId = ((await host.next('guest-joined')).guest as { id: string }).id;
  const editors: Nvim[] = [];
  const nvim = async (cwd: string, who: string, server: string) => {
    const editor = await Nvim.start(cwd, w.env(who));
    editors.push(editor);
    await editor.startLsp(server, cwd, BIN);
    return editor;
  };
  const stop = async () => {
    for (const editor of editors) editor.quit();
    guest.kill();
    host.kill();
    relay.kill();
    await Promise.all([guest.exited, host.exited, relay.exited]);
  };
  return { w, host, guest, guestId, mirror, share: w.folder, nvim, stop, uri: (root: string, rel: string) => pathToFileURL(path.join(root, rel)).href };
}

/** Polls `check` until it holds (or `ms` pass); returns whether it did. */
async function eventually(check: () => Promise<boolean>, ms = 30_000): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < ms; await new Promise((r) => setTimeout(r, 100))) if (await check()) return true;
  return check();
}

const request = <T>(editor: Nvim, method: string, params: unknown) => editor.call<{ result?: T; error?: { message: string } }>('request', method, params);
const at = (uri: string, line: number, character: number) => ({ textDocument: { uri }, position: { line, character } });

/** The language-server processes the host daemon runs (its children, by command line). */
function serverProcesses(hostPid: number, name: string): number {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((l) => {
    const [, ppid] = l.trim().split(/\s+/);
    return Number(ppid) === hostPid && l.includes(name);
  }).length;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)).map((p) => `${e.name}/${p}`) : [e.name]));
}

const s = suite('language servers end to end');

s('a guest in Neovim, through a relay, gets the host\'s TypeScript server; the host\'s Neovim shares the same process', async () => {
  const t = await session();
  const main = t.uri(t.mirror, 'src/main.ts');
  const greet = t.uri(t.mirror, 'src/greet.ts');
  const guest = await t.nvim(t.mirror, 'ana', 'ts');
  await guest.call('open', 'src/greet.ts');
  await guest.call('open', 'src/main.ts');
  const diagnostics = await guest.call<Diagnostic[] | null>('wait_diagnostics', main, 60_000, 'not assignable');
  assert.ok(diagnostics?.some((d) => d.range.start.line === 3), 'diagnostics arrive');
  const hover = await request<{ contents: { value: string } }>(guest, 'textDocument/hover', at(main, 2, 24));
  assert.match(hover.result!.contents.value, /greet\(name: string\): string/);
  const completion = await request<{ items: { label: string }[] }>(guest, 'textDocument/completion', at(greet, 5, 10));
  assert.ok(completion.result!.items.some((i) => i.label === 'shout'), 'completion');
  assert.not.ok(existsSync(path.join(t.mirror, 'generated/shout.ts')), 'the hidden file is not in the mirror before navigation lands on it');
  const toHidden = await request<{ targetUri: string }[]>(guest, 'textDocument/definition', at(greet, 5, 10));
  assert.equal(toHidden.result!.map((l) => l.targetUri), [t.uri(t.mirror, 'generated/shout.ts')], 'definition into a hidden file');
  assert.is(readFileSync(path.join(t.mirror, 'generated/shout.ts'), 'utf8'), readFileSync(path.join(t.share, 'generated/shout.ts'), 'utf8'), 'materialised before the answer arrived');
  const toExcluded = await request<unknown[]>(guest, 'textDocument/definition', at(greet, 5, 36));
  assert.equal(toExcluded.result, [], 'definition into an excluded file is filtered');
  const references = await request<{ uri: string }[]>(guest, 'textDocument/references', { ...at(greet, 4, 17), context: { includeDeclaration: true } });
  assert.equal([...new Set(references.result!.map((r) => r.uri))].sort(), [greet, main].sort(), 'references');
  const symbols = await request<{ name: string; location: { uri: string } }[]>(guest, 'workspace/symbol', { query: 'greet' });
  assert.ok(symbols.result!.length > 0 && symbols.result!.every((x) => x.location.uri.startsWith(pathToFileURL(t.mirror).href) && !x.location.uri.includes('/secret/')), 'workspace symbols, none excluded');
  const viewerRename = await request(guest, 'textDocument/rename', { ...at(greet, 4, 17), newName: 'hello' });
  assert.match(String(viewerRename.error?.message), /files\.write/, `a viewer may not rename: ${JSON.stringify(viewerRename)}`);
  const command = await request(guest, 'workspace/executeCommand', { command: '_typescript.organizeImports', arguments: [greet] });
  assert.match(String(command.error?.message), /lsp\.commands/, 'commands need lsp.commands');

  assert.is(t.w.guests('role', t.guestId, 'editor').code, 0);
  await t.guest.next('permissions');
  const rename = await request<{ documentChanges?: { textDocument: { uri: string } }[]; changes?: Record<string, unknown> }>(guest, 'textDocument/rename', { ...at(greet, 4, 17), newName: 'hello' });
  const touched = rename.result?.documentChanges?.map((c) => c.textDocument.uri) ?? Object.keys(rename.result?.changes ?? {});
  assert.equal(touched.sort(), [greet, main].sort(), 'an editor may rename, in mirror URIs');

  // The host's own Neovim, at the same time, on the same server process.
  const hostEditor = await t.nvim(t.share, 'host', 'ts');
  await hostEditor.call('open', 'src/main.ts');
  const hostDiagnostics = await hostEditor.call<Diagnostic[] | null>('wait_diagnostics', t.uri(t.share, 'src/main.ts'), 60_000, 'not assignable');
  assert.ok(hostDiagnostics, 'the host editor gets diagnostics too');
  assert.is(serverProcesses(t.host.pid, 'typescript-language-server'), 1, 'one server process for everyone');
  assert.not.ok(walk(t.mirror).some((p) => p.startsWith('secret')), 'the excluded folder never reaches the mirror');
  assert.not.ok(walk(t.mirror).some((p) => readFileSync(path.join(t.mirror, p), 'utf8').includes(CANARY)));
  await t.stop();
});

s('pyright through the same session: diagnostics and hover in Python', async () => {
  const t = await session();
  const app = t.uri(t.mirror, 'src/app.py');
  const guest = await t.nvim(t.mirror, 'ana', 'py');
  await guest.call('open', 'src/app.py');
  const diagnostics = await guest.call<Diagnostic[] | null>('wait_diagnostics', app, 60_000, 'str');
  assert.ok(diagnostics?.some((d) => d.range.start.line === 5), JSON.stringify(diagnostics));
  const hover = await request<{ contents: { value: string } }>(guest, 'textDocument/hover', at(app, 4, 20));
  assert.match(JSON.stringify(hover.result), /double/);
  await t.stop();
});

s('co-editing: host and guest Neovims type into one file at once and converge; a viewer is put back; a disk change arrives', async () => {
  const t = await session();
  assert.is(t.w.guests('role', t.guestId, 'editor').code, 0);
  await t.guest.next('permissions');
  const rel = 'src/main.ts';
  const hostEditor = await t.nvim(t.share, 'host', 'ts');
  const guestEditor = await t.nvim(t.mirror, 'ana', 'ts');
  const hostBuf = await hostEditor.call<number>('open', rel);
  const guestBuf = await guestEditor.call<number>('open', rel);
  await guestEditor.call('wait_diagnostics', t.uri(t.mirror, rel), 60_000);
  // Interleaved typing, both on line 2 and elsewhere, without waiting for each other.
  for (let i = 0; i < 12; i++) {
    await Promise.all([
      hostEditor.call('set_text', hostBuf, 2, 0, 2, 0, [`h${i}`]),
      guestEditor.call('set_text', guestBuf, 2, 0, 2, 0, [`g${i}`]),
      i % 3 === 0 ? guestEditor.call('set_text', guestBuf, 0, 0, 0, 0, ['// é😀', '']) : null,
    ]);
  }
  const lines = async (editor: Nvim, buf: number) => (await editor.call<string[]>('lines', buf)).join('\n');
  let hostText = '';
  let guestText = '';
  await eventually(async () => {
    [hostText, guestText] = await Promise.all([lines(hostEditor, hostBuf), lines(guestEditor, guestBuf)]);
    return hostText === guestText && (hostText.match(/[hg]\d+/g) ?? []).length === 24;
  });
  assert.is(guestText, hostText, 'both buffers converged');
  for (let i = 0; i < 12; i++) assert.ok(hostText.includes(`h${i}`) && hostText.includes(`g${i}`), `both editors' keystrokes ${i} kept`);
  assert.is(hostText.split('// é😀').length - 1, 4, 'each of the guest\'s lines arrived once');
  // The text the server analyses is the same: an error typed by the guest is reported to both.
  await guestEditor.call('set_text', guestBuf, 0, 0, 0, 0, ['const zz: number = "x";', '']);
  const onLine0 = (uri: string, editor: Nvim) => () => editor.call<Diagnostic[] | null>('wait_diagnostics', uri, 1000, 'not assignable').then((d) => d?.some((x) => x.range.start.line === 0 && /number/.test(x.message)) === true);
  assert.ok(await eventually(onLine0(t.uri(t.mirror, rel), guestEditor), 60_000), 'the guest editor sees the diagnostic on its new line');
  assert.ok(await eventually(onLine0(t.uri(t.share, rel), hostEditor), 60_000), 'the host editor sees the diagnostic on the guest\'s line');
  // The host saves: the file on disk is the converged text.
  hostText = await lines(hostEditor, hostBuf);
  assert.is(await lines(guestEditor, guestBuf), hostText);
  await hostEditor.call('save');
  assert.is(readFileSync(path.join(t.share, rel), 'utf8'), `${hostText}\n`, 'the host file after save');

  // An outside change on the host's disk reaches the guest's buffer.
  writeFileSync(path.join(t.share, rel), `// from disk\n${readFileSync(path.join(t.share, rel), 'utf8')}`);
  assert.ok(await eventually(async () => (await lines(guestEditor, guestBuf)).startsWith('// from disk')), 'the disk change reached the guest');

  // A viewer's edit is undone in its buffer, with a message.
  assert.is(t.w.guests('role', t.guestId, 'viewer').code, 0);
  await t.guest.next('permissions');
  const before = await lines(guestEditor, guestBuf);
  await guestEditor.call('set_text', guestBuf, 0, 0, 0, 0, ['VIEWER WAS HERE ']);
  await eventually(async () => (await lines(guestEditor, guestBuf)) === before);
  assert.is(await lines(guestEditor, guestBuf), before, 'the viewer\'s buffer is put back');
  assert.ok(await guestEditor.call('wait_message', 'files.write', 10_000), 'and it is told why');
  assert.not.ok((await lines(hostEditor, hostBuf)).includes('VIEWER'), 'the host never saw it');
  await t.stop();
});

s.run();
