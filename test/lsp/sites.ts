// Test plumbing (no tests here): the sites of a method's params or result, computed twice, independently — from
// the LSP metaModel's types and from the method table's shapes — as sorted lists of `kind:path` strings, e.g.
// `uri:.textDocument.uri`, `uri:[].targetUri`, `uri:.changes{key}`, `glob:.watchers[].globPattern`,
// `command:.items[].command`. Paths: `.name` a property, `[]` an array element, `{key}` a map key, `{}` a map value.
import { readFileSync } from 'node:fs';
import type { Shape } from '../../src/lsp/shape.js';

export interface ModelType {
  readonly kind: string;
  readonly name?: string;
  readonly element?: ModelType;
  readonly key?: ModelType;
  readonly value?: ModelType | { properties: ModelProperty[] };
  readonly items?: ModelType[];
}
interface ModelProperty { readonly name: string; readonly type: ModelType; readonly optional?: boolean }
interface ModelStructure { readonly name: string; readonly properties: ModelProperty[]; readonly extends?: ModelType[]; readonly mixins?: ModelType[] }
export interface ModelMessage {
  readonly method: string;
  readonly messageDirection: 'clientToServer' | 'serverToClient' | 'both';
  readonly params?: ModelType;
  readonly result?: ModelType;
  readonly partialResult?: ModelType;
  readonly registrationOptions?: ModelType;
  readonly registrationMethod?: string;
}
export interface MetaModel {
  readonly requests: ModelMessage[];
  readonly notifications: ModelMessage[];
  readonly structures: ModelStructure[];
  readonly typeAliases: { name: string; type: ModelType }[];
  readonly enumerations: { name: string }[];
}

export const MODEL: MetaModel = JSON.parse(readFileSync(new URL('../../fixtures/lsp/lsp-3.17-metaModel.json', import.meta.url), 'utf8'));

/** Where the model's types alone do not say what a string is (or say LSPAny), by `Owner.property`: the owner is the
 *  structure that declares the property, or the type alias whose literal holds it. null: not a site. */
const PROPERTY_SITES: Record<string, string | null> = {
  // File operations type their file URIs as plain strings.
  'FileCreate.uri': 'uri',
  'FileRename.oldUri': 'uri',
  'FileRename.newUri': 'uri',
  'FileDelete.uri': 'uri',
  // A path, not a URI.
  '_InitializeParams.rootPath': 'path',
  // Globs, matched against paths: an absolute one names a place.
  'TextDocumentFilter.pattern': 'glob',
  'NotebookDocumentFilter.pattern': 'glob',
  'FileOperationPattern.glob': 'glob',
  // Relative to its baseUri (the site): never a place by itself.
  'RelativePattern.pattern': null,
  // LSPAny in the model; its shape depends on the sibling `method`.
  'Registration.registerOptions': 'registerOptions',
};
/** Type names that are sites wherever they are used. `Pattern` is the string form of a GlobPattern. */
const TYPE_SITES: Record<string, string> = { DocumentUri: 'uri', URI: 'uri', Pattern: 'glob', Command: 'command' };

const structures = new Map(MODEL.structures.map((s) => [s.name, s]));
const aliases = new Map(MODEL.typeAliases.map((a) => [a.name, a]));

/** A structure's properties with their declaring owner, own ones overriding inherited ones. */
function propertiesOf(name: string): { owner: string; property: ModelProperty }[] {
  const s = structures.get(name)!;
  const byName = new Map<string, { owner: string; property: ModelProperty }>();
  for (const base of [...(s.extends ?? []), ...(s.mixins ?? [])]) for (const p of propertiesOf(base.name!)) byName.set(p.property.name, p);
  for (const property of s.properties) byName.set(property.name, { owner: name, property });
  return [...byName.values()];
}

function propertySites(owner: string, property: ModelProperty, path: string, stack: readonly string[]): string[] {
  const key = `${owner}.${property.name}`;
  if (key in PROPERTY_SITES) return PROPERTY_SITES[key] === null ? [] : [`${PROPERTY_SITES[key]}:${path}.${property.name}`];
  return modelSites(property.type, owner, `${path}.${property.name}`, stack);
}

/** The sites of a model type. A recursive type is followed once; it is an error for one that holds sites. */
export function modelSites(t: ModelType | undefined, owner = '', path = '', stack: readonly string[] = []): string[] {
  if (!t) return [];
  switch (t.kind) {
    case 'base':
    case 'reference': {
      const name = t.name!;
      if (name in TYPE_SITES) return [`${TYPE_SITES[name]}:${path}`];
      if (t.kind === 'base' || stack.includes(name)) return [];
      const inner = [...stack, name];
      const out = structures.has(name)
        ? propertiesOf(name).flatMap((p) => propertySites(p.owner, p.property, path, inner))
        : aliases.has(name) ? modelSites(aliases.get(name)!.type, name, path, inner) : [];
      if (out.length > 0 && recursive(name)) throw new Error(`${name} is recursive and holds sites: the table cannot describe it`);
      return out;
    }
    case 'array': return modelSites(t.element, owner, `${path}[]`, stack);
    case 'map': return [...modelSites(t.key, owner, `${path}{key}`, stack), ...modelSites(t.value as ModelType, owner, `${path}{}`, stack)];
    case 'or':
    case 'and': return t.items!.flatMap((item) => modelSites(item, owner, path, stack));
    case 'tuple': return t.items!.flatMap((item, i) => modelSites(item, owner, `${path}[${i}]`, stack));
    case 'literal': return (t.value as { properties: ModelProperty[] }).properties.flatMap((p) => propertySites(owner, p, path, stack));
    default: return [];
  }
}

/** Whether a named type refers back to itself. */
function recursive(name: string): boolean {
  const seen = new Set<string>();
  const refs = (t: ModelType | undefined): string[] => {
    if (!t) return [];
    if (t.kind === 'reference') return [t.name!];
    if (t.kind === 'literal') return (t.value as { properties: ModelProperty[] }).properties.flatMap((p) => refs(p.type));
    return [t.element, t.key, t.value as ModelType, ...(t.items ?? [])].flatMap(refs);
  };
  const next = (n: string): string[] => structures.has(n) ? propertiesOf(n).flatMap((p) => refs(p.property.type)) : refs(aliases.get(n)?.type);
  const todo = next(name);
  while (todo.length > 0) {
    const n = todo.pop()!;
    if (n === name) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    todo.push(...next(n));
  }
  return false;
}

/** The sites of a table shape. */
export function shapeSites(shape: Shape | null | undefined, path = ''): string[] {
  if (!shape) return [];
  switch (shape.kind) {
    case 'site': return [`${shape.site}:${path}`];
    case 'object': return [
      ...shape.props.flatMap((p) => shapeSites(p.shape, `${path}.${p.name}`)),
      ...(shape.dependent ? [`registerOptions:${path}.${shape.dependent.prop}`] : []),
    ];
    case 'array': return shapeSites(shape.element, `${path}[]`);
    case 'map': return [...(shape.uriKeys ? [`uri:${path}{key}`] : []), ...shapeSites(shape.value, `${path}{}`)];
    case 'union': return shape.branches.flatMap((b) => shapeSites(b.shape, path));
    case 'nullable': return shapeSites(shape.shape, path);
    case 'needs': return [...(shape.permission === 'lsp.commands' ? [`command:${path}`] : []), ...shapeSites(shape.shape, path)];
  }
}

export const sorted = (sites: readonly string[]): string[] => [...new Set(sites)].sort();
