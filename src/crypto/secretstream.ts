// One direction of the transport: libsodium secretstream (XChaCha20-Poly1305) keyed by a Noise Split() key.
// The sealer decides rekeys (TAG_REKEY is authenticated, so the opener follows automatically).
import { sodium } from './sodium.js';
import { IntegrityError } from './errors.js';

type StateAddress = ReturnType<typeof sodium.crypto_secretstream_xchacha20poly1305_init_pull>;

export const HEADER_BYTES = 24; // crypto_secretstream_xchacha20poly1305_HEADERBYTES
export const FRAME_OVERHEAD = 17; // crypto_secretstream_xchacha20poly1305_ABYTES
const TAG = {
  message: sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
  rekey: sodium.crypto_secretstream_xchacha20poly1305_TAG_REKEY,
  final: sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL,
};

export interface RekeyPolicy {
  readonly frames: number;
  readonly bytes: number;
  readonly ms: number;
}

/** Whichever comes first (DESIGN §3). */
export const DEFAULT_REKEY: RekeyPolicy = { frames: 10_000, bytes: 64 * 1024 * 1024, ms: 10 * 60_000 };

export class StreamSealer {
  readonly header: Uint8Array;
  readonly #state: StateAddress;
  readonly #policy: RekeyPolicy;
  readonly #now: () => number;
  #frames = 0;
  #bytes = 0;
  #since: number;
  #finished = false;

  /** Copies the key into libsodium's state; the caller wipes its own copy. */
  constructor(key: Uint8Array, policy: RekeyPolicy = DEFAULT_REKEY, now: () => number = Date.now) {
    const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
    this.#state = state;
    this.header = header;
    this.#policy = policy;
    this.#now = now;
    this.#since = now();
  }

  /** The frame that ends a message's trip; tagged REKEY once this key has carried enough. */
  seal(message: Uint8Array): Uint8Array {
    this.#frames++;
    this.#bytes += message.length;
    const rekey = this.#frames >= this.#policy.frames || this.#bytes >= this.#policy.bytes || this.#now() - this.#since >= this.#policy.ms;
    if (rekey) this.#resetCounters();
    return this.#push(message, rekey ? TAG.rekey : TAG.message);
  }

  /** The last frame: without it the opener treats EOF as truncation. */
  final(): Uint8Array {
    const frame = this.#push(new Uint8Array(0), TAG.final);
    this.#finished = true;
    return frame;
  }

  #push(message: Uint8Array, tag: number): Uint8Array {
    if (this.#finished) throw new IntegrityError('after-final', 'stream already finished');
    return sodium.crypto_secretstream_xchacha20poly1305_push(this.#state, message, null, tag);
  }

  #resetCounters(): void {
    this.#frames = 0;
    this.#bytes = 0;
    this.#since = this.#now();
  }
}

export interface Opened {
  readonly message: Uint8Array;
  readonly final: boolean;
}

export class StreamOpener {
  readonly #state: StateAddress;
  #done = false; // after a fault or TAG_FINAL nothing more is accepted

  constructor(key: Uint8Array, header: Uint8Array) {
    if (header.length !== HEADER_BYTES) throw new IntegrityError('malformed', 'secretstream header must be 24 bytes');
    this.#state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
  }

  open(frame: Uint8Array): Opened {
    if (this.#done) throw new IntegrityError('after-final', 'frame after the end of the stream');
    this.#done = true;
    // pull returns false (never throws) on a bad frame, and its own size bound reads -18: both handled here.
    const result = frame.length >= FRAME_OVERHEAD && sodium.crypto_secretstream_xchacha20poly1305_pull(this.#state, frame, null);
    if (!result) throw new IntegrityError('bad-frame', 'frame failed authentication');
    this.#done = result.tag === TAG.final;
    return { message: result.message, final: this.#done };
  }
}
