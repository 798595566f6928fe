// A small declarative language that says where, in an LSP value, URIs (and globs and paths) live, what to do
// when one is denied to the receiver, and which parts need a permission. Only the parts of a value that lead to
// such a site are described; everything else (ranges, `data`, `Command.arguments`…) is not followed at all.

export type LspPermission = 'files.write' | 'lsp.commands';

/** A string that names a place: a URI, an absolute glob, or a plain path (InitializeParams.rootPath). */
export type Site = 'uri' | 'glob' | 'path';

/** Tells a union's branches apart at run time, by the type of the value or the keys it has. */
export type Guard = (value: unknown) => boolean;

export type Shape =
  | { readonly kind: 'site'; readonly site: Site }
  | ObjectShape
  /** `drop`: an element that is denied (or whose own URI is) is left out; `propagate`: the whole array is. */
  | { readonly kind: 'array'; readonly element: Shape; readonly denied: 'propagate' | 'drop' }
  /** An object used as a map. `uriKeys`: its keys are URIs. `drop`: an entry denied by key or value is left out. */
  | { readonly kind: 'map'; readonly uriKeys: boolean; readonly value: Shape | null; readonly denied: 'propagate' | 'drop' }
  /** The first branch whose guard accepts the value describes it; a null shape has no sites. No match: malformed. */
  | { readonly kind: 'union'; readonly branches: readonly Branch[] }
  /** null, or the shape. `null`: a denied value becomes null (a single Location result). */
  | { readonly kind: 'nullable'; readonly shape: Shape; readonly denied: 'propagate' | 'null' }
  /** A part that a receiver without `permission` must not get (strip removes it; a list drops it). */
  | { readonly kind: 'needs'; readonly permission: LspPermission; readonly shape: Shape | null };

export interface ObjectShape {
  readonly kind: 'object';
  readonly name: string;
  readonly props: readonly PropEntry[];
  /** A property whose shape depends on a sibling (Registration.registerOptions on `method`). */
  readonly dependent?: Dependent;
  /** In a list, strip drops the object when none of these properties is left (a code action with neither edit nor
   *  command): when strip removed one of them, or when the receiver holds none of the permissions they need. */
  readonly keepIfAny?: { readonly props: readonly string[]; readonly needs: readonly LspPermission[] };
}

export interface Prop {
  readonly shape: Shape;
  readonly optional: boolean;
  /** `omit`: a denied value removes the property (InlayHintLabelPart.location); `propagate`: denies the object. */
  readonly denied: 'propagate' | 'omit';
}

export interface PropEntry extends Prop {
  readonly name: string;
}

export interface Dependent {
  readonly prop: string;
  readonly on: string;
  readonly shape: (sibling: unknown) => Shape | null | undefined;
}

export interface Branch {
  readonly when: Guard;
  readonly shape: Shape | null;
}

export const uri: Shape = { kind: 'site', site: 'uri' };
export const glob: Shape = { kind: 'site', site: 'glob' };
export const path: Shape = { kind: 'site', site: 'path' };

export const isString: Guard = (v) => typeof v === 'string';
export const isArray: Guard = (v) => Array.isArray(v);
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const always: Guard = () => true;
/** An object with its own property `key`. */
export const has = (key: string): Guard => (v) => isObject(v) && Object.hasOwn(v, key);
/** An object whose own property `key` is `value` (a discriminating literal such as `kind: 'create'`). */
export const keyIs = (key: string, value: unknown): Guard => (v) => isObject(v) && Object.hasOwn(v, key) && v[key] === value;
/** An object whose own property `key` is a string (a Command, not a CodeAction with a `command` object). */
export const stringAt = (key: string): Guard => (v) => isObject(v) && Object.hasOwn(v, key) && typeof v[key] === 'string';

/** A required property. */
export const req = (shape: Shape): Prop => ({ shape, optional: false, denied: 'propagate' });
/** An optional property (absent or null). */
export const opt = (shape: Shape): Prop => ({ shape, optional: true, denied: 'propagate' });
/** An optional property that is left out when it is denied, the object being kept. */
export const omit = (shape: Shape): Prop => ({ shape, optional: true, denied: 'omit' });

/** An object shape; a bare shape as a property value means a required property. */
export function obj(name: string, props: Readonly<Record<string, Prop | Shape>>, more: { dependent?: Dependent; keepIfAny?: readonly string[] } = {}): ObjectShape {
  const entries = Object.entries(props).map(([key, p]): PropEntry => ({ name: key, ...('kind' in p ? req(p) : p) }));
  const shape: { -readonly [K in keyof ObjectShape]: ObjectShape[K] } = { kind: 'object', name, props: entries };
  if (more.dependent) shape.dependent = more.dependent;
  if (more.keepIfAny) {
    const needs = entries.filter((e) => more.keepIfAny!.includes(e.name)).flatMap((e) => (e.shape.kind === 'needs' ? [e.shape.permission] : []));
    shape.keepIfAny = { props: more.keepIfAny, needs };
  }
  return shape;
}

/** `base` with more properties (a structure that extends another). */
export function extend(base: ObjectShape, name: string, props: Readonly<Record<string, Prop | Shape>>): ObjectShape {
  const more = obj(name, props);
  return { ...base, name, props: [...base.props.filter((p) => !more.props.some((m) => m.name === p.name)), ...more.props] };
}

export const arr = (element: Shape, denied: 'propagate' | 'drop' = 'propagate'): Shape => ({ kind: 'array', element, denied });
/** A map keyed by URIs (WorkspaceEdit.changes, relatedDocuments). */
export const uriMap = (value: Shape | null, denied: 'propagate' | 'drop'): Shape => ({ kind: 'map', uriKeys: true, value, denied });
export const union = (...branches: readonly (readonly [Guard, Shape | null])[]): Shape => ({ kind: 'union', branches: branches.map(([when, shape]) => ({ when, shape })) });
export const nullable = (shape: Shape, denied: 'propagate' | 'null' = 'propagate'): Shape => ({ kind: 'nullable', shape, denied });
export const needs = (permission: LspPermission, shape: Shape | null): Shape => ({ kind: 'needs', permission, shape });
