// Walks an LSP value along its shape (shape.ts): maps every URI site for the receiving side, collects them, or
// strips what the receiver may not use. Only the shape is followed, so the recursion depth is the shape's, never
// the input's; everything off the shape (`data`, `Command.arguments`, unknown properties) is shared untouched.
// Copies are made on change only, and never through assignment of input keys (no prototype pollution).
import type { UriMap } from '../policy/index.js';
import { isObject, type LspPermission, type ObjectShape, type PropEntry, type Shape, type Site } from './shape.js';

export type { UriMap };

/** A URI the receiver may not see, where the whole value must be refused. The message never names the URI: it
 *  may go back to a guest; `uri` is for the host's log. */
export class Refused extends Error {
  override readonly name = 'Refused';
  constructor(readonly uri: string) {
    super('the message refers to a file that is not available to its receiver');
  }
}

/** A URI site, or a container on the way to one, of the wrong type (or a required one missing). */
export class Malformed extends Error {
  override readonly name = 'Malformed';
  constructor(readonly at: string, expected: string) {
    super(`malformed LSP message: ${at} must be ${expected}`);
  }
}

const DENIED = Symbol('denied');
const REMOVE = Symbol('remove');

interface Walk {
  /** The site's new value, or null when denied; null: sites are left alone (strip). */
  readonly leaf: ((site: Site, value: string) => string | null) | null;
  readonly strict: boolean;
  /** The receiver's permissions; null: nothing is stripped (mapping). */
  readonly has: ((p: LspPermission) => boolean) | null;
  /** The last denied site, for Refused. */
  denied: string;
}

/** Where the walk is, as a chain built only on the way down and rendered only for an error: `.name` a property,
 *  `[3]` an array element, `{3}` the fourth entry of a map (never its key, which may name a file the receiver may
 *  not see). */
interface At {
  readonly parent: At | null;
  readonly key: string | number;
  readonly entry?: boolean;
}

function render(at: At | null): string {
  let out = '';
  for (let a = at; a; a = a.parent) out = (a.entry ? `{${a.key}}` : typeof a.key === 'number' ? `[${a.key}]` : a.parent ? `.${a.key}` : a.key) + out;
  return out;
}

const ROOT: At = { parent: null, key: '(value)' };
const child = (parent: At, key: string | number): At => ({ parent, key });
const malformed = (at: At, expected: string) => new Malformed(render(at), expected);

/** A pattern that may name an absolute place: a leading `/` or drive, or an absolute alternative in braces. */
const ABSOLUTE_GLOB = /^\/|^[A-Za-z]:[\\/]|[{,]\s*\//;

const LEAVES: Record<Site, (map: UriMap, value: string) => string | null> = {
  uri: (map, value) => map.uri(value),
  glob: (map, value) => (ABSOLUTE_GLOB.test(value) ? map.glob(value) : value),
  path: (map, value) => map.path?.(value) ?? null,
};

type Visit<K extends Shape['kind']> = (shape: Extract<Shape, { kind: K }>, value: unknown, w: Walk, at: At) => unknown;

const visitSite: Visit<'site'> = (shape, value, w, at) => {
  if (typeof value !== 'string') throw malformed(at, `a ${shape.site} string`);
  if (!w.leaf) return value;
  const out = w.leaf(shape.site, value);
  if (out !== null) return out;
  if (w.strict) throw new Refused(value);
  w.denied = value;
  return DENIED;
};

function propsOf(shape: ObjectShape, value: Record<string, unknown>): readonly PropEntry[] {
  const dep = shape.dependent;
  if (!dep) return shape.props;
  const depShape = dep.shape(Object.hasOwn(value, dep.on) ? value[dep.on] : undefined);
  return depShape ? [...shape.props, { name: dep.prop, shape: depShape, optional: true, denied: 'propagate' }] : shape.props;
}

const visitObject: Visit<'object'> = (shape, value, w, at) => {
  if (!isObject(value)) throw malformed(at, 'an object');
  let copy: Record<string, unknown> | null = null;
  let removed = false;
  for (const prop of propsOf(shape, value)) {
    const current = Object.hasOwn(value, prop.name) ? value[prop.name] : undefined;
    if (current === undefined || (current === null && prop.optional)) {
      if (current === undefined && !prop.optional) throw malformed(child(at, prop.name), 'present');
      continue;
    }
    const out = visit(prop.shape, current, w, child(at, prop.name));
    if (out === current) continue;
    if (out === DENIED && prop.denied === 'propagate') return DENIED;
    copy ??= { ...value };
    if (out === DENIED || out === REMOVE) {
      delete copy[prop.name];
      removed ||= shape.keepIfAny?.props.includes(prop.name) ?? false;
    } else {
      copy[prop.name] = out;
    }
  }
  const result = copy ?? value;
  const inList = typeof at.key === 'number' && !at.entry;
  return shape.keepIfAny && inList && emptied(shape.keepIfAny, result, removed, w) ? REMOVE : result;
};

/** In a list, strip drops an object left with none of `keep` (see ObjectShape.keepIfAny). */
function emptied(keep: NonNullable<ObjectShape['keepIfAny']>, value: Record<string, unknown>, removed: boolean, w: Walk): boolean {
  if (!w.has || keep.props.some((name) => value[name] !== undefined && value[name] !== null)) return false;
  return removed || !keep.needs.some(w.has);
}

const visitArray: Visit<'array'> = (shape, value, w, at) => {
  if (!Array.isArray(value)) throw malformed(at, 'an array');
  let copy: unknown[] | null = null;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    const out = visit(shape.element, item, w, child(at, i));
    if (out === DENIED && shape.denied === 'propagate') return DENIED;
    if (out === item && copy === null) continue;
    copy ??= value.slice(0, i);
    if (out !== DENIED && out !== REMOVE) copy.push(out);
  }
  return copy ?? value;
};

const URI_KEY: Shape = { kind: 'site', site: 'uri' };

const visitMap: Visit<'map'> = (shape, value, w, at) => {
  if (!isObject(value)) throw malformed(at, 'an object');
  let changed = false;
  const entries: [string, unknown][] = [];
  for (const [index, key] of Object.keys(value).entries()) {
    const here: At = { parent: at, key: index, entry: true };
    const newKey = shape.uriKeys ? visit(URI_KEY, key, w, here) : key;
    const item = value[key];
    const out = newKey === DENIED || !shape.value ? item : visit(shape.value, item, w, here);
    if ((newKey === DENIED || out === DENIED) && shape.denied === 'propagate') return DENIED;
    if (newKey === DENIED || out === DENIED || out === REMOVE) { changed = true; continue; }
    changed ||= newKey !== key || out !== item;
    entries.push([newKey as string, out]);
  }
  if (!changed) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    // Two keys that name one file on the receiver's side would merge their values: refuse rather than lose one.
    if (Object.hasOwn(copy, key)) throw malformed(at, 'keyed by distinct files');
    Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return copy;
};

const visitUnion: Visit<'union'> = (shape, value, w, at) => {
  const branch = shape.branches.find((b) => b.when(value));
  if (!branch) throw malformed(at, 'one of the types the protocol allows here');
  return branch.shape ? visit(branch.shape, value, w, at) : value;
};

const visitNullable: Visit<'nullable'> = (shape, value, w, at) => {
  if (value === null) return null;
  const out = visit(shape.shape, value, w, at);
  return out === DENIED && shape.denied === 'null' ? null : out;
};

const visitNeeds: Visit<'needs'> = (shape, value, w, at) => {
  if (w.has && !w.has(shape.permission)) return REMOVE;
  return shape.shape ? visit(shape.shape, value, w, at) : value;
};

const VISITS: { readonly [K in Shape['kind']]: Visit<K> } = {
  site: visitSite, object: visitObject, array: visitArray, map: visitMap, union: visitUnion, nullable: visitNullable, needs: visitNeeds,
};

function visit(shape: Shape, value: unknown, w: Walk, at: At): unknown {
  return (VISITS[shape.kind] as Visit<Shape['kind']>)(shape, value, w, at);
}

function run(shape: Shape | null, value: unknown, w: Walk): unknown {
  if (!shape) return value;
  const out = visit(shape, value, w, ROOT);
  if (out === DENIED) throw new Refused(w.denied);
  return out === REMOVE ? null : out;
}

/** A copy of `value` with every URI site mapped (never mutates the input; untouched subtrees are shared, so `data`
 *  and `Command.arguments` pass through by identity). 'strict': any denied site throws Refused (a guest's params).
 *  'filter': a denied element is dropped from its list, a denied single Location becomes null, a denied optional
 *  link is left out, and anything else denied (a WorkspaceEdit, a notification's own document) throws Refused. */
export function mapUris(shape: Shape | null, value: unknown, map: UriMap, mode: 'strict' | 'filter'): unknown {
  return run(shape, value, { leaf: (site, v) => LEAVES[site](map, v), strict: mode === 'strict', has: null, denied: '' });
}

/** Every URI in the value, once each, in order (to materialise files before mapping, on the guest's side). */
export function collectUris(shape: Shape | null, value: unknown): string[] {
  const found = new Set<string>();
  run(shape, value, { leaf: (site, v) => { if (site === 'uri') found.add(v); return v; }, strict: true, has: null, denied: '' });
  return [...found];
}

/** A copy without what the receiver may not use: without lsp.commands, Command objects in lists are dropped and
 *  `command` properties removed; without files.write, CodeAction.edit and InlayHint.textEdits are removed; in a
 *  list, a code action left with neither edit nor command is dropped. */
export function strip(shape: Shape | null, value: unknown, has: (p: LspPermission) => boolean): unknown {
  return run(shape, value, { leaf: null, strict: true, has, denied: '' });
}
