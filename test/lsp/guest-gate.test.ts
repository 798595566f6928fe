// A guest editor on the hub, with the real typescript-language-server: neutral URIs both ways, capabilities
// trimmed to its permissions, navigation into hidden files allowed and into excluded ones filtered, edits and
// commands gated, crafted URIs refused — and the excluded file's canary never in any byte the guest received.
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HOST, LspHub, type LspPermission } from '../../src/lsp/index.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { tmpdir } from '../helpers/tmp.js';
import { LspClient } from './lsp-client.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/lsp-share', import.meta.url));
const TSLS = fileURLToPath(new URL('../../node_modules/.bin/typescript-language-server', import.meta.url));
const CANARY = 'CANARY-7f3a9c1e-EXCLUDED-CONTENT';
const MAIN = 'lspair:/src/main.ts';
const GREET = 'lspair:/src/greet.ts';

async function setup() {
  const root = path.join(tmpdir('lspair-gate-'), 'share');
  cpSync(FIXTURE, root, { recursive: true });
  const policy = new Policy(root);
  const hub = new LspHub({ name: 'ts', command: { command: TSLS, args: ['--stdio'] }, uris: new HostUris(policy, true), save: async () => undefined, idleMs: 60_000 });
  // The host's editor opens the excluded file, so the server knows it (its canary could leak through answers).
  const host = LspClient.pair();
  hub.connect(host.input, host.output, HOST);
  await host.client.initialize(policy.root);
  const vault = pathToFileURL(path.join(policy.root, 'secret/vault.ts')).href;
  await host.client.open(vault, 'typescript', readFileSync(path.join(policy.root, 'secret/vault.ts'), 'utf8'));
  const permissions = new Set<LspPermission>();
  const received: Buffer[] = [];
  const input = new PassThrough();
  const output = new PassThrough();
  output.on('data', (chunk: Buffer) => received.push(chunk));
  hub.connect(input, output, { kind: 'guest', id: 'g1', has: (p) => permissions.has(p) });
  const guest = new LspClient(output, input);
  const init = await guest.connection.sendRequest('initialize', { processId: null, rootUri: 'lspair:/', capabilities: { window: { workDoneProgress: true } } });
  await guest.connection.sendNotification('initialized', {});
  await guest.open(MAIN, 'typescript', 'ignored: the hub uses the host\'s text');
  await guest.open(GREET, 'typescript', '');
  return { root: policy.root, hub, host: host.client, guest, init: init as { capabilities: Record<string, unknown> }, permissions, bytes: () => Buffer.concat(received).toString('utf8') };
}

/** Resolves once `work` rejects with a message matching `pattern`; fails the test if it resolves. */
async function rejects(work: Promise<unknown>, pattern: RegExp, what = String(pattern)): Promise<void> {
  const outcome = await work.then(
    (value) => ({ value }),
    (error: Error) => ({ error }),
  );
  if (!('error' in outcome)) assert.unreachable(`${what}: expected a refusal, got ${JSON.stringify(outcome.value)}`);
  else assert.match(outcome.error.message, pattern, what);
}

const at = (uri: string, line: number, character: number) => ({ textDocument: { uri }, position: { line, character } });

test('a guest works in neutral URIs, with what its permissions allow', async () => {
  const s = await setup();
  assert.not.ok(s.init.capabilities.renameProvider, 'a viewer is not offered rename');
  assert.not.ok(s.init.capabilities.executeCommandProvider, 'nor commands');
  assert.ok(s.init.capabilities.hoverProvider);
  const diagnostics = await s.guest.diagnostics(MAIN);
  assert.ok(diagnostics.some((d) => /not assignable to type 'number'/.test(d.message)), 'diagnostics computed on the host\'s text');
  const hover = await s.guest.request<{ contents: unknown }>('textDocument/hover', at(MAIN, 2, 24));
  assert.match(JSON.stringify(hover.contents), /greet\(name: string\)/);
  const toGreet = await s.guest.request<{ targetUri: string }[]>('textDocument/definition', at(MAIN, 2, 24));
  assert.equal(toGreet.map((l) => l.targetUri), [GREET]);
  const toHidden = await s.guest.request<{ targetUri: string }[]>('textDocument/definition', at(GREET, 5, 10));
  assert.equal(toHidden.map((l) => l.targetUri), ['lspair:/generated/shout.ts'], 'navigation reaches a hidden file');
  const toExcluded = await s.guest.request<unknown[]>('textDocument/definition', at(GREET, 5, 33));
  assert.equal(toExcluded, [], 'a definition in an excluded file is filtered out');
  const refs = await s.guest.request<{ uri: string }[]>('textDocument/references', { ...at(GREET, 1, 10), context: { includeDeclaration: true } });
  assert.ok(refs.length >= 2 && refs.every((r) => r.uri.startsWith('lspair:/') && !r.uri.includes('secret')), JSON.stringify(refs));

  await rejects(s.guest.request('textDocument/rename', { ...at(MAIN, 2, 24), newName: 'hi' }), /needs the files\.write permission/);
  await rejects(s.guest.request('workspace/executeCommand', { command: '_typescript.organizeImports', arguments: [] }), /needs the lsp\.commands permission/);
  s.permissions.add('files.write');
  const rename = await s.guest.request<{ documentChanges?: { textDocument: { uri: string } }[]; changes?: Record<string, unknown> }>('textDocument/rename', { ...at(GREET, 4, 16), newName: 'hi' });
  const touched = rename.documentChanges?.map((c) => c.textDocument.uri) ?? Object.keys(rename.changes ?? {});
  assert.equal(touched.sort(), [GREET, MAIN], 'an editor renames, in neutral URIs');
  await s.guest.open('lspair:/generated/shout.ts', 'typescript', '');
  await rejects(s.guest.request('textDocument/rename', { ...at('lspair:/generated/shout.ts', 1, 17), newName: 'yell' }), /refused whole/, 'a rename that would edit the excluded file is refused whole');
  s.guest.dispose();
  s.host.dispose();
  await s.hub.close();
});

test('a guest never sees a server\'s data, gets it resolved all the same, and cannot forge it', async () => {
  const s = await setup();
  await s.guest.diagnostics(MAIN);
  const list = await s.guest.request<{ items: { label: string; data?: unknown }[] }>('textDocument/completion', at(GREET, 5, 10));
  const shout = list.items.find((i) => i.label === 'shout');
  assert.ok(shout, 'completion works');
  assert.ok(list.items.every((i) => i.data === undefined || (typeof i.data === 'string' && /^lspair-data:\d+$/.test(i.data))), 'every data is a token');
  const resolved = await s.guest.request<{ detail?: string }>('completionItem/resolve', shout);
  assert.match(String(resolved.detail), /shout\(text: string\): string/, 'resolved by the server: it got its own data back');
  const forged = { label: 'key', data: { file: path.join(s.root, 'secret/vault.ts'), line: 4, offset: 9, entryNames: ['key'] } };
  await rejects(s.guest.request('completionItem/resolve', forged), /did not come from/);
  await rejects(s.guest.request('completionItem/resolve', { label: 'x', data: 'lspair-data:999999' }), /did not come from/);
  s.guest.dispose();
  s.host.dispose();
  await s.hub.close();
});

test('leak hunt at the hub: crafted URIs refused, nothing points into the excluded file, the canary never reaches the guest', async () => {
  const s = await setup();
  s.permissions.add('files.write'); // to try the edit-producing requests too
  await s.guest.diagnostics(MAIN);
  const crafted = [
    'lspair:/secret/vault.ts',
    'lspair:/src/%2e%2e/secret/vault.ts',
    'lspair:/src/../secret/vault.ts',
    'lspair:/src%2f..%2fsecret/vault.ts',
    'lspair:/%2e%2e/share/secret/vault.ts',
    'lspair:///secret/vault.ts',
    'lspair://host/secret/vault.ts',
    'LSPAIR:/secret/vault.ts',
    'lspair:/SECRET/../secret/vault.ts',
    'lspair:/src/%252e%252e/secret/vault.ts',
    'file:///etc/passwd',
    pathToFileURL(path.join(FIXTURE, 'secret/vault.ts')).href,
    'lspair-external:/AAAAAAAAAAAAAAAA/vault.ts',
    'untitled:secret',
    'lspair:/.git/config',
    'lspair:/.vsls.json',
  ];
  for (const uri of crafted) {
    await s.guest.open(uri, 'typescript', '');
    await rejects(s.guest.request('textDocument/hover', at(uri, 1, 10)), /lspair:/, uri);
    await rejects(s.guest.request('textDocument/documentSymbol', { textDocument: { uri } }), /lspair:/, uri);
  }
  const symbols = await s.guest.request<{ name: string; location: { uri: string } }[]>('workspace/symbol', { query: 'unlock' });
  assert.ok(symbols.every((x) => !x.location.uri.includes('secret')), JSON.stringify(symbols));
  const vaultRefs = await s.guest.request<{ uri: string }[]>('textDocument/references', { ...at(GREET, 5, 36), context: { includeDeclaration: true } });
  assert.ok(vaultRefs.every((r) => r.uri === GREET), JSON.stringify(vaultRefs));
  await s.guest.open('lspair:/generated/shout.ts', 'typescript', '');
  await rejects(s.guest.request('textDocument/rename', { ...at('lspair:/generated/shout.ts', 1, 17), newName: 'yell' }), /refused whole/);
  await s.guest.request('textDocument/references', { ...at('lspair:/generated/shout.ts', 1, 17), context: { includeDeclaration: true } });
  await s.guest.request('textDocument/prepareCallHierarchy', at('lspair:/generated/shout.ts', 1, 17)).then((items) =>
    Array.isArray(items) && items.length > 0 ? s.guest.request('callHierarchy/incomingCalls', { item: items[0] }) : null,
  );
  await s.guest.request('textDocument/completion', at(GREET, 5, 40)).catch(() => null);
  await s.guest.request('textDocument/codeAction', { textDocument: { uri: GREET }, range: { start: { line: 1, character: 0 }, end: { line: 1, character: 40 } }, context: { diagnostics: [] } });
  await s.guest.request('textDocument/documentLink', { textDocument: { uri: GREET } }).catch(() => null);
  await s.guest.request('textDocument/prepareCallHierarchy', at(GREET, 5, 36)).catch(() => null);
  const bytes = s.bytes();
  for (const form of [CANARY, Buffer.from(CANARY, 'utf16le').toString('latin1'), Buffer.from(CANARY).toString('base64'), 'vault.ts"', 'unlock']) {
    assert.not.ok(bytes.includes(form), `the guest never received ${form}`);
  }
  assert.not.ok(bytes.includes(s.root), 'nor the host\'s folder path');
  s.guest.dispose();
  s.host.dispose();
  await s.hub.close();
});

test.run();
