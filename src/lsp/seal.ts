// Sealed `data`: what a language server puts in an item's `data` (completion items, code actions, code lenses,
// inlay hints, links, hierarchy items, diagnostics…) comes back to it in resolve requests, and servers trust it —
// typescript-language-server's holds a file path and position. A guest that forged it could ask about a file it
// may not see. So a guest never sees `data`: each value is kept here and replaced by a token, and a guest's
// request gets the server's own value back for each token — any other `data` is refused. The server sees its
// values exactly as it sent them.
// Commands likewise: a server's commands may read any file (typescript-language-server's
// `typescript.tsserverRequest` forwards any tsserver request, about any path), so a guest — even one holding
// lsp.commands — may run only a command the server offered it, with the arguments it was offered.

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

/** A Command (title, command, arguments?), as opposed to a CodeAction or CompletionItem that holds one. */
function isCommand(x: Record<string, unknown>): boolean {
  return typeof x.title === 'string' && typeof x.command === 'string';
}

/** A command as the server and an editor may each spell it: object keys sorted, and an empty list like an empty
 *  object (Neovim's JSON turns one into the other); no arguments like an empty list. */
function commandKey(command: string, args: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.length === 0 ? {} : v.map(canonical);
    if (!isObject(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  };
  return JSON.stringify([command, canonical(args ?? [])]);
}

/** Adds to a bounded record, dropping the oldest. */
function remember<K>(record: Map<K, unknown>, key: K, value: unknown): void {
  record.set(key, value);
  if (record.size > MAX_VALUES) record.delete(record.keys().next().value!);
}

export class Seal {
  readonly #values = new Map<string, unknown>();
  /** The commands offered to the guest, by commandKey. */
  readonly #commands = new Map<string, true>();
  #next = 1;

  /** A copy of a value for the guest, every `data` property replaced by a token; the commands in it are noted. */
  seal(value: unknown): unknown {
    return this.#walk(
      value,
      -Infinity,
      (data) => {
        const token = `lspair-data:${this.#next++}`;
        remember(this.#values, token, data);
        return token;
      },
      (object) => {
        if (isCommand(object)) remember(this.#commands, commandKey(object.command as string, object.arguments), true);
      },
    );
  }

  /** Whether the guest may run these `workspace/executeCommand` params (unsealed): a command it was offered, as offered. */
  offered(params: unknown): boolean {
    return isObject(params) && typeof params.command === 'string' && this.#commands.has(commandKey(params.command, params.arguments));
  }

  /** A copy of a guest's value with each token replaced by the server's value; a `data` that is not a token is forged. */
  unseal(value: unknown): unknown {
    return this.#walk(value, 0, (data) => {
      const token = typeof data === 'string' && TOKEN.test(data) ? data : null;
      if (token === null || !this.#values.has(token)) throw new ForgedData();
      return this.#values.get(token);
    });
  }

  /** Copies `value`, passing each `data` property's value through `swap` (whose result is not walked) and each object
   *  (before its data is swapped) to `see`; `depth` starts at -Infinity for values from the server, which are not bounded. */
  #walk(value: unknown, depth: number, swap: (data: unknown) => unknown, see?: (object: Record<string, unknown>) => void): unknown {
    if (depth > MAX_DEPTH) throw new ForgedData();
    if (Array.isArray(value)) return value.map((v) => this.#walk(v, depth + 1, swap, see));
    if (!isObject(value)) return value;
    see?.(value);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const next = key === 'data' ? swap(v) : this.#walk(v, depth + 1, swap, see);
      Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}
