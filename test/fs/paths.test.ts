// The two checks everything a peer sends goes through first: share-relative paths, and the bound on
// JSON-RPC message sizes.
import path from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPath, PathError } from '../../src/fs/paths.js';
import { MessageLimit } from '../../src/wire/message-limit.js';

function accepted(input: unknown): boolean {
  try {
    checkPath(input);
    return true;
  } catch (err) {
    assert.instance(err, PathError);
    return false;
  }
}

test('share-relative paths: plain ones pass, every form of escape or ambiguity is refused', () => {
  for (const ok of ['a', 'src/main.ts', '.env', '..a/b..', 'a/.../b', 'sp ace/ünï/日本', '%2e%2e/x', 'a:b', `${'n'.repeat(255)}`]) assert.ok(accepted(ok), ok);
  const refused = ['', '/', '/etc/passwd', '..', '../x', 'a/..', 'a/../b', '.', './a', 'a/./b', 'a//b', 'a/', 'a\0b', 'a\\b', '..\\x', 'a\nb', '\u001b[31m', 'a\u007f', '\ud800x', 'x\udc00', 'n'.repeat(256), 'a/'.repeat(2049), 42, null, ['a']];
  for (const bad of refused) assert.not.ok(accepted(bad), JSON.stringify(bad));
});

test('property: an accepted path is canonical and stays under any root it is joined to', () => {
  const piece = fc.constantFrom('a', 'b', '..', '.', '', '/', '\\', '\0', '%2e', '\u001b', 'é', '\ud800', '\udc00', ' ', '~', 'C:');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')), (input) => {
      if (!accepted(input)) return true;
      return path.posix.normalize(input) === input && path.posix.join('/root', input).startsWith('/root/') && !input.split('/').includes('..') && !/[\0\\\u0000-\u001f]/.test(input);
    }),
    { numRuns: 5000 },
  );
});

/** Pushes `chunks` through a MessageLimit; resolves with what came out, or the error. */
function through(max: number, chunks: Buffer[]): Promise<Buffer | Error> {
  return new Promise((resolve) => {
    const limit = new MessageLimit(max);
    const out: Buffer[] = [];
    limit.on('data', (c: Buffer) => out.push(c));
    limit.on('error', resolve);
    limit.on('end', () => resolve(Buffer.concat(out)));
    const input = new PassThrough();
    input.pipe(limit);
    for (const c of chunks) input.write(c);
    input.end();
  });
}

const frame = (body: string): Buffer => Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    if (p > at) chunks.push(bytes.subarray(at, p));
    at = p;
  }
  return chunks;
}

test('property: messages within the bound pass through unchanged however they are cut', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.string({ maxLength: 300, unit: 'grapheme' }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), async (bodies, cuts) => {
      const bytes = Buffer.concat(bodies.map((b) => frame(JSON.stringify({ b }))));
      const out = await through(2000, split(bytes, cuts));
      return Buffer.isBuffer(out) && out.equals(bytes);
    }),
    { numRuns: 300 },
  );
});

test('a message declared larger than the bound, a header without a length, or an endless header is an error', async () => {
  const big = Buffer.concat([frame('{"a":1}'), Buffer.from('Content-Type: x\r\nContent-Length: 1001\r\n\r\n{')]);
  for (const cuts of [[], [10, 11, 12, 30, 31, 32, 33, 34, 35]]) {
    const result = await through(1000, split(big, cuts));
    assert.instance(result, Error);
    assert.match((result as Error).message, /1001 bytes refused/);
  }
  assert.match(String(await through(1000, [Buffer.from('Content-Type: x\r\n\r\n{}')])), /Content-Length/);
  assert.match(String(await through(1000, [Buffer.from('Content-Length: -3\r\n\r\n')])), /Content-Length/);
  assert.match(String(await through(1000, [Buffer.alloc(9000, 'a')])), /header longer/);
});

test.run();
