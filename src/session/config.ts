// The host's configuration file (schemas/lspair.schema.json, where every default lives), and how command-line
// flags override it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as shellWords } from 'shell-quote';
import { configDir } from '../crypto/index.js';
import { ConfigError, compileSchema, parseJsonFile, readHostFile, schemaFault } from '../json-file.js';
import { trustedGuestsPath } from './trusted.js';

export { ConfigError } from '../json-file.js';

export type AnonymousGuestApproval = 'prompt' | 'accept' | 'reject';

export interface ServerConfig {
  readonly command: string;
  readonly args: readonly string[];
  readonly languages: readonly string[];
  readonly filePatterns: readonly string[];
  /** Absent unless configured: an empty object is not the same request as none. */
  readonly initializationOptions?: Readonly<Record<string, unknown>>;
  readonly settings?: Readonly<Record<string, unknown>>;
}

export interface AdapterConfig {
  readonly command: string;
  readonly args: readonly string[];
}

export interface HostConfig {
  readonly guestApprovalRequired: boolean;
  readonly anonymousGuestApproval: AnonymousGuestApproval;
  readonly readOnly: boolean;
  readonly allowGuestCommandControl: boolean;
  readonly shareExternalFiles: boolean;
  /** A relative path in the file is resolved against the file's folder. */
  readonly trustedGuestsFile: string;
  readonly listen?: string;
  readonly relay?: string;
  readonly servers: Readonly<Record<string, ServerConfig>>;
  readonly adapters: Readonly<Record<string, AdapterConfig>>;
}

/** What flags may override; an undefined value (a flag not given) leaves the setting alone. */
export type ConfigOverrides = { readonly [K in keyof HostConfig]?: HostConfig[K] | undefined };

type FileConfig = Omit<HostConfig, 'trustedGuestsFile'> & { readonly $schema?: string; readonly trustedGuestsFile?: string };

const validate = compileSchema('lspair.schema.json');
const WHAT = 'lspair config';

/** A schema-valid value (with the schema's defaults filled in) as a HostConfig. */
function toHostConfig({ $schema: _, trustedGuestsFile, ...settings }: FileConfig, base: string | undefined, env: NodeJS.ProcessEnv): HostConfig {
  const trusted = trustedGuestsFile === undefined ? trustedGuestsPath(env) : resolve(base ?? '', trustedGuestsFile);
  return { ...settings, trustedGuestsFile: trusted };
}

/** Every setting at its default. */
export function defaultConfig(env: NodeJS.ProcessEnv = process.env): HostConfig {
  const value = {};
  validate(value);
  return toHostConfig(value as FileConfig, undefined, env);
}

/** The config in `text`; `file` names it in errors and anchors a relative trustedGuestsFile. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): HostConfig {
  return toHostConfig(parseJsonFile<FileConfig>(text, file, validate, WHAT).value, dirname(file), env);
}

/** Reads a config file; missing, unsafe (see readHostFile) or invalid is a ConfigError. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): HostConfig {
  const text = readHostFile(file);
  if (text === undefined) throw new ConfigError(file, 'no such file');
  return parseConfig(text, file, env);
}

/** `base` with every defined override applied; servers and adapters are replaced by name. Checked (and defaulted) like a file. */
export function mergeConfig(base: HostConfig, overrides: ConfigOverrides): HostConfig {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const merged = structuredClone({ ...base, ...given, servers: { ...base.servers, ...overrides.servers }, adapters: { ...base.adapters, ...overrides.adapters } });
  const fault = schemaFault(validate, merged, 'setting');
  if (fault) throw new ConfigError('command line', fault.reason);
  return merged;
}

/** The config read when no --config is given (if it exists): $XDG_CONFIG_HOME/lspair/config.json. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json');
}

/** --config FILE, else the default file when there is one, else every default. */
export function loadHostConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): { config: HostConfig; file: string | null } {
  const chosen = file !== undefined ? resolve(file) : existsSync(defaultConfigPath(env)) ? defaultConfigPath(env) : null;
  return { config: chosen === null ? defaultConfig(env) : loadConfig(chosen, env), file: chosen };
}

/**
 * `NAME=COMMAND ARG…` (of --server and --adapter) split into words as a shell would: quotes, escapes and
 * $VARIABLES from our environment; no shell runs, so operators (;, |, &&, >) and globs are refused.
 */
export function parseCommandSpec(spec: string, flag: string, env: NodeJS.ProcessEnv = process.env): { name: string; command: string; args: string[] } {
  const eq = spec.indexOf('=');
  const name = spec.slice(0, Math.max(0, eq));
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new ConfigError(flag, `expected NAME=COMMAND ARG…, e.g. ${flag} 'py=pyright-langserver --stdio' (NAME: letters, digits, . _ -), not '${spec}'`);
  const words = shellWords(spec.slice(eq + 1), (key) => env[key] ?? '');
  const bad = words.find((w) => typeof w !== 'string');
  if (bad !== undefined) throw new ConfigError(flag, `'${spec}': no shell runs the command, so '${'op' in bad ? bad.op === 'glob' ? bad.pattern : bad.op : 'comment'}' cannot be used (quote it to pass it as is)`);
  const [command, ...args] = words as string[];
  if (command === undefined || command === '') throw new ConfigError(flag, `'${spec}' names no command`);
  return { name, command, args };
}
