// The hub's open documents (DESIGN §8): each has one authoritative text and version line (a Sequencer), and the
// one didOpen/didChange/didClose stream the language server sees for it. Editors are members of a document:
// each sequenced edit is acknowledged to its author and delivered to every other member.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TextDocumentSyncKind } from 'vscode-languageserver-protocol';
import { toChanges, type TextOp } from './ot.js';
import { Sequencer } from './sequencer.js';

/** Largest shared file the hub opens for a guest. */
export const MAX_DOCUMENT = 32 * 1024 * 1024;
/** Texts a document remembers, to tell an editor's own save from a change made outside. */
const RECENT_TEXTS = 16;

/** One editor's part in a document: how the sequencer's answers reach it. */
export interface Member {
  /** Another member's edit, as sequenced. */
  remote(op: TextOp): void;
  /** Its own edit in flight was sequenced. */
  acked(): void;
  /** Its edit was refused (it may not edit, or the edit could not be sequenced): its editor must be put back. */
  refused(reason: string): void;
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

export class SharedDocument {
  readonly sequencer: Sequencer;
  readonly members = new Map<object, Member>();
  readonly #recent: string[] = [];

  constructor(
    readonly uri: string,
    readonly languageId: string,
    text: string,
    private readonly send: Send,
    private readonly syncKind: () => TextDocumentSyncKind,
  ) {
    this.sequencer = new Sequencer(text);
  }

  get text(): string {
    return this.sequencer.text;
  }

  /** The version the server knows: 1 at didOpen, one more per sequenced edit. */
  get version(): number {
    return this.sequencer.rev + 1;
  }

  /** Whether `text` is one the document recently had (an editor saving what it had, not a change from outside). */
  wasRecently(text: string): boolean {
    return text === this.text || this.#recent.includes(text);
  }

  /**
   * Sequences an edit made against revision `base` by `author` (a member, or null for a change on the host's
   * disk): the server hears it, the author is acknowledged, every other member gets it. False when it cannot be
   * sequenced (too old or malformed): the author is then refused.
   */
  submit(author: object | null, base: number, op: TextOp): boolean {
    const before = this.text;
    const applied = this.sequencer.submit(base, op);
    if (!applied) {
      if (author) this.members.get(author)?.refused('the edit could not be sequenced');
      return false;
    }
    this.#recent.push(before);
    if (this.#recent.length > RECENT_TEXTS) this.#recent.shift();
    const contentChanges = this.syncKind() === TextDocumentSyncKind.Incremental ? toChanges(before, applied) : [{ text: this.text }];
    this.send('textDocument/didChange', { textDocument: { uri: this.uri, version: this.version }, contentChanges });
    for (const [editor, member] of this.members) {
      if (editor === author) member.acked();
      else member.remote(applied);
    }
    return true;
  }

  sendOpen(): void {
    this.send('textDocument/didOpen', { textDocument: { uri: this.uri, languageId: this.languageId, version: this.version, text: this.text } });
  }
}

export class Documents {
  readonly #docs = new Map<string, SharedDocument>();

  constructor(
    private readonly send: Send,
    /** How the server wants changes: full text or incremental. */
    private readonly syncKind: () => TextDocumentSyncKind,
  ) {}

  get(uri: string): SharedDocument | undefined {
    return this.#docs.get(uri);
  }

  /** An editor opens a document; the first one opens it on the server with `text`. */
  open(editor: object, uri: string, languageId: string, text: string, member: Member): SharedDocument {
    let doc = this.#docs.get(uri);
    if (!doc) {
      doc = new SharedDocument(uri, languageId, text, this.send, this.syncKind);
      this.#docs.set(uri, doc);
      doc.sendOpen();
    }
    doc.members.set(editor, member);
    return doc;
  }

  /** An editor closes it; the last one closes it on the server. */
  close(editor: object, uri: string): void {
    const doc = this.#docs.get(uri);
    if (!doc?.members.delete(editor) || doc.members.size > 0) return;
    this.#docs.delete(uri);
    this.send('textDocument/didClose', { textDocument: { uri } });
  }

  /** A restarted server learns every open document again. */
  replay(): void {
    for (const doc of this.#docs.values()) doc.sendOpen();
  }
}
