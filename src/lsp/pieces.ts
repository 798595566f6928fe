// The LSP 3.17 structures that hold URIs, globs, commands or edits, as shapes (see shape.ts), named after the
// metaModel's structures. The method table (methods.ts) builds every params and result from these pieces.
import {
  always, arr, extend, glob, has, isArray, isObject, isString, keyIs, needs, nullable, obj, omit, opt, path, req, stringAt, union, uri, uriMap,
} from './shape.js';

// Documents and locations.
export const TextDocumentIdentifier = obj('TextDocumentIdentifier', { uri });
/** TextDocumentItem has a uri too (and the text, which is no site). */
export const TextDocumentItem = obj('TextDocumentItem', { uri });
/** Every params structure whose only site is `textDocument` (TextDocumentPositionParams and friends). */
export const TextDocumentParams = obj('TextDocumentParams', { textDocument: TextDocumentIdentifier });
export const Location = obj('Location', { uri });
export const LocationLink = obj('LocationLink', { targetUri: uri });
const LocationOrLink = union([has('targetUri'), LocationLink], [always, Location]);
/** `Location[] | LocationLink[]`: a denied element is dropped. */
export const Locations = arr(LocationOrLink, 'drop');
/** `Location | Location[] | LocationLink[] | null` (definition and friends): a denied single Location becomes null. */
export const Definition = nullable(union([isArray, Locations], [always, Location]), 'null');
export const WorkspaceFolder = obj('WorkspaceFolder', { uri });

// Diagnostics.
const DiagnosticRelatedInformation = obj('DiagnosticRelatedInformation', { location: Location });
/** A denied related location is dropped; a denied codeDescription (a documentation link) is left out. */
export const Diagnostic = obj('Diagnostic', {
  codeDescription: omit(obj('CodeDescription', { href: uri })),
  relatedInformation: opt(arr(DiagnosticRelatedInformation, 'drop')),
});
const Diagnostics = arr(Diagnostic);
export const PublishDiagnosticsParams = obj('PublishDiagnosticsParams', { uri, diagnostics: Diagnostics });
const FullReport = obj('FullDocumentDiagnosticReport', { items: Diagnostics });
const Report = union([keyIs('kind', 'full'), FullReport], [keyIs('kind', 'unchanged'), null]);
/** `relatedDocuments`, keyed by URI: an entry with a denied key is dropped. */
const RelatedDocuments = uriMap(Report, 'drop');
export const DocumentDiagnosticReport = union(
  [keyIs('kind', 'full'), extend(FullReport, 'RelatedFullDocumentDiagnosticReport', { relatedDocuments: opt(RelatedDocuments) })],
  [keyIs('kind', 'unchanged'), obj('RelatedUnchangedDocumentDiagnosticReport', { relatedDocuments: opt(RelatedDocuments) })],
);
export const DocumentDiagnosticReportPartialResult = obj('DocumentDiagnosticReportPartialResult', { relatedDocuments: RelatedDocuments });
const WorkspaceDocumentDiagnosticReport = union(
  [keyIs('kind', 'full'), extend(FullReport, 'WorkspaceFullDocumentDiagnosticReport', { uri })],
  [keyIs('kind', 'unchanged'), obj('WorkspaceUnchangedDocumentDiagnosticReport', { uri })],
);
/** Also the partial result: a report about a denied document is dropped. */
export const WorkspaceDiagnosticReport = obj('WorkspaceDiagnosticReport', { items: arr(WorkspaceDocumentDiagnosticReport, 'drop') });
export const WorkspaceDiagnosticParams = obj('WorkspaceDiagnosticParams', { previousResultIds: arr(obj('PreviousResultId', { uri })) });

// Edits. A WorkspaceEdit is all or nothing: nothing inside it is dropped, so one denied URI denies all of it.
const DocumentChange = union(
  [keyIs('kind', 'create'), obj('CreateFile', { uri })],
  [keyIs('kind', 'rename'), obj('RenameFile', { oldUri: uri, newUri: uri })],
  [keyIs('kind', 'delete'), obj('DeleteFile', { uri })],
  [always, obj('TextDocumentEdit', { textDocument: TextDocumentIdentifier })],
);
export const WorkspaceEdit = obj('WorkspaceEdit', {
  changes: opt(uriMap(null, 'propagate')),
  documentChanges: opt(arr(DocumentChange)),
});
export const ApplyWorkspaceEditParams = obj('ApplyWorkspaceEditParams', { edit: WorkspaceEdit });
// File operations: the model types these URIs as plain strings, but they are file URIs.
export const CreateFilesParams = obj('CreateFilesParams', { files: arr(obj('FileCreate', { uri })) });
export const RenameFilesParams = obj('RenameFilesParams', { files: arr(obj('FileRename', { oldUri: uri, newUri: uri })) });
export const DeleteFilesParams = obj('DeleteFilesParams', { files: arr(obj('FileDelete', { uri })) });

// Commands and what carries them. `arguments` and `data` are never followed, so they pass through untouched.
export const Command = needs('lsp.commands', obj('Command', {}));
export const CodeAction = obj('CodeAction', {
  diagnostics: opt(Diagnostics),
  edit: opt(needs('files.write', WorkspaceEdit)),
  command: opt(Command),
}, { keepIfAny: ['edit', 'command'] });
/** `(Command | CodeAction)[]`: a Command's `command` is a string, a CodeAction's is an object. */
export const CodeActions = arr(union([stringAt('command'), Command], [always, CodeAction]), 'drop');
export const CodeActionParams = obj('CodeActionParams', { textDocument: TextDocumentIdentifier, context: obj('CodeActionContext', { diagnostics: Diagnostics }) });
export const CodeLens = obj('CodeLens', { command: opt(Command) });
export const CompletionItem = obj('CompletionItem', { command: opt(Command) });
export const Completion = nullable(union([isArray, arr(CompletionItem)], [always, obj('CompletionList', { items: arr(CompletionItem) })]));
const InlayHintLabelPart = obj('InlayHintLabelPart', { location: omit(Location), command: opt(Command) });
export const InlayHint = obj('InlayHint', {
  label: union([isString, null], [isArray, arr(InlayHintLabelPart)]),
  textEdits: opt(needs('files.write', null)),
});
export const InlineCompletionItem = obj('InlineCompletionItem', { command: opt(Command) });
export const InlineCompletion = nullable(union([isArray, arr(InlineCompletionItem)], [always, obj('InlineCompletionList', { items: arr(InlineCompletionItem) })]));

// Symbols, hierarchies, links: a denied element is dropped from its list.
export const SymbolInformation = obj('SymbolInformation', { location: Location });
/** `SymbolInformation[] | DocumentSymbol[]`: a DocumentSymbol has no URI. */
export const DocumentSymbols = arr(union([has('location'), SymbolInformation], [isObject, null]), 'drop');
/** WorkspaceSymbol.location is a Location or `{ uri }`: the same site. */
export const WorkspaceSymbol = obj('WorkspaceSymbol', { location: obj('WorkspaceSymbolLocation', { uri }) });
export const CallHierarchyItem = obj('CallHierarchyItem', { uri });
export const TypeHierarchyItem = obj('TypeHierarchyItem', { uri });
export const CallHierarchyItemParams = obj('CallHierarchyItemParams', { item: CallHierarchyItem });
export const TypeHierarchyItemParams = obj('TypeHierarchyItemParams', { item: TypeHierarchyItem });
export const IncomingCall = obj('CallHierarchyIncomingCall', { from: CallHierarchyItem });
export const OutgoingCall = obj('CallHierarchyOutgoingCall', { to: CallHierarchyItem });
export const DocumentLink = obj('DocumentLink', { target: opt(uri) });

// Selectors, globs and watchers: a filter or watcher with a denied glob (or base) is dropped.
const NotebookDocumentFilter = union([isString, null], [isObject, obj('NotebookDocumentFilter', { pattern: opt(glob) })]);
export const DocumentSelector = arr(obj('DocumentFilter', { pattern: opt(glob), notebook: opt(NotebookDocumentFilter) }), 'drop');
export const TextDocumentRegistrationOptions = obj('TextDocumentRegistrationOptions', { documentSelector: opt(DocumentSelector) });
export const NotebookDocumentSyncOptions = obj('NotebookDocumentSyncOptions', {
  notebookSelector: arr(obj('NotebookSelector', { notebook: opt(NotebookDocumentFilter) }), 'drop'),
});
const GlobPattern = union([isString, glob], [isObject, obj('RelativePattern', { baseUri: union([isString, uri], [isObject, WorkspaceFolder]) })]);
export const DidChangeWatchedFilesRegistrationOptions = obj('DidChangeWatchedFilesRegistrationOptions', {
  watchers: arr(obj('FileSystemWatcher', { globPattern: GlobPattern }), 'drop'),
});
export const FileOperationRegistrationOptions = obj('FileOperationRegistrationOptions', {
  filters: arr(obj('FileOperationFilter', { pattern: obj('FileOperationPattern', { glob }) }), 'drop'),
});

// Initialization.
export const InitializeParams = obj('InitializeParams', {
  rootPath: opt(path),
  rootUri: req(nullable(uri)),
  workspaceFolders: opt(arr(WorkspaceFolder)),
});
/** A capability that may be registration options, with a document selector (else a boolean or plain options). */
const Provider = opt(union([isObject, TextDocumentRegistrationOptions], [always, null]));
const SELECTOR_PROVIDERS = ['callHierarchy', 'color', 'declaration', 'diagnostic', 'foldingRange', 'implementation', 'inlayHint', 'inlineValue',
  'linkedEditingRange', 'moniker', 'selectionRange', 'semanticTokens', 'typeDefinition', 'typeHierarchy'];
const FILE_OPERATIONS = ['didCreate', 'willCreate', 'didRename', 'willRename', 'didDelete', 'willDelete'];
export const ServerCapabilities = obj('ServerCapabilities', {
  ...Object.fromEntries(SELECTOR_PROVIDERS.map((name) => [`${name}Provider`, Provider])),
  notebookDocumentSync: opt(NotebookDocumentSyncOptions),
  workspace: opt(obj('WorkspaceServerCapabilities', {
    fileOperations: opt(obj('FileOperationOptions', Object.fromEntries(FILE_OPERATIONS.map((op) => [op, opt(FileOperationRegistrationOptions)])))),
  })),
});
export const InitializeResult = obj('InitializeResult', { capabilities: ServerCapabilities });

// Server → client requests that the hub answers.
export const ConfigurationParams = obj('ConfigurationParams', { items: arr(obj('ConfigurationItem', { scopeUri: opt(uri) })) });
export const WorkspaceFolders = nullable(arr(WorkspaceFolder));
export const DidChangeWorkspaceFoldersParams = obj('DidChangeWorkspaceFoldersParams', {
  event: obj('WorkspaceFoldersChangeEvent', { added: arr(WorkspaceFolder), removed: arr(WorkspaceFolder) }),
});
export const DidChangeWatchedFilesParams = obj('DidChangeWatchedFilesParams', { changes: arr(obj('FileEvent', { uri })) });
export const ShowDocumentParams = obj('ShowDocumentParams', { uri });

// Notebooks.
const NotebookCell = obj('NotebookCell', { document: uri });
const NotebookDocumentIdentifier = obj('NotebookDocumentIdentifier', { uri });
export const DidOpenNotebookDocumentParams = obj('DidOpenNotebookDocumentParams', {
  notebookDocument: obj('NotebookDocument', { uri, cells: arr(NotebookCell) }),
  cellTextDocuments: arr(TextDocumentItem),
});
export const DidChangeNotebookDocumentParams = obj('DidChangeNotebookDocumentParams', {
  notebookDocument: NotebookDocumentIdentifier,
  change: obj('NotebookDocumentChangeEvent', {
    cells: opt(obj('NotebookCellsChange', {
      structure: opt(obj('NotebookCellsStructure', {
        array: obj('NotebookCellArrayChange', { cells: opt(arr(NotebookCell)) }),
        didOpen: opt(arr(TextDocumentItem)),
        didClose: opt(arr(TextDocumentIdentifier)),
      })),
      data: opt(arr(NotebookCell)),
      textContent: opt(arr(obj('NotebookCellTextContent', { document: TextDocumentIdentifier }))),
    })),
  }),
});
export const DidSaveNotebookDocumentParams = obj('DidSaveNotebookDocumentParams', { notebookDocument: NotebookDocumentIdentifier });
export const DidCloseNotebookDocumentParams = obj('DidCloseNotebookDocumentParams', {
  notebookDocument: NotebookDocumentIdentifier,
  cellTextDocuments: arr(TextDocumentIdentifier),
});
