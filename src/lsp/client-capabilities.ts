// What the hub tells a language server it can do, being the server's one client. The hub speaks for every
// editor at once, so it claims what it can route or answer itself: edits go to the host's editor, refreshes and
// progress fan out, configuration and workspace folders it answers, file watching it does with its own watcher.
import type { ClientCapabilities, CompletionItemKind, SymbolKind } from 'vscode-languageserver-protocol';

const SYMBOL_KINDS = Array.from({ length: 26 }, (_, i) => (i + 1) as SymbolKind);
const COMPLETION_KINDS = Array.from({ length: 25 }, (_, i) => (i + 1) as CompletionItemKind);
const CODE_ACTION_KINDS = ['', 'quickfix', 'refactor', 'refactor.extract', 'refactor.inline', 'refactor.rewrite', 'source', 'source.organizeImports', 'source.fixAll'];
const TOKEN_TYPES = ['namespace', 'type', 'class', 'enum', 'interface', 'struct', 'typeParameter', 'parameter', 'variable', 'property', 'enumMember', 'event', 'function', 'method', 'macro', 'keyword', 'modifier', 'comment', 'string', 'number', 'regexp', 'operator', 'decorator'];
const TOKEN_MODIFIERS = ['declaration', 'definition', 'readonly', 'static', 'deprecated', 'abstract', 'async', 'modification', 'documentation', 'defaultLibrary'];
const MARKUP = ['markdown', 'plaintext'] as ('markdown' | 'plaintext')[];

export const HUB_CAPABILITIES: ClientCapabilities = {
  general: { positionEncodings: ['utf-16'], staleRequestSupport: { cancel: true, retryOnContentModified: [] } },
  window: { workDoneProgress: true, showMessage: { messageActionItem: { additionalPropertiesSupport: false } }, showDocument: { support: true } },
  workspace: {
    applyEdit: true,
    workspaceEdit: { documentChanges: true, resourceOperations: ['create', 'rename', 'delete'], failureHandling: 'abort', normalizesLineEndings: false, changeAnnotationSupport: { groupsOnLabel: false } },
    didChangeConfiguration: { dynamicRegistration: false },
    didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
    symbol: { symbolKind: { valueSet: SYMBOL_KINDS }, resolveSupport: { properties: ['location.range'] } },
    executeCommand: { dynamicRegistration: false },
    workspaceFolders: true,
    configuration: true,
    semanticTokens: { refreshSupport: true },
    codeLens: { refreshSupport: true },
    inlayHint: { refreshSupport: true },
    inlineValue: { refreshSupport: true },
    diagnostics: { refreshSupport: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: false, willSave: true, willSaveWaitUntil: true, didSave: true },
    completion: {
      completionItem: {
        snippetSupport: true,
        commitCharactersSupport: true,
        documentationFormat: MARKUP,
        deprecatedSupport: true,
        preselectSupport: true,
        insertReplaceSupport: true,
        labelDetailsSupport: true,
        resolveSupport: { properties: ['documentation', 'detail', 'additionalTextEdits'] },
        tagSupport: { valueSet: [1] },
        insertTextModeSupport: { valueSet: [1, 2] },
      },
      completionItemKind: { valueSet: COMPLETION_KINDS },
      contextSupport: true,
      completionList: { itemDefaults: ['commitCharacters', 'editRange', 'insertTextFormat', 'insertTextMode', 'data'] },
    },
    hover: { contentFormat: MARKUP },
    signatureHelp: { signatureInformation: { documentationFormat: MARKUP, parameterInformation: { labelOffsetSupport: true }, activeParameterSupport: true }, contextSupport: true },
    declaration: { linkSupport: true },
    definition: { linkSupport: true },
    typeDefinition: { linkSupport: true },
    implementation: { linkSupport: true },
    references: {},
    documentHighlight: {},
    documentSymbol: { symbolKind: { valueSet: SYMBOL_KINDS }, hierarchicalDocumentSymbolSupport: true, labelSupport: true },
    codeAction: {
      codeActionLiteralSupport: { codeActionKind: { valueSet: CODE_ACTION_KINDS } },
      isPreferredSupport: true,
      disabledSupport: true,
      dataSupport: true,
      resolveSupport: { properties: ['edit'] },
    },
    codeLens: {},
    documentLink: { tooltipSupport: true },
    colorProvider: {},
    formatting: {},
    rangeFormatting: {},
    onTypeFormatting: {},
    rename: { prepareSupport: true },
    publishDiagnostics: { relatedInformation: true, tagSupport: { valueSet: [1, 2] }, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
    foldingRange: { lineFoldingOnly: false },
    selectionRange: {},
    linkedEditingRange: {},
    callHierarchy: {},
    semanticTokens: {
      requests: { range: true, full: { delta: true } },
      tokenTypes: TOKEN_TYPES,
      tokenModifiers: TOKEN_MODIFIERS,
      formats: ['relative'],
      overlappingTokenSupport: false,
      multilineTokenSupport: false,
    },
    moniker: {},
    typeHierarchy: {},
    inlineValue: {},
    inlayHint: { resolveSupport: { properties: ['tooltip', 'textEdits', 'label.tooltip', 'label.location', 'label.command'] } },
    diagnostic: { relatedDocumentSupport: true },
  },
};
