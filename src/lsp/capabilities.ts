// PLACEHOLDER until the method table lands (wt/table): the declared API only.
import type { Registration, ServerCapabilities } from 'vscode-languageserver-protocol';
import type { LspPermission } from './methods.js';
export function trimCapabilities(caps: ServerCapabilities, _has: (p: LspPermission) => boolean): ServerCapabilities {
  return caps;
}
export function trimRegistrations(regs: Registration[], _has: (p: LspPermission) => boolean): Registration[] {
  return regs;
}
