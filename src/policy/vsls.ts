// Loading one .vsls.json: strict JSON (no comments, no trailing commas, no duplicate keys), validated against
// schemas/vsls.schema.json. Any fault is returned as an error with its line and column, never thrown: the
// caller fails closed (the folder is excluded).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import type * as Jsonc from 'jsonc-parser';
import { toBytes } from './bytes.js';
import { compileLine, type Line } from './ignorefile.js';

export type GitignoreMode = 'hide' | 'exclude' | 'none';

export interface VslsConfig {
  readonly gitignore: GitignoreMode | undefined;
  readonly exclude: Line[];
  readonly hide: Line[];
}

export interface PolicyError {
  /** The file, relative to the shared root. */
  readonly source: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

// jsonc-parser ships UMD for require and ESM without a default export: require it, the same under every loader.
const jsonc = createRequire(import.meta.url)('jsonc-parser') as typeof Jsonc;
const schema = JSON.parse(readFileSync(new URL('../../schemas/vsls.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: false, strict: true }).compile(schema);

type Result = { config: VslsConfig } | { error: PolicyError };

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function fault(source: string, text: string, offset: number, message: string): { error: PolicyError } {
  return { error: { source, ...position(text, offset), message } };
}

function duplicateKey(node: Jsonc.Node): Jsonc.Node | undefined {
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const property of node.children ?? []) {
      const key = property.children?.[0];
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

function parse(text: string, source: string): { tree: Jsonc.Node; value: unknown } | { error: PolicyError } {
  const errors: Jsonc.ParseError[] = [];
  const tree = jsonc.parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first || !tree) return fault(source, text, first?.offset ?? 0, `invalid JSON: ${first ? jsonc.printParseErrorCode(first.error) : 'empty file'}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const at = /position (\d+)/.exec(String(err))?.[1];
    return fault(source, text, Number(at ?? 0), `invalid JSON: ${(err as Error).message}`);
  }
  const duplicate = duplicateKey(tree);
  if (duplicate) return fault(source, text, duplicate.offset, `duplicate key ${JSON.stringify(duplicate.value)}`);
  return { tree, value };
}

function patterns(text: string, tree: Jsonc.Node, key: string): Line[] {
  const lines: Line[] = [];
  for (const node of jsonc.findNodeAtLocation(tree, [key])?.children ?? []) {
    const pattern = compileLine(toBytes(String(node.value)));
    if (pattern) lines.push({ line: position(text, node.offset).line, pattern });
  }
  return lines;
}

/** Parse the text of a .vsls.json (`source` names it in errors and rules). */
export function parseVsls(text: string, source: string): Result {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const parsed = parse(body, source);
  if ('error' in parsed) return parsed;
  if (!validate(parsed.value)) {
    const problem = validate.errors?.[0];
    const path = (problem?.instancePath ?? '').split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    if (problem?.keyword === 'additionalProperties') path.push(String(problem.params.additionalProperty));
    const node = jsonc.findNodeAtLocation(parsed.tree, path);
    const where = problem?.instancePath || '(top level)';
    const detail = problem?.keyword === 'additionalProperties' ? `unknown property ${JSON.stringify(problem.params.additionalProperty)}` : problem?.message ?? 'invalid';
    return fault(source, body, node?.offset ?? 0, `does not match the .vsls.json schema at ${where}: ${detail}`);
  }
  const { gitignore } = parsed.value as { gitignore?: GitignoreMode };
  return {
    config: {
      gitignore,
      exclude: patterns(body, parsed.tree, 'excludeFiles'),
      hide: patterns(body, parsed.tree, 'hideFiles'),
    },
  };
}
