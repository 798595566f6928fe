// Captures what a real language server announces (its ServerCapabilities and the dynamic registrations it sends
// right after `initialized`) into fixtures/lsp/<name>.capabilities.json, for the capability-trimming tests.
// Not a test: run it by hand when a server is upgraded, e.g.
//   node --import tsx test/lsp/capture-capabilities.ts pyright
// The workspace root is rewritten to /host/demo so the fixture does not depend on this machine.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const SERVERS: Record<string, readonly string[]> = {
  pyright: ['node_modules/.bin/pyright-langserver', '--stdio'],
  'typescript-language-server': ['node_modules/.bin/typescript-language-server', '--stdio'],
};
const ROOT = path.join(REPO, 'fixtures/demo');
const PLACEHOLDER = '/host/demo';

/** Client capabilities that invite every dynamic registration a server might make. */
const dynamic = { dynamicRegistration: true };
const CLIENT = {
  workspace: {
    applyEdit: true, workspaceEdit: { documentChanges: true, resourceOperations: ['create', 'rename', 'delete'] },
    didChangeConfiguration: dynamic, didChangeWatchedFiles: { ...dynamic, relativePatternSupport: true },
    symbol: dynamic, executeCommand: dynamic, workspaceFolders: true, configuration: true,
    fileOperations: { ...dynamic, didCreate: true, willCreate: true, didRename: true, willRename: true, didDelete: true, willDelete: true },
    semanticTokens: { refreshSupport: true }, codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true }, diagnostics: { refreshSupport: true },
  },
  textDocument: Object.fromEntries(['synchronization', 'completion', 'hover', 'signatureHelp', 'declaration', 'definition', 'typeDefinition',
    'implementation', 'references', 'documentHighlight', 'documentSymbol', 'codeAction', 'codeLens', 'documentLink', 'colorProvider',
    'formatting', 'rangeFormatting', 'onTypeFormatting', 'rename', 'foldingRange', 'selectionRange', 'callHierarchy', 'semanticTokens',
    'linkedEditingRange', 'moniker', 'typeHierarchy', 'inlineValue', 'inlayHint', 'diagnostic'].map((k) => [k, dynamic])),
  window: { workDoneProgress: true, showMessage: {}, showDocument: { support: true } },
  general: { positionEncodings: ['utf-16'] },
};

async function capture(name: string): Promise<void> {
  const [command, ...args] = SERVERS[name] ?? [];
  if (!command) throw new Error(`unknown server ${name}; one of: ${Object.keys(SERVERS).join(', ')}`);
  const child = spawn(path.join(REPO, command), args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const registrations: unknown[] = [];
  let registered: () => void = () => undefined;
  const firstRegistration = new Promise<void>((resolve) => { registered = resolve; });
  connection.onRequest('client/registerCapability', (params: { registrations: unknown[] }) => {
    registrations.push(...params.registrations);
    registered();
    return null;
  });
  connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => null));
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onRequest('workspace/workspaceFolders', () => [{ uri: pathToFileURL(ROOT).href, name: 'demo' }]);
  connection.onNotification(() => undefined);
  connection.listen();
  const uri = pathToFileURL(ROOT).href;
  const result = await connection.sendRequest('initialize', {
    processId: process.pid, rootUri: uri, rootPath: ROOT, capabilities: CLIENT, workspaceFolders: [{ uri, name: 'demo' }],
  }) as { capabilities: unknown; serverInfo?: unknown };
  await connection.sendNotification('initialized', {});
  // Servers register right after `initialized`; a server that never does still gets captured after 5 s.
  await Promise.race([firstRegistration, new Promise((resolve) => setTimeout(resolve, 5000))]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await connection.sendRequest('shutdown');
  await connection.sendNotification('exit');
  connection.dispose();
  const text = JSON.stringify({ server: name, serverInfo: result.serverInfo ?? null, capabilities: result.capabilities, registrations }, null, 2)
    .replaceAll(uri, pathToFileURL(PLACEHOLDER).href).replaceAll(ROOT, PLACEHOLDER);
  writeFileSync(path.join(REPO, `fixtures/lsp/${name}.capabilities.json`), `${text}\n`);
  console.log(`fixtures/lsp/${name}.capabilities.json: ${registrations.length} registrations`);
}

// Only when run as a script: a test runner that loads every file under test/lsp/ must not start a server.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await capture(process.argv[2] ?? 'pyright');
