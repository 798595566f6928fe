// `lspair id`: creates the identity once (0600), prints the same identity after, refuses a tampered file.
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lspair } from '../helpers/cli.js';
import { tmpdir } from '../helpers/tmp.js';

test('lspair id creates, then repeats, the identity; a bad key file is an error, never replaced', () => {
  const home = tmpdir();
  const env = { XDG_CONFIG_HOME: home };
  const first = lspair(['id', '--json'], { env });
  assert.is(first.code, 0, first.stderr);
  const id = JSON.parse(first.stdout) as { fingerprint: string; publicKey: string; file: string };
  assert.match(id.fingerprint, /^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);
  assert.match(id.publicKey, /^[A-Za-z0-9_-]{43}$/);
  assert.is(id.file, path.join(home, 'lspair', 'identity.key'));
  assert.is(statSync(id.file).mode & 0o777, 0o600);
  assert.equal(JSON.parse(lspair(['id', '--json'], { env }).stdout), id);
  assert.match(lspair(['id'], { env }).stdout, new RegExp(`fingerprint  ${id.fingerprint}\\npublic key   ${id.publicKey}\\n`));

  chmodSync(id.file, 0o644);
  const loose = lspair(['id'], { env });
  assert.is(loose.code, 1);
  assert.match(loose.stderr, /identity/i);
  chmodSync(id.file, 0o600);
  writeFileSync(id.file, 'garbage');
  const bad = lspair(['id'], { env });
  assert.is(bad.code, 1);
  assert.is(lspair(['id'], { env }).code, 1, 'the bad file must not have been replaced');
});

test.run();
