// The crypto layer's entry: identities, the lspair handshake, PINs and the secretstream transport halves.
// The Noise engine (handshake-state, symmetric, patterns, primitives) stays behind it.
export { HandshakeError, IdentityError, IntegrityError, type HandshakeFailure, type IntegrityFailure } from './errors.js';
export { fingerprint } from './fingerprint.js';
export { MAX_MESSAGE as MAX_HANDSHAKE_MESSAGE } from './handshake-state.js';
export { Handshake, DEFAULT_HANDSHAKE_TIMEOUT_MS, MAX_HELLO, PROTOCOL_VERSION, prologue, withTimeout, type GuestOptions, type HandshakeResult, type HostOptions } from './handshake.js';
export { configDir, createSessionKey, identityPath, loadIdentity, loadOrCreateIdentity } from './identity.js';
export { derivePin } from './pin.js';
export { wipe, wipeKeyPair, type KeyPair } from './primitives.js';
export { DEFAULT_REKEY, FRAME_OVERHEAD, HEADER_BYTES, StreamOpener, StreamSealer, type RekeyPolicy } from './secretstream.js';
