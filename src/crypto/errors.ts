// Typed failures of the secure channel. Messages never carry key material.

export type HandshakeFailure =
  | 'invalid-key' // wrong size, low-order point or all-zero DH result
  | 'reflected-key' // the peer presented our own static key
  | 'bad-length' // a handshake message too short, too long, or with an unexpected payload size
  | 'decrypt' // authentication failed: wrong key, psk, prologue, or tampering
  | 'state' // API misuse: wrong turn, missing key, handshake not finished
  | 'timeout';

export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
  constructor(readonly code: HandshakeFailure, message: string) {
    super(message);
  }
}

export type IntegrityFailure =
  | 'bad-frame' // secretstream pull failed (tampered, replayed, reordered, dropped, reflected)
  | 'oversize' // a length prefix over the configured maximum
  | 'malformed' // a length prefix too small to be a frame of this phase
  | 'truncated' // EOF before TAG_FINAL
  | 'after-final'; // bytes after TAG_FINAL, or use of a failed stream

/** The channel's data can no longer be trusted; it is closed and nothing after the fault is delivered. */
export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
  constructor(readonly code: IntegrityFailure, message: string) {
    super(message);
  }
}

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  constructor(readonly path: string, message: string) {
    super(`${message}: ${path}`);
  }
}
