// Content-Length framing under hostile input: lying and oversized lengths, garbage bodies, invalid UTF-8,
// split and coalesced frames.
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageReader, encode } from '../../src/wire/content-length.js';

function reader(max = 1024) {
  const input = new PassThrough();
  const r = new MessageReader(input, max);
  const got: unknown[] = [];
  const errors: string[] = [];
  let garbage = 0;
  r.on('message', (m) => got.push(m));
  r.on('error', (e: Error) => errors.push(e.message));
  r.on('garbage', () => garbage++);
  return { input, got, errors, garbage: () => garbage };
}

test('frames split at every byte and coalesced arrive whole and in order', () => {
  const messages = [
    { jsonrpc: '2.0', id: 1, method: 'a', params: { text: 'é😀\r\n\r\n' } },
    { seq: 1, type: 'event', event: 'b' },
  ];
  const bytes = Buffer.concat(messages.map(encode));
  for (let cut = 0; cut <= bytes.length; cut++) {
    const r = reader();
    r.input.write(bytes.subarray(0, cut));
    r.input.write(bytes.subarray(cut));
    assert.equal(r.got, messages, `cut at ${cut}`);
  }
});

test('a Content-Length over the limit fails at the header, before any body is buffered', () => {
  const r = reader(100);
  r.input.write('Content-Length: 101\r\n\r\n');
  assert.equal(r.errors, ['message of 101 bytes is over the limit of 100']);
  r.input.write(encode({ jsonrpc: '2.0', method: 'after' }));
  assert.equal(r.got, [], 'nothing is read after a framing fault');
});

test('malformed headers are framing faults; an endless header is cut off', () => {
  for (const header of ['Content-Length: -1', 'Content-Length: 1e3', 'Content-Length: 12\r\nContent-Length: 12', 'Content-Type: x', 'no colon here', 'Content-Length: 99999999999']) {
    const r = reader();
    r.input.write(`${header}\r\n\r\n{}`);
    assert.is(r.errors.length, 1, header);
  }
  const r = reader();
  r.input.write('X-Long: ' + 'a'.repeat(9000));
  assert.equal(r.errors, ['header too long']);
});

test('a body that is not JSON is garbage, and the stream goes on; invalid UTF-8 is replaced, not fatal', () => {
  const r = reader();
  r.input.write('Content-Length: 3\r\n\r\n{{{');
  r.input.write(Buffer.concat([Buffer.from('Content-Length: 10\r\n\r\n'), Buffer.from('{"a":"\xff\xfe"}', 'latin1')]));
  assert.is(r.garbage(), 1);
  assert.equal(r.got, [{ a: '\ufffd\ufffd' }]);
  assert.equal(r.errors, []);
});

test('property: any bytes after a valid frame never throw out of the reader', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
      const r = reader(200);
      r.input.write(encode({ jsonrpc: '2.0', method: 'ok' }));
      r.input.write(junk);
      assert.equal(r.got[0], { jsonrpc: '2.0', method: 'ok' });
    }),
    { seed: 20261125, numRuns: 500 },
  );
});

test.run();
