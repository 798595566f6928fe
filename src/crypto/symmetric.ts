// CipherState and SymmetricState of the Noise spec (rev 34, §5.1 and §5.2).
import { sodium } from './sodium.js';
import { HandshakeError } from './errors.js';
import { HASHLEN, KEYLEN, decrypt, encrypt, hash, hkdf } from './primitives.js';

const MAX_NONCE = 2n ** 64n - 1n; // reserved by the spec: using it is an error

export class CipherState {
  #k: Uint8Array | null;
  #n = 0n;

  constructor(k: Uint8Array | null = null) {
    this.#k = k;
  }

  hasKey(): boolean {
    return this.#k !== null;
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.#k === null) return new Uint8Array(plaintext);
    const ciphertext = encrypt(this.#k, this.#nextNonce(), ad, plaintext);
    this.#n++;
    return ciphertext;
  }

  /** On failure the nonce does not advance (§5.1) and a HandshakeError('decrypt') is thrown. */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.#k === null) return new Uint8Array(ciphertext);
    const plaintext = decrypt(this.#k, this.#nextNonce(), ad, ciphertext);
    this.#n++;
    return plaintext;
  }

  wipe(): void {
    if (this.#k) sodium.memzero(this.#k);
    this.#k = null;
  }

  #nextNonce(): bigint {
    if (this.#n >= MAX_NONCE) throw new HandshakeError('state', 'nonce exhausted');
    return this.#n;
  }
}

/** HKDF outputs are HASHLEN (64) bytes; cipher keys are their first 32 (§5.2, "if HASHLEN is 64"). */
function truncateKey(output: Uint8Array): Uint8Array {
  const key = output.slice(0, KEYLEN);
  sodium.memzero(output);
  return key;
}

export class SymmetricState {
  #ck: Uint8Array;
  #h: Uint8Array;
  #cipher = new CipherState();

  constructor(protocolName: string) {
    const name = new TextEncoder().encode(protocolName);
    this.#h = name.length <= HASHLEN ? Uint8Array.from({ length: HASHLEN }, (_, i) => name[i] ?? 0) : hash(name);
    this.#ck = new Uint8Array(this.#h);
  }

  get handshakeHash(): Uint8Array {
    return new Uint8Array(this.#h);
  }

  hasKey(): boolean {
    return this.#cipher.hasKey();
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, tempK] = hkdf(this.#ck, ikm, 2) as [Uint8Array, Uint8Array];
    this.#setChainingKey(ck);
    this.#setKey(truncateKey(tempK));
  }

  mixHash(data: Uint8Array): void {
    this.#h = hash(this.#h, data);
  }

  mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, tempH, tempK] = hkdf(this.#ck, ikm, 3) as [Uint8Array, Uint8Array, Uint8Array];
    this.#setChainingKey(ck);
    this.mixHash(tempH);
    this.#setKey(truncateKey(tempK));
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.#cipher.encryptWithAd(this.#h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.#cipher.decryptWithAd(this.#h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** The two transport keys: the first for initiator→responder, the second for responder→initiator. */
  split(): [Uint8Array, Uint8Array] {
    const [k1, k2] = hkdf(this.#ck, new Uint8Array(0), 2) as [Uint8Array, Uint8Array];
    return [truncateKey(k1), truncateKey(k2)];
  }

  wipe(): void {
    sodium.memzero(this.#ck);
    this.#cipher.wipe();
  }

  #setChainingKey(ck: Uint8Array): void {
    sodium.memzero(this.#ck);
    this.#ck = ck;
  }

  #setKey(k: Uint8Array): void {
    this.#cipher.wipe();
    this.#cipher = new CipherState(k);
  }
}
