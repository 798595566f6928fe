// What the handshake shows someone who holds the host's key from a link but not its join secret (a link with the
// secret cut off, say). Noise XKpsk3 mixes the join secret in at message 3, so message 2's payload — the host's
// hello: its display name and protocol version — is readable to them (SECURITY.md lists this); the host refuses their
// message 3, so they never get further. Without the host's key, the host answers nothing.
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Handshake, prologue } from '../../src/crypto/handshake.js';
import { HandshakeState } from '../../src/crypto/handshake-state.js';
import { generateKeyPair } from '../../src/crypto/primitives.js';
import { encodeHello } from '../../src/session/hello.js';

const SESSION = 'link-holder-session-id';

function host() {
  const sessionKey = generateKeyPair();
  const handshake = Handshake.host({ sessionKey, psk: new Uint8Array(randomBytes(32)), sessionId: SESSION, hello: encodeHello('ana-host') });
  return { publicKey: sessionKey.publicKey, handshake };
}

/** Someone who runs the guest's side of the handshake with `hostKey` and a join secret of their own guessing. */
const stranger = (hostKey: Uint8Array) =>
  new HandshakeState({ pattern: 'XKpsk3', initiator: true, prologue: prologue(SESSION), psk: new Uint8Array(randomBytes(32)), s: generateKeyPair(), rs: hostKey });

test('with the host key but not the join secret: the host hello is readable, and the host refuses message 3', () => {
  const h = host();
  const them = stranger(h.publicKey);
  const { reply } = h.handshake.receive(them.writeMessage(new Uint8Array(0)));
  assert.equal(JSON.parse(new TextDecoder().decode(them.readMessage(reply!, 4096))), { name: 'ana-host', version: 1 });
  assert.throws(() => h.handshake.receive(them.writeMessage(new Uint8Array(0))), /authentication/);
});

test('without the host key, the host refuses message 1 and sends nothing', () => {
  const h = host();
  const them = stranger(generateKeyPair().publicKey);
  assert.throws(() => h.handshake.receive(them.writeMessage(new Uint8Array(0))), /authentication/);
});

test.run();
