// A relay serving wss:// with a certificate made for this test: a host and a guest that trust it (through
// NODE_EXTRA_CA_CERTS) meet through it; a guest or a host that does not trust it is told why.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLink } from '../../src/session/link.js';
import { lspair } from '../helpers/cli.js';
import { tmpdir } from '../helpers/tmp.js';
import { relayProcess, world } from './world.js';

/** A self-signed certificate for 127.0.0.1 and its key, as PEM files (openssl: see .ci/setup). */
function selfSigned(): { cert: string; key: string } {
  const dir = tmpdir('lspair-tls-');
  const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  const made = spawnSync('openssl', args, { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  return { cert, key };
}

test('wss relay: host and guest that trust its certificate meet through it; those that do not are told why', async () => {
  const { cert, key } = selfSigned();
  const { relay, url } = await relayProcess(['--tls-cert', cert, '--tls-key', key]);
  assert.match(url, /^wss:\/\/127\.0\.0\.1:\d+$/);
  const w = world({ NODE_EXTRA_CA_CERTS: cert });
  const { host, link } = await w.hosting('--relay', url, '--anonymous', 'accept');
  assert.is(parseLink(link).relay, url);
  const tess = w.join(link, 'tess');
  const waiting = await tess.next('waiting');
  await tess.next('joined');
  assert.is((await host.next('guest-joined')).pin, waiting.pin);

  const untrusting = world();
  const uma = untrusting.join(link, 'uma');
  const error = await uma.next('error');
  assert.is(error.code, 'unreachable');
  assert.match(String(error.message), /relay's TLS certificate is not trusted \(self-signed certificate\).*NODE_EXTRA_CA_CERTS/);
  assert.is(await uma.exited, 5);
  const refused = lspair(['host', untrusting.folder, '--relay', url], { env: untrusting.env('host') });
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /lspair host: the relay's TLS certificate is not trusted/);

  tess.kill();
  assert.is(await tess.exited, 0);
  host.kill();
  await host.exited;
  relay.kill();
  await relay.exited;
});

test.run();
