// Key pairs: the guest's long-term identity (the only secret lspair ever writes to disk) and the host's
// per-session key (memory only, new for every session and every link rotation).
import { constants } from 'node:fs';
import { link, mkdir, open, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { sodium } from './sodium.js';
import { IdentityError } from './errors.js';
import { DHLEN, generateKeyPair, keyPairFromPrivate, type KeyPair } from './primitives.js';

/** Identity file: this magic line, then the 32-byte X25519 private key (the public key is derived). */
const MAGIC = new TextEncoder().encode('lspair-x25519-v1\n');
const FILE_BYTES = MAGIC.length + DHLEN;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'lspair');
}

export function identityPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'identity.key');
}

/** The host's key for one session: never written anywhere; wipe it (wipeKeyPair) when the session ends. */
export const createSessionKey = generateKeyPair;

/** Loads the guest identity, creating it on first use. A bad existing file is an error, never replaced. */
export async function loadOrCreateIdentity(path = identityPath()): Promise<KeyPair> {
  try {
    return await loadIdentity(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return createIdentity(path);
}

export async function loadIdentity(path: string): Promise<KeyPair> {
  const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw new IdentityError(path, 'identity key is not a regular file');
    if ((stat.mode & 0o077) !== 0) {
      throw new IdentityError(path, `identity key is readable by others (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 on it`);
    }
    if (process.getuid && stat.uid !== process.getuid()) throw new IdentityError(path, 'identity key belongs to another user');
    const bytes = new Uint8Array(FILE_BYTES + 1); // one spare byte reveals a file that is too long
    const { bytesRead } = await file.read(bytes, 0, bytes.length, 0);
    try {
      return parse(path, bytes.subarray(0, bytesRead));
    } finally {
      sodium.memzero(bytes);
    }
  } finally {
    await file.close();
  }
}

function parse(path: string, bytes: Uint8Array): KeyPair {
  const valid = bytes.length === FILE_BYTES && sodium.memcmp(bytes.subarray(0, MAGIC.length), MAGIC) && !sodium.is_zero(bytes.subarray(MAGIC.length));
  if (!valid) throw new IdentityError(path, 'not an lspair identity key file (refusing to use or replace it)');
  return keyPairFromPrivate(bytes.slice(MAGIC.length));
}

/** Written to a private temporary file then hard-linked into place: link() never replaces an existing file. */
async function createIdentity(path: string): Promise<KeyPair> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const pair = generateKeyPair();
  const temporary = `${path}.${sodium.to_hex(sodium.randombytes_buf(6))}.tmp`;
  const contents = new Uint8Array(FILE_BYTES);
  contents.set(MAGIC);
  contents.set(pair.privateKey, MAGIC.length);
  try {
    await writeFile(temporary, contents, { mode: 0o600, flag: 'wx' });
    await link(temporary, path);
    return pair;
  } catch (error) {
    sodium.memzero(pair.privateKey);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadIdentity(path); // another process won the race
    throw error;
  } finally {
    sodium.memzero(contents);
    await unlink(temporary).catch(() => {});
  }
}
