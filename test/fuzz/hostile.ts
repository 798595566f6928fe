// Hostile JSON for the LSP and DAP fuzzers (no tests here): values of the wrong type, huge or negative numbers,
// long strings, lone surrogates, deep nesting (written as raw text, far deeper than a recursive encoder could go),
// crafted URIs and paths, and framing that lies (Content-Length off by some bytes, missing, duplicated, huge),
// bodies that are not UTF-8 or not JSON.
import fc from 'fast-check';

/** A value spliced into a message as raw JSON text: far deeper or larger than we want to build, or not UTF-8. */
export abstract class Spliced {
  abstract bytes(): Buffer;
  abstract [fc.toStringMethod](): string;
}

/** An array (or object) nested `depth` deep. */
export class Deep extends Spliced {
  constructor(
    readonly depth: number,
    readonly kind: 'array' | 'object',
  ) {
    super();
  }
  bytes(): Buffer {
    return Buffer.from(this.kind === 'array' ? `${'['.repeat(this.depth)}${']'.repeat(this.depth)}` : `${'{"a":'.repeat(this.depth)}0${'}'.repeat(this.depth)}`);
  }
  [fc.toStringMethod](): string {
    return `new Deep(${this.depth}, '${this.kind}')`;
  }
}

/** A long string, or a long array of zeros. */
export class Long extends Spliced {
  constructor(
    readonly length: number,
    readonly kind: 'string' | 'array',
  ) {
    super();
  }
  bytes(): Buffer {
    return Buffer.from(this.kind === 'string' ? `"${'x'.repeat(this.length)}"` : `[${new Array(this.length).fill('0').join(',')}]`);
  }
  [fc.toStringMethod](): string {
    return `new Long(${this.length}, '${this.kind}')`;
  }
}

/** A URI whose middle is not UTF-8 (overlong slashes and dots, lone continuation bytes, encoded surrogates). */
export class BadUtf8 extends Spliced {
  constructor(readonly raw: readonly number[]) {
    super();
  }
  bytes(): Buffer {
    return Buffer.concat([Buffer.from('"lspair:/src'), Buffer.from(this.raw), Buffer.from('main.ts"')]);
  }
  [fc.toStringMethod](): string {
    return `new BadUtf8([${this.raw.join(', ')}])`;
  }
}

const MARK = '\u0001lspair-fuzz:';

/** The JSON text of `value` as bytes, with its Spliced values spliced in. */
export function jsonBytes(value: unknown): Buffer {
  const spliced: Spliced[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Spliced ? `${MARK}${spliced.push(v) - 1}` : v)) ?? 'null';
  const parts = text.split(/"\\u0001lspair-fuzz:(\d+)"/);
  return Buffer.concat(parts.map((part, i) => (i % 2 === 0 ? Buffer.from(part, 'utf8') : spliced[Number(part)]!.bytes())));
}

/** A framed message (LSP and DAP share the base protocol). */
export function framed(body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
}

export const deep: fc.Arbitrary<Deep> = fc.tuple(fc.oneof(fc.integer({ min: 60, max: 200 }), fc.integer({ min: 1000, max: 200_000 })), fc.constantFrom('array' as const, 'object' as const)).map(([d, k]) => new Deep(d, k));

export const badUtf8: fc.Arbitrary<BadUtf8> = fc.constantFrom(
  [0xc0, 0xaf, 0x2e, 0x2e, 0xc0, 0xaf], // an overlong "/", "..", an overlong "/"
  [0xe0, 0x80, 0xaf],
  [0xff, 0xfe],
  [0x80],
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate, encoded
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0x2f, 0x00, 0x2f],
).map((b) => new BadUtf8(b));

/** Numbers that break assumptions: negative, fractional, beyond 2^31, 2^32 and 2^53, huge. */
export const oddNumber = fc.oneof(
  fc.constantFrom(-1, -0, 0.5, -2147483649, 2147483648, 4294967296, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 5e-324),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A value of any type, mostly small and odd. */
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(null, true, false, '', [], {}, '\u0000', '\ud800', '__proto__', 'constructor', 'lspair-data:1', 'lspair-data:999999999999') },
  { weight: 2, arbitrary: oddNumber },
  { weight: 2, arbitrary: fc.string({ maxLength: 30, unit: 'binary' }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: badUtf8 },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 200_000 }), fc.constantFrom('string' as const, 'array' as const)).map(([n, kind]) => new Long(n, kind)) },
  { weight: 1, arbitrary: fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown) },
);

/** URIs a guest might craft to reach past the share: traversal, encodings, other schemes, authorities, odd cases. */
export const CRAFTED_URIS = [
  'lspair:/secret/vault.ts',
  'lspair:/src/%2e%2e/secret/vault.ts',
  'lspair:/src/../secret/vault.ts',
  'lspair:/src%2f..%2fsecret/vault.ts',
  'lspair:/src/%252e%252e/secret/vault.ts',
  'lspair:///secret/vault.ts',
  'lspair://host/secret/vault.ts',
  'LSPAIR:/secret/vault.ts',
  'lspair:/SECRET/vault.ts',
  'lspair:/secret/VAULT.TS',
  'lspair:/secret/vault.ts%00.md',
  'lspair:/secret/vault.ts?x',
  'lspair:/secret/vault.ts#x',
  'lspair:/src/main.ts/../../secret/vault.ts',
  'lspair:/src\\..\\secret\\vault.ts',
  'lspair:/.git/config',
  'lspair:/.vsls.json',
  'lspair:/.lspair/external/x',
  'lspair:/',
  'lspair:',
  'lspair-external:/AAAAAAAAAAAAAAAA/vault.ts',
  'lspair-external:/../../etc/passwd',
  'file:///etc/passwd',
  'file:///proc/self/environ',
  'file://localhost/etc/passwd',
  'untitled:secret',
  'http://example.com/x',
  'javascript:alert(1)',
  '/etc/passwd',
  '../secret/vault.ts',
  'secret/vault.ts',
  '',
];

/** The documents of the share a guest may use. */
export const SHARED = ['lspair:/src/main.ts', 'lspair:/src/greet.ts', 'lspair:/generated/shout.ts'];

export const uri: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SHARED) },
  { weight: 3, arbitrary: fc.constantFrom(...CRAFTED_URIS) },
  { weight: 1, arbitrary: fc.webUrl() },
  { weight: 1, arbitrary: badUtf8 },
  { weight: 1, arbitrary: hostile },
);

/** A value that is usually well-formed, sometimes hostile. */
export const field = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: hostile });

/** Framing that lies or breaks around a body; the stream cannot be read in step after it. */
export type Desync =
  | { readonly kind: 'length'; readonly delta: number } // Content-Length off by `delta`
  | { readonly kind: 'header'; readonly header: string }; // a header block of our own

export const desync: fc.Arbitrary<Desync> = fc.oneof(
  fc.record({ kind: fc.constant('length' as const), delta: fc.oneof(fc.integer({ min: -30, max: 30 }).filter((d) => d !== 0), fc.constantFrom(99_999_999_999, 1 << 30, -1e6)) }),
  fc.record({
    kind: fc.constant('header' as const),
    header: fc.oneof(
      fc.constantFrom('', 'Content-Type: x', 'Content-Length: -5', 'Content-Length: 1e3', 'Content-Length: 0x10', 'Content-Length: 10\r\nContent-Length: 10', 'content-length:5', 'Content-Length 5', ': 5', `X: ${'y'.repeat(9000)}`),
      fc.string({ maxLength: 40 }),
    ),
  }),
);

/** `body` framed as `d` says. */
export function misframed(body: Buffer, d: Desync): Buffer {
  const header = d.kind === 'length' ? `Content-Length: ${Math.max(0, body.length + d.delta)}` : d.header;
  return Buffer.concat([Buffer.from(`${header}\r\n\r\n`, 'latin1'), body]);
}

/** Bodies that are not a JSON-RPC or DAP message at all. */
export const junkBody: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 64 }).map((s) => Buffer.from(s)),
  deep.map((d) => d.bytes()),
  fc.jsonValue({ maxDepth: 3 }).map((v) => jsonBytes(v)),
  fc.constantFrom('', '[]', '[{"jsonrpc":"2.0","id":1,"method":"shutdown"}]', '{"jsonrpc":"2.0"', 'null', '1e999').map((s) => Buffer.from(s)),
);
