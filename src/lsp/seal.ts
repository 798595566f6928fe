// Sealed `data`: what a language server puts in an item's `data` (completion items, code actions, code lenses,
// inlay hints, links, hierarchy items, diagnostics…) comes back to it in resolve requests, and servers trust it —
// typescript-language-server's holds a file path and position. A guest that forged it could ask about a file it
// may not see. So a guest never sees `data`: each value is kept here and replaced by a token, and a guest's
// request gets the server's own value back for each token — any other `data` is refused. The server sees its
// values exactly as it sent them.

const TOKEN = /^lspair-data:(\d{1,12})$/;
/** Values kept per editor; the oldest go first (a resolve of something that old fails cleanly). */
const MAX_VALUES = 20_000;
/** How deep a guest's params may nest before they are refused outright. */
const MAX_DEPTH = 64;

export class ForgedData extends Error {
  override readonly name = 'ForgedData';
  constructor() {
    super('the request carries data that did not come from this session\'s language server (or is too old)');
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export class Seal {
  readonly #values = new Map<string, unknown>();
  #next = 1;

  /** A copy of a value for the guest, every `data` property replaced by a token. */
  seal(value: unknown): unknown {
    return this.#walk(value, -Infinity, (data) => {
      const token = `lspair-data:${this.#next++}`;
      this.#values.set(token, data);
      if (this.#values.size > MAX_VALUES) this.#values.delete(this.#values.keys().next().value!);
      return token;
    });
  }

  /** A copy of a guest's value with each token replaced by the server's value; a `data` that is not a token is forged. */
  unseal(value: unknown): unknown {
    return this.#walk(value, 0, (data) => {
      const token = typeof data === 'string' && TOKEN.test(data) ? data : null;
      if (token === null || !this.#values.has(token)) throw new ForgedData();
      return this.#values.get(token);
    });
  }

  /** Copies `value`, passing each `data` property's value through `swap` (whose result is not walked); `depth` starts at -Infinity for values from the server, which are not bounded. */
  #walk(value: unknown, depth: number, swap: (data: unknown) => unknown): unknown {
    if (depth > MAX_DEPTH) throw new ForgedData();
    if (Array.isArray(value)) return value.map((v) => this.#walk(v, depth + 1, swap));
    if (!isObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const next = key === 'data' ? swap(v) : this.#walk(v, depth + 1, swap);
      Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}
