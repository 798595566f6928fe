// lspair's JSON files (.vsls.json, the host config, trusted guests): strict JSON (no comments, no trailing
// commas, no duplicate keys), validated against a schema in schemas/; the host's own files are read only when
// no other user can have written them.
// Every fault is a ConfigError naming the file and, when it comes from the text, the line and column.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type * as Jsonc from 'jsonc-parser';

export interface Position {
  readonly line: number;
  readonly column: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly file: string, readonly reason: string, readonly position?: Position) {
    super(position ? `${file}:${position.line}:${position.column}: ${reason}` : `${file}: ${reason}`);
  }
}

/** A parsed, schema-valid file: its value, and its syntax tree to place later (semantic) faults. */
export interface JsonDocument<T> {
  readonly file: string;
  readonly text: string;
  readonly tree: Jsonc.Node;
  readonly value: T;
}

// jsonc-parser ships UMD for require and ESM without a default export: require it, the same under every loader.
const jsonc = createRequire(import.meta.url)('jsonc-parser') as typeof Jsonc;
// useDefaults: the schema's `default`s are the one place defaults live. allErrors: to pick the telling error.
const withDefaults = new Ajv({ strict: true, useDefaults: true, verbose: true, allErrors: true });
// Where an absent key means "inherit from above" (.vsls.json), a schema's defaults are documentation only.
const asWritten = new Ajv({ strict: true, verbose: true, allErrors: true });

/** Compiles schemas/NAME (NAME like "lspair.schema.json"); `defaults: false` leaves absent keys absent. */
export function compileSchema(name: string, options: { defaults?: boolean } = {}): ValidateFunction {
  return (options.defaults === false ? asWritten : withDefaults).compile(JSON.parse(readFileSync(new URL(`../schemas/${name}`, import.meta.url), 'utf8')));
}

/** 1-based line and column (in UTF-16 code units) of an offset. */
export function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  return { line, column: before.length - before.lastIndexOf('\n') };
}

/** A schema or semantic fault: what is wrong with the value at `path` (or with its key, when the name is at fault). */
export interface Fault {
  readonly path: Jsonc.JSONPath;
  readonly atKey?: boolean;
  readonly reason: string;
}

/** The error for a fault in a parsed file (placed at the file's start when the path names no node). */
export function faultAt(doc: JsonDocument<unknown>, { path, atKey, reason }: Fault): ConfigError {
  const node = jsonc.findNodeAtLocation(doc.tree, path);
  const at = atKey ? node?.parent : node; // a property node starts at its key
  return new ConfigError(doc.file, reason, positionOf(doc.text, at?.offset ?? 0));
}

/** The line of each element of the array (or member of the object) at `path`, in order. */
export function childLines(doc: JsonDocument<unknown>, path: Jsonc.JSONPath): number[] {
  const node = jsonc.findNodeAtLocation(doc.tree, path);
  return (node?.children ?? []).map((child) => positionOf(doc.text, child.offset).line);
}

function duplicateKey(node: Jsonc.Node): Jsonc.Node | undefined {
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const key of (node.children ?? []).map((property) => property.children?.[0])) {
      if (key && seen.has(String(key.value))) return key;
      if (key) seen.add(String(key.value));
    }
  }
  for (const child of node.children ?? []) {
    const found = duplicateKey(child);
    if (found) return found;
  }
  return undefined;
}

function syntax(text: string, file: string): { tree: Jsonc.Node; value: unknown } {
  const errors: Jsonc.ParseError[] = [];
  const tree = jsonc.parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first || !tree) {
    const reason = first ? `invalid JSON: ${jsonc.printParseErrorCode(first.error)}` : 'invalid JSON: empty file';
    throw new ConfigError(file, reason, positionOf(text, first?.offset ?? 0));
  }
  let value: unknown;
  try {
    value = JSON.parse(text); // a backstop: what jsonc-parser tolerates, JSON does not; and no prototype games
  } catch (error) {
    const at = /position (\d+)/.exec(String(error))?.[1];
    throw new ConfigError(file, `invalid JSON: ${(error as Error).message}`, positionOf(text, Number(at ?? 0)));
  }
  const duplicate = duplicateKey(tree);
  if (duplicate) throw new ConfigError(file, `duplicate key ${JSON.stringify(duplicate.value)}`, positionOf(text, duplicate.offset));
  return { tree, value };
}

/** JSON-pointer segments as a jsonc path. */
function pathOf(pointer: string): Jsonc.JSONPath {
  return pointer.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
}

function known(problem: ErrorObject): string[] {
  return Object.keys((problem.parentSchema as { properties?: object } | undefined)?.properties ?? {});
}

/** How a schema error is said, where Ajv's words would not tell the user what is allowed. */
const DETAILS: Partial<Record<string, (problem: ErrorObject) => string>> = {
  enum: (p) => `${p.message}: ${(p.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
  pattern: (p) => `${JSON.stringify(p.data)} is not valid here (${(p.parentSchema as { description?: string }).description ?? `must match ${p.params.pattern}`})`,
};

/** Where to point and what to say for a schema error. */
function explain(problem: ErrorObject): Fault {
  const path = pathOf(problem.instancePath);
  const where = problem.instancePath ? `at ${problem.instancePath}` : 'at the top level';
  if (problem.keyword === 'additionalProperties') {
    const name = String(problem.params.additionalProperty);
    const like = known(problem).find((k) => k.toLowerCase() === name.toLowerCase());
    return { path: [...path, name], atKey: true, reason: `unknown property ${JSON.stringify(name)} ${where}${like ? ` (did you mean ${JSON.stringify(like)}?)` : ''}` };
  }
  if (problem.propertyName !== undefined) {
    return { path: [...path, problem.propertyName], atKey: true, reason: `invalid name ${JSON.stringify(problem.propertyName)} ${where}: ${problem.message ?? 'invalid'}` };
  }
  return { path, reason: `${where}: ${DETAILS[problem.keyword]?.(problem) ?? problem.message ?? 'invalid'}` };
}

/** Checks a value against a compiled schema (filling in its defaults); `what` names the kind of value in errors. */
export function schemaFault(validate: ValidateFunction, value: unknown, what: string): Fault | undefined {
  if (validate(value)) return undefined;
  // A misspelt key also makes a required one missing: the unknown name says more.
  const errors = validate.errors!;
  const fault = explain(errors.find((e) => e.keyword === 'additionalProperties') ?? errors[0]!);
  return { ...fault, reason: `not a valid ${what}: ${fault.reason}` };
}

/** Parses and validates the text of a file; `what` names the kind of file in errors ("lspair config"). */
export function parseJsonFile<T>(text: string, file: string, validate: ValidateFunction, what: string): JsonDocument<T> {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const { tree, value } = syntax(body, file);
  const doc: JsonDocument<T> = { file, text: body, tree, value: value as T };
  const fault = schemaFault(validate, value, what);
  if (fault) throw faultAt(doc, fault);
  return doc;
}

/**
 * Reads a host file that decides who gets in and what runs: refused unless it is a regular file owned by this
 * user (or root) and writable by nobody else, since whoever can write it controls the host. `undefined` when
 * it does not exist.
 */
export function readHostFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(file, (error as Error).message);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ConfigError(file, 'not a regular file');
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid && stat.uid !== 0) throw new ConfigError(file, `owned by another user (uid ${stat.uid}); refusing to trust it`);
    const mode = (stat.mode & 0o777).toString(8);
    if (stat.mode & 0o022) throw new ConfigError(file, `writable by group or others (mode ${mode}); refusing to trust it: run chmod go-w on it`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
