// The guest daemon's LSP proxy over a long session: what it keeps for a request goes with the request's answer,
// so an editor that asks all day does not grow the daemon's heap, even one that puts a fresh partialResultToken
// on every request whose results can stream.
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';
import { GuestProxy } from '../../src/lsp/index.js';
import { GuestUris } from '../../src/policy/index.js';
import { heapAfterGc } from '../helpers/heap.js';
import { duplexPair } from '../helpers/streams.js';
import { tmpdir } from '../helpers/tmp.js';

const REQUESTS = 4000;
/** A token this long makes each one the proxy kept show: 4000 of them are 4 MiB. */
const TOKEN_BYTES = 1024;
/** What the heap may grow by over the requests (bookkeeping of vscode-jsonrpc and the streams). */
const MAX_GROWTH = 1024 * 1024;

function connection(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): MessageConnection {
  const c = createMessageConnection(new StreamMessageReader(input), new StreamMessageWriter(output));
  c.listen();
  return c;
}

/** `count` workspace/symbol requests from the editor, each with a token of its own, 100 at a time. */
async function ask(editor: MessageConnection, count: number, from: number): Promise<void> {
  for (let i = from; i < from + count; i += 100) {
    const batch = Array.from({ length: 100 }, (_, j) => editor.sendRequest('workspace/symbol', { query: '', partialResultToken: `${i + j}`.padEnd(TOKEN_BYTES, '.') }));
    assert.equal(await Promise.all(batch), Array(100).fill(null));
  }
}

test('requests with partial-result tokens leave nothing behind in the proxy once answered', async () => {
  const toProxy = new PassThrough();
  const fromProxy = new PassThrough();
  const proxy = new GuestProxy(toProxy, fromProxy, new GuestUris(tmpdir('lspair-proxy-')), { materialise: async () => undefined }, 'ts');
  const [hubSide, proxySide] = duplexPair();
  proxy.attach(proxySide);
  const hub = connection(hubSide, hubSide);
  hub.onRequest(() => null); // the host's answer: no symbols
  const editor = connection(fromProxy, toProxy);
  try {
    await ask(editor, 200, 0); // the first requests compile and size everything on their path
    const before = await heapAfterGc();
    await ask(editor, REQUESTS, 200);
    const grew = (await heapAfterGc()) - before;
    assert.ok(grew < MAX_GROWTH, `the heap grew by ${grew} bytes over ${REQUESTS} answered requests`);
  } finally {
    editor.dispose();
    hub.dispose();
    toProxy.end();
  }
});

test.run();
