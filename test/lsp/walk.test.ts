// The URI walker: mapping in strict and filter mode, each denial rule, malformed input, identity of opaque parts,
// no mutation and no prototype pollution, strip rules, and property tests over random hostile values.
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lookup, METHODS, type LspPermission } from '../../src/lsp/methods.js';
import type { Shape } from '../../src/lsp/shape.js';
import { collectUris, Malformed, mapUris, Refused, strip, type UriMap } from '../../src/lsp/walk.js';
import { seedFromEnv } from '../helpers/random.js';
import { plain, valueFor } from './arbitrary.js';

const HOST = 'file:///host/proj/';
const shape = (method: string, slot: 'params' | 'result' | 'partialResult' | 'registrationOptions'): Shape | null => lookup(method)![slot] ?? null;
const params = (method: string) => shape(method, 'params');
const result = (method: string) => shape(method, 'result');

/** The host's view for one guest: the share minus secret/, web links as they are; globs under the share. */
const toGuest: UriMap = {
  uri: (u) => (u.startsWith(HOST) && !u.startsWith(`${HOST}secret/`) ? `lspair:/${u.slice(HOST.length)}` : u.startsWith('https:') ? u : null),
  glob: (g) => (g.startsWith('/host/proj/') && !g.startsWith('/host/proj/secret/') ? `/mirror/${g.slice('/host/proj/'.length)}` : null),
  path: (p) => (p === '/host/proj' ? '/mirror' : null),
};
/** A guest's names back to the host's. */
const toHost: UriMap = {
  uri: (u) => (u.startsWith('lspair:/') && !u.startsWith('lspair:/secret/') ? `${HOST}${u.slice('lspair:/'.length)}` : null),
  glob: () => null,
};
const identity: UriMap = { uri: (u) => u, glob: (g) => g, path: (p) => p };

const loc = (file: string, line = 0) => ({ uri: `${HOST}${file}`, range: { start: { line, character: 0 }, end: { line, character: 1 } } });
const guestLoc = (file: string, line = 0) => ({ ...loc(file, line), uri: `lspair:/${file}` });

/** The error `fn` throws, which must be of `type`. */
function thrown<E extends Error>(type: new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected ${type.name}, nothing was thrown`);
}

/** Freezes a value all the way down, so that any mutation by the walker throws. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

const strict = suite('strict: a guest\'s params');
strict('every URI site is mapped to the host\'s name', () => {
  const input = deepFreeze({ textDocument: { uri: 'lspair:/src/a.ts' }, position: { line: 1, character: 2 }, workDoneToken: 't' });
  const out = mapUris(params('textDocument/definition'), input, toHost, 'strict');
  assert.equal(out, { textDocument: { uri: `${HOST}src/a.ts` }, position: { line: 1, character: 2 }, workDoneToken: 't' });
});
strict('one denied URI anywhere refuses the whole message, and the error does not name it', () => {
  const input = { textDocument: { uri: 'lspair:/src/a.ts' }, range: {}, context: { diagnostics: [{ range: {}, message: 'm', relatedInformation: [{ location: guestLoc('secret/k.pem'), message: 'x' }] }] } };
  const error = thrown(Refused, () => mapUris(params('textDocument/codeAction'), input, toHost, 'strict'));
  assert.is(error.uri, 'lspair:/secret/k.pem');
  assert.not.match(error.message, /secret|k\.pem/);
  assert.is(thrown(Refused, () => mapUris(params('textDocument/hover'), { textDocument: { uri: 'file:///etc/passwd' } }, toHost, 'strict')).uri, 'file:///etc/passwd');
});
strict('strict mode drops nothing: a denied element refuses the message instead of vanishing from a list', () => {
  const input = { previousResultIds: [{ uri: 'lspair:/src/a.ts', value: '1' }, { uri: 'lspair:/secret/k', value: '2' }] };
  thrown(Refused, () => mapUris(params('workspace/diagnostic'), input, toHost, 'strict'));
  const files = { files: [{ oldUri: 'lspair:/src/a.ts', newUri: 'lspair:/secret/a.ts' }] };
  thrown(Refused, () => mapUris(params('workspace/willRenameFiles'), files, toHost, 'strict'));
});
strict('a resolve request\'s item is mapped and its data passes through by identity', () => {
  const data = { opaque: ['x', { deep: true }] };
  const item = { name: 'f', kind: 12, uri: 'lspair:/src/a.ts', range: {}, selectionRange: {}, data };
  const out = mapUris(params('callHierarchy/incomingCalls'), { item }, toHost, 'strict') as { item: typeof item };
  assert.is(out.item.uri, `${HOST}src/a.ts`);
  assert.is(out.item.data, data);
});
strict('a method without URI sites passes its params through untouched', () => {
  const input = { query: 'foo' };
  assert.is(mapUris(params('workspace/symbol'), input, toHost, 'strict'), input);
  assert.is(mapUris(params('shutdown'), undefined, toHost, 'strict'), undefined);
});
strict.run();

const filter = suite('filter: results and server messages for a guest');
filter('Location[]: a denied element is dropped, the rest mapped in order', () => {
  const out = mapUris(result('textDocument/references'), [loc('src/a.ts', 1), loc('secret/k.pem'), loc('src/b.ts', 2)], toGuest, 'filter');
  assert.equal(out, [guestLoc('src/a.ts', 1), guestLoc('src/b.ts', 2)]);
});
filter('a single denied Location becomes null; a single allowed one is mapped', () => {
  assert.is(mapUris(result('textDocument/definition'), loc('secret/k.pem'), toGuest, 'filter'), null);
  assert.equal(mapUris(result('textDocument/definition'), loc('src/a.ts'), toGuest, 'filter'), guestLoc('src/a.ts'));
  assert.is(mapUris(result('textDocument/definition'), null, toGuest, 'filter'), null);
});
filter('LocationLink[]: targetUri decides; originSelectionRange has no URI and is kept', () => {
  const link = (file: string) => ({ originSelectionRange: { start: { line: 9, character: 9 } }, targetUri: `${HOST}${file}`, targetRange: {}, targetSelectionRange: {} });
  const out = mapUris(result('textDocument/definition'), [link('src/a.ts'), link('secret/x.ts')], toGuest, 'filter');
  assert.equal(out, [{ ...link('src/a.ts'), targetUri: 'lspair:/src/a.ts' }]);
  assert.equal(mapUris(shape('textDocument/definition', 'partialResult'), [link('secret/x.ts')], toGuest, 'filter'), []);
});
filter('symbols: SymbolInformation and WorkspaceSymbol (with a uri-only location) are dropped when denied; DocumentSymbol passes', () => {
  const info = (file: string) => ({ name: 'n', kind: 12, location: loc(file) });
  assert.equal(mapUris(result('textDocument/documentSymbol'), [info('src/a.ts'), info('secret/k.ts')], toGuest, 'filter'),
    [{ ...info('src/a.ts'), location: guestLoc('src/a.ts') }]);
  const symbols = [{ name: 'n', kind: 5, range: {}, selectionRange: {}, children: [{ name: 'c', kind: 6, range: {}, selectionRange: {} }] }];
  assert.is(mapUris(result('textDocument/documentSymbol'), symbols, toGuest, 'filter'), symbols);
  const workspace = [{ name: 'a', kind: 5, location: { uri: `${HOST}secret/x.ts` } }, { name: 'b', kind: 5, location: { uri: `${HOST}src/b.ts` }, data: { id: 1 } }];
  assert.equal(mapUris(result('workspace/symbol'), workspace, toGuest, 'filter'), [{ name: 'b', kind: 5, location: { uri: 'lspair:/src/b.ts' }, data: { id: 1 } }]);
});
filter('hierarchies: an item, an incoming call or an outgoing call about a denied file is dropped', () => {
  const item = (file: string) => ({ name: 'f', kind: 12, uri: `${HOST}${file}`, range: {}, selectionRange: {} });
  assert.equal(mapUris(result('textDocument/prepareCallHierarchy'), [item('secret/a.ts')], toGuest, 'filter'), []);
  assert.equal(mapUris(result('callHierarchy/incomingCalls'), [{ from: item('secret/a.ts'), fromRanges: [] }, { from: item('src/a.ts'), fromRanges: [] }], toGuest, 'filter'),
    [{ from: { ...item('src/a.ts'), uri: 'lspair:/src/a.ts' }, fromRanges: [] }]);
  assert.equal(mapUris(result('callHierarchy/outgoingCalls'), [{ to: item('secret/a.ts'), fromRanges: [] }], toGuest, 'filter'), []);
  assert.equal(mapUris(result('typeHierarchy/supertypes'), [item('secret/a.ts'), item('src/b.ts')], toGuest, 'filter'), [{ ...item('src/b.ts'), uri: 'lspair:/src/b.ts' }]);
});
filter('document links: a denied target drops the link; a link without target is kept', () => {
  const links = [{ range: {}, target: `${HOST}secret/k.pem` }, { range: {}, data: 1 }, { range: {}, target: `${HOST}src/a.ts` }];
  assert.equal(mapUris(result('textDocument/documentLink'), links, toGuest, 'filter'), [{ range: {}, data: 1 }, { range: {}, target: 'lspair:/src/a.ts' }]);
});
filter('inlay hints: a denied label-part location is left out, the label kept', () => {
  const hints = [{ position: {}, label: [{ value: 'x: ', location: loc('secret/k.ts'), tooltip: 't' }, { value: 'T', location: loc('src/a.ts') }] }, { position: {}, label: 'plain' }];
  assert.equal(mapUris(result('textDocument/inlayHint'), hints, toGuest, 'filter'),
    [{ position: {}, label: [{ value: 'x: ', tooltip: 't' }, { value: 'T', location: guestLoc('src/a.ts') }] }, { position: {}, label: 'plain' }]);
});
filter('publishDiagnostics: denied related information is dropped, a denied code link left out, a denied document refused', () => {
  const diagnostic = {
    range: {}, message: 'm', codeDescription: { href: 'file:///etc/docs.html' }, data: { fix: 1 },
    relatedInformation: [{ location: loc('secret/k.ts'), message: 'here' }, { location: loc('src/b.ts'), message: 'there' }],
  };
  const out = mapUris(params('textDocument/publishDiagnostics'), { uri: `${HOST}src/a.ts`, diagnostics: [diagnostic] }, toGuest, 'filter') as { diagnostics: typeof diagnostic[] };
  assert.equal(out, { uri: 'lspair:/src/a.ts', diagnostics: [{ range: {}, message: 'm', data: { fix: 1 }, relatedInformation: [{ location: guestLoc('src/b.ts'), message: 'there' }] }] });
  assert.is(out.diagnostics[0]!.data, diagnostic.data);
  const error = thrown(Refused, () => mapUris(params('textDocument/publishDiagnostics'), { uri: `${HOST}secret/k.ts`, diagnostics: [] }, toGuest, 'filter'));
  assert.is(error.uri, `${HOST}secret/k.ts`);
  const web = { ...diagnostic, codeDescription: { href: 'https://example.com/e1' }, relatedInformation: [] };
  assert.equal((mapUris(params('textDocument/publishDiagnostics'), { uri: `${HOST}src/a.ts`, diagnostics: [web] }, toGuest, 'filter') as { diagnostics: unknown[] }).diagnostics, [web]);
});
filter('document diagnostics: relatedDocuments is keyed by URI; a denied key drops its entry', () => {
  const report = {
    kind: 'full', items: [],
    relatedDocuments: plain([[`${HOST}src/b.ts`, { kind: 'unchanged', resultId: '1' }], [`${HOST}secret/k.ts`, { kind: 'full', items: [] }]]),
  };
  assert.equal(mapUris(result('textDocument/diagnostic'), report, toGuest, 'filter'), { kind: 'full', items: [], relatedDocuments: { 'lspair:/src/b.ts': { kind: 'unchanged', resultId: '1' } } });
  const partial = { relatedDocuments: { [`${HOST}secret/k.ts`]: { kind: 'unchanged', resultId: '2' } } };
  assert.equal(mapUris(shape('textDocument/diagnostic', 'partialResult'), partial, toGuest, 'filter'), { relatedDocuments: {} });
  thrown(Malformed, () => mapUris(result('textDocument/diagnostic'), { kind: 'partial', items: [] }, toGuest, 'filter'));
});
filter('workspace diagnostics: a report about a denied document is dropped', () => {
  const report = { items: [{ kind: 'full', uri: `${HOST}secret/k.ts`, version: 1, items: [] }, { kind: 'unchanged', uri: `${HOST}src/a.ts`, version: null, resultId: 'r' }] };
  assert.equal(mapUris(result('workspace/diagnostic'), report, toGuest, 'filter'), { items: [{ kind: 'unchanged', uri: 'lspair:/src/a.ts', version: null, resultId: 'r' }] });
});
filter.run();

const edits = suite('workspace edits: all or nothing');
const edit = (file: string) => ({
  changes: { [`${HOST}src/a.ts`]: [{ range: {}, newText: 'x' }] },
  documentChanges: [
    { textDocument: { uri: `${HOST}src/a.ts`, version: 3 }, edits: [{ range: {}, newText: 'y' }] },
    { kind: 'rename', oldUri: `${HOST}src/old.ts`, newUri: `${HOST}${file}` },
    { kind: 'create', uri: `${HOST}src/new.ts`, options: { overwrite: false } },
    { kind: 'delete', uri: `${HOST}src/gone.ts` },
  ],
});
edits('an allowed edit is mapped everywhere, URIs as map keys included', () => {
  const out = mapUris(result('textDocument/rename'), edit('src/renamed.ts'), toGuest, 'filter');
  assert.equal(out, {
    changes: { 'lspair:/src/a.ts': [{ range: {}, newText: 'x' }] },
    documentChanges: [
      { textDocument: { uri: 'lspair:/src/a.ts', version: 3 }, edits: [{ range: {}, newText: 'y' }] },
      { kind: 'rename', oldUri: 'lspair:/src/old.ts', newUri: 'lspair:/src/renamed.ts' },
      { kind: 'create', uri: 'lspair:/src/new.ts', options: { overwrite: false } },
      { kind: 'delete', uri: 'lspair:/src/gone.ts' },
    ],
  });
});
edits('an edit that touches one denied URI is refused whole, wherever the URI is', () => {
  assert.is(thrown(Refused, () => mapUris(result('textDocument/rename'), edit('secret/renamed.ts'), toGuest, 'filter')).uri, `${HOST}secret/renamed.ts`);
  const keyed = { changes: { [`${HOST}src/a.ts`]: [], [`${HOST}secret/k.ts`]: [{ range: {}, newText: '' }] } };
  thrown(Refused, () => mapUris(result('textDocument/rename'), keyed, toGuest, 'filter'));
  thrown(Refused, () => mapUris(result('workspace/willRenameFiles'), { documentChanges: [{ kind: 'delete', uri: 'file:///etc/passwd' }] }, toGuest, 'filter'));
  thrown(Refused, () => mapUris(params('workspace/applyEdit'), { edit: keyed }, toGuest, 'filter'));
});
edits('two keys that become one file on the other side are malformed, never merged', () => {
  const merge: UriMap = { ...identity, uri: (u) => u.replace('/./', '/') };
  const changes = { changes: { [`${HOST}a.ts`]: [{ range: {}, newText: '1' }], [`${HOST}./a.ts`]: [{ range: {}, newText: '2' }] } };
  assert.is(thrown(Malformed, () => mapUris(result('textDocument/rename'), changes, merge, 'filter')).at, '(value).changes');
});
edits('in a list of code actions, an action whose edit touches a denied URI is dropped, the others kept', () => {
  const args = [{ file: '/host/proj/secret/k.ts' }];
  const actions = [
    { title: 'bad', kind: 'quickfix', edit: edit('secret/x.ts') },
    { title: 'good', edit: edit('src/x.ts'), data: { n: 1 } },
    { title: 'cmd', command: 'apply', arguments: args },
    { title: 'both', command: { title: 'c', command: 'do', arguments: args } },
  ];
  const out = mapUris(result('textDocument/codeAction'), actions, toGuest, 'filter') as { title: string; arguments?: unknown; command?: { arguments: unknown }; data?: unknown }[];
  assert.equal(out.map((a) => a.title), ['good', 'cmd', 'both']);
  assert.is(out[0]!.data, actions[1]!.data);
  assert.is(out[1]!.arguments, args, 'Command.arguments is never looked into: its host path stays as the server wrote it');
  assert.is(out[2]!.command!.arguments, args);
  thrown(Refused, () => mapUris(result('codeAction/resolve'), actions[0], toGuest, 'filter'));
});
edits.run();

const globs = suite('selectors, globs and registrations');
globs('a document filter with a denied absolute glob is dropped; relative globs are never passed to the map', () => {
  const seen: string[] = [];
  const map: UriMap = { ...toGuest, glob: (g) => { seen.push(g); return toGuest.glob(g); } };
  const options = {
    documentSelector: [
      { language: 'typescript', pattern: '**/*.ts' }, { pattern: '/host/proj/src/**' }, { scheme: 'file', pattern: '/etc/**' },
      { notebook: { notebookType: 'jupyter', pattern: '/host/proj/secret/*.ipynb' } }, { notebook: 'jupyter-notebook', language: 'python' },
      { pattern: '{/etc/**,**/*.ts}' },
    ],
  };
  const out = mapUris(shape('textDocument/hover', 'registrationOptions'), options, map, 'filter');
  assert.equal(out, { documentSelector: [{ language: 'typescript', pattern: '**/*.ts' }, { pattern: '/mirror/src/**' }, { notebook: 'jupyter-notebook', language: 'python' }] });
  assert.equal(seen, ['/host/proj/src/**', '/etc/**', '/host/proj/secret/*.ipynb', '{/etc/**,**/*.ts}'], 'absolute patterns, brace alternatives included');
  assert.equal(mapUris(shape('textDocument/hover', 'registrationOptions'), { documentSelector: null }, map, 'filter'), { documentSelector: null });
});
globs('registerOptions are mapped by the sibling method (pyright\'s watchers: one outside the share is dropped)', () => {
  const registrations = [
    { id: '1', method: 'workspace/didChangeWatchedFiles', registerOptions: { watchers: [
      { globPattern: '**/pyrightconfig.json', kind: 7 },
      { globPattern: { baseUri: 'file:///root/.pyenv/versions/3.11.7/lib/python3.11', pattern: '**' }, kind: 7 },
      { globPattern: { baseUri: { uri: `${HOST}src`, name: 'src' }, pattern: '*.py' } },
      { globPattern: { baseUri: `${HOST}src`, pattern: '**/*.py' } },
    ] } },
    { id: '2', method: 'textDocument/diagnostic', registerOptions: { documentSelector: [{ pattern: '/etc/**' }], identifier: 'Pyright' } },
    { id: '3', method: 'x/unknown', registerOptions: { anything: 'file:///etc/passwd' } },
  ];
  const out = mapUris(params('client/registerCapability'), { registrations }, toGuest, 'filter');
  assert.equal(out, { registrations: [
    { id: '1', method: 'workspace/didChangeWatchedFiles', registerOptions: { watchers: [
      { globPattern: '**/pyrightconfig.json', kind: 7 },
      { globPattern: { baseUri: { uri: 'lspair:/src', name: 'src' }, pattern: '*.py' } },
      { globPattern: { baseUri: 'lspair:/src', pattern: '**/*.py' } },
    ] } },
    { id: '2', method: 'textDocument/diagnostic', registerOptions: { documentSelector: [], identifier: 'Pyright' } },
    // An unknown method's options cannot be mapped: trimRegistrations leaves such registrations out for guests.
    registrations[2],
  ] });
  thrown(Malformed, () => mapUris(params('client/registerCapability'), { registrations: [{ id: '4', method: 'workspace/didChangeWatchedFiles', registerOptions: { watchers: {} } }] }, toGuest, 'filter'));
});
globs('initialize: rootPath is a path, rootUri and workspace folders are URIs', () => {
  const input = { processId: 1, rootPath: '/host/proj', rootUri: HOST, capabilities: {}, workspaceFolders: [{ uri: `${HOST}src`, name: 'src' }] };
  const out = mapUris(params('initialize'), input, { ...toGuest, uri: (u) => (u === HOST ? 'lspair:/' : toGuest.uri(u)) }, 'filter');
  assert.equal(out, { processId: 1, rootPath: '/mirror', rootUri: 'lspair:/', capabilities: {}, workspaceFolders: [{ uri: 'lspair:/src', name: 'src' }] });
  assert.is(thrown(Refused, () => mapUris(params('initialize'), input, { ...identity, path: undefined }, 'strict')).uri, '/host/proj', 'no path(): denied');
  assert.equal(mapUris(params('initialize'), { processId: null, rootUri: null, capabilities: {}, workspaceFolders: null }, toGuest, 'strict'),
    { processId: null, rootUri: null, capabilities: {}, workspaceFolders: null });
});
globs.run();

const malformed = suite('malformed input: Malformed, never a TypeError');
malformed('each kind of wrong type, with where it is', () => {
  const cases: [string, 'params' | 'result', unknown, string][] = [
    ['textDocument/hover', 'params', { textDocument: { uri: 42 } }, '(value).textDocument.uri'],
    ['textDocument/hover', 'params', { textDocument: {} }, '(value).textDocument.uri'],
    ['textDocument/hover', 'params', { textDocument: null }, '(value).textDocument'],
    ['textDocument/hover', 'params', { textDocument: ['lspair:/a'] }, '(value).textDocument'],
    ['textDocument/hover', 'params', 'lspair:/a', '(value)'],
    ['textDocument/hover', 'params', undefined, '(value)'],
    ['textDocument/references', 'result', { uri: HOST }, '(value)'],
    ['textDocument/references', 'result', [loc('src/a.ts'), null], '(value)[1]'],
    ['textDocument/definition', 'result', [loc('src/a.ts'), { targetUri: {} }], '(value)[1].targetUri'],
    ['textDocument/definition', 'result', 7, '(value)'],
    ['textDocument/inlayHint', 'result', [{ position: {}, label: 3 }], '(value)[0].label'],
    ['textDocument/rename', 'result', { changes: [] }, '(value).changes'],
    ['textDocument/rename', 'result', { documentChanges: [{ kind: 'rename', oldUri: HOST }] }, '(value).documentChanges[0].newUri'],
    ['textDocument/diagnostic', 'result', { kind: 'full', items: [], relatedDocuments: 'x' }, '(value).relatedDocuments'],
    // A map entry is named by its position, never by its key (a URI the receiver may not be allowed to see).
    ['textDocument/diagnostic', 'result', { kind: 'full', items: [], relatedDocuments: { [`${HOST}a`]: { kind: 'unchanged', resultId: '1' }, [`${HOST}b`]: { kind: 'full' } } }, '(value).relatedDocuments{1}.items'],
    ['textDocument/publishDiagnostics', 'params', { uri: `${HOST}a`, diagnostics: [{ relatedInformation: {} }] }, '(value).diagnostics[0].relatedInformation'],
  ];
  for (const [method, slot, value, at] of cases) {
    for (const mode of ['strict', 'filter'] as const) {
      const error = thrown(Malformed, () => mapUris(shape(method, slot), value, toGuest, mode));
      assert.is(error.at, at, `${method} ${JSON.stringify(value)}`);
      assert.match(error.message, /^malformed LSP message: /);
    }
    thrown(Malformed, () => collectUris(shape(method, slot), value));
    thrown(Malformed, () => strip(shape(method, slot), value, () => false));
  }
});
malformed('absent optional fields and unknown extra properties are fine', () => {
  const link = { range: {}, tooltip: 't', extra: { whatever: [1, 2] } };
  assert.equal(mapUris(result('textDocument/documentLink'), [link], toGuest, 'filter'), [link]);
  const input = { textDocument: { uri: 'lspair:/a.ts', languageId: 'x', futureField: { uri: 'file:///etc/passwd' } }, newField: 1 };
  const out = mapUris(params('textDocument/hover'), input, toHost, 'strict') as typeof input;
  assert.is(out.textDocument.futureField, input.textDocument.futureField, 'unknown properties are not looked into');
  assert.is(out.newField, 1);
});
malformed.run();

const safety = suite('hostile input: no mutation, no pollution, bounded work');
safety('the input is never mutated (deeply frozen input, every mode and strip)', () => {
  const actions = deepFreeze([{ title: 'a', edit: edit('src/x.ts'), command: { title: 't', command: 'c' }, diagnostics: [{ range: {}, message: 'm', relatedInformation: [{ location: loc('secret/a'), message: '' }] }] }]);
  const before = JSON.stringify(actions);
  const mapped = mapUris(result('textDocument/codeAction'), actions, toGuest, 'filter');
  strip(result('textDocument/codeAction'), mapped, () => false);
  strip(result('textDocument/codeAction'), actions, () => false);
  collectUris(result('textDocument/codeAction'), actions);
  assert.is(JSON.stringify(actions), before);
});
safety('__proto__ keys are copied as own data, never through the prototype setter', () => {
  const input = JSON.parse(`{"__proto__": {"polluted": true}, "uri": "${HOST}src/a.ts", "range": {}}`);
  const out = mapUris(result('textDocument/definition'), input, toGuest, 'filter') as Record<string, unknown>;
  assert.ok(Object.hasOwn(out, '__proto__'));
  assert.is(Object.getPrototypeOf(out), Object.prototype);
  assert.is((out as { polluted?: boolean }).polluted, undefined);
  // A map whose keys become `__proto__` on the other side: defined, not assigned.
  const evil: UriMap = { ...identity, uri: () => '__proto__' };
  const changes = JSON.parse(`{"changes": {"${HOST}a.ts": [{"polluted": true}]}}`);
  const mapped = mapUris(result('textDocument/rename'), changes, evil, 'filter') as { changes: Record<string, unknown> };
  assert.ok(Object.hasOwn(mapped.changes, '__proto__'));
  assert.is(Object.getPrototypeOf(mapped.changes), Object.prototype);
  assert.is(({} as { polluted?: boolean }).polluted, undefined);
});
safety('huge arrays are walked without recursion; deep nesting off the shape is never entered', () => {
  const many = Array.from({ length: 200_000 }, (_, i) => loc(i % 2 ? 'secret/k' : `src/${i}.ts`, i));
  const out = mapUris(result('textDocument/references'), many, toGuest, 'filter') as unknown[];
  assert.is(out.length, 100_000);
  let deep: unknown = 'bottom';
  for (let i = 0; i < 200_000; i++) deep = { next: deep };
  const input = { uri: `${HOST}src/a.ts`, diagnostics: [{ range: {}, message: 'm', data: deep }] };
  const mapped = mapUris(params('textDocument/publishDiagnostics'), input, toGuest, 'filter') as typeof input;
  assert.is(mapped.diagnostics[0]!.data, deep);
  let nested: unknown = `${HOST}a`;
  for (let i = 0; i < 200_000; i++) nested = [nested];
  assert.is(thrown(Malformed, () => mapUris(params('textDocument/hover'), { textDocument: { uri: nested } }, toGuest, 'strict')).at, '(value).textDocument.uri');
});
safety.run();

const collect = suite('collectUris');
collect('every URI once, map keys and relative-pattern bases included, globs and paths not', () => {
  assert.equal(collectUris(result('textDocument/rename'), edit('src/r.ts')),
    [`${HOST}src/a.ts`, `${HOST}src/old.ts`, `${HOST}src/r.ts`, `${HOST}src/new.ts`, `${HOST}src/gone.ts`]);
  const watchers = { watchers: [{ globPattern: '/host/proj/**' }, { globPattern: { baseUri: `${HOST}lib`, pattern: '*' } }] };
  assert.equal(collectUris(shape('workspace/didChangeWatchedFiles', 'registrationOptions'), watchers), [`${HOST}lib`]);
  assert.equal(collectUris(params('initialize'), { rootPath: '/host/proj', rootUri: HOST, capabilities: {} }), [HOST]);
  assert.equal(collectUris(null, { uri: HOST }), []);
});
collect.run();

/** A permission check from a list. */
const holding = (...held: LspPermission[]) => (p: LspPermission) => held.includes(p);

const stripping = suite('strip');
const actionList = () => [
  { title: 'run', command: 'organize', arguments: [1] },
  { title: 'fix', edit: { changes: {} } },
  { title: 'fix and run', edit: { changes: {} }, command: { title: 'x', command: 'after' } },
  { title: 'refactor', command: { title: 'r', command: 'refactor' } },
  { title: 'unresolved', data: { id: 7 } },
];
stripping('without lsp.commands: Commands in lists dropped, command properties removed', () => {
  const out = strip(result('textDocument/codeAction'), actionList(), holding('files.write')) as { title: string }[];
  assert.equal(out, [{ title: 'fix', edit: { changes: {} } }, { title: 'fix and run', edit: { changes: {} } }, { title: 'unresolved', data: { id: 7 } }]);
  const lens = { range: {}, command: { title: '3 references', command: 'show' }, data: 1 };
  assert.equal(strip(result('textDocument/codeLens'), [lens], holding()), [{ range: {}, data: 1 }]);
  assert.equal(strip(result('codeLens/resolve'), lens, holding()), { range: {}, data: 1 });
  const completion = { isIncomplete: false, items: [{ label: 'a', command: { title: 't', command: 'c' } }, { label: 'b' }] };
  assert.equal(strip(result('textDocument/completion'), completion, holding()), { isIncomplete: false, items: [{ label: 'a' }, { label: 'b' }] });
  const hint = { position: {}, label: [{ value: 'v', command: { title: 't', command: 'c' } }], textEdits: [{ range: {}, newText: 'x' }] };
  assert.equal(strip(result('inlayHint/resolve'), hint, holding('files.write')), { position: {}, label: [{ value: 'v' }], textEdits: hint.textEdits });
  assert.equal(strip(result('textDocument/inlineCompletion'), [{ insertText: 'x', command: { title: 't', command: 'c' } }], holding()), [{ insertText: 'x' }]);
});
stripping('without files.write: CodeAction.edit and InlayHint.textEdits removed; an action left with nothing dropped', () => {
  const out = strip(result('textDocument/codeAction'), actionList(), holding('lsp.commands')) as { title: string }[];
  assert.equal(out, [
    { title: 'run', command: 'organize', arguments: [1] },
    { title: 'fix and run', command: { title: 'x', command: 'after' } },
    { title: 'refactor', command: { title: 'r', command: 'refactor' } },
    { title: 'unresolved', data: { id: 7 } },
  ]);
  const hint = { position: {}, label: 'x', textEdits: [{ range: {}, newText: 'x' }] };
  assert.equal(strip(result('textDocument/inlayHint'), [hint], holding()), [{ position: {}, label: 'x' }]);
});
stripping('with neither: no code action survives, resolved or not; with both: nothing is stripped', () => {
  assert.equal(strip(result('textDocument/codeAction'), actionList(), holding()), []);
  const list = actionList();
  assert.is(strip(result('textDocument/codeAction'), list, holding('files.write', 'lsp.commands')), list);
});
stripping('a single resolved code action is stripped but kept (the editor asked for it)', () => {
  const action = { title: 'fix', edit: { changes: {} }, command: { title: 'x', command: 'c' } };
  assert.equal(strip(result('codeAction/resolve'), action, holding()), { title: 'fix' });
});
stripping('strip does not map: URIs stay as they are', () => {
  const links = [{ range: {}, target: 'file:///etc/passwd' }];
  assert.is(strip(result('textDocument/documentLink'), links, holding()), links);
});
stripping.run();

const SEED = seedFromEnv(20261125);
/** Every (method, slot) that has a shape, and the shape. */
const TARGETS = METHODS.flatMap((e) => (['params', 'result', 'partialResult', 'registrationOptions'] as const)
  .filter((slot) => e[slot]).map((slot) => ({ name: `${e.method} ${slot}`, shape: e[slot]! })));
const target = fc.constantFrom(...TARGETS).chain((t) => valueFor(t.shape).map((value) => ({ ...t, value })));
const expected = (error: unknown) => error instanceof Refused || error instanceof Malformed;
/** A map that denies by a hash of the string, and sometimes answers with hostile names. */
const chaotic = (salt: number): UriMap => {
  const decide = (s: string) => {
    const h = [...s].reduce((a, c) => (a * 31 + c.charCodeAt(0) + salt) >>> 0, 7);
    return h % 3 === 0 ? null : h % 3 === 1 ? s : ['__proto__', 'constructor', `x:${s}`][(h >> 4) % 3]!;
  };
  return { uri: decide, glob: decide, path: decide };
};
/** A reversible renaming, and its inverse (a renamed glob stays absolute, so that it is passed back). */
const there: UriMap = { uri: (u) => `x:${u}`, glob: (g) => `/x${g}`, path: (p) => `x:${p}` };
const back: UriMap = { uri: (u) => u.slice(2), glob: (g) => g.slice(2), path: (p) => p.slice(2) };

const property = suite(`properties over random hostile values (seed ${SEED})`);
property('mapping, collecting and stripping throw nothing but Refused or Malformed, and pollute nothing', () => {
  fc.assert(fc.property(target, fc.nat(), fc.boolean(), fc.boolean(), ({ shape: s, value }, salt, write, commands) => {
    const before = JSON.stringify(value);
    for (const mode of ['strict', 'filter'] as const) {
      try { mapUris(s, value, chaotic(salt), mode); } catch (error) { if (!expected(error)) throw error; }
    }
    try { collectUris(s, value); } catch (error) { if (!(error instanceof Malformed)) throw error; }
    try { strip(s, value, (p) => (p === 'files.write' ? write : commands)); } catch (error) { if (!(error instanceof Malformed)) throw error; }
    assert.is(JSON.stringify(value), before, 'not mutated');
    assert.is(({} as Record<string, unknown>).constructor, Object);
    assert.equal(Object.keys(Object.prototype), []);
  }), { seed: SEED, numRuns: 3000 });
});
property('an identity map returns a deep-equal value; a reversible renaming round-trips and renames exactly the collected URIs', () => {
  let wellFormed = 0;
  fc.assert(fc.property(target, ({ shape: s, value }) => {
    let same: unknown;
    try { same = mapUris(s, value, identity, 'filter'); } catch (error) { if (error instanceof Malformed) return; throw error; }
    wellFormed++;
    assert.equal(same, value);
    assert.equal(mapUris(s, value, identity, 'strict'), value);
    const renamed = mapUris(s, value, there, 'strict');
    assert.equal(mapUris(s, renamed, back, 'strict'), value);
    assert.equal(collectUris(s, renamed), collectUris(s, value).map((u) => `x:${u}`));
  }), { seed: SEED, numRuns: 3000 });
  assert.ok(wellFormed > 1000, `only ${wellFormed} well-formed values: the generator must exercise the mapping`);
});
property.run();
