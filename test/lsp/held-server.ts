// A language server for the hub's fairness tests (run over stdio with tsx): it holds every hover without an
// answer until a definition request comes, and answers documentSymbol at once, at length (~600 KiB); the
// definition is answered with how many hovers and documentSymbols it received before it (in its range's line),
// and the held hovers (and any later) are then answered. So a test sees, by the definition's answer, how many of
// one editor's requests the hub let reach the server ahead of another editor's.
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
let seen = 0;
const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
const symbols = Array.from({ length: 512 }, (_, i) => ({ name: `s${i}`, detail: 'x'.repeat(1000), kind: 12, range, selectionRange: range }));
let release: (() => void) | null = null;
const released = new Promise<void>((resolve) => (release = resolve));

connection.onRequest('initialize', () => ({ capabilities: { hoverProvider: true, definitionProvider: true, documentSymbolProvider: true } }));
connection.onRequest('textDocument/hover', async () => {
  seen++;
  await released;
  return { contents: 'held' };
});
connection.onRequest('textDocument/documentSymbol', () => (seen++, symbols));
connection.onRequest('textDocument/definition', () => {
  release?.();
  return { uri: 'file:///nowhere', range: { start: { line: seen, character: 0 }, end: { line: seen, character: 0 } } };
});
connection.onRequest(() => null);
connection.onNotification(() => undefined);
connection.onClose(() => process.exit(0));
connection.listen();
