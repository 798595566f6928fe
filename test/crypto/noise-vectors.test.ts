// The engine against the cacophony vectors (public domain), byte for byte: every handshake message, the
// handshake hash, and the transport messages after Split.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sodium } from '../../src/crypto/sodium.js';
import { HandshakeState } from '../../src/crypto/handshake-state.js';
import { CipherState } from '../../src/crypto/symmetric.js';
import { keyPairFromPrivate } from '../../src/crypto/primitives.js';
import { protocolName, type PatternName } from '../../src/crypto/patterns.js';

interface Vector {
  protocol_name: string;
  init_prologue: string;
  init_psks?: string[];
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  resp_prologue: string;
  resp_psks?: string[];
  resp_static?: string;
  resp_ephemeral?: string;
  resp_remote_static?: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}

const vectors: Vector[] = JSON.parse(readFileSync(new URL('../../fixtures/noise/noise-25519-chachapoly-blake2b.json', import.meta.url), 'utf8')).vectors;
const hex = (value: string | undefined) => (value === undefined ? undefined : sodium.from_hex(value));

function party(vector: Vector, pattern: PatternName, side: 'init' | 'resp'): HandshakeState {
  const s = hex(vector[`${side}_static`]);
  const psk = vector[`${side}_psks`]?.[0];
  return new HandshakeState({
    pattern,
    initiator: side === 'init',
    prologue: hex(vector[`${side}_prologue`])!,
    s: s && keyPairFromPrivate(s),
    rs: hex(vector[`${side}_remote_static`]),
    psk: hex(psk),
    ephemeralPrivateKey: hex(vector[`${side}_ephemeral`]),
  });
}

for (const pattern of ['NN', 'NK', 'XK', 'XX', 'XKpsk3'] as const) {
  test(`${protocolName(pattern)} matches the vector`, () => {
    const vector = vectors.find((candidate) => candidate.protocol_name === protocolName(pattern));
    assert.ok(vector, 'vector present in the fixture');
    const initiator = party(vector, pattern, 'init');
    const responder = party(vector, pattern, 'resp');
    let i = 0;
    for (; !initiator.complete; i++) {
      const { payload, ciphertext } = vector.messages[i]!;
      const [writer, reader] = i % 2 === 0 ? [initiator, responder] : [responder, initiator];
      const message = writer.writeMessage(sodium.from_hex(payload));
      assert.is(sodium.to_hex(message), ciphertext, `handshake message ${i}`);
      assert.is(sodium.to_hex(reader.readMessage(message)), payload, `handshake payload ${i}`);
    }
    assert.ok(responder.complete);
    assert.is(sodium.to_hex(initiator.handshakeHash), vector.handshake_hash);
    assert.is(sodium.to_hex(responder.handshakeHash), vector.handshake_hash);

    const [ik, rk] = [initiator.split(), responder.split()];
    const sides = { init: { tx: new CipherState(ik.tx), rx: new CipherState(ik.rx) }, resp: { tx: new CipherState(rk.tx), rx: new CipherState(rk.rx) } };
    const empty = new Uint8Array(0);
    assert.ok(i < vector.messages.length, 'the vector has transport messages');
    for (; i < vector.messages.length; i++) {
      const { payload, ciphertext } = vector.messages[i]!;
      const [writer, reader] = i % 2 === 0 ? [sides.init, sides.resp] : [sides.resp, sides.init];
      const sealed = writer.tx.encryptWithAd(empty, sodium.from_hex(payload));
      assert.is(sodium.to_hex(sealed), ciphertext, `transport message ${i}`);
      assert.is(sodium.to_hex(reader.rx.decryptWithAd(empty, sealed)), payload);
    }
  });
}

test.run();
