// A language server for the hub's fairness test (run over stdio with tsx): it holds every hover without an
// answer until a definition request comes; the definition is answered with how many hovers it received before
// it, and the held hovers (and any later) are then answered. So a test sees, by the definition's answer, how
// many of one editor's requests the hub let reach the server ahead of another editor's.
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
let hovers = 0;
let release: (() => void) | null = null;
const released = new Promise<void>((resolve) => (release = resolve));

connection.onRequest('initialize', () => ({ capabilities: { hoverProvider: true, definitionProvider: true } }));
connection.onRequest('textDocument/hover', async () => {
  hovers++;
  await released;
  return { contents: 'held' };
});
connection.onRequest('textDocument/definition', () => {
  const seen = hovers;
  release?.();
  return { uri: 'file:///nowhere', range: { start: { line: seen, character: 0 }, end: { line: seen, character: 0 } } };
});
connection.onRequest(() => null);
connection.onNotification(() => undefined);
connection.onClose(() => process.exit(0));
connection.listen();
