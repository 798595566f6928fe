// Shared test plumbing (no tests here): host files with a chosen mode, and catching the ConfigError a call throws.
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { ConfigError } from '../../src/json-file.js';
import { tmpdir } from '../helpers/tmp.js';

/** Writes `text` to NAME in a fresh folder with exactly `mode` (the umask does not apply); returns its path. */
export function hostFile(name: string, text: string, mode = 0o600): string {
  const file = path.join(tmpdir('lspair-session-'), name);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

/** The ConfigError that `fn` throws (anything else fails the test). */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

/** Asserts the error sits at LINE:COLUMN of FILE and says something matching `reason`. */
export function assertAt(error: ConfigError, file: string, line: number, column: number, reason: RegExp): void {
  assert.equal({ file: error.file, ...error.position }, { file, line, column }, error.message);
  assert.match(error.reason, reason);
  assert.is(error.message, `${file}:${line}:${column}: ${error.reason}`);
}
