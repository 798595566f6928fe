// Operational transformation for co-editing, on ShareDB's plain-text type (ot-text-unicode: positions in
// code points, so a surrogate pair is never split), and its translation to and from LSP's edits (UTF-16
// positions by line). An op is relative to one text; converting needs that text.
import { type as text, type TextOp } from 'ot-text-unicode';
import type { TextEdit } from 'vscode-languageserver-protocol';
import { lineStarts, offsetAt, positionAt, type TextChange } from './text.js';

export type { TextOp };

export const noop: TextOp = [];

export function isNoop(op: TextOp): boolean {
  return op.length === 0;
}

/** Code points in `s` before UTF-16 offset `at`; an offset inside a surrogate pair counts as the pair's start. */
function toUni(s: string, at: number): number {
  let n = 0;
  for (let i = 0; i < at; n++) {
    const pair = isHigh(s.charCodeAt(i)) && isLow(s.charCodeAt(i + 1));
    if (pair && i + 2 > at) break;
    i += pair ? 2 : 1;
  }
  return n;
}

/** The UTF-16 offset `n` code points after offset `from` in `s`. */
function advance(s: string, from: number, n: number): number {
  let at = from;
  for (; n > 0 && at < s.length; n--) at += isHigh(s.charCodeAt(at)) && isLow(s.charCodeAt(at + 1)) ? 2 : 1;
  return at;
}

/** Replace UTF-16 offsets [start, end) of `base` with `insert`, as an op. */
function replace(base: string, start: number, end: number, insert: string): TextOp {
  const from = toUni(base, start);
  const length = toUni(base, end) - from;
  return text.normalize([from, ...(length > 0 ? [{ d: length }] : []), ...(insert ? [insert] : [])]);
}

/** LSP content changes (each against the text the previous left) as one op against `base`. */
export function fromChanges(base: string, changes: readonly TextChange[]): TextOp {
  let op: TextOp = noop;
  let current = base;
  for (const change of changes) {
    const starts = lineStarts(current);
    const start = change.range ? offsetAt(current, starts, change.range.start) : 0;
    const end = change.range ? Math.max(start, offsetAt(current, starts, change.range.end)) : current.length;
    const step = replace(current, start, end, change.text);
    op = text.compose(op, step);
    current = text.apply(current, step);
  }
  return op;
}

/** An op against `base` as LSP text edits, all relative to `base` (the form of a TextDocumentEdit). */
export function toEdits(base: string, op: TextOp): TextEdit[] {
  const starts = lineStarts(base);
  const edits: TextEdit[] = [];
  // Pieces that touch (an insert and a delete at one place) become one replacement.
  const add = (start: number, end: number, newText: string): void => {
    const range = { start: positionAt(starts, start), end: positionAt(starts, end) };
    const last = edits[edits.length - 1];
    if (last && last.range.end.line === range.start.line && last.range.end.character === range.start.character) {
      last.range.end = range.end;
      last.newText += newText;
    } else edits.push({ range, newText });
  };
  let at = 0; // UTF-16 offset in base
  for (const c of op) {
    if (typeof c === 'number') at = advance(base, at, c);
    else if (typeof c === 'string') add(at, at, c);
    else {
      const end = advance(base, at, typeof c.d === 'number' ? c.d : uniLength(c.d));
      add(at, end, '');
      at = end;
    }
  }
  return edits;
}

/** An op against `base` as LSP content changes (each against the previous result): the edits, last first. */
export function toChanges(base: string, op: TextOp): TextChange[] {
  return toEdits(base, op)
    .reverse()
    .map((e) => ({ range: e.range, text: e.newText }));
}

/** The smallest single replacement that turns `from` into `to` (for re-syncing an editor whole). */
export function diff(from: string, to: string): TextOp {
  let start = 0;
  while (start < from.length && start < to.length && from.charCodeAt(start) === to.charCodeAt(start)) start++;
  let end = 0;
  while (end < from.length - start && end < to.length - start && from.charCodeAt(from.length - 1 - end) === to.charCodeAt(to.length - 1 - end)) end++;
  // Never cut a surrogate pair or a \r\n, in either text (neither has a position inside it): widen to whole units.
  const splits = (s: string, at: number): boolean => at > 0 && at < s.length && ((isHigh(s.charCodeAt(at - 1)) && isLow(s.charCodeAt(at))) || (s[at - 1] === '\r' && s[at] === '\n'));
  while (start > 0 && (splits(from, start) || splits(to, start))) start--;
  while (end > 0 && (splits(from, from.length - end) || splits(to, to.length - end))) end--;
  return replace(from, start, from.length - end, to.slice(start, to.length - end));
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

export const apply = (base: string, op: TextOp): string => text.apply(base, op);
export const compose = (a: TextOp, b: TextOp): TextOp => text.compose(a, b);
/** `op` rewritten to apply after `other`; `side` breaks ties between inserts at one place ('left': op's first). */
export const transform = (op: TextOp, other: TextOp, side: 'left' | 'right'): TextOp => text.transform(op, other, side);

/** Whether a value from the other side is a well-formed op that fits a text of `length` code points. */
export function checkOp(op: unknown, length: number): op is TextOp {
  if (!Array.isArray(op) || op.length > 100_000) return false;
  try {
    text.checkOp(op as TextOp);
  } catch {
    return false;
  }
  let consumed = 0;
  for (const c of op as TextOp) {
    if (typeof c === 'number') consumed += c;
    else if (typeof c === 'object') consumed += typeof c.d === 'number' ? c.d : toUni(c.d, c.d.length);
  }
  return consumed <= length;
}

/** Length in code points (what ops count). */
export function uniLength(s: string): number {
  return toUni(s, s.length);
}
