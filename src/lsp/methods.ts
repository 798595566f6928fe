// The LSP 3.17 method table: for every request and notification of the metaModel, who sends it, what the hub does
// when a guest's editor sends it, the permission a guest needs, where server messages go, and the shapes of its
// params, results, partial results and registration options (where URIs live). The URI mapper, the policy filter,
// the permission gate and capability trimming all read this one table. test/lsp/methods.test.ts checks it against
// the metaModel, URI site by URI site.
import * as P from './pieces.js';
import { arr, nullable, obj, type LspPermission, type Shape } from './shape.js';

export type { LspPermission } from './shape.js';

export interface MethodEntry {
  readonly method: string;
  readonly kind: 'request' | 'notification';
  readonly from: 'client' | 'server' | 'both';
  /** What the hub does when a guest's editor sends it: forward (after the gate and mapping), hub (handled by the hub
   *  itself), refuse (an error response), drop (an ignored notification). Messages that only a server may send are
   *  refused (requests) or dropped (notifications) when a guest sends them. */
  readonly guest: 'forward' | 'hub' | 'refuse' | 'drop';
  /** What a guest needs for it: null (any admitted guest), a permission, or a list of which any one will do
   *  (code actions: files.write or lsp.commands). Check it with `permitted`. */
  readonly permission: LspPermission | readonly LspPermission[] | null;
  /** Server→client messages: only the host's editor (host), answered or routed by the hub (hub), every editor
   *  that supports it (fanout), every editor allowed to see the document (entitled). Absent for client→server. */
  readonly route?: 'host' | 'hub' | 'fanout' | 'entitled';
  readonly params: Shape | null;
  readonly result: Shape | null;
  /** Shape of partial results ($/progress values for the request's partialResultToken); absent when it has none. */
  readonly partialResult?: Shape | null;
  /** Shape of registerOptions in client/registerCapability for this method. */
  readonly registrationOptions?: Shape | null;
  /** The method name registrations use when it is not the message's own (textDocument/semanticTokens, notebookDocument/sync). */
  readonly registrationMethod?: string;
  /** ServerCapabilities paths (dot-separated) that announce it, masked for a guest that may not use it. */
  readonly capability?: readonly string[];
}

type Spec = Omit<MethodEntry, 'method' | 'kind' | 'from' | 'guest' | 'permission' | 'params' | 'result'>
  & Partial<Pick<MethodEntry, 'guest' | 'permission' | 'params' | 'result'>>;

/** A request from the client; a guest's is forwarded unless the spec says otherwise. */
const ask = (method: string, spec: Spec = {}): MethodEntry =>
  ({ method, kind: 'request', from: 'client', guest: 'forward', permission: null, params: null, result: null, ...spec });
/** A notification from the client. */
const tell = (method: string, spec: Spec = {}): MethodEntry =>
  ({ method, kind: 'notification', from: 'client', guest: 'forward', permission: null, params: null, result: null, ...spec });
/** A request from the server; a guest may never send it. */
const serverAsks = (method: string, route: MethodEntry['route'], spec: Spec = {}): MethodEntry =>
  ({ method, kind: 'request', from: 'server', guest: 'refuse', permission: null, route, params: null, result: null, ...spec });
/** A notification from the server; a guest's is ignored. */
const serverTells = (method: string, route: MethodEntry['route'], spec: Spec = {}): MethodEntry =>
  ({ method, kind: 'notification', from: 'server', guest: 'drop', permission: null, route, params: null, result: null, ...spec });

const WRITE: LspPermission = 'files.write';
/** A list whose denied elements are dropped, and the usual `X[] | null` result. */
const list = (element: Shape): Shape => arr(element, 'drop');
const listOrNull = (element: Shape): Shape => nullable(list(element));
const doc = P.TextDocumentParams;
const selector = P.TextDocumentRegistrationOptions;
/** definition, declaration, implementation, typeDefinition. */
const goTo = (method: string, capability: string): MethodEntry =>
  ask(method, { params: doc, result: P.Definition, partialResult: P.Locations, registrationOptions: selector, capability: [capability] });
/** A request whose params name one document, registered with a document selector (the spec adds the rest). */
const about = (method: string, capability: string, spec: Spec = {}): MethodEntry =>
  ask(method, { params: doc, registrationOptions: selector, capability: [capability], ...spec });
const fileOperation = (verb: 'Create' | 'Rename' | 'Delete', params: Shape): MethodEntry[] => [
  ask(`workspace/will${verb}Files`, {
    permission: WRITE, params, result: nullable(P.WorkspaceEdit), registrationOptions: P.FileOperationRegistrationOptions, capability: [`workspace.fileOperations.will${verb}`],
  }),
  // The hub owns file events: it tells the server about changes the file service made, never what a guest claims.
  tell(`workspace/did${verb}Files`, {
    guest: 'drop', permission: WRITE, params, registrationOptions: P.FileOperationRegistrationOptions, capability: [`workspace.fileOperations.did${verb}`],
  }),
];
/** Notebook synchronisation: no notebook support in the hub yet, so a guest's notifications are ignored. */
const notebook = (method: string, params: Shape, permission: LspPermission | null = null): MethodEntry =>
  tell(method, {
    guest: 'drop', permission, params, registrationMethod: 'notebookDocument/sync', registrationOptions: P.NotebookDocumentSyncOptions, capability: ['notebookDocumentSync'],
  });
const refresh = (method: string): MethodEntry => serverAsks(method, 'fanout');

/** Registration.registerOptions takes its shape from the registered method. */
const RegistrationParams = obj('RegistrationParams', {
  registrations: arr(obj('Registration', {}, {
    dependent: { prop: 'registerOptions', on: 'method', shape: (method) => (typeof method === 'string' ? registrationOptionsFor(method) : undefined) },
  }), 'drop'),
});

export const METHODS: readonly MethodEntry[] = Object.freeze(([
  // Lifecycle: the hub is the server's only client and answers each editor itself.
  ask('initialize', { guest: 'hub', params: P.InitializeParams, result: P.InitializeResult }),
  tell('initialized', { guest: 'hub' }),
  ask('shutdown', { guest: 'hub' }),
  tell('exit', { guest: 'hub' }),
  tell('$/setTrace', { guest: 'hub' }),
  serverTells('$/logTrace', 'host'),
  { method: '$/cancelRequest', kind: 'notification', from: 'both', guest: 'hub', permission: null, route: 'hub', params: null, result: null },
  // A progress value is a partial result when its token is a request's partialResultToken: the hub maps it with that
  // request's partialResult shape.
  { method: '$/progress', kind: 'notification', from: 'both', guest: 'hub', permission: null, route: 'hub', params: null, result: null },
  tell('window/workDoneProgress/cancel', { guest: 'hub' }),
  serverAsks('window/workDoneProgress/create', 'fanout'),

  // Document synchronisation: one authoritative copy of each document, kept by the hub.
  tell('textDocument/didOpen', { guest: 'hub', params: obj('DidOpenTextDocumentParams', { textDocument: P.TextDocumentItem }), registrationOptions: selector }),
  tell('textDocument/didChange', { guest: 'hub', permission: WRITE, params: doc, registrationOptions: selector }),
  tell('textDocument/didClose', { guest: 'hub', params: doc, registrationOptions: selector }),
  tell('textDocument/didSave', { guest: 'hub', permission: WRITE, params: doc, registrationOptions: selector, capability: ['textDocumentSync.save'] }),
  tell('textDocument/willSave', { guest: 'hub', permission: WRITE, params: doc, registrationOptions: selector, capability: ['textDocumentSync.willSave'] }),
  ask('textDocument/willSaveWaitUntil', { guest: 'hub', permission: WRITE, params: doc, registrationOptions: selector, capability: ['textDocumentSync.willSaveWaitUntil'] }),
  notebook('notebookDocument/didOpen', P.DidOpenNotebookDocumentParams),
  notebook('notebookDocument/didChange', P.DidChangeNotebookDocumentParams, WRITE),
  notebook('notebookDocument/didSave', P.DidSaveNotebookDocumentParams, WRITE),
  notebook('notebookDocument/didClose', P.DidCloseNotebookDocumentParams),

  // Navigation and reading: any admitted guest; results are filtered.
  goTo('textDocument/declaration', 'declarationProvider'),
  goTo('textDocument/definition', 'definitionProvider'),
  goTo('textDocument/typeDefinition', 'typeDefinitionProvider'),
  goTo('textDocument/implementation', 'implementationProvider'),
  ask('textDocument/references', { params: doc, result: listOrNull(P.Location), partialResult: list(P.Location), registrationOptions: selector, capability: ['referencesProvider'] }),
  about('textDocument/hover', 'hoverProvider'),
  about('textDocument/signatureHelp', 'signatureHelpProvider'),
  about('textDocument/documentHighlight', 'documentHighlightProvider', { partialResult: null }),
  about('textDocument/documentSymbol', 'documentSymbolProvider', { result: nullable(P.DocumentSymbols), partialResult: P.DocumentSymbols }),
  about('textDocument/documentColor', 'colorProvider', { partialResult: null }),
  about('textDocument/colorPresentation', 'colorProvider', { partialResult: null }),
  about('textDocument/foldingRange', 'foldingRangeProvider', { partialResult: null }),
  about('textDocument/selectionRange', 'selectionRangeProvider', { partialResult: null }),
  about('textDocument/moniker', 'monikerProvider', { partialResult: null }),
  about('textDocument/inlineValue', 'inlineValueProvider', { partialResult: null }),
  about('textDocument/semanticTokens/full', 'semanticTokensProvider.full', { partialResult: null, registrationMethod: 'textDocument/semanticTokens' }),
  about('textDocument/semanticTokens/full/delta', 'semanticTokensProvider.full.delta', { partialResult: null, registrationMethod: 'textDocument/semanticTokens' }),
  ask('textDocument/semanticTokens/range', { params: doc, partialResult: null, registrationMethod: 'textDocument/semanticTokens', capability: ['semanticTokensProvider.range'] }),
  about('textDocument/documentLink', 'documentLinkProvider', { result: listOrNull(P.DocumentLink), partialResult: list(P.DocumentLink) }),
  ask('documentLink/resolve', { params: P.DocumentLink, result: P.DocumentLink, capability: ['documentLinkProvider.resolveProvider'] }),
  about('textDocument/prepareCallHierarchy', 'callHierarchyProvider', { result: listOrNull(P.CallHierarchyItem) }),
  ask('callHierarchy/incomingCalls', { params: P.CallHierarchyItemParams, result: listOrNull(P.IncomingCall), partialResult: list(P.IncomingCall), capability: ['callHierarchyProvider'] }),
  ask('callHierarchy/outgoingCalls', { params: P.CallHierarchyItemParams, result: listOrNull(P.OutgoingCall), partialResult: list(P.OutgoingCall), capability: ['callHierarchyProvider'] }),
  about('textDocument/prepareTypeHierarchy', 'typeHierarchyProvider', { result: listOrNull(P.TypeHierarchyItem) }),
  ask('typeHierarchy/supertypes', { params: P.TypeHierarchyItemParams, result: listOrNull(P.TypeHierarchyItem), partialResult: list(P.TypeHierarchyItem), capability: ['typeHierarchyProvider'] }),
  ask('typeHierarchy/subtypes', { params: P.TypeHierarchyItemParams, result: listOrNull(P.TypeHierarchyItem), partialResult: list(P.TypeHierarchyItem), capability: ['typeHierarchyProvider'] }),
  ask('workspace/symbol', { result: listOrNull(P.WorkspaceSymbol), partialResult: list(P.WorkspaceSymbol), registrationOptions: null, capability: ['workspaceSymbolProvider'] }),
  ask('workspaceSymbol/resolve', { params: P.WorkspaceSymbol, result: P.WorkspaceSymbol, capability: ['workspaceSymbolProvider.resolveProvider'] }),
  about('textDocument/diagnostic', 'diagnosticProvider', { result: P.DocumentDiagnosticReport, partialResult: P.DocumentDiagnosticReportPartialResult }),
  ask('workspace/diagnostic', {
    params: P.WorkspaceDiagnosticParams, result: P.WorkspaceDiagnosticReport, partialResult: P.WorkspaceDiagnosticReport, capability: ['diagnosticProvider.workspaceDiagnostics'],
  }),
  // Assistance whose edits land in the guest's own buffer (and reach the server only as gated didChange).
  about('textDocument/completion', 'completionProvider', { result: P.Completion, partialResult: list(P.CompletionItem) }),
  ask('completionItem/resolve', { params: P.CompletionItem, result: P.CompletionItem, capability: ['completionProvider.resolveProvider'] }),
  about('textDocument/inlineCompletion', 'inlineCompletionProvider', { result: P.InlineCompletion, partialResult: list(P.InlineCompletionItem) }),
  about('textDocument/inlayHint', 'inlayHintProvider', { result: listOrNull(P.InlayHint), partialResult: list(P.InlayHint) }),
  ask('inlayHint/resolve', { params: P.InlayHint, result: P.InlayHint, capability: ['inlayHintProvider.resolveProvider'] }),
  about('textDocument/codeLens', 'codeLensProvider', { result: listOrNull(P.CodeLens), partialResult: list(P.CodeLens) }),
  ask('codeLens/resolve', { params: P.CodeLens, result: P.CodeLens, capability: ['codeLensProvider.resolveProvider'] }),
  // A code action is an edit, a command or both: useless to a guest that may do neither.
  ask('textDocument/codeAction', {
    permission: [WRITE, 'lsp.commands'], params: P.CodeActionParams, result: nullable(P.CodeActions), partialResult: P.CodeActions,
    registrationOptions: selector, capability: ['codeActionProvider'],
  }),
  ask('codeAction/resolve', { permission: [WRITE, 'lsp.commands'], params: P.CodeAction, result: P.CodeAction, capability: ['codeActionProvider.resolveProvider'] }),

  // Editing the shared files.
  about('textDocument/formatting', 'documentFormattingProvider', { permission: WRITE }),
  about('textDocument/rangeFormatting', 'documentRangeFormattingProvider', { permission: WRITE }),
  about('textDocument/rangesFormatting', 'documentRangeFormattingProvider.rangesSupport', { permission: WRITE }),
  about('textDocument/onTypeFormatting', 'documentOnTypeFormattingProvider', { permission: WRITE }),
  about('textDocument/rename', 'renameProvider', { permission: WRITE, result: nullable(P.WorkspaceEdit) }),
  ask('textDocument/prepareRename', { permission: WRITE, params: doc, capability: ['renameProvider.prepareProvider'] }),
  about('textDocument/linkedEditingRange', 'linkedEditingRangeProvider', { permission: WRITE }),
  ...fileOperation('Create', P.CreateFilesParams),
  ...fileOperation('Rename', P.RenameFilesParams),
  ...fileOperation('Delete', P.DeleteFilesParams),

  // Running code on the host.
  ask('workspace/executeCommand', { permission: 'lsp.commands', registrationOptions: null, capability: ['executeCommandProvider'] }),

  // Workspace state that the hub owns: a guest's view of it never reaches the server.
  tell('workspace/didChangeConfiguration', { guest: 'drop', registrationOptions: null }),
  tell('workspace/didChangeWatchedFiles', { guest: 'drop', params: P.DidChangeWatchedFilesParams, registrationOptions: P.DidChangeWatchedFilesRegistrationOptions }),
  tell('workspace/didChangeWorkspaceFolders', { guest: 'drop', params: P.DidChangeWorkspaceFoldersParams, capability: ['workspace.workspaceFolders.changeNotifications'] }),
  serverAsks('workspace/workspaceFolders', 'hub', { result: P.WorkspaceFolders }),
  serverAsks('workspace/configuration', 'hub', { params: P.ConfigurationParams }),
  serverAsks('client/registerCapability', 'hub', { params: RegistrationParams }),
  serverAsks('client/unregisterCapability', 'hub'),

  // Server → editors.
  serverTells('textDocument/publishDiagnostics', 'entitled', { params: P.PublishDiagnosticsParams }),
  refresh('workspace/codeLens/refresh'),
  refresh('workspace/diagnostic/refresh'),
  refresh('workspace/foldingRange/refresh'),
  refresh('workspace/inlayHint/refresh'),
  refresh('workspace/inlineValue/refresh'),
  refresh('workspace/semanticTokens/refresh'),
  // Only the host's editor: these act on the host's machine or speak for the host.
  serverAsks('workspace/applyEdit', 'host', { params: P.ApplyWorkspaceEditParams }),
  serverAsks('window/showDocument', 'host', { params: P.ShowDocumentParams }),
  serverAsks('window/showMessageRequest', 'host'),
  serverTells('window/showMessage', 'host'),
  serverTells('window/logMessage', 'host'),
  serverTells('telemetry/event', 'host'),
] satisfies MethodEntry[]).map((entry) => Object.freeze(entry)));

const BY_METHOD = new Map(METHODS.map((entry) => [entry.method, entry]));

export function lookup(method: string): MethodEntry | undefined {
  return BY_METHOD.get(method);
}

const BY_REGISTRATION = new Map<string, MethodEntry[]>();
for (const entry of METHODS) {
  const name = entry.registrationMethod ?? entry.method;
  BY_REGISTRATION.set(name, [...(BY_REGISTRATION.get(name) ?? []), entry]);
}

/** The entries that a registration for `method` (a message or a registration method) announces. */
export function registeredBy(method: string): readonly MethodEntry[] {
  return BY_REGISTRATION.get(method) ?? [];
}

/** The shape of registerOptions for a registration of `method`; undefined for a method the table does not know. */
export function registrationOptionsFor(method: string): Shape | null | undefined {
  const entries = registeredBy(method);
  if (entries.length === 0) return undefined;
  return entries.find((entry) => entry.registrationOptions !== undefined)?.registrationOptions ?? null;
}

/** Whether a guest holding `has` may use the method: its permission, or any one of its permissions. */
export function permitted(entry: MethodEntry, has: (p: LspPermission) => boolean): boolean {
  if (entry.permission === null) return true;
  return typeof entry.permission === 'string' ? has(entry.permission) : entry.permission.some(has);
}
