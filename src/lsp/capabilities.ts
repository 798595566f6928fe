// What one guest's editor is told the server can do: the server's capabilities and dynamic registrations, without
// what that guest may not use (by its permissions and by what the hub does with its messages). Driven by the
// method table's `capability` paths, `guest` handling and `permission`. Document selectors and globs inside them
// are mapped separately, with the initialize result's and registerOptions' shapes.
import type { Registration, ServerCapabilities } from 'vscode-languageserver-protocol';
import { METHODS, permitted, registeredBy, type LspPermission, type MethodEntry } from './methods.js';
import { isObject } from './shape.js';

/** Whether a guest's editor may send the method and have it handled (forwarded, or by the hub). */
export function usable(entry: MethodEntry, has: (p: LspPermission) => boolean): boolean {
  return (entry.guest === 'forward' || entry.guest === 'hub') && permitted(entry, has);
}

/** `value` without the property at `keys`, copying only the objects on the way; unchanged when it is absent. */
function without(value: unknown, keys: readonly string[]): unknown {
  const [head, ...rest] = keys;
  if (head === undefined || !isObject(value) || !Object.hasOwn(value, head)) return value;
  if (rest.length > 0) {
    const inner = without(value[head], rest);
    return inner === value[head] ? value : { ...value, [head]: inner };
  }
  const { [head]: _removed, ...others } = value;
  return others;
}

/** A copy of the server's capabilities without those announcing a method the guest may not use. */
export function trimCapabilities(caps: ServerCapabilities, has: (p: LspPermission) => boolean): ServerCapabilities {
  let out: unknown = caps;
  for (const entry of METHODS) {
    if (usable(entry, has)) continue;
    for (const capability of entry.capability ?? []) out = without(out, capability.split('.'));
  }
  return out as ServerCapabilities;
}

/** The registrations a guest may see: known methods (or registration methods) that it may use. An unknown method's
 *  registerOptions could not be mapped, so it is left out. */
export function trimRegistrations(registrations: readonly Registration[], has: (p: LspPermission) => boolean): Registration[] {
  return registrations.filter((r) => {
    const entries = isObject(r) && typeof r.method === 'string' ? registeredBy(r.method) : [];
    return entries.length > 0 && entries.some((entry) => usable(entry, has));
  });
}
