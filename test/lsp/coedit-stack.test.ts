// Co-editing through the whole LSP stack in one process: a host editor on the hub, a guest editor behind the
// guest's proxy (its own EditorView, sequenced ops to the hub), and the real TypeScript server fed the hub's
// one didChange stream. Interleaved typing on the same line converges; a viewer's edit is undone in its buffer;
// a change on the host's disk reaches both.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestProxy, HOST, LspHub, type LspPermission } from '../../src/lsp/index.js';
import { GuestUris, HostUris, Policy } from '../../src/policy/index.js';
import { duplexPair } from '../helpers/streams.js';
import { tmpdir } from '../helpers/tmp.js';
import { ScriptedEditor } from './scripted-editor.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/lsp-share', import.meta.url));
const TSLS = fileURLToPath(new URL('../../node_modules/.bin/typescript-language-server', import.meta.url));

async function until(what: string, test: () => boolean, ms = 20_000): Promise<void> {
  for (const start = Date.now(); !test(); ) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function setup() {
  const base = tmpdir('lspair-coedit-');
  const root = path.join(base, 'share');
  const mirror = path.join(base, 'mirror');
  cpSync(FIXTURE, root, { recursive: true });
  cpSync(FIXTURE, mirror, { recursive: true });
  const policy = new Policy(root);
  const hub = new LspHub({ name: 'ts', command: { command: TSLS, args: ['--stdio'] }, uris: new HostUris(policy, true), save: async () => undefined, idleMs: 60_000 });
  const host = ScriptedEditor.pair();
  hub.connect(host.input, host.output, HOST);
  await host.editor.initialize(pathToFileURL(policy.root).href);
  // The guest: its editor talks to its proxy, which talks to the hub over a pair of streams (the mux in real life).
  const permissions = new Set<LspPermission>(['files.write']);
  const [hubSide, guestSide] = duplexPair();
  hub.connectStream(hubSide, { kind: 'guest', id: 'g1', has: (p) => permissions.has(p) });
  const guestEditor = ScriptedEditor.pair();
  const proxy = new GuestProxy(guestEditor.input, guestEditor.output, new GuestUris(mirror), { materialise: async () => undefined }, 'ts');
  proxy.attach(guestSide);
  await guestEditor.editor.initialize(pathToFileURL(mirror).href);
  const rel = 'src/main.ts';
  const hostUri = pathToFileURL(path.join(policy.root, rel)).href;
  const guestUri = pathToFileURL(path.join(mirror, rel)).href;
  const text = readFileSync(path.join(root, rel), 'utf8');
  await host.editor.open(hostUri, text);
  await guestEditor.editor.open(guestUri, text);
  return { root: policy.root, hub, host: host.editor, guest: guestEditor.editor, proxy, permissions, hostUri, guestUri };
}

test('host and guest type into the same line at once; both buffers and the server converge', async () => {
  const s = await setup();
  const line2 = s.host.text(s.hostUri).indexOf('greet(');
  for (let i = 0; i < 20; i++) {
    // Both type at the same place, interleaved, each before seeing the other's last keystroke.
    s.host.type(s.hostUri, line2, line2, 'h');
    s.guest.type(s.guestUri, line2, line2, 'g');
    if (i % 3 === 0) s.guest.type(s.guestUri, 0, 0, '😀');
    await Promise.all([s.host.flush(s.hostUri), s.guest.flush(s.guestUri)]);
    if (i % 4 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  await until('both buffers to agree', () => s.host.text(s.hostUri) === s.guest.text(s.guestUri) && (s.host.text(s.hostUri).match(/[hg]/g) ?? []).length >= 40);
  const final = s.host.text(s.hostUri);
  assert.is((final.match(/h/g) ?? []).length - (readFileSync(path.join(FIXTURE, 'src/main.ts'), 'utf8').match(/h/g) ?? []).length, 20, 'every h typed by the host arrived once');
  assert.is((final.match(/😀/g) ?? []).length, 7, 'every emoji typed by the guest arrived once');
  // The server's copy: a type error on a name the guest typed proves it analyses the converged text.
  s.guest.type(s.guestUri, 0, 0, 'const zz: number = "x";\n');
  await s.guest.flush(s.guestUri);
  await until('the host buffer to get the guest\'s line', () => s.host.text(s.hostUri).startsWith('const zz'));
  assert.is(s.host.text(s.hostUri), s.guest.text(s.guestUri));
  const onZz = (uri: string, editor: ScriptedEditor) => () => (editor.diagnostics.get(uri) ?? []).some((d) => d.range.start.line === 0 && /not assignable to type 'number'/.test(d.message));
  await until('the server to report the error on the guest\'s line, to both', () => onZz(s.hostUri, s.host)() && onZz(s.guestUri, s.guest)(), 60_000);
  s.host.dispose();
  s.guest.dispose();
  await s.hub.close();
});

test('a viewer\'s edit is undone in its buffer; a change on the host\'s disk reaches both editors', async () => {
  const s = await setup();
  s.permissions.clear();
  const before = s.guest.text(s.guestUri);
  s.guest.type(s.guestUri, 0, 0, 'VIEWER WAS HERE ');
  await s.guest.flush(s.guestUri);
  await until('the viewer\'s buffer to be put back', () => s.guest.text(s.guestUri) === before);
  await until('the viewer to be told', () => s.guest.messages.some((m) => /files\.write/.test(m)));
  assert.is(s.host.text(s.hostUri), before, 'the host never saw it');
  const file = fileURLToPath(s.hostUri);
  writeFileSync(file, `// changed on disk\n${readFileSync(file, 'utf8')}`);
  s.hub.fileChanged(file, 2);
  await until('the disk change to reach both', () => s.host.text(s.hostUri).startsWith('// changed on disk') && s.guest.text(s.guestUri).startsWith('// changed on disk'));
  s.host.dispose();
  s.guest.dispose();
  await s.hub.close();
});

test.run();
