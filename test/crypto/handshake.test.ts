// lspair's XKpsk3 handshake: what it establishes, and every way it must refuse.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sodium } from '../../src/crypto/sodium.js';
import { HandshakeError } from '../../src/crypto/errors.js';
import { Handshake, MAX_HELLO, prologue, withTimeout } from '../../src/crypto/handshake.js';
import { generateKeyPair, type KeyPair } from '../../src/crypto/primitives.js';
import { LOW_ORDER_POINTS, exchange, flipBit, parties, random, text, throwsCode } from './helpers.js';

const refuses = (run: () => unknown, code: string) => throwsCode(run, HandshakeError, code);

/** A key pair that claims `publicKey` without its private key: what an impersonator can build. */
function claiming(publicKey: Uint8Array): KeyPair {
  return { publicKey, privateKey: generateKeyPair().privateKey };
}

test('a handshake authenticates both sides and agrees on keys, hash and PIN', () => {
  const p = parties();
  const { guest, host, messages } = exchange(p.guest(), p.host());
  assert.ok(guest && host);
  assert.is(messages.length, 3);
  assert.equal(host.remoteStatic, p.guestKey.publicKey, 'host learns the guest identity');
  assert.equal(guest.remoteStatic, p.hostKey.publicKey);
  assert.is(text(host.remoteHello), '{"name":"guest"}');
  assert.is(text(guest.remoteHello), '{"name":"host"}');
  assert.equal(guest.handshakeHash, host.handshakeHash);
  assert.match(guest.pin, /^\d{6}$/);
  assert.is(guest.pin, host.pin);
  assert.equal(guest.tx, host.rx);
  assert.equal(guest.rx, host.tx);
  assert.not.equal(guest.tx, guest.rx);
});

test('a fresh handshake gives fresh keys, hash and ephemeral keys', () => {
  const p = parties();
  const [a, b] = [exchange(p.guest(), p.host()), exchange(p.guest(), p.host())];
  assert.not.equal(a.guest!.handshakeHash, b.guest!.handshakeHash);
  assert.not.equal(a.guest!.tx, b.guest!.tx);
  assert.not.equal(a.messages[0]!.subarray(0, 32), b.messages[0]!.subarray(0, 32));
});

test('the guest identity travels encrypted: message 3 does not contain it', () => {
  const p = parties();
  const { messages } = exchange(p.guest(), p.host());
  const hex = sodium.to_hex(p.guestKey.publicKey);
  for (const message of messages) assert.not.ok(sodium.to_hex(message).includes(hex));
});

test('the prologue binds the session id and protocol version', () => {
  const p = parties();
  refuses(() => exchange(p.guest({ sessionId: 'other-session' }), p.host()), 'decrypt');
  assert.not.equal(prologue('s', 1), prologue('s', 2));
  assert.not.equal(prologue('ab'), prologue('a'));
});

test('wrong psk: the host refuses at message 3', () => {
  const p = parties();
  const guest = p.guest({ psk: random(32) });
  const host = p.host();
  const m2 = host.receive(guest.start()!).reply!;
  const { reply: m3, result } = guest.receive(m2);
  assert.ok(result, 'the guest cannot tell yet');
  refuses(() => host.receive(m3!), 'decrypt');
});

test('a relay that swaps in its own static key is refused by the guest', () => {
  const p = parties();
  const relayKey = generateKeyPair();
  const guest = p.guest();
  const m1 = guest.start()!;
  // The relay cannot even read the guest's first message…
  refuses(() => p.host({ sessionKey: relayKey }).receive(m1), 'decrypt');
  // …and a well-formed message 2 from its own session with a puppet guest that pinned the relay key fails.
  const puppet = p.guest({ hostPublicKey: relayKey.publicKey, identity: generateKeyPair() });
  const forged = p.host({ sessionKey: relayKey }).receive(puppet.start()!).reply!;
  refuses(() => guest.receive(forged), 'decrypt');
});

test('a message 3 replayed into a new handshake is refused', () => {
  const p = parties();
  const recorded = exchange(p.guest(), p.host()).messages;
  const host = p.host();
  host.receive(recorded[0]!); // the replayed message 1 is accepted, but the host answers with a new ephemeral
  refuses(() => host.receive(recorded[2]!), 'decrypt');
});

test('KCI: with the host session key stolen, a known guest still cannot be impersonated to that host', () => {
  const p = parties();
  const stolen = p.hostKey; // the attacker holds it, the psk and the guest's public key — not the guest's private key
  const attacker = Handshake.guest({ identity: claiming(p.guestKey.publicKey), hostPublicKey: stolen.publicKey, psk: p.psk, sessionId: p.sessionId, hello: new Uint8Array(0) });
  refuses(() => exchange(attacker, p.host()), 'decrypt');
});

test('KCI: with the guest key stolen, the host still cannot be impersonated to that guest', () => {
  const p = parties();
  const guest = p.guest();
  const m1 = guest.start()!;
  // Claiming the host's public key without its private key, the attacker cannot read message 1…
  refuses(() => p.host({ sessionKey: claiming(p.hostKey.publicKey) }).receive(m1), 'decrypt');
  // …and its best message 2 comes from its own session, where it plays the stolen guest against its own key.
  const evil = generateKeyPair();
  const puppet = p.guest({ hostPublicKey: evil.publicKey }); // parties() guests use the stolen identity
  const forged = p.host({ sessionKey: evil }).receive(puppet.start()!).reply!;
  refuses(() => guest.receive(forged), 'decrypt');
});

test('a guest presenting the host its own static key is refused', () => {
  const p = parties();
  refuses(() => exchange(p.guest({ identity: p.hostKey }), p.host()), 'reflected-key');
});

test('reflection: the guest refuses its own message 1 sent back as message 2', () => {
  const p = parties();
  const guest = p.guest();
  const m1 = guest.start()!;
  refuses(() => guest.receive(m1), 'decrypt');
});

test('a flipped bit anywhere in any handshake message is refused', () => {
  const p = parties();
  const lengths = exchange(p.guest(), p.host()).messages.map((m) => m.length);
  lengths.forEach((length, target) => {
    for (const at of [0, 17, 31, 32, 40, length - 17, length - 1]) {
      assert.throws(
        () => exchange(p.guest(), p.host(), (message, index) => (index === target ? flipBit(message, at, at % 8) : message)),
        (error: unknown) => error instanceof HandshakeError && ['decrypt', 'invalid-key'].includes(error.code),
        `message ${target}, byte ${at}`,
      );
    }
  });
});

test('handshake messages of the wrong length are refused before any crypto', () => {
  const p = parties();
  const m1 = p.guest().start()!;
  assert.is(m1.length, 48, 'message 1 is e (32) + an empty payload tag (16)');
  for (const bad of [new Uint8Array(0), m1.subarray(0, 31), m1.subarray(0, 47), new Uint8Array([...m1, 0]), new Uint8Array(65536)]) {
    refuses(() => p.host().receive(bad), 'bad-length');
  }
  const host = p.host();
  const guest = p.guest();
  host.receive(guest.start()!);
  refuses(() => guest.receive(new Uint8Array(32 + 16 + MAX_HELLO + 1)), 'bad-length');
  refuses(() => Handshake.host({ sessionKey: p.hostKey, psk: p.psk, sessionId: 's', hello: new Uint8Array(MAX_HELLO + 1) }), 'bad-length');
});

test('low-order and malformed host keys are refused', () => {
  const p = parties();
  for (const point of LOW_ORDER_POINTS) {
    refuses(() => p.guest({ hostPublicKey: sodium.from_hex(point) }).start(), 'invalid-key');
    // the same points as a guest's ephemeral key in message 1
    const m1 = p.guest().start()!;
    m1.set(sodium.from_hex(point), 0);
    refuses(() => p.host().receive(m1), 'invalid-key');
  }
  refuses(() => p.guest({ hostPublicKey: new Uint8Array(31) }), 'invalid-key');
});

test('a psk of the wrong size and out-of-turn messages are refused', () => {
  const p = parties();
  refuses(() => p.guest({ psk: new Uint8Array(16) }), 'state');
  assert.is(p.host().start(), null, 'the host speaks second');
  const guest = p.guest();
  refuses(() => guest.receive(new Uint8Array(48)), 'state');
});

test('withTimeout rejects a handshake that does not finish, and passes one that does', async () => {
  const never = new Promise<never>(() => {});
  try {
    await withTimeout(never, 20);
    assert.unreachable('should time out');
  } catch (error) {
    assert.instance(error, HandshakeError);
    assert.is((error as HandshakeError).code, 'timeout');
  }
  assert.is(await withTimeout(Promise.resolve('done'), 1000), 'done');
});

test.run();
