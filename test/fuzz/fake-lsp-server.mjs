// A deterministic language server for the LSP hub's fuzzer: fast, and built to leak. Every answer also points
// into the excluded file (secret/vault.ts), with the canary (argv[2]) in each text the hub must drop along
// with it; anything asked about the excluded file is answered with the canary itself; notifications, progress,
// registrations and requests that belong to the host carry it too; a few answers are malformed. A guest must
// never see the canary whatever it sends. Everything else it needs comes from initialize (rootUri).
import { listen, send as write } from './fake-stdio.mjs';

const CANARY = process.argv[2] ?? 'CANARY';
let root = 'file:///nowhere';
let vault = `${root}/secret/vault.ts`;
let nextId = 1;

const send = (message) => write({ jsonrpc: '2.0', ...message });
const notify = (method, params) => send({ method, params });
const ask = (method, params) => send({ id: `fake-${nextId++}`, method, params });

const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } };
const at = (uri) => ({ uri, range });
const symbol = (uri) => ({ name: CANARY, kind: 12, location: at(uri) });
const item = (uri) => ({ name: CANARY, kind: 12, uri, range, selectionRange: range, data: { file: vault, CANARY } });
const edit = (uri) => ({ changes: { [uri]: [{ range, newText: CANARY }] } });

/** Answers for a document the guest may see: each list also holds an item in the excluded file. */
const ANSWERS = {
  'textDocument/hover': () => ({ contents: { kind: 'markdown', value: 'a hover' }, range }),
  'textDocument/definition': (uri) => [at(uri), at(vault)],
  'textDocument/declaration': (uri) => [{ targetUri: vault, targetRange: range, targetSelectionRange: range }, { targetUri: uri, targetRange: range, targetSelectionRange: range }],
  'textDocument/typeDefinition': () => at(vault),
  'textDocument/implementation': () => 'not a location',
  'textDocument/references': (uri) => [at(uri), at(vault), { uri: 42 }],
  'textDocument/documentHighlight': () => [{ range, kind: 1 }],
  'textDocument/documentSymbol': () => [{ name: 'a symbol', kind: 12, range, selectionRange: range, children: [] }],
  'workspace/symbol': (uri) => [symbol(vault), { name: 'fine', kind: 12, location: at(uri) }, { name: CANARY, kind: 12, location: { uri: vault } }],
  'workspaceSymbol/resolve': () => symbol(vault),
  'textDocument/completion': () => ({ isIncomplete: false, items: [{ label: 'a', data: { file: vault, CANARY } }, { label: 'b', textEdit: { range, newText: 'b' } }] }),
  'completionItem/resolve': () => ({ label: 'a', detail: 'resolved', data: { CANARY } }),
  'textDocument/codeAction': (uri) => [{ title: 'fix', edit: edit(vault) }, { title: 'ok', edit: edit(uri), data: { CANARY } }, { title: 'run', command: 'fake.run', arguments: [] }],
  'codeAction/resolve': () => ({ title: 'fix', edit: edit(vault) }),
  'textDocument/codeLens': () => [{ range, command: { title: 'lens', command: 'fake.lens' }, data: { CANARY } }, { range, data: { uri: vault } }],
  'codeLens/resolve': () => ({ range, command: { title: 'lens', command: 'fake.lens', arguments: [] } }),
  'textDocument/documentLink': (uri) => [{ range, target: vault, tooltip: CANARY }, { range, target: uri }],
  'documentLink/resolve': () => ({ range, target: vault, tooltip: CANARY }),
  'textDocument/rename': (uri) => ({ changes: { [uri]: [{ range, newText: 'renamed' }], [vault]: [{ range, newText: CANARY }] } }),
  'textDocument/prepareRename': () => range,
  'textDocument/formatting': () => [{ range, newText: 'formatted' }],
  'textDocument/prepareCallHierarchy': (uri) => [item(vault), item(uri)],
  'callHierarchy/incomingCalls': () => [{ from: item(vault), fromRanges: [range] }],
  'callHierarchy/outgoingCalls': () => [{ to: item(vault), fromRanges: [range] }],
  'textDocument/prepareTypeHierarchy': () => [item(vault)],
  'typeHierarchy/supertypes': () => [item(vault)],
  'typeHierarchy/subtypes': () => [item(vault)],
  'textDocument/inlayHint': () => [{ position: range.start, label: [{ value: 'hint', location: at(vault) }] }],
  'textDocument/diagnostic': () => ({ kind: 'full', items: [{ range, message: 'fine', relatedInformation: [{ location: at(vault), message: CANARY }] }], relatedDocuments: { [vault]: { kind: 'full', items: [{ range, message: CANARY }] } } }),
  'workspace/diagnostic': () => ({ items: [{ kind: 'full', uri: vault, items: [{ range, message: CANARY }] }] }),
  'textDocument/moniker': () => 'malformed',
  'textDocument/selectionRange': () => [{ range }],
  'textDocument/foldingRange': () => [{ startLine: 0, endLine: 1 }],
  'textDocument/semanticTokens/full': () => ({ data: [0, 0, 1, 0, 0] }),
  'workspace/executeCommand': () => null,
  'workspace/willRenameFiles': () => edit(vault),
  'workspace/willCreateFiles': () => edit(vault),
  'workspace/willDeleteFiles': () => edit(vault),
};

/** What the server does once initialized: everything a guest must not get. */
function initialized() {
  notify('window/showMessage', { type: 3, message: CANARY });
  notify('window/logMessage', { type: 3, message: CANARY });
  notify('telemetry/event', { CANARY });
  notify('textDocument/publishDiagnostics', { uri: vault, diagnostics: [{ range, message: CANARY }] });
  ask('client/registerCapability', { registrations: [{ id: 'r1', method: 'textDocument/hover', registerOptions: { documentSelector: [{ pattern: `${new URL(vault).pathname}` }, { language: 'typescript' }] } }] });
  ask('window/workDoneProgress/create', { token: 'server-progress' });
  notify('$/progress', { token: 'server-progress', value: { kind: 'begin', title: 'indexing', message: CANARY } });
  ask('workspace/applyEdit', { edit: edit(vault) });
  ask('window/showDocument', { uri: vault, external: true });
}

function request(m) {
  const params = m.params ?? {};
  const text = JSON.stringify(params);
  if (m.method === 'initialize') {
    root = typeof params.rootUri === 'string' ? params.rootUri : root;
    vault = `${root}/secret/vault.ts`;
    const all = Object.fromEntries(['hoverProvider', 'definitionProvider', 'declarationProvider', 'typeDefinitionProvider', 'implementationProvider', 'referencesProvider', 'documentHighlightProvider', 'documentSymbolProvider', 'workspaceSymbolProvider', 'codeActionProvider', 'documentFormattingProvider', 'renameProvider', 'foldingRangeProvider', 'selectionRangeProvider', 'callHierarchyProvider', 'typeHierarchyProvider', 'monikerProvider', 'inlayHintProvider', 'linkedEditingRangeProvider'].map((k) => [k, true]));
    return { capabilities: { ...all, textDocumentSync: 2, completionProvider: { resolveProvider: true }, codeLensProvider: { resolveProvider: true }, documentLinkProvider: { resolveProvider: true }, executeCommandProvider: { commands: ['fake.run'] }, diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: true }, semanticTokensProvider: { legend: { tokenTypes: ['a'], tokenModifiers: [] }, full: true } }, serverInfo: { name: 'fake' } };
  }
  if (m.method === 'shutdown') return null;
  // Asked about the excluded file (only the hub knows where it is): the answer is its secret, which must never
  // reach a guest — the hub should not have let the request through.
  if (text.includes(vault) || text.includes(new URL(vault).pathname)) return { contents: CANARY, CANARY };
  const answer = ANSWERS[m.method];
  if (!answer) return undefined;
  const uri = params?.textDocument?.uri ?? `${root}/src/main.ts`;
  if (params.partialResultToken !== undefined) notify('$/progress', { token: params.partialResultToken, value: answer(uri) });
  if (params.workDoneToken !== undefined) notify('$/progress', { token: params.workDoneToken, value: { kind: 'begin', title: 'working', message: CANARY } });
  return answer(uri);
}

function receive(m) {
  if (typeof m.method !== 'string') return; // an answer to one of our requests
  if (m.method === 'initialized') return initialized();
  if (m.method === 'exit') process.exit(0);
  if (m.id === undefined) return;
  const result = request(m);
  if (result === undefined) send({ id: m.id, error: { code: -32601, message: `unhandled method ${String(m.method).slice(0, 100)}` } });
  else send({ id: m.id, result });
}

listen(receive);
