// An editor for fault tests: a scripted editor (test/lsp/scripted-editor.ts, Neovim's habits) on `lspair lsp`
// launched in the share (the host's editor) or a mirror (a guest's), whose buffers outlive that process — when it
// dies, the editor starts it again and opens its buffers again, as an editor restarting its language server.
// It types tokens (`h12;`, `g7😀;`, some followed by a newline) at token boundaries of one comment, so every
// edit stays one whole, recognisable token wherever concurrent edits land, and it notes which of the other
// editor's tokens reached its buffer: those edits were sequenced by the host.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StdioProcess } from '../../bench/lsp-session.js';
import type { Random } from '../helpers/random.js';
import { ScriptedEditor } from '../lsp/scripted-editor.js';
import { shim } from './procs.js';

/** A token: who typed it and its number, then the optional emoji (UTF-16 surrogates), ';' and a newline. */
const TOKEN = /([hg]\d+)(?:😀)?;\n?/g;
/** Where tokens go: the comment that ends the file. */
export const REGION = '/* edits:\n';

export function tokens(text: string): string[] {
  return [...text.matchAll(TOKEN)].map((m) => m[1]!);
}

/** A request's outcome as the editor saw it: an answer, or the error it was given. */
export type Outcome = { readonly ok: unknown } | { readonly error: string };

/** Hands each applied `workspace/applyEdit` to a listener (ScriptedEditor reports one by calling `flush`). */
class Buffers extends ScriptedEditor {
  constructor(
    process: StdioProcess,
    private readonly applied: () => void,
  ) {
    super(process.child.stdout!, process.child.stdin!);
  }

  override flush(uri: string): Promise<void> {
    this.applied();
    return this.send(uri);
  }

  /** A didChange for what was typed; a write to a process that just died is no error of the editor's. */
  send(uri: string): Promise<void> {
    return super.flush(uri).catch(() => undefined);
  }
}

export class FaultEditor {
  /** Tokens this editor typed, and the other editor's that reached its buffer (sequenced by the host). */
  readonly typed: string[] = [];
  readonly seen = new Set<string>();
  /** Times its `lspair lsp` was started, and what each one said to the user on stderr. */
  starts = 0;
  readonly said: string[] = [];
  #process: StdioProcess | null = null;
  #buffers: Buffers | null = null;
  /** The buffers' texts by relative path, kept while no process runs. */
  readonly #texts = new Map<string, string>();
  #exited: Promise<void> = Promise.resolve();
  /** Every connection it ran, for what the hub told the user on each. */
  readonly #runs: Buffers[] = [];

  constructor(
    readonly label: 'host' | 'guest',
    /** The share (host) or the mirror (guest). */
    readonly root: string,
    readonly files: readonly string[],
    private readonly env: Record<string, string>,
    private readonly random: Random,
  ) {}

  get prefix(): string {
    return this.label[0]!;
  }

  /** What the hub told the user (window/showMessage) so far. */
  get told(): string[] {
    return this.#runs.flatMap((b) => b.messages);
  }

  /** The pid of its `lspair lsp`, while it runs. */
  get pid(): number | undefined {
    return this.#process?.child.pid;
  }

  get connected(): boolean {
    return this.#buffers !== null;
  }

  /** Resolves when the current `lspair lsp` has exited. */
  get exited(): Promise<void> {
    return this.#exited;
  }

  uri(rel: string): string {
    return pathToFileURL(path.join(this.root, rel)).href;
  }

  text(rel: string): string {
    return this.#buffers?.text(this.uri(rel)) ?? this.#texts.get(rel) ?? readFileSync(path.join(this.root, rel), 'utf8');
  }

  /** Starts `lspair lsp ts` in its folder, initializes it and opens every buffer with its current text. */
  async start(): Promise<void> {
    if (this.#process) throw new Error(`${this.label}: its lspair lsp still runs`);
    const { process, said } = shim('lsp', 'ts', this.root, this.env);
    const buffers: Buffers = new Buffers(process, () => this.#applied(buffers));
    this.#runs.push(buffers);
    this.#process = process;
    this.starts++;
    this.#exited = new Promise((resolve) =>
      process.child.once('close', () => {
        this.said.push(...said);
        for (const rel of this.files) if (buffers.buffers.has(this.uri(rel))) this.#texts.set(rel, buffers.text(this.uri(rel)));
        buffers.dispose();
        if (this.#buffers === buffers) this.#buffers = null;
        if (this.#process === process) this.#process = null;
        resolve();
      }),
    );
    await buffers.initialize(pathToFileURL(this.root).href);
    for (const rel of this.files) {
      if (!existsSync(path.join(this.root, rel))) throw new Error(`${this.label}: ${rel} is not in its folder`);
      await buffers.open(this.uri(rel), this.text(rel));
    }
    this.#buffers = buffers;
  }

  /** Types a new token at a token boundary of `rel`'s comment; false when no server runs to hear it. */
  type(rel: string): boolean {
    const b = this.#buffers;
    if (!b) return false;
    const uri = this.uri(rel);
    const text = b.text(uri);
    const start = text.indexOf(REGION) + REGION.length;
    const boundaries = [start, ...[...text.slice(start).matchAll(TOKEN)].map((m) => start + m.index! + m[0].length)];
    const at = this.random.pick(boundaries);
    const id = `${this.prefix}${this.typed.length + 1}`;
    this.typed.push(id);
    b.type(uri, at, at, `${id}${this.random.chance(0.2) ? '😀' : ''};${this.random.chance(0.2) ? '\n' : ''}`);
    void b.send(uri);
    return true;
  }

  /** A request to the server about `rel`; its answer or its error (an editor without a server gets an error too). */
  async request(method: string, rel: string, position: { line: number; character: number }): Promise<Outcome> {
    const b = this.#buffers;
    if (!b) return { error: 'no language server running (the editor restarts it)' };
    try {
      return { ok: await b.connection.sendRequest(method, { textDocument: { uri: this.uri(rel) }, position }) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  /** Saves `rel` as an editor does: its server hears didSave (a guest's hub then writes the file on the host). */
  async save(rel: string): Promise<void> {
    await this.#buffers!.connection.sendNotification('textDocument/didSave', { textDocument: { uri: this.uri(rel) } });
  }

  async stop(): Promise<void> {
    await this.#process?.stop();
    await this.#exited;
  }

  /** An edit from the hub was applied: the other editor's tokens it holds were sequenced. */
  #applied(buffers: Buffers): void {
    for (const uri of buffers.buffers.keys()) for (const id of tokens(buffers.text(uri))) if (!id.startsWith(this.prefix)) this.seen.add(id);
  }
}
