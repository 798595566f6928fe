// A scripted editor over real JSON-RPC for co-editing tests: it keeps one buffer per document, types into it
// (didChange, like an editor does), and applies `workspace/applyEdit` the way Neovim 0.7.2 does — refused
// (while answering applied: true) when the buffer is newer than the edit's version, otherwise applied edit by
// edit, each reported in the next didChange.
import { PassThrough } from 'node:stream';
import type { TextEdit } from 'vscode-languageserver-protocol';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';
import { lineStarts, offsetAt, positionAt, type TextChange } from '../../src/lsp/text.js';

interface Buffer {
  text: string;
  version: number;
  tick: number;
  pending: TextChange[];
}

export class ScriptedEditor {
  readonly connection: MessageConnection;
  readonly buffers = new Map<string, Buffer>();
  readonly messages: string[] = [];
  /** The last diagnostics per document URI. */
  readonly diagnostics = new Map<string, { message: string; range: { start: { line: number } } }[]>();

  constructor(fromHub: NodeJS.ReadableStream, toHub: NodeJS.WritableStream) {
    this.connection = createMessageConnection(new StreamMessageReader(fromHub), new StreamMessageWriter(toHub));
    this.connection.onRequest('workspace/applyEdit', (params: { edit: { documentChanges: { textDocument: { uri: string; version: number }; edits: TextEdit[] }[] } }) => {
      for (const change of params.edit.documentChanges) this.#apply(change.textDocument.uri, change.textDocument.version, change.edits);
      return { applied: true };
    });
    this.connection.onRequest(() => null);
    this.connection.onNotification('window/showMessage', (p: { message: string }) => this.messages.push(p.message));
    this.connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: { message: string; range: { start: { line: number } } }[] }) => this.diagnostics.set(p.uri, p.diagnostics));
    this.connection.onNotification(() => undefined);
    this.connection.listen();
  }

  static pair(): { editor: ScriptedEditor; input: PassThrough; output: PassThrough } {
    const input = new PassThrough();
    const output = new PassThrough();
    return { editor: new ScriptedEditor(output, input), input, output };
  }

  async initialize(rootUri: string): Promise<void> {
    await this.connection.sendRequest('initialize', { processId: null, rootUri, clientInfo: { name: 'Neovim' }, capabilities: { workspace: { applyEdit: true } } });
    await this.connection.sendNotification('initialized', {});
  }

  async open(uri: string, text: string): Promise<void> {
    this.buffers.set(uri, { text, version: 0, tick: 3, pending: [] });
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 0, text } });
  }

  /** Replaces [start, end) (UTF-16 offsets) of the buffer, as typing does; reported at the next `flush`. */
  type(uri: string, start: number, end: number, text: string): void {
    const b = this.buffers.get(uri)!;
    const starts = lineStarts(b.text);
    b.pending.push({ range: { start: positionAt(starts, start), end: positionAt(starts, end) }, text });
    b.text = b.text.slice(0, start) + text + b.text.slice(end);
    b.tick += 1 + (b.tick % 3);
    b.version = b.tick;
  }

  /** Sends what changed since the last didChange, as one didChange. */
  async flush(uri: string): Promise<void> {
    const b = this.buffers.get(uri)!;
    if (b.pending.length === 0) return;
    const contentChanges = b.pending;
    b.pending = [];
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: b.version }, contentChanges });
  }

  text(uri: string): string {
    return this.buffers.get(uri)!.text;
  }

  dispose(): void {
    this.connection.dispose();
  }

  #apply(uri: string, version: number, edits: TextEdit[]): void {
    const b = this.buffers.get(uri);
    if (!b || (version > 0 && b.version > version)) return; // "Buffer newer than edits"
    const starts = lineStarts(b.text);
    const offsets = edits.map((e) => ({ start: offsetAt(b.text, starts, e.range.start), end: offsetAt(b.text, starts, e.range.end), text: e.newText }));
    for (const e of offsets.sort((x, y) => y.start - x.start)) this.type(uri, e.start, e.end, e.text);
    void this.flush(uri); // Neovim reports the edit right after applying it
  }
}
