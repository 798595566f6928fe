// Loading one .vsls.json: strict JSON (no comments, no trailing commas, no duplicate keys), validated against
// schemas/vsls.schema.json. Any fault is returned as an error with its line and column, never thrown: the
// caller fails closed (the folder is excluded).
import { childLines, compileSchema, ConfigError, parseJsonFile, type JsonDocument } from '../json-file.js';
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

const validate = compileSchema('vsls.schema.json', { defaults: false }); // an absent gitignore is inherited

type Result = { config: VslsConfig } | { error: PolicyError };

interface VslsFile {
  readonly gitignore?: GitignoreMode;
  readonly excludeFiles?: string[];
  readonly hideFiles?: string[];
}

function patterns(doc: JsonDocument<VslsFile>, key: 'excludeFiles' | 'hideFiles'): Line[] {
  const lines = childLines(doc, [key]);
  const compiled: Line[] = [];
  (doc.value[key] ?? []).forEach((text, i) => {
    const pattern = compileLine(toBytes(text));
    if (pattern) compiled.push({ line: lines[i]!, pattern });
  });
  return compiled;
}

/** Parse the text of a .vsls.json (`source` names it in errors and rules). */
export function parseVsls(text: string, source: string): Result {
  let doc: JsonDocument<VslsFile>;
  try {
    doc = parseJsonFile<VslsFile>(text, source, validate, '.vsls.json');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { error: { source, line: error.position?.line ?? 0, column: error.position?.column ?? 0, message: error.reason } };
  }
  return { config: { gitignore: doc.value.gitignore, exclude: patterns(doc, 'excludeFiles'), hide: patterns(doc, 'hideFiles') } };
}
