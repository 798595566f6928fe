// PLACEHOLDER until the method table lands (wt/table): the declared API only.
import type { Shape } from './shapes.js';
export type LspPermission = 'files.write' | 'lsp.commands';
export interface MethodEntry {
  readonly method: string;
  readonly kind: 'request' | 'notification';
  readonly from: 'client' | 'server' | 'both';
  readonly guest: 'forward' | 'hub' | 'refuse' | 'drop';
  readonly permission: LspPermission | null;
  readonly route?: 'host' | 'hub' | 'fanout' | 'entitled';
  readonly params: Shape | null;
  readonly result: Shape | null;
  readonly partialResult?: Shape | null;
  readonly registrationOptions?: Shape | null;
  readonly capability?: readonly string[];
}
export const METHODS: readonly MethodEntry[] = [];
export function lookup(method: string): MethodEntry | undefined {
  return METHODS.find((m) => m.method === method);
}
