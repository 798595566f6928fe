// A simulated co-editing session for the property tests (and for replaying a failing seed by hand): three
// editors with Neovim 0.7.2's habits, their views, the sequencer and a server copy, with random delays.
import * as assert from 'uvu/assert';
import type { TextEdit } from 'vscode-languageserver-protocol';
import { EditorView } from '../../src/lsp/editor-view.js';
import { toChanges, type TextOp } from '../../src/lsp/ot.js';
import { Sequencer } from '../../src/lsp/sequencer.js';
import { applyChanges, lineStarts, positionAt, type TextChange } from '../../src/lsp/text.js';
import { Random } from '../helpers/random.js';

const ALPHABET = ['a', 'b', ' ', '\n', 'é', '😀', '\r\n', 'z'];

/** An editor with Neovim 0.7.2's habits. */
class FakeEditor {
  /** Neovim's buf_versions: 0 from didOpen until the first change, then the buffer's changedtick. */
  version = 0;
  #tick = 3;
  pending: TextChange[] = [];
  constructor(public text: string) {}

  /** A change as a user makes it: recorded for the next didChange, version bumped. */
  change(start: number, end: number, insert: string): void {
    const starts = lineStarts(this.text);
    this.pending.push({ range: { start: positionAt(starts, start), end: positionAt(starts, end) }, text: insert });
    this.text = this.text.slice(0, start) + insert + this.text.slice(end);
    this.#tick += 1 + (this.#tick % 3); // changedtick jumps
    this.version = this.#tick;
  }

  /** Neovim's apply_text_document_edit: refused (but "applied") when the buffer is newer; else one change per edit. */
  applyEdit(edits: TextEdit[], version: number): boolean {
    if (version > 0 && this.version > version) return true;
    const starts = lineStarts(this.text);
    const offsets = edits.map((e) => ({ start: offsetOf(this.text, starts, e.range.start), end: offsetOf(this.text, starts, e.range.end), text: e.newText }));
    for (const e of offsets.sort((a, b) => b.start - a.start)) this.change(e.start, e.end, e.text);
    return true;
  }
}

function offsetOf(text: string, starts: number[], p: { line: number; character: number }): number {
  return Math.min(starts[p.line]! + p.character, text.length);
}

/** A random edit position that is a real LSP position (not inside \r\n or a surrogate pair). */
function boundary(text: string, r: Random): number {
  let at = r.int(text.length + 1);
  while (at > 0 && at < text.length && ((text[at - 1] === '\r' && text[at] === '\n') || (text.charCodeAt(at) >= 0xdc00 && text.charCodeAt(at) <= 0xdfff))) at--;
  return at;
}

function word(r: Random, unique?: string): string {
  if (unique) return unique;
  return Array.from({ length: 1 + r.int(4) }, () => r.pick(ALPHABET)).join('');
}

/** Runs one random session; returns the final texts (editors, views, sequencer, server). */
export function session(seed: number, steps: number, insertOnly: boolean) {
  const r = new Random(seed);
  const initial = 'fn main() {\r\n  let 😀 = "é";\n}\n';
  const seq = new Sequencer(initial);
  let server = initial;
  const queue: { due: number; run: () => void }[] = [];
  let clock = 0;
  // Each channel delivers in order, after a random delay.
  const last = new Map<string, number>();
  const later = (channel: string, run: () => void) => {
    const due = Math.max(last.get(channel) ?? 0, clock + r.int(5));
    last.set(channel, due);
    queue.push({ due, run });
  };
  const participants = [0, 1, 2].map((i) => {
    const editor = new FakeEditor(initial);
    const self = {
      editor,
      view: null as unknown as EditorView,
      inserted: [] as string[],
    };
    self.view = new EditorView(
      {
        submit: (rev: number, op: TextOp) =>
          later(`up${i}`, () => {
            const applied = seq.submit(rev, op);
            assert.ok(applied, 'the sequencer takes every op');
            server = applyChanges(server, toChanges(server, applied!)); // the hub's didChange stream
            for (const other of participants) {
              const down = `down${participants.indexOf(other)}`;
              if (other === self) later(down, () => other.view.acked());
              else later(down, () => other.view.remote(applied!));
            }
          }),
        deliver: (edits: TextEdit[], version: number) =>
          new Promise((resolve) =>
            later(`toEditor${i}`, () => {
              const applied = editor.applyEdit(edits, Math.max(version, 1)); // as the hub does for Neovim
              later(`fromEditor${i}`, () => resolve(applied)); // answered before the echo, as Neovim does
            }),
          ),
        note: () => undefined,
      },
      initial,
      0,
    );
    const [rev, text] = [seq.rev, seq.text]; // the state when the hub answers the editor's didOpen
    later(`down${i}`, () => self.view.attached(rev, text));
    return self;
  });
  const flushEditor = (p: (typeof participants)[number]) => {
    if (p.editor.pending.length === 0) return;
    const changes = p.editor.pending;
    p.editor.pending = [];
    const version = p.editor.version;
    later(`fromEditor${participants.indexOf(p)}`, () => p.view.editorChanged(version, changes));
  };
  let serial = 0;
  for (let step = 0; step < steps; step++) {
    const p = r.pick(participants);
    const text = p.editor.text;
    const start = boundary(text, r);
    const kind = insertOnly ? 0 : r.int(3);
    if (kind === 0) {
      // Inserts-only runs use unique private-use characters: one unit each, so no later insert can split one.
      const token = insertOnly ? String.fromCharCode(0xe000 + serial++) : undefined;
      p.editor.change(start, start, word(r, token));
      if (token) p.inserted.push(token);
    } else {
      const end = boundary(text, r);
      const [a, b] = start <= end ? [start, end] : [end, start];
      p.editor.change(a, b, kind === 1 ? '' : word(r));
    }
    if (r.chance(0.6)) flushEditor(p);
    // Let some time pass: run what is due.
    clock += r.int(3);
    runDue();
  }
  // Quiesce: deliver everything, let editors report, until nothing moves.
  for (let round = 0; round < 1000 && (queue.length > 0 || participants.some((p) => p.editor.pending.length > 0)); round++) {
    participants.forEach(flushEditor);
    clock += 10;
    runDue();
  }
  function runDue() {
    queue.sort((a, b) => a.due - b.due);
    while (queue.length > 0 && queue[0]!.due <= clock) {
      queue.shift()!.run();
    }
  }
  return { seq: seq.text, server, participants };
}

