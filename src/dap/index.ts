// The DAP layer's entry: the hub (host side), the guest's proxy and the command table.
export { DapHub, type DapHubOptions } from './hub.js';
export { HOST, type Who } from './participant.js';
export { COMMANDS, eventEntry, requestEntry, type CommandEntry, type DapPermission, type EventEntry, type RequestEntry, type ReverseEntry } from './commands.js';
export { CAPABILITY_RULES, trimCapabilities } from './capabilities.js';
export { GuestDapProxy } from './guest-proxy.js';
