// JSON-RPC endpoints under hostile input: invalid message shapes get JSON-RPC errors, and a peer that stops
// reading is ended instead of buffered for.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint, classify } from '../../src/lsp/endpoint.js';
import { stallable } from '../helpers/streams.js';
import { encode } from '../../src/wire/content-length.js';

test('classify: JSON-RPC shapes are checked; bad ids, methods and params are invalid', () => {
  const kinds = (v: unknown) => classify(v).kind;
  assert.is(kinds({ jsonrpc: '2.0', id: 1, method: 'm', params: {} }), 'request');
  assert.is(kinds({ jsonrpc: '2.0', method: 'm' }), 'notification');
  assert.is(kinds({ jsonrpc: '2.0', id: 'x', result: null }), 'response');
  assert.is(kinds({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } }), 'response');
  for (const bad of [null, [], 7, { id: 1, method: 'm' }, { jsonrpc: '2.0', id: {}, method: 'm' }, { jsonrpc: '2.0', id: 1.5, method: 'm' }, { jsonrpc: '2.0', method: 3 }, { jsonrpc: '2.0', method: 'm', params: 'x' }, { jsonrpc: '2.0', id: 1 }, { jsonrpc: '2.0', id: 1, result: 1, error: { code: 1, message: '' } }, { jsonrpc: '2.0', id: 1, error: { code: 'x' } }, { jsonrpc: '2.0', id: 2 ** 60, method: 'm' }]) {
    assert.is(kinds(bad), 'invalid', JSON.stringify(bad));
  }
});

test('an endpoint answers invalid messages with JSON-RPC errors and ends a peer that stops reading', async () => {
  const input = new PassThrough();
  const { output, sent, stall } = stallable();
  const endpoint = new Endpoint(input, output, { maxMessage: 4096, maxQueued: 4096 });
  input.write(encode({ jsonrpc: '2.0', id: 7, method: 3 }));
  assert.match(Buffer.concat(sent).toString(), /"id":7,"error":\{"code":-32600/);
  stall();
  const closed = once(endpoint, 'close');
  for (let i = 0; i < 100 && !endpoint.closed; i++) endpoint.send({ jsonrpc: '2.0', method: 'flood', params: { pad: 'x'.repeat(500) } });
  assert.equal(await closed, ['too slow: stopped reading what it was sent']);
});

test.run();
