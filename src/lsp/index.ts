// The LSP layer's entry: the hub (host side), the guest's proxy, the URI schemes and the method table.
export { LspHub, type HubOptions } from './hub.js';
export { HOST, type Participant } from './editor.js';
export { GuestProxy } from './guest-proxy.js';
export { lookup, METHODS, type LspPermission, type MethodEntry } from './methods.js';
