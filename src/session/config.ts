// The host's configuration file (schemas/lspair.schema.json, where every default lives), and how command-line
// flags override it.
import { dirname, resolve } from 'node:path';
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
