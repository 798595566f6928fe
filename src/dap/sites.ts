// Where, in a DAP message's `arguments` or `body`, the values the hub must look at live: sources and modules
// (file paths, mapped host ↔ guest), stack frames (hidden when their file is), names that are host paths, and
// the handles (frame ids, variable and source references) a guest may only use once it was given them.
// A site's `at` is a dotted path from the arguments or body; `name[]` steps into every item of an array.

/** What a guest may not see is removed (the key, or the item of a list), or the whole message is withheld. */
export type Hidden = 'remove' | 'drop';
/** Handles a guest must have been given before it may use them. */
export type Handle = 'frame' | 'variables' | 'source' | 'location';

export type Site =
  /** A `Source`: its `path` (and nested `sources`) mapped; `sourceReference` granted when the source is visible. */
  | { readonly at: string; readonly kind: 'source'; readonly hidden: Hidden }
  /** A `StackFrame`: a placeholder without source when its file is hidden; its id is granted otherwise. */
  | { readonly at: string; readonly kind: 'frame' }
  /** A `Module`: `path` and `symbolFilePath` mapped. */
  | { readonly at: string; readonly kind: 'module'; readonly hidden: Hidden }
  /** A string that is a host path in free form (a process's name): a guest sees its last segment. */
  | { readonly at: string; readonly kind: 'basename' }
  /** Free text that names host files and lines (a formatted stack trace): a guest never sees it. */
  | { readonly at: string; readonly kind: 'omit' }
  /** A handle the peer hands out (a variables reference in an answer). */
  | { readonly at: string; readonly kind: 'grant'; readonly handle: Handle }
  /** A handle a guest's request uses: refused unless given to that guest (0 and absent mean none). */
  | { readonly at: string; readonly kind: 'needs'; readonly handle: Handle };

interface Step {
  readonly key: string;
  readonly each: boolean;
}

export function parseAt(at: string): readonly Step[] {
  return at.split('.').map((part) => (part.endsWith('[]') ? { key: part.slice(0, -2), each: true } : { key: part, each: false }));
}

/** Returned by a rewrite: remove this value (a key, or an item of a list). */
export const REMOVE = Symbol('remove');
/** Returned by a rewrite: the whole message may not be delivered. */
export class Dropped extends Error {
  override readonly name = 'Dropped';
}

export type Rewrite = (value: unknown) => unknown;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * A copy of `root` with `rewrite` applied to every value at `at` (values that are absent are left alone; a
 * value of the wrong type on the way is too: the peer's business, not a path). `rewrite` may return REMOVE, or
 * throw (Dropped, or a refusal) to give up on the message.
 */
export function rewriteAt(root: unknown, at: string | readonly Step[], rewrite: Rewrite): unknown {
  const steps = typeof at === 'string' ? parseAt(at) : at;
  if (steps.length === 0) return rewrite(root);
  if (!isObject(root) || !Object.hasOwn(root, steps[0]!.key)) return root;
  const [step, ...rest] = steps as [Step, ...Step[]];
  const value = root[step.key];
  let next: unknown;
  if (step.each) {
    if (!Array.isArray(value)) return root;
    next = value.map((item) => (rest.length === 0 ? rewrite(item) : rewriteAt(item, rest, rewrite))).filter((item) => item !== REMOVE);
  } else next = rest.length === 0 ? rewrite(value) : rewriteAt(value, rest, rewrite);
  if (next === REMOVE) {
    const { [step.key]: _gone, ...kept } = root;
    return kept;
  }
  return next === value ? root : { ...root, [step.key]: next };
}
