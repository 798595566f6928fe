// The method table against the LSP 3.17 metaModel: every message has exactly one entry, with the model's kind and
// direction; every URI (and glob, path, command) site that the model's types reach is in the table's shapes and
// nothing else is; and the security-relevant classifications stay what the design says.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { METHODS, lookup, permitted, registeredBy, registrationOptionsFor, type LspPermission, type MethodEntry } from '../../src/lsp/methods.js';
import type { Shape } from '../../src/lsp/shape.js';
import { PERMISSIONS } from '../../src/session/permissions.js';
import { MODEL, modelSites, shapeSites, sorted, type ModelMessage, type ModelType } from './sites.js';

const MESSAGES = new Map<string, ModelMessage & { kind: MethodEntry['kind'] }>([
  ...MODEL.requests.map((m) => [m.method, { ...m, kind: 'request' as const }] as const),
  ...MODEL.notifications.map((m) => [m.method, { ...m, kind: 'notification' as const }] as const),
]);
const FROM = { clientToServer: 'client', serverToClient: 'server', both: 'both' } as const;
const SLOTS = ['params', 'result', 'partialResult', 'registrationOptions'] as const;

/** The model's registration options for a message: its own, else those of its registration method (notebook sync
 *  has no message of its own: its options are the ServerCapabilities' notebookDocumentSync registration type). */
function modelRegistrationOptions(m: ModelMessage): ModelType | undefined {
  if (m.registrationOptions || !m.registrationMethod) return m.registrationOptions;
  const sibling = [...MESSAGES.values()].find((o) => o.registrationMethod === m.registrationMethod && o.registrationOptions);
  return sibling?.registrationOptions ?? (m.registrationMethod === 'notebookDocument/sync' ? { kind: 'reference', name: 'NotebookDocumentSyncRegistrationOptions' } : undefined);
}

function modelSlot(m: ModelMessage, slot: (typeof SLOTS)[number]): string[] {
  return sorted(modelSites(slot === 'registrationOptions' ? modelRegistrationOptions(m) : m[slot]));
}

const coverage = suite('coverage of the metaModel');
coverage('the fixture is the 3.17 model: 67 requests and 26 notifications', () => {
  assert.is(MODEL.requests.length, 67);
  assert.is(MODEL.notifications.length, 26);
});
coverage('every request and notification has exactly one entry, and every entry names a model message', () => {
  const names = METHODS.map((e) => e.method);
  assert.equal(sorted(names), names.slice().sort(), 'no duplicates');
  assert.equal(sorted(names), sorted([...MESSAGES.keys()]));
  for (const name of ['$/cancelRequest', '$/progress', '$/setTrace', '$/logTrace']) assert.ok(lookup(name), name);
  assert.is(lookup('textDocument/unknown'), undefined);
  assert.is(lookup('__proto__'), undefined);
});
coverage('kind and direction agree with the model', () => {
  for (const e of METHODS) {
    const m = MESSAGES.get(e.method)!;
    assert.is(e.kind, m.kind, e.method);
    assert.is(e.from, FROM[m.messageDirection], e.method);
  }
});
coverage('partial results, registration options and registration methods are there exactly when the model has them', () => {
  for (const e of METHODS) {
    const m = MESSAGES.get(e.method)!;
    assert.is(e.partialResult !== undefined, m.partialResult !== undefined, `${e.method} partialResult`);
    assert.is(e.registrationMethod, m.registrationMethod, `${e.method} registrationMethod`);
    assert.is(e.registrationOptions !== undefined, m.registrationOptions !== undefined || m.registrationMethod === 'notebookDocument/sync', `${e.method} registrationOptions`);
  }
});
coverage.run();

const sites = suite('URI sites: the shapes against the model, path by path');
sites('every params, result, partial result and registerOptions has exactly the model\'s sites', () => {
  for (const e of METHODS) {
    const m = MESSAGES.get(e.method)!;
    for (const slot of SLOTS) {
      // Registrations are looked up by registration method, as the hub will: that is the shape to check.
      const shape = slot === 'registrationOptions' ? registrationOptionsFor(e.registrationMethod ?? e.method) : e[slot];
      assert.equal(sorted(shapeSites(shape)), modelSlot(m, slot), `${e.method} ${slot}`);
    }
  }
});
sites('the methods whose messages carry a URI are exactly those the model says, both ways', () => {
  const carries = (list: readonly string[]) => list.some((s) => s.startsWith('uri:') || s.startsWith('registerOptions:'));
  const fromModel = [...MESSAGES.values()].filter((m) => SLOTS.some((slot) => carries(modelSlot(m, slot)))).map((m) => m.method);
  const fromTable = METHODS.filter((e) => SLOTS.some((slot) => carries(shapeSites(e[slot])))).map((e) => e.method);
  assert.equal(sorted(fromTable), sorted(fromModel));
  // A sanity floor, so that an empty computation cannot pass: most methods name a document.
  assert.ok(fromModel.length > 60, String(fromModel.length));
});
sites('the model computation sees through extends, mixins, aliases, literals, maps and or-types', () => {
  const m = (name: string) => MESSAGES.get(name)!;
  assert.ok(modelSlot(m('textDocument/definition'), 'params').includes('uri:.textDocument.uri'), 'mixins');
  assert.ok(modelSlot(m('textDocument/definition'), 'result').includes('uri:[].targetUri'), 'aliases and or');
  assert.ok(modelSlot(m('textDocument/rename'), 'result').includes('uri:.changes{key}'), 'map keys');
  assert.ok(modelSlot(m('workspace/symbol'), 'result').includes('uri:[].location.uri'), 'literals');
  assert.ok(modelSlot(m('initialize'), 'params').includes('uri:.workspaceFolders[].uri'), 'extends');
  assert.ok(modelSlot(m('workspace/didChangeWatchedFiles'), 'registrationOptions').includes('uri:.watchers[].globPattern.baseUri.uri'), 'RelativePattern');
  assert.ok(modelSlot(m('textDocument/codeAction'), 'result').includes('command:[]'), 'Command');
});
sites('registerOptions shapes come from the table, by message or by registration method', () => {
  assert.is(registrationOptionsFor('workspace/didChangeWatchedFiles'), lookup('workspace/didChangeWatchedFiles')!.registrationOptions);
  assert.is(registrationOptionsFor('textDocument/semanticTokens'), lookup('textDocument/semanticTokens/full')!.registrationOptions);
  assert.ok(registrationOptionsFor('notebookDocument/sync'));
  assert.is(registrationOptionsFor('workspace/executeCommand'), null);
  assert.is(registrationOptionsFor('textDocument/semanticTokens/full'), undefined, 'registered under its registration method only');
  assert.is(registrationOptionsFor('x/unknown'), undefined);
  assert.equal(registeredBy('textDocument/semanticTokens').map((e) => e.method),
    ['textDocument/semanticTokens/full', 'textDocument/semanticTokens/full/delta', 'textDocument/semanticTokens/range']);
});
sites.run();

/** Every permission a shape's parts need. */
function shapeNeeds(shape: Shape | null | undefined): string[] {
  if (!shape) return [];
  switch (shape.kind) {
    case 'site': return [];
    case 'object': return shape.props.flatMap((p) => shapeNeeds(p.shape));
    case 'array': return shapeNeeds(shape.element);
    case 'map': return shapeNeeds(shape.value);
    case 'union': return shape.branches.flatMap((b) => shapeNeeds(b.shape));
    case 'nullable': return shapeNeeds(shape.shape);
    case 'needs': return [shape.permission, ...shapeNeeds(shape.shape)];
  }
}

/** The model's ServerCapabilities, to check that capability paths exist. */
function capabilityExists(dotted: string): boolean {
  let types: ModelType[] = [{ kind: 'reference', name: 'ServerCapabilities' }];
  for (const key of dotted.split('.')) {
    const expand = (t: ModelType): ModelType[] => {
      if (t.kind === 'or' || t.kind === 'and') return t.items!.flatMap(expand);
      const structure = t.kind === 'reference' ? MODEL.structures.find((s) => s.name === t.name) : undefined;
      if (structure) return [t];
      const alias = t.kind === 'reference' ? MODEL.typeAliases.find((a) => a.name === t.name) : undefined;
      return alias ? expand(alias.type) : [t];
    };
    const props = (t: ModelType): { name: string; type: ModelType }[] => {
      if (t.kind === 'literal') return (t.value as { properties: { name: string; type: ModelType }[] }).properties;
      const s = t.kind === 'reference' ? MODEL.structures.find((x) => x.name === t.name) : undefined;
      return s ? [...s.properties, ...[...(s.extends ?? []), ...(s.mixins ?? [])].flatMap(props)] : [];
    };
    types = types.flatMap(expand).flatMap((t) => props(t).filter((p) => p.name === key).map((p) => p.type));
    if (types.length === 0) return false;
  }
  return true;
}

const policy = suite('permissions, guests and routes');
policy('every permission named in the table or its shapes is one of session/permissions.ts', () => {
  const known = PERMISSIONS.map((p) => p.name as string);
  for (const e of METHODS) {
    const named = e.permission === null ? [] : typeof e.permission === 'string' ? [e.permission] : e.permission;
    for (const p of [...named, ...SLOTS.flatMap((slot) => shapeNeeds(e[slot]))]) assert.ok(known.includes(p), `${e.method}: ${p}`);
  }
});
policy('every capability path exists in the model\'s ServerCapabilities', () => {
  for (const e of METHODS) for (const c of e.capability ?? []) assert.ok(capabilityExists(c), `${e.method}: ${c}`);
  assert.not.ok(capabilityExists('renameProvider.nope'), 'the check can fail');
});
policy('a route exactly for what a server sends; what only a server sends, a guest may not send', () => {
  for (const e of METHODS) {
    assert.is(e.route !== undefined, e.from !== 'client', e.method);
    if (e.from === 'server') {
      assert.is(e.guest, e.kind === 'request' ? 'refuse' : 'drop', e.method);
      assert.is(e.permission, null, e.method);
    }
    if (e.guest === 'refuse') assert.is(e.kind, 'request', e.method);
    if (e.guest === 'drop') assert.is(e.kind, 'notification', e.method);
  }
});

/** What the design and the security model require, method by method (DESIGN §3, §6). */
const EXPECTED: Record<string, Partial<Pick<MethodEntry, 'guest' | 'permission' | 'route'>>> = {
  'initialize': { guest: 'hub' },
  'initialized': { guest: 'hub' },
  'shutdown': { guest: 'hub' },
  'exit': { guest: 'hub' },
  '$/cancelRequest': { guest: 'hub', route: 'hub' },
  '$/progress': { guest: 'hub', route: 'hub' },
  '$/setTrace': { guest: 'hub' },
  'window/workDoneProgress/cancel': { guest: 'hub' },
  'textDocument/didOpen': { guest: 'hub', permission: null },
  'textDocument/didChange': { guest: 'hub', permission: 'files.write' },
  'textDocument/didClose': { guest: 'hub', permission: null },
  'textDocument/didSave': { guest: 'hub', permission: 'files.write' },
  'textDocument/willSave': { guest: 'hub', permission: 'files.write' },
  'textDocument/willSaveWaitUntil': { guest: 'hub', permission: 'files.write' },
  'workspace/didChangeWatchedFiles': { guest: 'drop' },
  'workspace/didChangeConfiguration': { guest: 'drop' },
  'workspace/didChangeWorkspaceFolders': { guest: 'drop' },
  'workspace/didCreateFiles': { guest: 'drop' },
  'workspace/didRenameFiles': { guest: 'drop' },
  'workspace/didDeleteFiles': { guest: 'drop' },
  'workspace/executeCommand': { guest: 'forward', permission: 'lsp.commands' },
  'textDocument/rename': { guest: 'forward', permission: 'files.write' },
  'textDocument/prepareRename': { guest: 'forward', permission: 'files.write' },
  'textDocument/formatting': { guest: 'forward', permission: 'files.write' },
  'textDocument/rangeFormatting': { guest: 'forward', permission: 'files.write' },
  'textDocument/rangesFormatting': { guest: 'forward', permission: 'files.write' },
  'textDocument/onTypeFormatting': { guest: 'forward', permission: 'files.write' },
  'textDocument/linkedEditingRange': { guest: 'forward', permission: 'files.write' },
  'workspace/willCreateFiles': { guest: 'forward', permission: 'files.write' },
  'workspace/willRenameFiles': { guest: 'forward', permission: 'files.write' },
  'workspace/willDeleteFiles': { guest: 'forward', permission: 'files.write' },
  'textDocument/codeAction': { guest: 'forward', permission: ['files.write', 'lsp.commands'] },
  'codeAction/resolve': { guest: 'forward', permission: ['files.write', 'lsp.commands'] },
  'textDocument/definition': { guest: 'forward', permission: null },
  'textDocument/hover': { guest: 'forward', permission: null },
  'workspace/symbol': { guest: 'forward', permission: null },
  'workspace/applyEdit': { route: 'host' },
  'window/showDocument': { route: 'host' },
  'window/showMessageRequest': { route: 'host' },
  'window/showMessage': { route: 'host' },
  'window/logMessage': { route: 'host' },
  'telemetry/event': { route: 'host' },
  'workspace/configuration': { route: 'hub' },
  'workspace/workspaceFolders': { route: 'hub' },
  'client/registerCapability': { route: 'hub' },
  'client/unregisterCapability': { route: 'hub' },
  'window/workDoneProgress/create': { route: 'fanout' },
  'workspace/codeLens/refresh': { route: 'fanout' },
  'workspace/semanticTokens/refresh': { route: 'fanout' },
  'workspace/inlayHint/refresh': { route: 'fanout' },
  'workspace/inlineValue/refresh': { route: 'fanout' },
  'workspace/diagnostic/refresh': { route: 'fanout' },
  'workspace/foldingRange/refresh': { route: 'fanout' },
  'textDocument/publishDiagnostics': { route: 'entitled' },
};
policy('the security-relevant classifications', () => {
  for (const [method, expected] of Object.entries(EXPECTED)) {
    const e = lookup(method)!;
    assert.equal({ guest: e.guest, permission: e.permission, route: e.route, ...expected }, { guest: e.guest, permission: e.permission, route: e.route }, method);
  }
});
/** Whether a WorkspaceEdit in the shape reaches a receiver that lacks files.write (it is not behind `needs`). */
function unguardedEdit(shape: Shape | null | undefined): boolean {
  if (!shape) return false;
  switch (shape.kind) {
    case 'site': return false;
    case 'object': return shape.name === 'WorkspaceEdit' || shape.props.some((p) => unguardedEdit(p.shape));
    case 'array': return unguardedEdit(shape.element);
    case 'map': return unguardedEdit(shape.value);
    case 'union': return shape.branches.some((b) => unguardedEdit(b.shape));
    case 'nullable': return unguardedEdit(shape.shape);
    case 'needs': return shape.permission !== 'files.write' && unguardedEdit(shape.shape);
  }
}
policy('a WorkspaceEdit reaches a guest only through a method that needs files.write, or behind needs(files.write)', () => {
  const editors = METHODS.filter((e) => e.guest === 'forward' && (unguardedEdit(e.result) || unguardedEdit(e.partialResult)));
  assert.equal(editors.map((e) => e.method).sort(), ['textDocument/rename', 'workspace/willCreateFiles', 'workspace/willDeleteFiles', 'workspace/willRenameFiles']);
  for (const e of editors) assert.is(e.permission, 'files.write', e.method);
  assert.not.ok(unguardedEdit(lookup('textDocument/codeAction')!.result), 'a code action\'s edit is stripped');
});
policy('permitted: none, one, or any one of several', () => {
  const has = (held: LspPermission[]) => (p: LspPermission) => held.includes(p);
  assert.ok(permitted(lookup('textDocument/hover')!, has([])));
  assert.not.ok(permitted(lookup('textDocument/rename')!, has(['lsp.commands'])));
  assert.ok(permitted(lookup('textDocument/rename')!, has(['files.write'])));
  assert.not.ok(permitted(lookup('textDocument/codeAction')!, has([])));
  assert.ok(permitted(lookup('textDocument/codeAction')!, has(['lsp.commands'])));
  assert.ok(permitted(lookup('textDocument/codeAction')!, has(['files.write'])));
});
policy('the table and its entries are frozen', () => {
  assert.ok(Object.isFrozen(METHODS));
  for (const e of METHODS) assert.ok(Object.isFrozen(e), e.method);
});
policy.run();
