// Capability trimming on what real servers announce (captured from typescript-language-server and pyright into
// fixtures/lsp/ by test/lsp/capture-capabilities.ts): per permission set, exactly what a guest may not use is masked,
// selectors inside capabilities map, and dynamic registrations are trimmed the same way.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Registration, ServerCapabilities } from 'vscode-languageserver-protocol';
import { trimCapabilities, trimRegistrations, usable } from '../../src/lsp/capabilities.js';
import { lookup, METHODS, type LspPermission } from '../../src/lsp/methods.js';
import { mapUris, type UriMap } from '../../src/lsp/walk.js';

interface Captured { readonly capabilities: ServerCapabilities; readonly registrations: Registration[] }
const load = (name: string): Captured => JSON.parse(readFileSync(new URL(`../../fixtures/lsp/${name}.capabilities.json`, import.meta.url), 'utf8'));
const TSLS = load('typescript-language-server');
const PYRIGHT = load('pyright');

const holding = (...held: LspPermission[]) => (p: LspPermission) => held.includes(p);
const VIEWER = holding();
const EDITOR = holding('files.write');
const COMMANDS = holding('lsp.commands');
const ALL = holding('files.write', 'lsp.commands');

/** The value at a dotted path, or undefined. */
function at(value: unknown, dotted: string): unknown {
  let v = value;
  for (const key of dotted.split('.')) v = typeof v === 'object' && v !== null && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

const trim = suite('trimCapabilities on typescript-language-server\'s capabilities');
trim('a viewer loses editing, formatting, commands and code actions, and keeps reading', () => {
  const caps = trimCapabilities(TSLS.capabilities, VIEWER);
  for (const gone of ['renameProvider', 'documentFormattingProvider', 'documentRangeFormattingProvider', 'executeCommandProvider', 'linkedEditingRangeProvider', 'codeActionProvider']) {
    assert.is(at(caps, gone), undefined, gone);
  }
  assert.equal(caps.workspace, { fileOperations: {} }, 'willRename is masked');
  for (const kept of ['hoverProvider', 'definitionProvider', 'referencesProvider', 'completionProvider', 'codeLensProvider', 'inlayHintProvider', 'semanticTokensProvider', 'callHierarchyProvider', 'textDocumentSync']) {
    assert.equal(at(caps, kept), at(TSLS.capabilities, kept), kept);
  }
});
trim('an editor keeps editing and code actions, not commands; lsp.commands alone keeps commands and code actions', () => {
  const editor = trimCapabilities(TSLS.capabilities, EDITOR);
  assert.is(editor.renameProvider, true);
  assert.equal(editor.workspace, TSLS.capabilities.workspace);
  assert.is(editor.codeActionProvider, true);
  assert.is(editor.executeCommandProvider, undefined);
  const commands = trimCapabilities(TSLS.capabilities, COMMANDS);
  assert.equal(commands.executeCommandProvider, TSLS.capabilities.executeCommandProvider);
  assert.is(commands.codeActionProvider, true);
  assert.is(commands.renameProvider, undefined);
});
trim('with every permission nothing is masked, and the input is never changed', () => {
  const before = JSON.stringify(TSLS.capabilities);
  assert.equal(trimCapabilities(TSLS.capabilities, ALL), TSLS.capabilities);
  trimCapabilities(TSLS.capabilities, VIEWER);
  assert.is(JSON.stringify(TSLS.capabilities), before);
});
trim.run();

const py = suite('trimCapabilities on pyright\'s capabilities');
py('nested paths: rename with its prepareProvider goes; workspace folder changes are the hub\'s', () => {
  const caps = trimCapabilities(PYRIGHT.capabilities, VIEWER);
  assert.is(caps.renameProvider, undefined);
  assert.equal(caps.workspace, { workspaceFolders: { supported: true } });
  assert.equal(caps.completionProvider, PYRIGHT.capabilities.completionProvider);
  const editor = trimCapabilities(PYRIGHT.capabilities, EDITOR);
  assert.equal(editor.renameProvider, { prepareProvider: true, workDoneProgress: true });
});
py('table-driven: for each permission set, a capability path is gone exactly when its method is not usable', () => {
  // Every capability path announced by any method, all present: both real servers' capabilities, plus every path.
  const full: Record<string, unknown> = structuredClone({ ...TSLS.capabilities, ...PYRIGHT.capabilities }) as Record<string, unknown>;
  for (const e of METHODS) {
    for (const c of e.capability ?? []) {
      let v = full;
      for (const key of c.split('.')) {
        if (typeof v[key] !== 'object' || v[key] === null) v[key] = {};
        v = v[key] as Record<string, unknown>;
      }
    }
  }
  for (const has of [VIEWER, EDITOR, COMMANDS, ALL]) {
    const caps = trimCapabilities(full as ServerCapabilities, has);
    for (const e of METHODS) {
      for (const c of e.capability ?? []) {
        // A path goes when any method announced by it (or by a path above it) is not usable.
        const masked = METHODS.some((o) => !usable(o, has) && (o.capability ?? []).some((p) => c === p || c.startsWith(`${p}.`)));
        assert.is(at(caps, c) === undefined, masked, `${e.method} ${c}`);
      }
    }
  }
});
py.run();

const selectors = suite('selectors inside capabilities');
const toGuest: UriMap = {
  uri: (u) => (u.startsWith('file:///host/demo/') ? `lspair:/${u.slice('file:///host/demo/'.length)}` : null),
  glob: (g) => (g.startsWith('/host/demo/') ? `/mirror/${g.slice('/host/demo/'.length)}` : null),
};
selectors('the initialize result maps: real capabilities unchanged, absolute selectors mapped or dropped', () => {
  const initialize = lookup('initialize')!.result;
  for (const { capabilities } of [TSLS, PYRIGHT]) assert.equal(mapUris(initialize, { capabilities }, toGuest, 'filter'), { capabilities });
  const capabilities = {
    ...TSLS.capabilities,
    semanticTokensProvider: { ...TSLS.capabilities.semanticTokensProvider, documentSelector: [{ pattern: '/host/demo/src/**' }, { pattern: '/etc/**' }, { language: 'ts' }] },
    workspace: { fileOperations: { willRename: { filters: [{ pattern: { glob: '/root/**' } }, { scheme: 'file', pattern: { glob: '**/*.ts' } }] } } },
  };
  const out = mapUris(initialize, { capabilities }, toGuest, 'filter') as { capabilities: ServerCapabilities };
  assert.equal((out.capabilities.semanticTokensProvider as { documentSelector: unknown }).documentSelector, [{ pattern: '/mirror/src/**' }, { language: 'ts' }]);
  assert.equal(out.capabilities.workspace, { fileOperations: { willRename: { filters: [{ scheme: 'file', pattern: { glob: '**/*.ts' } }] } } });
});
selectors.run();

const registrations = suite('trimRegistrations');
registrations('pyright\'s: watched-file registrations are the hub\'s; pull diagnostics are for everyone', () => {
  assert.equal(PYRIGHT.registrations.map((r) => r.method), ['workspace/didChangeWatchedFiles', 'textDocument/diagnostic', 'workspace/didChangeWatchedFiles', 'textDocument/diagnostic']);
  for (const has of [VIEWER, ALL]) assert.equal(trimRegistrations(PYRIGHT.registrations, has), [PYRIGHT.registrations[1], PYRIGHT.registrations[3]]);
});
registrations('by permission, by registration method, and unknown or malformed ones left out', () => {
  const r = (method: unknown): Registration => ({ id: String(method), method, registerOptions: {} }) as Registration;
  const list = [r('textDocument/rename'), r('workspace/executeCommand'), r('textDocument/codeAction'), r('textDocument/semanticTokens'),
    r('notebookDocument/sync'), r('textDocument/semanticTokens/full'), r('x/unknown'), r(42), null as unknown as Registration, r('textDocument/hover')];
  const ids = (has: (p: LspPermission) => boolean) => trimRegistrations(list, has).map((x) => x.id);
  assert.equal(ids(VIEWER), ['textDocument/semanticTokens', 'textDocument/hover']);
  assert.equal(ids(EDITOR), ['textDocument/rename', 'textDocument/codeAction', 'textDocument/semanticTokens', 'textDocument/hover']);
  assert.equal(ids(COMMANDS), ['workspace/executeCommand', 'textDocument/codeAction', 'textDocument/semanticTokens', 'textDocument/hover']);
});
registrations.run();
