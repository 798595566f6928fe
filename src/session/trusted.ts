// The host's trusted-guests file (schemas/trusted-guests.schema.json): the guests it knows by public key, each
// with a name and a role. It decides who gets in, so it is refused when another user could have written it.
import { join } from 'node:path';
import { configDir } from '../crypto/index.js';
import { faultAt, compileSchema, parseJsonFile, readHostFile } from '../json-file.js';
import { grantsOf, type Grants, type Permission, type Role } from './permissions.js';

export interface TrustedGuest {
  /** Unpadded base64url of the 32-byte X25519 key, as in the file. */
  readonly publicKey: string;
  readonly name: string;
  readonly grants: Grants;
}

interface FileEntry {
  readonly publicKey: string;
  readonly name: string;
  readonly role: Role;
  readonly grants: readonly Permission[];
}

/** Known guests by public key. */
export class TrustedGuests implements Iterable<TrustedGuest> {
  static readonly none = new TrustedGuests([]);
  readonly #byKey: ReadonlyMap<string, TrustedGuest>;

  constructor(guests: Iterable<TrustedGuest>) {
    this.#byKey = new Map([...guests].map((guest) => [guest.publicKey, guest]));
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** The guest with this key (raw bytes or unpadded base64url), if known. */
  get(publicKey: Uint8Array | string): TrustedGuest | undefined {
    return this.#byKey.get(typeof publicKey === 'string' ? publicKey : publicKeyText(publicKey));
  }

  [Symbol.iterator](): Iterator<TrustedGuest> {
    return this.#byKey.values();
  }
}

/** A public key as the trusted-guests file writes it. */
export function publicKeyText(publicKey: Uint8Array): string {
  return Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64url');
}

export function trustedGuestsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'trusted-guests.json');
}

const validate = compileSchema('trusted-guests.schema.json');

/** The guests listed in `text`; `file` names it in errors. A key listed twice is an error at its second entry. */
export function parseTrustedGuests(text: string, file: string): TrustedGuests {
  const doc = parseJsonFile<{ guests: FileEntry[] }>(text, file, validate, 'trusted-guests file');
  const seen = new Set<string>();
  doc.value.guests.forEach(({ publicKey }, index) => {
    if (seen.has(publicKey)) throw faultAt(doc, { path: ['guests', index, 'publicKey'], reason: `public key ${publicKey} is listed twice` });
    seen.add(publicKey);
  });
  return new TrustedGuests(doc.value.guests.map(({ publicKey, name, role, grants }) => ({ publicKey, name, grants: grantsOf(role, grants) })));
}

/** Reads the trusted-guests file; a missing file means nobody is known. Unsafe or invalid is a ConfigError. */
export function loadTrustedGuests(file: string = trustedGuestsPath()): TrustedGuests {
  const text = readHostFile(file);
  return text === undefined ? TrustedGuests.none : parseTrustedGuests(text, file);
}
