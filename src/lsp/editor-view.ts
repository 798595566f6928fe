// One editor's view of one shared document, for an editor that speaks only standard LSP (DESIGN §8). The
// editor's own edits arrive as didChange; the document's other edits reach it as versioned applyEdit. The view
// is an OT client in the Wave/ot.js style — one edit in flight to the sequencer, the rest buffered — plus what a
// plain editor needs: remote edits are transformed against the user's edits still in flight, the didChange
// echo of an applied edit is recognised (never sent back as a new edit), an edit the editor rejected because
// its version moved is retried, and an editor that cannot be brought back in step is re-synced whole.
import type { TextEdit } from 'vscode-languageserver-protocol';
import { apply, compose, diff, fromChanges, isNoop, noop, toEdits, transform, type TextOp } from './ot.js';
import { applyChanges, type TextChange } from './text.js';

export interface ViewPort {
  /** Sends an op made against revision `rev` to the sequencer; the answer comes back as `acked` or `refused`. */
  submit(rev: number, op: TextOp): void;
  /** Applies edits to the editor's document at its `version`; resolves with what the editor answered. */
  deliver(edits: TextEdit[], version: number): Promise<boolean>;
  /** A line for the log: the editor had to be re-synced whole, or was refused. */
  note(event: 'resync' | 'restored', reason: string): void;
  /** Runs `work` after `ms` (a timer; tests pass their own clock). */
  later?(work: () => void, ms: number): void;
}

/**
 * How long an echo may stay unfinished after the editor answered. Editors send an edit's whole echo within their
 * change debounce (Neovim: at once, or after 150 ms; eglot: after 0.5 s idle), so an echo still unfinished after
 * this was none: the changes taken for its start were the user's own, which happened to match.
 */
export const ECHO_WAIT_MS = 3000;

/**
 * The version to put on an edit for an editor at `version`. Neovim reports 0 until a buffer's first change and
 * skips its version check for an edit at 0 — which would apply it over changes not yet reported — so it gets 1,
 * which its check refuses once the buffer has changed (its versions are changedticks, well above 1).
 */
export function deliveryVersion(clientName: string, version: number): number {
  return version === 0 && clientName === 'Neovim' ? 1 : version;
}

/** Deliveries refused in a row with no typing to explain it before the editor is re-synced whole. */
const MAX_RETRIES = 5;

/** An edit delivered to the editor, whose echo may arrive over several didChange notifications. */
interface Delivery {
  readonly op: TextOp;
  /** The editor's text once it has applied the edit. */
  readonly expected: string;
  /** The texts it passes through while applying the edit's pieces one by one (last first, as editors do). */
  readonly states: readonly string[];
  /** Changes taken as the start of the echo so far, the text they led to, and how many of `states` that is. */
  consumed: TextChange[];
  progress: string;
  step: number;
}

/** The texts an editor passes through applying `edits` to `text` one at a time, from the last position to the first. */
function statesOf(text: string, edits: readonly TextEdit[]): string[] {
  const order = edits.map((e, i) => ({ e, i })).sort((a, b) => b.e.range.start.line - a.e.range.start.line || b.e.range.start.character - a.e.range.start.character || b.i - a.i);
  return order.map(({ e }) => (text = applyChanges(text, [{ range: e.range, text: e.newText }])));
}

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
  /** The remote edit sent to the editor and not yet (wholly) echoed. */
  #sent: Delivery | null = null;
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
    this.#userEdit(user);
    this.#flush();
  }

  /** The user's own edit, against the editor's text: into the document, and on its way to the sequencer. */
  #userEdit(user: TextOp): void {
    if (isNoop(user)) return;
    const mine = transform(user, this.#queued, 'right'); // remote edits in the queue were sequenced first
    this.#queued = transform(this.#queued, user, 'left');
    this.#editor = apply(this.#editor, user);
    this.#doc = apply(this.#doc, mine);
    this.#buffer = this.#buffer ? compose(this.#buffer, mine) : mine;
    this.#send();
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
   * Takes the echo of the edit sent to the editor off the front of its changes. The echo may come as one change
   * or one per piece of the edit (or a few pieces merged), in one didChange or several; each change must lead on
   * to a later text the edit passes through, and the last one to exactly what it leads to. Anything else means
   * the editor refused the edit (its version had moved on): it is queued again, and all the changes are the
   * user's. Returns the user's own edit, against the editor's text.
   */
  #settle(changes: readonly TextChange[]): TextOp {
    const sent = this.#sent;
    if (!sent) return fromChanges(this.#editor, changes);
    let text = sent.progress;
    let step = sent.step;
    for (let k = 0; k < changes.length; k++) {
      text = apply(text, fromChanges(text, [changes[k]!]));
      step = sent.states.indexOf(text, step);
      if (step < 0) return this.#rejected(sent, changes, false); // the user typed first: expected, not a failure
      step++;
      if (step === sent.states.length) {
        this.#sent = null;
        this.#editor = text;
        this.#rejections = 0;
        return fromChanges(text, changes.slice(k + 1));
      }
    }
    sent.consumed.push(...changes); // part of the echo; the rest is on its way
    sent.progress = text;
    sent.step = step;
    return noop;
  }

  /**
   * The delivery was not applied: queued again. Returns the user's changes (with any taken for an echo), as an
   * op. Only a refusal with no typing to explain it (`failed`) counts towards re-syncing the editor whole.
   */
  #rejected(sent: Delivery, changes: readonly TextChange[], failed: boolean): TextOp {
    this.#sent = null;
    this.#queued = compose(sent.op, this.#queued);
    if (failed) this.#rejections++;
    return fromChanges(this.#editor, [...sent.consumed, ...changes]);
  }

  /** An echo that never finished: the changes taken for its start were the user's. */
  #expire(sent: Delivery): void {
    if (this.#sent !== sent) return;
    this.#userEdit(this.#rejected(sent, [], true));
    this.#flush();
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
    const edits = toEdits(this.#editor, op);
    const sent: Delivery = { op, expected: apply(this.#editor, op), states: statesOf(this.#editor, edits), consumed: [], progress: this.#editor, step: 0 };
    this.#sent = sent;
    this.#queued = noop;
    this.port.deliver(edits, this.#version).then(
      (applied) => {
        if (this.#sent !== sent) return; // settled by its echo, or found refused
        if (applied) return this.#later(() => this.#expire(sent), ECHO_WAIT_MS); // its echo will settle it
        // Refused (its version moved on): sent again after the editor's next didChange says where it is.
        this.#userEdit(this.#rejected(sent, [], false));
      },
      () => undefined,
    );
  }

  #later(work: () => void, ms: number): void {
    if (this.port.later) this.port.later(work, ms);
    else setTimeout(work, ms).unref();
  }

  /** Replaces what is queued for the editor with one replacement that brings it to the document, and says so. */
  #resync(event: 'resync' | 'restored', reason: string): void {
    this.#rejections = 0;
    this.#queued = diff(this.#sent ? this.#sent.expected : this.#editor, this.#doc);
    this.port.note(event, reason);
  }
}
