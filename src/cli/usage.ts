// Argument parsing shared by the commands: node:util parseArgs, with its errors turned into usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: reported with exit code 2. */
export class UsageError extends Error {}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
