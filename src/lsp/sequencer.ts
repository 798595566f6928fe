// The host is the sequencer (DESIGN §8): each open document has one text and one line of revisions. An edit
// made against an older revision is transformed past everything sequenced since, then applied once; its author
// is told the revision, everyone else gets the transformed op. Concurrent inserts at one place: the edit
// sequenced first stays first.
import { apply, checkOp, transform, uniLength, type TextOp } from './ot.js';

/** Revisions kept for transforming late edits; an edit older than this is refused (its editor is re-synced). */
const HISTORY = 4096;

export class Sequencer {
  #text: string;
  #rev = 0;
  readonly #history: TextOp[] = []; // the op that made revision (rev - history.length + 1 + i)

  constructor(text: string) {
    this.#text = text;
  }

  get text(): string {
    return this.#text;
  }

  get rev(): number {
    return this.#rev;
  }

  /** Sequences an op made against revision `base`: the op as applied, or null when it cannot be (too old, malformed). */
  submit(base: number, op: TextOp): TextOp | null {
    const since = this.#rev - base;
    if (!Number.isInteger(base) || since < 0 || since > this.#history.length || !checkOp(op, Infinity)) return null;
    try {
      for (const other of this.#history.slice(this.#history.length - since)) op = transform(op, other, 'right');
      if (!checkOp(op, uniLength(this.#text))) return null; // made against a longer text than there was
      this.#text = apply(this.#text, op);
    } catch {
      return null;
    }
    this.#rev++;
    this.#history.push(op);
    if (this.#history.length > HISTORY) this.#history.shift();
    return op;
  }
}
