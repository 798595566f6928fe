// Co-editing on the host (DESIGN §8): editors join and leave documents, and their edits are sequenced. The
// host's own editors are plain LSP editors in this process: each gets an EditorView here. A guest's editor has
// its EditorView in the guest's daemon, which speaks to the hub in sequenced ops: `$/lspair/edit` in, and
// `$/lspair/document` (the text at open), `$/lspair/ack`, `$/lspair/remote`, `$/lspair/refused` out.
import { TextDocumentSyncKind } from 'vscode-languageserver-protocol';
import { logger } from '../log.js';
import { Documents, readShared, type Member, type SharedDocument } from './documents.js';
import type { Editor } from './editor.js';
import { deliveryVersion, EditorView } from './editor-view.js';
import { diff, toChanges, type TextOp } from './ot.js';
import { isTextChange, type TextChange } from './text.js';

const log = logger('coediting');

/** The notifications between the hub and a guest's daemon for co-editing. */
export const COEDIT = {
  edit: '$/lspair/edit',
  document: '$/lspair/document',
  ack: '$/lspair/ack',
  remote: '$/lspair/remote',
  refused: '$/lspair/refused',
} as const;

export interface CoEditingOptions {
  readonly send: (method: string, params: unknown) => void;
  readonly syncKind: () => TextDocumentSyncKind;
  /** A refusal: the editor is told, and the host's log gets an audit line. */
  readonly deny: (editor: Editor, method: string, reason: string) => void;
  /** Whether an editor may edit this document (a guest needs files.write, and external files are read-only). */
  readonly mayEdit: (editor: Editor, hostUri: string) => boolean;
  /** How a guest names a host URI. */
  readonly guestUri: (editor: Editor, hostUri: string) => string | null;
}

/** A guest's part in a document: its daemon hears sequenced ops. */
function guestMember(editor: Editor, uri: string): Member {
  return {
    remote: (op) => editor.notify(COEDIT.remote, { uri, op }),
    acked: () => editor.notify(COEDIT.ack, { uri }),
    refused: (reason) => editor.notify(COEDIT.refused, { uri, reason }),
  };
}

export class CoEditing {
  readonly docs: Documents;
  /**
   * Documents a guest opened from the host's disk, with that text, until a host editor joins: no host editor's
   * buffer came from them, so what a host editor's buffer holds beyond that text is its own unsaved work (an editor
   * back after its `lspair lsp` restarted, once the hub had forgotten the document), not an old revision.
   */
  readonly #fromDisk = new WeakMap<SharedDocument, string>();

  constructor(private readonly options: CoEditingOptions) {
    this.docs = new Documents(options.send, options.syncKind);
  }

  /** An editor opens a document whose text is `offered` (the host's editors) or the host's own (guests). */
  open(editor: Editor, hostUri: string, languageId: string, version: number, offered: string | null): void {
    const existing = this.docs.get(hostUri);
    const text = existing?.text ?? (editor.isGuest ? readShared(hostUri) : offered);
    if (text === null) return this.options.deny(editor, 'textDocument/didOpen', 'not a readable file on the host');
    if (editor.isGuest) {
      const uri = this.options.guestUri(editor, hostUri);
      if (uri === null) return;
      const doc = this.docs.open(editor, hostUri, languageId, text, guestMember(editor, uri));
      if (!existing) this.#fromDisk.set(doc, text);
      editor.docs.set(hostUri, doc.members.get(editor)!);
      return editor.notify(COEDIT.document, { uri, rev: doc.sequencer.rev, text: doc.text });
    }
    const disk = existing && this.#fromDisk.get(existing);
    const view = this.#hostView(editor, hostUri, disk ?? offered ?? text, version);
    if (disk !== undefined && offered !== null) view.editorChanged(version, toChanges(disk, diff(disk, offered))); // sent once attached
    const doc = this.docs.open(editor, hostUri, languageId, text, view);
    this.#fromDisk.delete(doc);
    editor.docs.set(hostUri, view);
    view.attached(doc.sequencer.rev, doc.text); // an editor that opened an older text is brought up to date
  }

  /** The host's editor changed a document it has open. */
  change(editor: Editor, hostUri: string, version: unknown, changes: unknown): void {
    const view = editor.docs.get(hostUri);
    if (!(view instanceof EditorView)) {
      return this.options.deny(editor, 'textDocument/didChange', editor.isGuest ? 'a guest edits through its lspair daemon' : 'the document is not open');
    }
    if (!Array.isArray(changes) || !changes.every(isTextChange)) return this.options.deny(editor, 'textDocument/didChange', 'malformed contentChanges');
    view.editorChanged(Number.isInteger(version) ? (version as number) : 0, changes as TextChange[]);
  }

  /** A guest's daemon sends an op its editor made against revision `rev`. */
  edit(editor: Editor, hostUri: string, rev: unknown, op: unknown): void {
    const doc = this.docs.get(hostUri);
    const member = editor.docs.get(hostUri);
    if (!doc || !member) return this.options.deny(editor, COEDIT.edit, 'the document is not open');
    if (!this.options.mayEdit(editor, hostUri)) {
      this.options.deny(editor, COEDIT.edit, 'editing needs the files.write permission; your change was undone');
      return member.refused('editing needs the files.write permission');
    }
    doc.submit(editor, typeof rev === 'number' ? rev : -1, op as TextOp);
  }

  close(editor: Editor, hostUri: string): void {
    if (editor.docs.delete(hostUri)) this.docs.close(editor, hostUri);
  }

  /** A guest saved the document: the host's disk holds its text now, the base a host editor's buffer came from. */
  saved(hostUri: string, text: string): void {
    const doc = this.docs.get(hostUri);
    if (doc && this.#fromDisk.has(doc)) this.#fromDisk.set(doc, text);
  }

  /** A shared file changed on the host's disk: an open document gets the change as an edit, unless it was an editor saving. */
  diskChanged(hostUri: string): void {
    const doc = this.docs.get(hostUri);
    if (!doc) return;
    const disk = readShared(hostUri);
    if (disk === null || doc.wasRecently(disk) || [...doc.members.values()].some((m) => m instanceof EditorView && m.editorText === disk)) return;
    log.info({ uri: hostUri }, 'a shared file changed on disk; the change reaches its editors');
    this.#fromDisk.delete(doc); // a host editor's buffer may or may not hold the change: the document's text wins
    doc.submit(null, doc.sequencer.rev, diff(doc.text, disk));
  }

  #hostView(editor: Editor, hostUri: string, text: string, version: number): EditorView {
    const doc = (): SharedDocument | undefined => this.docs.get(hostUri);
    return new EditorView(
      {
        // Sequenced after the current message: the view's own state is settled before answers reach it.
        submit: (rev, op) => queueMicrotask(() => doc()?.submit(editor, rev, op)),
        deliver: (edits, at) =>
          editor
            .request('workspace/applyEdit', { label: 'lspair', edit: { documentChanges: [{ textDocument: { uri: hostUri, version: deliveryVersion(editor.clientName, at) }, edits }] } })
            .then((r) => (r.result as { applied?: unknown } | undefined)?.applied !== false),
        note: (event, reason) => log.info({ editor: editor.who.id, event }, `editor re-synced: ${reason}`),
      },
      text,
      version,
    );
  }
}
