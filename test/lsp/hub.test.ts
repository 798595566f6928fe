// The hub with a real language server (typescript-language-server over typescript@5) and two host editors:
// one server process for both, initialize answered from the cache, answers routed by id space, and a server
// killed mid-session restarted with the open documents replayed.
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HOST, LspHub } from '../../src/lsp/index.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { tmpdir } from '../helpers/tmp.js';
import { LspClient } from './lsp-client.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/lsp-share', import.meta.url));
const TSLS = fileURLToPath(new URL('../../node_modules/.bin/typescript-language-server', import.meta.url));

function share() {
  const root = path.join(tmpdir('lspair-hub-'), 'share');
  cpSync(FIXTURE, root, { recursive: true });
  const policy = new Policy(root);
  const hub = new LspHub({ name: 'ts', command: { command: TSLS, args: ['--stdio'] }, uris: new HostUris(policy, true), save: async () => undefined, idleMs: 60_000 });
  const uri = (rel: string) => pathToFileURL(path.join(policy.root, rel)).href;
  const text = (rel: string) => readFileSync(path.join(policy.root, rel), 'utf8');
  const editor = async () => {
    const { client, input, output } = LspClient.pair();
    hub.connect(input, output, HOST);
    const init = await client.initialize(policy.root);
    return { client, init };
  };
  return { root: policy.root, hub, uri, text, editor };
}

test('two host editors share one server; each gets its own answers and the diagnostics', async () => {
  const s = share();
  const a = await s.editor();
  const pid = s.hub.serverPid;
  assert.ok(pid, 'the server runs once an editor initialized');
  assert.ok(a.init.capabilities.hoverProvider, 'the cached capabilities are the server\'s');
  assert.equal((a.init.capabilities.textDocumentSync as { change: number }).change, 2, 'editors always sync incrementally with the hub');
  await a.client.open(s.uri('src/main.ts'), 'typescript', s.text('src/main.ts'));
  const diagnostics = await a.client.diagnostics(s.uri('src/main.ts'));
  assert.ok(diagnostics.some((d) => /not assignable to type 'number'/.test(d.message)), JSON.stringify(diagnostics));

  const b = await s.editor();
  assert.is(s.hub.serverPid, pid, 'the second editor shares the same server process');
  await b.client.open(s.uri('src/main.ts'), 'typescript', s.text('src/main.ts'));
  const [hoverA, defB] = await Promise.all([
    a.client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: s.uri('src/main.ts') }, position: { line: 2, character: 24 } }),
    b.client.request<{ targetUri: string }[]>('textDocument/definition', { textDocument: { uri: s.uri('src/main.ts') }, position: { line: 2, character: 24 } }),
  ]);
  assert.match(JSON.stringify(hoverA.contents), /greet\(name: string\): string/);
  assert.is(defB[0]!.targetUri, s.uri('src/greet.ts'));
  // An editor's shutdown ends only itself: the other still gets answers.
  await b.client.request('shutdown', null);
  await b.client.connection.sendNotification('exit');
  const again = await a.client.request<{ contents: unknown }>('textDocument/hover', { textDocument: { uri: s.uri('src/main.ts') }, position: { line: 2, character: 24 } });
  assert.ok(again.contents);
  assert.is(s.hub.serverPid, pid);
  a.client.dispose();
  await s.hub.close();
});

test('a killed server is restarted, open documents replayed, and the editor keeps getting answers', async () => {
  const s = share();
  const a = await s.editor();
  await a.client.open(s.uri('src/main.ts'), 'typescript', s.text('src/main.ts'));
  await a.client.diagnostics(s.uri('src/main.ts'));
  const first = s.hub.serverPid!;
  const published = a.client.received.length;
  process.kill(first, 'SIGKILL');
  let hover: { contents: unknown } | null = null;
  for (let i = 0; i < 100 && !hover; i++) {
    hover = await a.client.request<{ contents: unknown }>('textDocument/hover', { textDocument: { uri: s.uri('src/main.ts') }, position: { line: 2, character: 24 } }).catch(() => null);
    if (!hover) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(hover?.contents, 'answers again after the restart');
  assert.ok(s.hub.serverPid && s.hub.serverPid !== first, 'a new server process');
  // The replayed document is analysed again: fresh diagnostics arrive without the editor reopening it.
  await a.client.waitFor((r) => a.client.received.indexOf(r) >= published && r.method === 'textDocument/publishDiagnostics' && (r.params as { diagnostics: unknown[] }).diagnostics.length > 0);
  a.client.dispose();
  await s.hub.close();
});

test.run();
