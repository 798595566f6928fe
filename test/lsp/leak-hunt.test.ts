// Issue 5's leak hunt, end to end: `lspair host` with the real typescript-language-server and pyright on a copy of
// fixtures/lsp-share (its secret/ excluded, with a canary inside a function body in vault.ts and in vault.py), and a
// hostile guest assembled in this process so that every byte its daemon decrypted is on record. The guest tries
// every way in: navigation, symbols, hierarchies, diagnostics and links that point into the excluded files,
// opening them, crafted URIs (from its editor through `lspair lsp`, and raw on its own mux stream past its daemon),
// symlinks in the share, edits and renames as an editor, commands with lsp.commands, forged `data` and forged
// co-editing messages. Every refusal must be an error, never a hang; the host must stay up throughout; and the
// canaries must never appear in any encoding in what the guest decrypted, nor the excluded files in its mirror.
import { appendFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';
import { FILES_STREAM } from '../../src/fs/index.js';
import { LSP_STREAM } from '../../src/session/language-servers.js';
import type { LspairProcess } from '../helpers/process.js';
import { answered, editor, guestInProcess, projectLoaded, SERVERS, settled, world } from './live.js';
import { LspClient } from './lsp-client.js';

const CANARY = 'CANARY-7f3a9c1e-EXCLUDED-CONTENT';
const PY_CANARY = 'CANARY-3b9d52aa-EXCLUDED-PYTHON';

/** The test's copy of the fixture: a Python secret, an exported function of vault.ts a visible file calls
 *  wrongly (diagnostics with related information in the excluded file), and symlinks into secret/ and out. */
function arrange(w: ReturnType<typeof world>): void {
  const at = (rel: string) => path.join(w.folder, rel);
  writeFileSync(at('secret/vault.py'), `def _unlock() -> str:\n    key = "${PY_CANARY}"\n    return key.upper()\n\n\nVAULT: str = _unlock()\n`);
  writeFileSync(at('src/uses_vault.py'), 'from secret.vault import VAULT\n\nprint(VAULT)\n');
  appendFileSync(at('secret/vault.ts'), 'export function open(door: number): string {\n  return unlock().slice(door);\n}\n');
  writeFileSync(at('src/calls-vault.ts'), "import { open } from '../secret/vault';\n\nexport const opened = open();\n");
  symlinkSync('../secret/vault.ts', at('src/linked-vault.ts'));
  symlinkSync('../secret', at('src/linked-secret'));
  mkdirSync(path.join(w.root, 'outside'));
  writeFileSync(path.join(w.root, 'outside/loot.ts'), 'export function loot(): string {\n  return "CANARY-OUTSIDE-THE-SHARE";\n}\n');
  symlinkSync(path.join(w.root, 'outside'), at('src/linked-outside'));
  writeFileSync(at('src/via-links.ts'), "import { vault } from './linked-vault';\nimport { loot } from './linked-outside/loot';\n\nexport const both = vault + loot();\n");
}

type Guest = Awaited<ReturnType<typeof guestInProcess>>;
type Editor = ReturnType<typeof editor>;
let w: ReturnType<typeof world>;
let host: LspairProcess;
let hostExit: number | null = null;
let guest: Guest;
let ts: Editor;
let mirror: string;

const mirrorUri = (rel: string) => pathToFileURL(path.join(mirror, rel)).href;
const at = (uri: string, line: number, character: number) => ({ textDocument: { uri }, position: { line, character } });

/** An editor's request that must be refused with an error saying `pattern`. */
async function refused(work: Promise<unknown>, pattern: RegExp, what: string): Promise<void> {
  const outcome = await settled(work, what);
  if ('value' in outcome) assert.unreachable(`${what}: expected a refusal, got ${JSON.stringify(outcome.value)}`);
  else assert.match(outcome.error.message, pattern, what);
}

/** A request that may be answered or refused (by lspair or the server), but must not hang. */
async function probe(work: Promise<unknown>, what: string): Promise<unknown> {
  const outcome = await settled(work, what);
  if ('error' in outcome) assert.ok(outcome.error.message.length > 0, `${what}: an error says why`);
  return 'value' in outcome ? outcome.value : null;
}

/** Every URI in a value (any `uri`/`targetUri` string, and keys of `changes`). */
function urisIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) urisIn(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (/^(uri|targetUri|oldUri|newUri)$/.test(k) && typeof v === 'string') out.push(v);
      else if (k === 'changes' && typeof v === 'object' && v !== null) out.push(...Object.keys(v));
      urisIn(v, out);
    }
  }
  return out;
}

function assertNoExcluded(value: unknown, what: string): void {
  const root = `${pathToFileURL(mirror).href}/`;
  for (const uri of urisIn(value)) {
    assert.ok(uri.startsWith(root), `${what}: ${uri} is in the mirror`);
    assert.not.ok(/secret|linked-|outside/.test(uri.slice(root.length)), `${what}: ${uri} is not an excluded or linked file`);
  }
}

function assertHostUp(): void {
  assert.is(hostExit, null, `the host is still running (stderr: ${host.stderr.slice(-2000)})`);
}

/** Neither canary, in any encoding, in anything the guest decrypted so far. */
function assertNoCanary(): void {
  for (const secret of [CANARY, PY_CANARY]) assert.equal(guest.plaintext.find(secret), [], `${secret} reached the guest`);
}

async function initialize(client: LspClient, rootUri: string | null): Promise<Record<string, unknown>> {
  const capabilities = {
    window: { workDoneProgress: true },
    workspace: { applyEdit: true, workspaceEdit: { documentChanges: true }, symbol: {} },
    textDocument: {
      definition: { linkSupport: true },
      codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'source'] } }, resolveSupport: { properties: ['edit'] } },
      publishDiagnostics: { relatedInformation: true },
    },
  };
  const init = (await client.connection.sendRequest('initialize', { processId: null, rootUri, capabilities })) as { capabilities: Record<string, unknown> };
  await client.connection.sendNotification('initialized', {});
  return init.capabilities;
}

/** A mux stream of the guest's own to the host's server NAME, past its daemon: what a modified daemon could send. */
async function rawLsp(name: string): Promise<LspClient> {
  const client = LspClient.over(guest.session.mux.open(LSP_STREAM, name));
  await initialize(client, 'lspair:/');
  return client;
}

/** Opens a mirror file with its text, as an editor does. */
function openMirrored(client: LspClient, rel: string, languageId: string): Promise<void> {
  return client.open(mirrorUri(rel), languageId, readFileSync(path.join(mirror, rel), 'utf8'));
}

const s = suite('leak hunt: a hostile guest against a real host');

s.before(async () => {
  w = world();
  arrange(w);
  const hosting = await w.hosting('--server', SERVERS.ts, '--server', SERVERS.py);
  host = hosting.host;
  void host.exited.then((code) => (hostExit = code));
  mirror = path.join(w.root, 'mirror');
  guest = await guestInProcess(hosting.link, mirror, w.runtime);
  ts = editor('ts', mirror, w.env('mallory'));
  await initialize(ts.client, pathToFileURL(mirror).href);
  for (const rel of ['src/main.ts', 'src/greet.ts', 'src/calls-vault.ts', 'src/via-links.ts']) await openMirrored(ts.client, rel, 'typescript');
  await projectLoaded(ts.client, 0, mirrorUri('src/main.ts'));
});

s.after(async () => {
  ts?.kill();
  await guest?.close();
  host?.kill();
  await host?.exited;
});

s('the tap sees everything the guest gets: file contents (base64) and LSP messages (JSON)', () => {
  const main = readFileSync(path.join(w.folder, 'src/main.ts'), 'utf8').split('\n')[3]!;
  const found = guest.plaintext.find(main);
  assert.ok(found.includes('base64 in messages') && found.includes('utf-8 in base64 strings'), `the mirror's download of main.ts is seen: ${found}`);
  assert.ok(found.includes('utf-8 in json strings'), `the hub's copy of main.ts is seen: ${found}`);
  assert.ok(guest.plaintext.jsonMessages().length > 10);
});

s('navigation, symbols, hierarchies, links and diagnostics never point into the excluded files', async () => {
  const greet = mirrorUri('src/greet.ts');
  const calls = mirrorUri('src/calls-vault.ts');
  // `vault` (imported from secret/vault.ts) in greet.ts: its declaration line and its use.
  for (const position of [at(greet, 1, 10), at(greet, 5, 36), at(calls, 2, 24)]) {
    assertNoExcluded(await answered(ts.client.request('textDocument/definition', position), 'definition'), 'definition');
    for (const method of ['textDocument/declaration', 'textDocument/typeDefinition', 'textDocument/implementation']) {
      assertNoExcluded(await probe(ts.client.request(method, position), method), method);
    }
    assertNoExcluded(await answered(ts.client.request('textDocument/references', { ...position, context: { includeDeclaration: true } }), 'references'), 'references');
    assertNoExcluded(await answered(ts.client.request('textDocument/documentHighlight', position), 'highlight'), 'highlight');
    assertNoExcluded(await probe(ts.client.request('textDocument/prepareTypeHierarchy', position), 'type hierarchy'), 'type hierarchy');
    assertNoExcluded(await probe(ts.client.request('textDocument/signatureHelp', position), 'signature help'), 'signature help');
  }
  // shout (in the hidden generated/shout.ts) is called from secret/vault.ts: references and callers stop at the share.
  const toShout = await answered(ts.client.request<{ targetUri: string }[]>('textDocument/definition', at(greet, 5, 10)), 'definition of shout');
  assert.equal(toShout.map((l) => l.targetUri), [mirrorUri('generated/shout.ts')], 'a hidden file is reached and materialised');
  const shout = mirrorUri('generated/shout.ts');
  await openMirrored(ts.client, 'generated/shout.ts', 'typescript');
  const refs = await answered(ts.client.request<unknown[]>('textDocument/references', { ...at(shout, 1, 17), context: { includeDeclaration: true } }), 'references to shout');
  assert.is(refs.length, 3, 'its declaration and greet.ts\'s two, not vault.ts\'s');
  assertNoExcluded(refs, 'references to shout');
  const items = await answered(ts.client.request<unknown[]>('textDocument/prepareCallHierarchy', at(shout, 1, 17)), 'call hierarchy');
  assert.is(items.length, 1);
  const callers = await answered(ts.client.request<{ from: { name: string } }[]>('callHierarchy/incomingCalls', { item: items[0] }), 'callers of shout');
  assert.equal(callers.map((c) => c.from.name), ['greet'], 'unlock (in vault.ts) is not among them');
  assertNoExcluded(await answered(ts.client.request('callHierarchy/outgoingCalls', { item: items[0] }), 'outgoing'), 'outgoing');
  for (const query of ['unlock', 'vault', 'key', 'open', 'loot', '']) {
    const symbols = await answered(ts.client.request<unknown[] | null>('workspace/symbol', { query }), `workspace/symbol ${query}`);
    assertNoExcluded(symbols, `workspace/symbol '${query}'`);
  }
  for (const uri of [greet, calls, mirrorUri('src/via-links.ts')]) {
    for (const method of ['textDocument/documentLink', 'textDocument/codeLens', 'textDocument/inlayHint', 'textDocument/documentSymbol', 'textDocument/foldingRange']) {
      const range = { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } };
      assertNoExcluded(await probe(ts.client.request(method, { textDocument: { uri }, range }), method), method);
    }
  }
  // open() is called without its argument: the diagnostic arrives; its related information in vault.ts does not.
  const diagnostics = await ts.client.diagnostics(calls);
  assert.ok(diagnostics.some((d) => /Expected 1 arguments/.test(d.message)), JSON.stringify(diagnostics));
  assertNoExcluded(diagnostics, 'diagnostics with related information');
  const completion = await answered(ts.client.request<{ items: { label: string }[] }>('textDocument/completion', at(greet, 5, 40)), 'completion');
  for (const item of completion.items.slice(0, 50)) await probe(ts.client.request('completionItem/resolve', item), `resolve ${item.label}`);
  assertNoCanary();
  assertHostUp();
});

s('what the server derives from an excluded file shows in hover, as designed; its body does not', async () => {
  const greet = mirrorUri('src/greet.ts');
  const vault = await answered(ts.client.request<{ contents: { value: string } }>('textDocument/hover', at(greet, 5, 36)), 'hover on vault');
  assert.match(vault.contents.value, /const vault: string/, 'a derived type');
  const open = await answered(ts.client.request<{ contents: { value: string } }>('textDocument/hover', at(mirrorUri('src/calls-vault.ts'), 2, 24)), 'hover on open');
  assert.match(open.contents.value, /open\(door: number\): string/, 'an exported signature');
  await answered(ts.client.request('textDocument/hover', at(greet, 1, 30)), 'hover on the excluded module\'s import');
  // A file outside the share, reached through a symlink in it: its exported types are derived like any other.
  const loot = await answered(ts.client.request<{ contents: { value: string } }>('textDocument/hover', at(mirrorUri('src/via-links.ts'), 3, 30)), 'hover on loot');
  assert.match(loot.contents.value, /loot\(\): string/);
  assert.equal(guest.plaintext.find('CANARY-OUTSIDE-THE-SHARE'), [], 'nor a function body outside the share');
  assertNoCanary();
});

s('crafted URIs from the guest\'s editor are refused, each with an error', async () => {
  const share = pathToFileURL(w.folder).href;
  const m = pathToFileURL(mirror).href;
  const crafted = [
    `${m}/secret/vault.ts`,
    `${m}/secret/vault.py`,
    `${m}/src/%2e%2e/secret/vault.ts`,
    `${m}/src/../secret/vault.ts`,
    `${m}/src/%2E%2E/secret/vault.ts`,
    `${m}/src%2f..%2fsecret/vault.ts`,
    `${m}/src/%252e%252e/secret/vault.ts`,
    `${m}/secret%2fvault.ts`,
    `${m}/secret/vault.ts%00.md`,
    `${m}/src/linked-vault.ts`,
    `${m}/src/linked-secret/vault.ts`,
    `${m}/src/linked-outside/loot.ts`,
    `${m}/.lspair/external/AAAAAAAAAAAAAAAA/vault.ts`,
    `${m}/.vsls.json`,
    `${m}/.git/config`,
    `${m.replace('file://', 'FILE://')}/secret/vault.ts`,
    `file://localhost${new URL(m).pathname}/secret/vault.ts`,
    `file://evil${new URL(m).pathname}/secret/vault.ts`,
    `${m}/../share/secret/vault.ts`,
    `${share}/secret/vault.ts`,
    `${share}/src/main.ts`,
    'file:///etc/passwd',
    'lspair:/secret/vault.ts',
    'lspair-external:/AAAAAAAAAAAAAAAA/vault.ts',
    'untitled:Untitled-1',
    'vscode-remote://ssh-remote+host/secret/vault.ts',
    'http://example.com/secret/vault.ts',
  ];
  for (const uri of crafted) {
    await ts.client.open(uri, 'typescript', 'export const x = 1;');
    for (const method of ['textDocument/hover', 'textDocument/definition', 'textDocument/references']) {
      await refused(ts.client.request(method, { ...at(uri, 3, 10), context: { includeDeclaration: true } }), /lspair: /, `${method} on ${uri}`);
    }
    await refused(ts.client.request('textDocument/documentSymbol', { textDocument: { uri } }), /lspair: /, `documentSymbol of ${uri}`);
  }
  // Case variants name files that do not exist here (a case-sensitive disk): nothing to hover, nothing to open.
  for (const rel of ['SECRET/vault.ts', 'Secret/Vault.ts', 'secret/VAULT.TS']) {
    await ts.client.open(mirrorUri(rel), 'typescript', '');
    await probe(ts.client.request('textDocument/hover', at(mirrorUri(rel), 3, 10)), rel);
  }
  // The daemon's own protocol is never taken from an editor.
  await ts.client.connection.sendNotification('$/lspair/edit', { uri: 'lspair:/secret/vault.ts', rev: 0, op: ['x'] });
  assertNoExcluded(await answered(ts.client.request('textDocument/definition', at(mirrorUri('src/greet.ts'), 1, 10)), 'still answering'), 'still answering');
  assertNoCanary();
  assertHostUp();
});

s('a guest past its own daemon: neutral URIs, forged data and forged co-editing messages are refused', async () => {
  const raw = await rawLsp('ts');
  const crafted = [
    'lspair:/secret/vault.ts',
    'lspair:/secret/vault.py',
    'lspair:/src/%2e%2e/secret/vault.ts',
    'lspair:/src/../secret/vault.ts',
    'lspair:/src%2f..%2fsecret/vault.ts',
    'lspair:/src/%252e%252e/secret/vault.ts',
    'lspair:/%2e%2e/share/secret/vault.ts',
    'lspair:///secret/vault.ts',
    'lspair://host/secret/vault.ts',
    'LSPAIR:/secret/vault.ts',
    'lspair:/src/linked-vault.ts',
    'lspair:/src/linked-secret/vault.ts',
    'lspair:/src/linked-outside/loot.ts',
    'lspair:/src/main.ts?x#y',
    'lspair:/src\\..\\secret\\vault.ts',
    'lspair:/secret/vault.ts%00',
    pathToFileURL(path.join(w.folder, 'secret/vault.ts')).href,
    pathToFileURL(path.join(w.folder, 'src/main.ts')).href,
    `lspair-external:/${'A'.repeat(16)}/vault.ts`,
    'lspair-external:/../secret/vault.ts',
    'lspair:/.vsls.json',
    'lspair:/.git/config',
    'lspair:/.lspair/external',
    'file:///etc/passwd',
    'untitled:secret',
  ];
  for (const uri of crafted) {
    await raw.open(uri, 'typescript', '');
    await refused(raw.request('textDocument/hover', at(uri, 3, 10)), /lspair: /, `raw hover on ${uri}`);
    await refused(raw.request('callHierarchy/incomingCalls', { item: { name: 'unlock', kind: 12, uri, range: { start: { line: 2, character: 0 }, end: { line: 5, character: 1 } }, selectionRange: { start: { line: 2, character: 9 }, end: { line: 2, character: 15 } } } }), /lspair: /, `raw callers in ${uri}`);
  }
  const opened = await raw.waitFor((r) => r.method === 'window/showMessage' && /excluded/.test(String((r.params as { message: string }).message)), 30_000, 'a refusal of didOpen');
  assert.match((opened.params as { message: string }).message, /^lspair: /);
  // Forged `data` of every resolve request (typescript-language-server's own shape, pointing at vault.ts).
  const file = path.join(w.folder, 'secret/vault.ts');
  const forged = { file, line: 4, offset: 9, entryNames: ['key'], uri: pathToFileURL(file).href };
  const range = { start: { line: 3, character: 8 }, end: { line: 3, character: 11 } };
  for (const [method, params] of [
    ['completionItem/resolve', { label: 'key', data: forged }],
    ['completionItem/resolve', { label: 'key', data: 'lspair-data:1' }],
    ['completionItem/resolve', { label: 'key', data: 'lspair-data:999999' }],
    ['codeLens/resolve', { range, data: forged }],
    ['inlayHint/resolve', { position: range.start, label: 'x', data: forged }],
    ['documentLink/resolve', { range, data: forged }],
    ['workspaceSymbol/resolve', { name: 'unlock', kind: 12, location: { uri: 'lspair:/src/main.ts' }, data: forged }],
  ] as const) {
    await refused(raw.request(method, params), /lspair: the request carries data that did not come from this session's language server/, `${method} with forged data`);
  }
  // What a viewer may not send, or no guest may.
  const notForwarded = /lspair: '.*' is not a method lspair forwards from guests/;
  for (const [method, params, why] of [
    ['workspace/applyEdit', { edit: { changes: { 'lspair:/secret/vault.ts': [{ range, newText: 'x' }] } } }, notForwarded],
    ['workspace/executeCommand', { command: 'typescript.tsserverRequest', arguments: ['quickinfo', { file, line: 4, offset: 9 }] }, /needs the lsp\.commands permission/],
    ['textDocument/rename', { ...at('lspair:/generated/shout.ts', 1, 17), newName: 'yell' }, /needs the files\.write permission/],
    ['workspace/willRenameFiles', { files: [{ oldUri: 'lspair:/secret/vault.ts', newUri: 'lspair:/src/vault.ts' }] }, /needs the files\.write permission/],
    ['x/readFile', { uri: 'lspair:/secret/vault.ts' }, notForwarded],
    ['$/lspair/document', { uri: 'lspair:/secret/vault.ts' }, notForwarded],
  ] as const) {
    await refused(raw.request(method, params), why, method);
  }
  // Forged co-editing messages: about an excluded file, a document not open, and (as a viewer) an open one.
  const messages = raw.received.length;
  await raw.connection.sendNotification('$/lspair/edit', { uri: 'lspair:/secret/vault.ts', rev: 0, op: [9999, 'x'] });
  await raw.connection.sendNotification('$/lspair/edit', { uri: 'lspair:/generated/shout.ts', rev: 0, op: ['x'] });
  await raw.open('lspair:/src/main.ts', 'typescript', '');
  await raw.connection.sendNotification('$/lspair/edit', { uri: 'lspair:/src/main.ts', rev: 0, op: ['// mine\n'] });
  await raw.waitFor((r) => raw.received.indexOf(r) >= messages && r.method === '$/lspair/refused', 30_000, 'the viewer\'s edit refused');
  const told = raw.received.slice(messages).filter((r) => r.method === 'window/showMessage').map((r) => (r.params as { message: string }).message);
  assert.ok(told.some((m) => /excluded/.test(m)) && told.some((m) => /not open/.test(m)) && told.some((m) => /files\.write/.test(m)), JSON.stringify(told));
  assert.not.match(readFileSync(path.join(w.folder, 'src/main.ts'), 'utf8'), /mine/);
  // A stream to a server the host does not have, and names that try to be paths.
  for (const name of ['nope', '../ts', 'ts/../py', '']) {
    const stream = guest.session.mux.open(LSP_STREAM, name);
    await new Promise((resolve) => stream.once('close', resolve).once('error', resolve).resume());
  }
  raw.dispose();
  assertNoCanary();
  assertHostUp();
});

s('the file service refuses the excluded files by every name', async () => {
  const stream = guest.session.mux.open(FILES_STREAM);
  const files = createMessageConnection(new StreamMessageReader(stream), new StreamMessageWriter(stream));
  files.listen();
  const names = ['secret/vault.ts', 'secret/vault.py', 'src/../secret/vault.ts', '../share/secret/vault.ts', 'src/linked-vault.ts', 'src/linked-secret/vault.ts', 'src/linked-outside/loot.ts', 'SECRET/vault.ts', '.vsls.json', '/etc/passwd', w.folder + '/secret/vault.ts'];
  for (const name of names) await refused(files.sendRequest('fs/read', { path: name, offset: 0, length: 4096 }), /./, `fs/read ${name}`);
  const stat = await answered(files.sendRequest<{ entries: unknown[] }>('fs/stat', { paths: names }), 'fs/stat');
  assert.equal(stat.entries, names.map(() => null));
  await refused(files.sendRequest('fs/external', { token: 'A'.repeat(16), offset: 0, length: 10 }), /./, 'fs/external with a forged token');
  const listing = await answered(files.sendRequest<{ entries: { path: string }[] }>('fs/list'), 'fs/list');
  assert.equal(listing.entries.filter((e) => /secret|linked-/.test(e.path)), []);
  files.dispose();
  stream.destroy();
  assertNoCanary();
});

s('as an editor: renames and code actions that would edit an excluded file are refused whole; edits cannot reach its text', async () => {
  w.guests('role', guest.welcome.guestId, 'editor');
  await guest.permissions((p) => p.includes('files.write'));
  const greet = mirrorUri('src/greet.ts');
  const shout = mirrorUri('generated/shout.ts');
  await refused(ts.client.request('textDocument/rename', { ...at(shout, 1, 17), newName: 'yell' }), /refused whole/, 'rename of shout (used in vault.ts)');
  // Renaming the imported vault edits greet.ts alone (`vault as safe`), or is refused whole.
  assertNoExcluded(await probe(ts.client.request('textDocument/rename', { ...at(greet, 1, 10), newName: 'safe' }), 'rename of vault'), 'rename of vault');
  assertNoExcluded(await probe(ts.client.request('workspace/willRenameFiles', { files: [{ oldUri: shout, newUri: mirrorUri('generated/yell.ts') }] }), 'moving shout.ts'), 'moving shout.ts');
  const rename = await answered(ts.client.request('textDocument/rename', { ...at(greet, 4, 17), newName: 'hello' }), 'rename of greet');
  assert.equal([...new Set(urisIn(rename))].sort(), [greet, mirrorUri('src/main.ts')]);
  for (const uri of [greet, mirrorUri('src/calls-vault.ts'), shout]) {
    const range = { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } };
    const actions = await answered(ts.client.request<{ title: string; data?: unknown }[]>('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics: [] } }), 'code actions');
    assertNoExcluded(actions, 'code actions');
    for (const action of actions.filter((a) => a.data)) assertNoExcluded(await probe(ts.client.request('codeAction/resolve', action), action.title), action.title);
  }
  const forged = { title: 'x', data: { file: path.join(w.folder, 'secret/vault.ts'), startLine: 4, startOffset: 9, endLine: 4, endOffset: 12 } };
  await refused(ts.client.request('codeAction/resolve', forged), /did not come from this session's language server/, 'a code action with forged data');
  assertNoExcluded(await answered(ts.client.request('textDocument/formatting', { textDocument: { uri: greet }, options: { tabSize: 2, insertSpaces: true } }), 'formatting'), 'formatting');
  // The editor types code that asks the server for everything vault.ts exports and for its locals.
  const probeText = "\nimport * as everything from '../secret/vault';\nexport const leak1: number = everything;\nexport const leak2: number = vault;\nexport const leak3: number = (everything as any).unlock;\n";
  await ts.client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: greet, version: 2 }, contentChanges: [{ range: { start: { line: 7, character: 0 }, end: { line: 7, character: 0 } }, text: probeText }] });
  const typed = await ts.client.diagnostics(greet, (d) => d.some((x) => /typeof import/.test(x.message)));
  assert.ok(typed.length >= 2, JSON.stringify(typed));
  await answered(ts.client.request('textDocument/hover', at(greet, 8, 14)), 'hover on the namespace import');
  await answered(ts.client.request('textDocument/completion', at(greet, 10, 42)), 'completion in the namespace');
  assertNoCanary();
  assertHostUp();
});

s('with lsp.commands: the server\'s commands run only as offered; crafted ones (which would read vault.ts) are refused', async () => {
  await refused(ts.client.request('workspace/executeCommand', { command: '_typescript.organizeImports', arguments: [] }), /needs the lsp\.commands permission/, 'an editor without lsp.commands');
  w.guests('grant', guest.welcome.guestId, 'lsp.commands');
  await guest.permissions((p) => p.includes('lsp.commands'));
  const file = path.join(w.folder, 'secret/vault.ts');
  const uri = pathToFileURL(file).href;
  for (const [command, args] of [
    ['typescript.tsserverRequest', ['quickinfo', { file, line: 4, offset: 9 }]],
    ['typescript.tsserverRequest', ['navto', { searchValue: 'unlock' }]],
    ['typescript.tsserverRequest', ['getOutliningSpans', { file }]],
    ['_typescript.goToSourceDefinition', [uri, { line: 3, character: 9 }]],
    ['_typescript.organizeImports', [file]],
    ['_typescript.applyRenameFile', [{ sourceUri: uri, targetUri: mirrorUri('src/vault.ts') }]],
    ['_typescript.applyCompletionCodeAction', ['', [{ changes: [{ fileName: file, textChanges: [] }] }]]],
    ['_typescript.configurePlugin', ['x', {}]],
    ['_typescript.applyRefactoring', [{ file, startLine: 4, startOffset: 9, endLine: 4, endOffset: 12, refactor: 'Move to a new file', action: 'Move to a new file' }]],
  ] as const) {
    await refused(ts.client.request('workspace/executeCommand', { command, arguments: args }), /lspair: a guest may run only a command the language server offered it/, command);
  }
  // A command the server offered (in a code action) runs as it came, after Neovim-style re-encoding of its arguments.
  const range = { start: { line: 5, character: 9 }, end: { line: 5, character: 30 } };
  const actions = await answered(ts.client.request<{ command?: { command: string; arguments?: Record<string, unknown>[] } }[]>('textDocument/codeAction', { textDocument: { uri: mirrorUri('src/greet.ts') }, range, context: { diagnostics: [] } }), 'code actions');
  const offered = actions.find((a) => a.command?.command === '_typescript.applyRefactoring')?.command;
  assert.ok(offered, `a command is offered: ${JSON.stringify(actions.map((a) => a.command))}`);
  const reordered = { ...offered, arguments: offered.arguments!.map((a) => Object.fromEntries(Object.entries(a).reverse())) };
  await answered(ts.client.request('workspace/executeCommand', reordered), 'the offered command');
  await refused(ts.client.request('workspace/executeCommand', { ...offered, arguments: [{ ...offered.arguments![0], file }] }), /offered it/, 'the offered command aimed at vault.ts');
  assertNoCanary();
  assertHostUp();
});

s('pyright: the same hunt on the Python canary', async () => {
  const py = editor('py', mirror, w.env('mallory'));
  await initialize(py.client, pathToFileURL(mirror).href);
  const uses = mirrorUri('src/uses_vault.py');
  await openMirrored(py.client, 'src/uses_vault.py', 'python');
  await openMirrored(py.client, 'src/app.py', 'python');
  const diagnostics = await py.client.diagnostics(mirrorUri('src/app.py'), (d) => d.some((x) => /not assignable/.test(x.message)));
  assert.ok(diagnostics.length > 0);
  for (const method of ['textDocument/definition', 'textDocument/declaration', 'textDocument/typeDefinition', 'textDocument/references', 'textDocument/documentHighlight']) {
    for (const position of [at(uses, 0, 27), at(uses, 0, 10), at(uses, 2, 8)]) assertNoExcluded(await probe(py.client.request(method, { ...position, context: { includeDeclaration: true } }), method), method);
  }
  const hover = await answered(py.client.request<{ contents: { value: string } }>('textDocument/hover', at(uses, 0, 27)), 'hover on VAULT');
  assert.match(hover.contents.value, /VAULT: str/, 'a derived type');
  for (const query of ['_unlock', 'VAULT', 'key', '']) assertNoExcluded(await probe(py.client.request('workspace/symbol', { query }), query), `workspace/symbol '${query}'`);
  const items = await probe(py.client.request<unknown[]>('textDocument/prepareCallHierarchy', at(uses, 2, 2)), 'py call hierarchy');
  if (Array.isArray(items) && items[0]) assertNoExcluded(await probe(py.client.request('callHierarchy/outgoingCalls', { item: items[0] }), 'py outgoing'), 'py outgoing');
  for (const uri of [mirrorUri('secret/vault.py'), mirrorUri('src/../secret/vault.py'), 'lspair:/secret/vault.py']) {
    await py.client.open(uri, 'python', '');
    await refused(py.client.request('textDocument/hover', at(uri, 1, 6)), /lspair: /, `py hover on ${uri}`);
  }
  for (const [command, args] of [
    ['pyright.createtypestub', [pathToFileURL(w.folder).href, 'secret.vault', path.join(w.folder, 'src/uses_vault.py')]],
    ['pyright.organizeimports', [pathToFileURL(path.join(w.folder, 'secret/vault.py')).href]],
    ['pyright.dumpFileDebugInfo', [pathToFileURL(path.join(w.folder, 'secret/vault.py')).href]],
  ] as const) {
    await refused(py.client.request('workspace/executeCommand', { command, arguments: args }), /offered it/, command);
  }
  await py.close();
  assertNoCanary();
  assertHostUp();
});

s('in the end: no canary in any byte the guest decrypted, no excluded file in its mirror, and the host still answers', async () => {
  assertNoCanary();
  assert.equal(guest.plaintext.find('CANARY-OUTSIDE-THE-SHARE'), []);
  const all: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const abs = path.join(dir, entry);
      all.push(path.relative(mirror, abs));
      if (lstatSync(abs).isDirectory()) walk(abs);
      else if (lstatSync(abs).isFile()) {
        const bytes = readFileSync(abs).toString('latin1');
        for (const secret of [CANARY, PY_CANARY, 'CANARY-OUTSIDE-THE-SHARE', 'secret/vault.ts', 'secret/vault.py']) assert.not.ok(bytes.includes(secret), `${abs} holds ${secret}`);
      }
    }
  };
  walk(mirror);
  assert.equal(all.filter((rel) => /(^|\/)(secret|linked-[^/]*|vault\.(ts|py)|loot\.ts)(\/|$)/.test(rel)), [], 'no excluded or linked file in the mirror');
  assert.ok(all.includes(path.join('generated', 'shout.ts')), 'the hidden file navigation reached is there');
  const hover = await answered(ts.client.request<{ contents: { value: string } }>('textDocument/hover', at(mirrorUri('src/main.ts'), 2, 24)), 'a last hover');
  assert.match(hover.contents.value, /greet|hello/);
  assertHostUp();
  process.kill(host.pid, 0); // throws if it is gone
});

s.run();
