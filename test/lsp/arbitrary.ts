// Test plumbing (no tests here): fast-check values for a shape — mostly well-formed, with hostile parts mixed in:
// wrong types, `__proto__` and `constructor` keys, URIs of every kind, absolute and relative globs, registrations
// for known and unknown methods. Objects are built the way JSON.parse builds them (own data properties only).
import fc from 'fast-check';
import { registeredBy, registrationOptionsFor } from '../../src/lsp/methods.js';
import type { Shape } from '../../src/lsp/shape.js';

export const URIS = [
  'file:///host/proj/src/a.ts', 'file:///host/proj/src/b.ts', 'file:///host/proj/secret/key.pem', 'file:///etc/passwd',
  'file:///host/proj/src/%2e%2e/secret/key.pem', 'https://example.com/docs', 'untitled:Untitled-1', '', '__proto__', 'constructor',
];
export const GLOBS = ['**/*.ts', '/host/proj/**/*.ts', '/host/proj/secret/**', '/etc/**', '{/host/proj/a,/etc}/**', 'C:/x/**', '**'];
const KEYS = ['__proto__', 'constructor', 'toString', 'data', 'arguments', 'uri', 'x'];
const REGISTERED = ['workspace/didChangeWatchedFiles', 'textDocument/definition', 'textDocument/semanticTokens', 'notebookDocument/sync',
  'workspace/didCreateFiles', 'workspace/executeCommand', 'x/unknown', '__proto__'].filter((m) => m.startsWith('x/') || m === '__proto__' || registeredBy(m).length > 0);

const junk: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 });
const uriString = fc.oneof(fc.constantFrom(...URIS), fc.string({ maxLength: 12 }));
const SITES = {
  uri: uriString,
  glob: fc.oneof(fc.constantFrom(...GLOBS), fc.string({ maxLength: 12 })),
  path: fc.constantFrom('/host/proj', '/etc', 'relative'),
};

/** An object with exactly these own properties, defined as JSON.parse would (a `__proto__` key is an own property). */
export function plain(entries: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Discriminating properties that a union's guards look for (`kind: 'create'`, a Command's string `command`). */
const DISCRIMINATORS: readonly (readonly [string, unknown])[] = [
  ...['full', 'unchanged', 'create', 'rename', 'delete'].map((kind) => ['kind', kind] as const), ['command', 'cmd'],
];

/** `value`, with the discriminating property its branch's guard wants when it lacks one (else as it is). */
function discriminated(value: unknown, when: (v: unknown) => boolean): unknown {
  if (when(value) || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const fixes = DISCRIMINATORS.map((d) => plain([...Object.entries(value), d]));
  return fixes.find(when) ?? value;
}

/** Values for `shape`: one in ten is junk of any type, which the walker must refuse as Malformed or pass. */
export function valueFor(shape: Shape | null | undefined): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 9, arbitrary: wellFormed(shape) }, { weight: 1, arbitrary: junk });
}

function wellFormed(shape: Shape | null | undefined): fc.Arbitrary<unknown> {
  if (!shape) return junk;
  switch (shape.kind) {
    case 'site': return SITES[shape.site];
    case 'array': return fc.array(valueFor(shape.element), { maxLength: 4 });
    case 'map': return fc.array(fc.tuple(shape.uriKeys ? uriString : fc.string({ maxLength: 6 }), valueFor(shape.value)), { maxLength: 3 }).map(plain);
    case 'union': return fc.oneof(...shape.branches.map((b) => wellFormed(b.shape).map((v) => discriminated(v, b.when))));
    case 'nullable': return fc.oneof(fc.constant(null), valueFor(shape.shape));
    case 'needs': return wellFormed(shape.shape ?? null);
    case 'object': {
      const props = shape.props.map((p) => (p.optional ? fc.option(valueFor(p.shape), { nil: undefined }) : valueFor(p.shape)).map((v) => [p.name, v] as const));
      const extra = fc.array(fc.tuple(fc.constantFrom(...KEYS), junk), { maxLength: 2 });
      const dependent = shape.dependent
        ? fc.constantFrom(...REGISTERED).chain((method) => valueFor(registrationOptionsFor(method)).map((v) => [[shape.dependent!.on, method], [shape.dependent!.prop, v]] as const))
        : fc.constant([] as const);
      return fc.tuple(extra, fc.tuple(...props), dependent).map(([x, p, d]) => plain([...x, ...p, ...d].filter(([, v]) => v !== undefined)));
    }
  }
}
