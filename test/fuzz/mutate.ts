// Byte mutations for the fuzzers (no tests here): the ways a hostile peer or a broken network bends a valid
// message — bits flipped, bytes set, truncated, extended, spliced, duplicated, or replaced whole. Positions are
// drawn as plain numbers and taken modulo the length, so a mutation is generated before the message it bends.
import fc from 'fast-check';

export type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly value: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'extend'; readonly tail: Uint8Array }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'remove'; readonly at: number; readonly count: number }
  | { readonly op: 'duplicate'; readonly at: number; readonly count: number }
  | { readonly op: 'replace'; readonly bytes: Uint8Array };

const position = fc.nat();
const someBytes = (max: number) => fc.uint8Array({ minLength: 1, maxLength: max });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: position, value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('extend' as const), tail: someBytes(64) }),
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: someBytes(16) }),
  fc.record({ op: fc.constant('remove' as const), at: position, count: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, count: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ op: fc.constant('replace' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
);

/** One to three mutations, applied in order. */
export const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });

export function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  const at = (p: number, extra = 0): number => (n + extra === 0 ? 0 : p % (n + extra));
  const join = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
  switch (m.op) {
    case 'flip':
    case 'set': {
      if (n === 0) return bytes;
      const out = new Uint8Array(bytes);
      const i = at(m.at);
      out[i] = m.op === 'flip' ? out[i]! ^ (1 << m.bit) : m.value;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, at(m.at));
    case 'extend':
      return join(bytes, m.tail);
    case 'insert': {
      const i = at(m.at, 1);
      return join(bytes.subarray(0, i), m.bytes, bytes.subarray(i));
    }
    case 'remove': {
      const i = at(m.at);
      return join(bytes.subarray(0, i), bytes.subarray(i + m.count));
    }
    case 'duplicate': {
      const i = at(m.at);
      return join(bytes.subarray(0, i + m.count), bytes.subarray(i));
    }
    case 'replace':
      return m.bytes;
  }
}

export function mutateAll(bytes: Uint8Array, list: readonly Mutation[]): Uint8Array {
  return list.reduce(mutate, bytes);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
