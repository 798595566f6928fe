// Guest identity on disk (0600, never replaced), the fingerprint format, and host session keys.
import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sodium } from '../../src/crypto/sodium.js';
import { IdentityError } from '../../src/crypto/errors.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { configDir, createSessionKey, identityPath, loadIdentity, loadOrCreateIdentity } from '../../src/crypto/identity.js';
import { random } from './helpers.js';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lspair-identity-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function refused(path: string, pattern: RegExp): Promise<void> {
  const before = await readFile(path).catch(() => null);
  try {
    await loadOrCreateIdentity(path);
    assert.unreachable('should refuse');
  } catch (error) {
    assert.instance(error, IdentityError);
    assert.match((error as Error).message, pattern);
    assert.ok((error as Error).message.includes(path), 'names the file');
  }
  assert.equal(await readFile(path).catch(() => null), before, 'the file is left as it was');
}

test('the config folder follows XDG_CONFIG_HOME, else ~/.config', () => {
  assert.is(configDir({ XDG_CONFIG_HOME: '/x/conf' }), '/x/conf/lspair');
  assert.is(configDir({}), join(homedir(), '.config', 'lspair'));
  assert.is(identityPath({ XDG_CONFIG_HOME: '/x/conf' }), '/x/conf/lspair/identity.key');
});

test('first use creates a 0600 key file in a 0700 folder; later uses load the same key', () =>
  withDir(async (dir) => {
    const path = identityPath({ XDG_CONFIG_HOME: dir });
    const created = await loadOrCreateIdentity(path);
    assert.is((await stat(path)).mode & 0o777, 0o600);
    assert.is((await stat(join(dir, 'lspair'))).mode & 0o777, 0o700);
    assert.equal(created.publicKey, sodium.crypto_scalarmult_base(created.privateKey));
    const loaded = await loadOrCreateIdentity(path);
    assert.equal(loaded.publicKey, created.publicKey);
    assert.equal(loaded.privateKey, created.privateKey);
    assert.is((await readFile(path)).length, 17 + 32, 'magic line and private key only');
  }));

test('concurrent first uses agree on one identity', () =>
  withDir(async (dir) => {
    const path = join(dir, 'identity.key');
    const pairs = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateIdentity(path)));
    for (const pair of pairs) assert.equal(pair.publicKey, pairs[0]!.publicKey);
  }));

test('a key file readable by others is refused, not replaced', () =>
  withDir(async (dir) => {
    const path = join(dir, 'identity.key');
    await loadOrCreateIdentity(path);
    await chmod(path, 0o644);
    await refused(path, /mode 644.*chmod 600/);
  }));

test('a key file with the wrong content is refused, not replaced', () =>
  withDir(async (dir) => {
    const path = join(dir, 'identity.key');
    const valid = await readFile((await loadOrCreateIdentity(path), path));
    const bad = [Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----\n'), valid.subarray(0, 40), Buffer.concat([valid, Buffer.of(0)]), Buffer.concat([valid.subarray(0, 17), Buffer.alloc(32)])];
    for (const contents of bad) {
      await writeFile(path, contents, { mode: 0o600 });
      await refused(path, /not an lspair identity key file/);
    }
  }));

test('a symlinked key file is refused', () =>
  withDir(async (dir) => {
    const real = join(dir, 'real.key');
    await loadOrCreateIdentity(real);
    await symlink(real, join(dir, 'identity.key'));
    const refusal = await loadIdentity(join(dir, 'identity.key')).then(() => null, (error: NodeJS.ErrnoException) => error.code);
    assert.is(refusal, 'ELOOP');
  }));

test('fingerprints: six groups of four base32 characters, the first 120 bits of keyed BLAKE2b', () => {
  const key = random(32);
  const print = fingerprint(key);
  assert.match(print, /^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);
  assert.is(fingerprint(key.slice()), print);
  assert.is.not(fingerprint(random(32)), print);
  // An independent base32 decoding must give back the digest's first 15 bytes.
  const digest = sodium.crypto_generichash(32, key, new TextEncoder().encode('lspair fingerprint v1'));
  const value = [...print.replaceAll('-', '')].reduce((sum, c) => sum * 32n + BigInt('abcdefghijklmnopqrstuvwxyz234567'.indexOf(c)), 0n);
  assert.is(value.toString(16).padStart(30, '0'), sodium.to_hex(digest.subarray(0, 15)));
});

test('host session keys are fresh X25519 key pairs', () => {
  const [a, b] = [createSessionKey(), createSessionKey()];
  assert.equal(a.publicKey, sodium.crypto_scalarmult_base(a.privateKey));
  assert.not.equal(a.publicKey, b.publicKey);
});

test.run();
