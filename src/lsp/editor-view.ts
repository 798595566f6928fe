// One editor's view of one shared document, for an editor that speaks only standard LSP (DESIGN §8). The
// editor's own edits arrive as didChange; the document's other edits reach it as versioned applyEdit. The view
// is an OT client in the Wave/ot.js style — one edit in flight to the sequencer, the rest buffered — plus what a
// plain editor needs: remote edits are transformed against the user's edits still in flight, the didChange
// echo of an applied edit is recognised (never sent back as a new edit), an edit the editor rejected because
// its version moved is retried, and an editor that cannot be brought back in step is re-synced whole.
import type { TextEdit } from 'vscode-languageserver-protocol';
import { apply, compose, diff, fromChanges, isNoop, noop, toEdits, transform, type TextOp } from './ot.js';
import type { TextChange } from './text.js';

export interface ViewPort {
  /** Sends an op made against revision `rev` to the sequencer; the answer comes back as `acked` or `refused`. */
  submit(rev: number, op: TextOp): void;
  /** Applies edits to the editor's document at its `version`; resolves with what the editor answered. */
  deliver(edits: TextEdit[], version: number): Promise<boolean>;
  /** A line for the log: the editor had to be re-synced whole, or was refused. */
  note(event: 'resync' | 'restored', reason: string): void;
}

/**
 * The version to put on an edit for an editor at `version`. Neovim reports 0 until a buffer's first change and
 * skips its version check for an edit at 0 — which would apply it over changes not yet reported — so it gets 1,
 * which its check refuses once the buffer has changed (its versions are changedticks, well above 1).
 */
export function deliveryVersion(clientName: string, version: number): number {
  return version === 0 && clientName === 'Neovim' ? 1 : version;
}

/** Rejected deliveries in a row before the editor is re-synced whole. */
const MAX_RETRIES = 5;

export class EditorView {
  /** The sequencer's text at `rev`, as this view knows it. */
  #server: string;
  #rev: number | null;
  /** The user's edit in flight to the sequencer, and the ones made since (both against the server text, in order). */
  #inflight: TextOp | null = null;
  #buffer: TextOp | null = null;
  /** The document as this editor will see it once everything in flight lands: server text + the user's edits. */
  #doc: string;
  /** The editor's text as last reported (or confirmed by an echo), and its version. */
  #editor: string;
  #version: number;
  /** The remote edit sent to the editor and not yet echoed, and the text it leads to. */
  #sent: { op: TextOp; expected: string } | null = null;
  /** Remote edits not yet sent to the editor, against `#sent.expected` (or the editor's text when none is out). */
  #queued: TextOp = noop;
  #rejections = 0;

  /**
   * `text` and `version` are the editor's at didOpen. Until `attached` gives the sequencer's revision, the user's
   * edits are kept; the sequencer's text then arrives like a remote edit.
   */
  constructor(
    private readonly port: ViewPort,
    text: string,
    version: number,
  ) {
    this.#server = text;
    this.#doc = text;
    this.#editor = text;
    this.#version = version;
    this.#rev = null;
  }

  /** The text this editor converges to. */
  get text(): string {
    return this.#doc;
  }

  get editorText(): string {
    return this.#editor;
  }

  /** The editor's version as last reported. */
  get version(): number {
    return this.#version;
  }

  /** The sequencer's revision and text for this document: the view is now in step with it. */
  attached(rev: number, text: string): void {
    const catchUp = diff(this.#server, text);
    this.#rev = rev - 1;
    this.#remote(catchUp);
    this.#rev = rev;
    this.#send();
    this.#flush();
  }

  /** The editor's didChange. */
  editorChanged(version: number, changes: readonly TextChange[]): void {
    const user = this.#settle(changes);
    this.#version = version;
    if (!isNoop(user)) {
      const mine = transform(user, this.#queued, 'right'); // remote edits in the queue were sequenced first
      this.#queued = transform(this.#queued, user, 'left');
      this.#editor = apply(this.#editor, user);
      this.#doc = apply(this.#doc, mine);
      this.#buffer = this.#buffer ? compose(this.#buffer, mine) : mine;
      this.#send();
    }
    this.#flush();
  }

  /** The sequencer took the edit in flight. */
  acked(): void {
    if (!this.#inflight || this.#rev === null) return;
    this.#server = apply(this.#server, this.#inflight);
    this.#rev++;
    this.#inflight = this.#buffer;
    this.#buffer = null;
    if (this.#inflight) this.port.submit(this.#rev, this.#inflight);
  }

  /** The sequencer refused the edit in flight (a participant who may not edit): the editor is put back. */
  refused(): void {
    this.#inflight = null;
    this.#buffer = null;
    this.#doc = this.#server;
    this.#resync('restored', 'the edit was refused');
    this.#flush();
  }

  /** Another participant's edit, as sequenced. */
  remote(op: TextOp): void {
    if (this.#rev === null) return;
    this.#remote(op);
    this.#rev++;
    this.#flush();
  }

  #remote(op: TextOp): void {
    this.#server = apply(this.#server, op);
    if (this.#inflight) {
      const inflight = transform(this.#inflight, op, 'right');
      op = transform(op, this.#inflight, 'left');
      this.#inflight = inflight;
    }
    if (this.#buffer) {
      const buffer = transform(this.#buffer, op, 'right');
      op = transform(op, this.#buffer, 'left');
      this.#buffer = buffer;
    }
    this.#doc = apply(this.#doc, op);
    this.#queued = compose(this.#queued, op);
  }

  /**
   * Takes the echo of the edit sent to the editor off the front of its changes: if some first changes turn the
   * editor's text into exactly what the sent edit leads to, they are the echo. If not, the editor rejected it
   * (its version moved first), and it is queued again. Returns the user's own edit, against the editor's text.
   */
  #settle(changes: readonly TextChange[]): TextOp {
    const sent = this.#sent;
    if (sent) {
      this.#sent = null;
      let text = this.#editor;
      for (let k = 0; k < changes.length; k++) {
        text = apply(text, fromChanges(text, [changes[k]!]));
        if (text === sent.expected) {
          this.#editor = text;
          this.#rejections = 0;
          return fromChanges(text, changes.slice(k + 1));
        }
      }
      this.#queued = compose(sent.op, this.#queued);
      this.#rejections++;
    }
    return fromChanges(this.#editor, changes);
  }

  #send(): void {
    if (this.#inflight || !this.#buffer || this.#rev === null) return;
    this.#inflight = this.#buffer;
    this.#buffer = null;
    this.port.submit(this.#rev, this.#inflight);
  }

  /** Sends the queued remote edits to the editor, one delivery at a time. */
  #flush(): void {
    if (this.#sent || isNoop(this.#queued)) return;
    if (this.#rejections >= MAX_RETRIES) this.#resync('resync', `${this.#rejections} deliveries rejected in a row`);
    const op = this.#queued;
    const sent = { op, expected: apply(this.#editor, op) };
    this.#sent = sent;
    this.#queued = noop;
    this.port.deliver(toEdits(this.#editor, op), this.#version).then(
      (applied) => {
        if (applied || this.#sent !== sent) return; // applied: its echo settles it
        // Rejected (its version moved on): sent again after the editor's next didChange says where it is.
        this.#sent = null;
        this.#queued = compose(sent.op, this.#queued);
        this.#rejections++;
      },
      () => undefined,
    );
  }

  /** Replaces what is queued for the editor with one replacement that brings it to the document, and says so. */
  #resync(event: 'resync' | 'restored', reason: string): void {
    this.#rejections = 0;
    this.#queued = diff(this.#sent ? this.#sent.expected : this.#editor, this.#doc);
    this.port.note(event, reason);
  }
}
