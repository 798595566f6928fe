// libsodium-wrappers is WASM: it must be initialised once before any call. Awaiting here (top-level await)
// means every module that imports `sodium` from this file gets a ready library and may call it synchronously.
import sodium from 'libsodium-wrappers';

await sodium.ready;

export { sodium };
