// `lspair relay` as a process: it reports where it listens, forwards, exits on SIGTERM, and its logs hold
// counts, never the bytes it forwarded.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Duplex } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptGuest, joinRelay, registerHost } from '../../src/wire/relay-client.js';
import { BIN } from '../helpers/cli.js';

test('relay --json prints ready, forwards, logs no payload, exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'relay', '--listen', '127.0.0.1:0', '--json'], { env: { ...process.env, LSPAIR_LOG: 'debug' } });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const ready = JSON.parse(line) as { event: string; url: string };
  assert.is(ready.event, 'ready');
  assert.match(ready.url, /^ws:\/\/127\.0\.0\.1:\d+$/);

  const sid = randomBytes(16).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  const canary = `CANARY-${randomBytes(8).toString('hex')}`;
  let hostSide!: Promise<Duplex>;
  await registerHost(ready.url, sid, secret, (conn) => (hostSide = acceptGuest(ready.url, sid, conn, secret)));
  const guest = await joinRelay(ready.url, sid);
  const received = once((await hostSide), 'data');
  guest.write(canary);
  assert.is(String((await received)[0]), canary);
  guest.destroy();

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.is(code, 0);
  assert.match(stderr, /guest paired with host/);
  for (const form of [canary, Buffer.from(canary).toString('hex'), Buffer.from(canary).toString('base64'), secret, sid]) {
    assert.not.ok(stderr.includes(form), `relay log contains ${form}`);
  }
});

test.run();
