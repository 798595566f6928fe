// The trusted-guests file: location, lookup by key, validation with exact positions, and refusing unsafe files.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PERMISSIONS, effectivePermissions } from '../../src/session/permissions.js';
import { TrustedGuests, loadTrustedGuests, parseTrustedGuests, publicKeyText, trustedGuestsPath } from '../../src/session/trusted.js';
import { tmpdir } from '../helpers/tmp.js';
import { assertAt, configError, hostFile } from './helpers.js';

const key = (): Uint8Array => new Uint8Array(randomBytes(32));
const alice = key();
const bob = key();
const FILE = JSON.stringify({
  guests: [
    { publicKey: publicKeyText(alice), name: 'Alice', role: 'editor', grants: ['lsp.commands', 'terminal.read'] },
    { publicKey: publicKeyText(bob), name: 'Bob', role: 'viewer' },
  ],
}, null, 2);
const PLAIN = { readOnly: false, allowGuestCommandControl: false };

const location = suite('location');
location('$XDG_CONFIG_HOME/lspair/trusted-guests.json, else ~/.config/lspair/', () => {
  assert.is(trustedGuestsPath({ XDG_CONFIG_HOME: '/xdg' }), '/xdg/lspair/trusted-guests.json');
  assert.is(trustedGuestsPath({}), path.join(os.homedir(), '.config/lspair/trusted-guests.json'));
});
location('a missing file (or folder) means nobody is known', () => {
  const guests = loadTrustedGuests(path.join(tmpdir(), 'no/such/trusted-guests.json'));
  assert.is(guests.size, 0);
  assert.is(guests.get(alice), undefined);
  assert.is(loadTrustedGuests(path.join(tmpdir(), 'absent.json')), TrustedGuests.none);
});
location.run();

const lookup = suite('lookup');
lookup('by raw key bytes or base64url text, with name, role and grants', () => {
  const guests = loadTrustedGuests(hostFile('trusted-guests.json', FILE));
  assert.is(guests.size, 2);
  const a = guests.get(alice);
  assert.equal(a, { publicKey: publicKeyText(alice), name: 'Alice', grants: { role: 'editor', grants: ['lsp.commands', 'terminal.read'], revokes: [] } });
  assert.is(guests.get(publicKeyText(alice)), a);
  assert.equal(guests.get(bob)?.grants, { role: 'viewer', grants: [], revokes: [] });
  assert.equal([...guests].map((g) => g.name), ['Alice', 'Bob']);
});
lookup('a key inside a larger buffer is read at its own offset', () => {
  const guests = parseTrustedGuests(FILE, 'f.json');
  const buffer = new Uint8Array(40);
  buffer.set(alice, 5);
  assert.is(guests.get(buffer.subarray(5, 37))?.name, 'Alice');
});
lookup('unknown, truncated and differently encoded keys are not found', () => {
  const guests = parseTrustedGuests(FILE, 'f.json');
  for (const k of [key(), alice.subarray(0, 31), publicKeyText(key()), Buffer.from(alice).toString('base64'), `${publicKeyText(alice)}=`, '', 'Alice']) {
    assert.is(guests.get(k), undefined, String(k));
  }
});
lookup('a known guest\'s permissions are its role\'s plus its grants', () => {
  const guests = parseTrustedGuests(FILE, 'f.json');
  assert.equal(effectivePermissions(guests.get(alice)!.grants, PLAIN), ['debug.breakpoints', 'debug.control', 'debug.inspect', 'files.write', 'lsp.commands', 'terminal.read']);
  assert.equal(effectivePermissions(guests.get(bob)!.grants, PLAIN), ['debug.breakpoints', 'debug.inspect']);
});
lookup('the schema\'s grant names are the permission table\'s', () => {
  const schema = JSON.parse(readFileSync(new URL('../../schemas/trusted-guests.schema.json', import.meta.url), 'utf8'));
  assert.equal(schema.properties.guests.items.properties.grants.items.enum, PERMISSIONS.map((p) => p.name));
});
lookup('an empty list, or no list, knows nobody', () => {
  assert.is(parseTrustedGuests('{"guests": []}', 'f.json').size, 0);
  assert.is(parseTrustedGuests('{"$schema": "x"}', 'f.json').size, 0);
});
lookup.run();

const A = publicKeyText(alice);
const B = publicKeyText(bob);
const entry = (fields: string) => `{\n  "guests": [\n    { ${fields} }\n  ]\n}\n`;
const at = (fields: string, before: string) => 7 + fields.indexOf(before); // the column of `before` in entry()'s line 3

/** [what, fields of one entry (or a whole text), line, column, reason]. */
const FAULTS: [string, string, number, number, RegExp][] = [
  ['duplicate key in an entry', `"publicKey": "${A}", "name": "A", "name": "B", "role": "viewer"`, 3, at(`"publicKey": "${A}", "name": "A", "name": "B"`, '"name": "B"'), /^duplicate key "name"$/],
  ['a key listed twice', `{\n  "guests": [\n    { "publicKey": "${A}", "name": "A", "role": "viewer" },\n    { "publicKey": "${A}", "name": "B", "role": "editor" }\n  ]\n}\n`, 4, 20, new RegExp(`^public key ${A} is listed twice$`)],
  ['unknown role', `"publicKey": "${A}", "name": "A", "role": "owner"`, 3, at(`"publicKey": "${A}", "name": "A", "role": "owner"`, '"owner"'), /at \/guests\/0\/role: must be equal to one of the allowed values: "viewer", "editor"$/],
  ['unknown grant', `"publicKey": "${A}", "name": "A", "role": "viewer", "grants": ["ports", "root"]`, 3, at(`"publicKey": "${A}", "name": "A", "role": "viewer", "grants": ["ports", "root"]`, '"root"'), /at \/guests\/0\/grants\/1: must be equal to one of the allowed values: "debug.breakpoints", /],
  ['missing name', `"publicKey": "${A}", "role": "viewer"`, 3, 5, /at \/guests\/0: must have required property 'name'$/],
  ['misspelt property', `"publicKey": "${A}", "name": "A", "Role": "viewer"`, 3, at(`"publicKey": "${A}", "name": "A", "Role"`, '"Role"'), /unknown property "Role" at \/guests\/0 \(did you mean "role"\?\)$/],
  ['key too short', `"publicKey": "${A.slice(1)}", "name": "A", "role": "viewer"`, 3, 20, /at \/guests\/0\/publicKey: ".*" is not valid here \(The guest's X25519 public key/],
  ['key in padded base64', `"publicKey": "${A}=", "name": "A", "role": "viewer"`, 3, 20, /at \/guests\/0\/publicKey: /],
  ['key not canonical (stray low bits in the last character)', `"publicKey": "${A.slice(0, 42)}B", "name": "A", "role": "viewer"`, 3, 20, /at \/guests\/0\/publicKey: /],
  ['key in standard base64', `"publicKey": "${'+'.repeat(42)}A", "name": "A", "role": "viewer"`, 3, 20, /at \/guests\/0\/publicKey: /],
  ['trailing comma', `"publicKey": "${A}", "name": "A", "role": "viewer",`, 3, at(`"publicKey": "${A}", "name": "A", "role": "viewer", }`, '}'), /^invalid JSON: PropertyNameExpected$/],
  ['guests not a list', '{"guests": {}}', 1, 12, /at \/guests: must be array$/],
];

const faults = suite('malformed files: file, line and column');
faults('entry() and at() agree with where the text really is', () => {
  const fields = `"publicKey": "${B}"`;
  const lines = entry(fields).split('\n');
  assert.is(lines[2]!.indexOf(`"${B}"`) + 1, at(fields, `"${B}"`));
});
for (const [what, fields, line, column, reason] of FAULTS) {
  faults(what, () => {
    const file = hostFile('trusted-guests.json', fields.startsWith('{') ? fields : entry(fields));
    assertAt(configError(() => loadTrustedGuests(file)), file, line, column, reason);
  });
}
faults.run();

const safety = suite('an unsafe file is refused: it decides who gets in');
safety('writable by group or by others', () => {
  for (const mode of [0o620, 0o602, 0o666, 0o660]) {
    const file = hostFile('trusted-guests.json', FILE, mode);
    const error = configError(() => loadTrustedGuests(file));
    assert.is(error.message, `${file}: writable by group or others (mode ${mode.toString(8)}); refusing to trust it: run chmod go-w on it`);
  }
});
safety('private or world-readable files are fine', () => {
  for (const mode of [0o600, 0o400, 0o644]) assert.is(loadTrustedGuests(hostFile('trusted-guests.json', FILE, mode)).size, 2);
});
safety('a folder or a FIFO in its place is refused without blocking', () => {
  const dir = tmpdir();
  mkdirSync(path.join(dir, 'trusted-guests.json'));
  assert.match(configError(() => loadTrustedGuests(path.join(dir, 'trusted-guests.json'))).message, /: not a regular file$/);
  execFileSync('mkfifo', [path.join(dir, 'fifo.json')]);
  assert.match(configError(() => loadTrustedGuests(path.join(dir, 'fifo.json'))).message, /: not a regular file$/);
});
safety('a symlink is judged by the file it points to', () => {
  const target = hostFile('real.json', FILE, 0o600);
  const link = path.join(tmpdir(), 'trusted-guests.json');
  symlinkSync(target, link);
  assert.is(loadTrustedGuests(link).size, 2);
  const unsafe = hostFile('real.json', FILE, 0o666);
  const unsafeLink = path.join(tmpdir(), 'trusted-guests.json');
  symlinkSync(unsafe, unsafeLink);
  assert.match(configError(() => loadTrustedGuests(unsafeLink)).message, /writable by group or others/);
});
safety('owned by another user (checked when the tests run as root, who can make such a file)', () => {
  if (process.getuid?.() !== 0) return;
  const file = hostFile('trusted-guests.json', FILE, 0o644);
  chownSync(file, 65534, 65534);
  assert.is(configError(() => loadTrustedGuests(file)).message, `${file}: owned by another user (uid 65534); refusing to trust it`);
});
safety.run();
