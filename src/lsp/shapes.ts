// PLACEHOLDER until the method table lands (wt/table): the declared API only.
import type { UriMap } from '../policy/index.js';
import type { LspPermission } from './methods.js';
export type Shape = { readonly kind: string };
export class Refused extends Error {
  constructor(readonly uri: string) {
    super(uri);
  }
}
export class Malformed extends Error {
  constructor(readonly at: string) {
    super(at);
  }
}
export function mapUris(_shape: Shape | null, value: unknown, _map: UriMap, _mode: 'strict' | 'filter'): unknown {
  return value;
}
export function collectUris(_shape: Shape | null, _value: unknown): string[] {
  return [];
}
export function strip(_shape: Shape | null, value: unknown, _has: (p: LspPermission) => boolean): unknown {
  return value;
}
