// A trivial deterministic language server for the LSP benchmark, to isolate the proxies' own cost: it answers
// hover and definition at once with constant results (the definition points at src/greet.ts under the root it
// was initialized with, so guests get a location to map), documentSymbol with a large answer (~560 KiB: the soak's
// guest that never reads makes the host queue a lot with few requests), everything else with null. Run over stdio.
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
let root = 'file:///';
const hover = { contents: { kind: 'markdown', value: '```typescript\nfunction greet(name: string): string\n```\nGreets someone by name.' } };
const range = { start: { line: 4, character: 16 }, end: { line: 4, character: 21 } };
const symbols = Array.from({ length: 512 }, (_, i) => ({ name: `symbol${i}`, detail: 'x'.repeat(1000), kind: 12, range, selectionRange: range }));

connection.onRequest('initialize', (params: { rootUri?: string | null }) => {
  root = params.rootUri ?? root;
  return { capabilities: { textDocumentSync: 2, hoverProvider: true, definitionProvider: true, documentSymbolProvider: true }, serverInfo: { name: 'lspair-bench-fake' } };
});
connection.onRequest('textDocument/hover', () => hover);
connection.onRequest('textDocument/definition', () => [{ uri: `${root}/src/greet.ts`, range }]);
connection.onRequest('textDocument/documentSymbol', () => symbols);
connection.onRequest(() => null);
connection.onNotification('exit', () => process.exit(0));
connection.onNotification(() => undefined);
connection.onClose(() => process.exit(0));
connection.listen();
