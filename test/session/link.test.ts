// Join links: round trips, and every malformed link refused with a reason.
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatLink, LinkError, parseLink, type JoinLink } from '../../src/session/link.js';

const link = (over: Partial<JoinLink> = {}): JoinLink => ({
  direct: ['ws://127.0.0.1:7001'],
  relay: null,
  sessionId: randomBytes(16).toString('base64url'),
  hostKey: new Uint8Array(randomBytes(32)),
  secret: new Uint8Array(randomBytes(32)),
  ...over,
});

test('direct and relay links round-trip', () => {
  for (const l of [link(), link({ relay: 'wss://relay.example.org:443', direct: ['ws://192.168.1.5:7001', 'ws://[::1]:7001'] }), link({ relay: 'ws://127.0.0.1:7000', direct: [] })]) {
    const text = formatLink(l);
    assert.match(text, /^lspair:\/\//);
    const back = parseLink(text);
    assert.equal({ ...back, hostKey: [...back.hostKey], secret: [...back.secret] }, { ...l, hostKey: [...l.hostKey], secret: [...l.secret] });
  }
});

test('the secret and the key live only in the fragment', () => {
  const l = link({ relay: 'ws://127.0.0.1:7000' });
  const text = formatLink(l);
  const [beforeFragment] = text.split('#');
  assert.not.ok(beforeFragment!.includes(Buffer.from(l.secret).toString('base64url')));
  assert.not.ok(beforeFragment!.includes(Buffer.from(l.hostKey).toString('base64url')));
});

test('malformed links are refused with a reason', () => {
  const good = formatLink(link());
  const bad = [
    '', 'https://example.org/x#a.b', good.replace('#', ''), good.replace(/#.*/, '#short.short'), good.replace('lspair://127.0.0.1:7001', 'lspair://127.0.0.1:99999'),
    good.replace(/\/[A-Za-z0-9_-]{22}/, '/bad id!'), good.replace('127.0.0.1:7001', 'host'), `${good}?`, good.replace('#', '?direct=evil#'),
  ];
  for (const text of bad) assert.throws(() => parseLink(text), (e: Error) => e instanceof LinkError && e.message.length > 0, text);
});

test.run();
