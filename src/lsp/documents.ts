// The hub's one authoritative copy of each open document, and the one didOpen/didChange/didClose stream the
// language server sees for it: editors' own versions and raw didChange never reach the server.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TextDocumentSyncKind } from 'vscode-languageserver-protocol';
import { applyChanges, type TextChange } from './text.js';

/** Largest shared file the hub opens for a guest. */
export const MAX_DOCUMENT = 32 * 1024 * 1024;

export interface Document {
  readonly uri: string;
  readonly languageId: string;
  text: string;
  /** The version the server knows. */
  version: number;
  /** Each editor that has it open, with that editor's own latest version. */
  readonly editors: Map<object, number>;
}

/**
 * A shared file's text as it is on the host's disk, or null when it is not a regular file of bounded size:
 * opened without blocking (a FIFO in the share must not hang the daemon) and checked on the open descriptor.
 */
export function readShared(uri: string): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(fileURLToPath(uri), constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_DOCUMENT) return null;
    const bytes = Buffer.alloc(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return bytes.subarray(0, read).toString('utf8');
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

type Send = (method: string, params: unknown) => void;

export class Documents {
  readonly #docs = new Map<string, Document>();

  constructor(
    private readonly send: Send,
    /** How the server wants changes: full text or incremental. */
    private readonly syncKind: () => TextDocumentSyncKind,
  ) {}

  get(uri: string): Document | undefined {
    return this.#docs.get(uri);
  }

  all(): IterableIterator<Document> {
    return this.#docs.values();
  }

  /** An editor opens a document; the first one opens it on the server with `text`. */
  open(editor: object, uri: string, languageId: string, version: number, text: string): Document {
    let doc = this.#docs.get(uri);
    if (!doc) {
      doc = { uri, languageId, text, version: 1, editors: new Map() };
      this.#docs.set(uri, doc);
      this.#sendOpen(doc);
    }
    doc.editors.set(editor, version);
    return doc;
  }

  /** Applies an editor's changes to the authoritative text and tells the server. */
  change(editor: object, doc: Document, version: number, changes: readonly TextChange[]): void {
    doc.text = applyChanges(doc.text, changes);
    doc.version++;
    doc.editors.set(editor, version);
    const contentChanges = this.syncKind() === TextDocumentSyncKind.Incremental ? changes : [{ text: doc.text }];
    this.send('textDocument/didChange', { textDocument: { uri: doc.uri, version: doc.version }, contentChanges });
  }

  /** An editor closes it; the last one closes it on the server. */
  close(editor: object, uri: string): void {
    const doc = this.#docs.get(uri);
    if (!doc?.editors.delete(editor) || doc.editors.size > 0) return;
    this.#docs.delete(uri);
    this.send('textDocument/didClose', { textDocument: { uri } });
  }

  /** A restarted server learns every open document again. */
  replay(): void {
    for (const doc of this.#docs.values()) this.#sendOpen(doc);
  }

  #sendOpen(doc: Document): void {
    this.send('textDocument/didOpen', { textDocument: { uri: doc.uri, languageId: doc.languageId, version: doc.version, text: doc.text } });
  }
}
