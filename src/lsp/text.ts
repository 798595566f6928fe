// Text in LSP's terms: positions are (line, UTF-16 code unit), lines end at \n, \r\n or \r, and a character
// past the end of its line means the end of that line. JavaScript strings are UTF-16, so offsets are direct.
import type { Position, Range } from 'vscode-languageserver-protocol';

export interface TextChange {
  /** Absent: the change replaces the whole text. */
  readonly range?: Range;
  readonly text: string;
}

/** Offsets where each line starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
    if (c === 10 || c === 13) starts.push(i + 1);
  }
  return starts;
}

/** The offset of a position, clamped to its line (past the last line: the end of the text). */
export function offsetAt(text: string, starts: readonly number[], { line, character }: Position): number {
  if (line >= starts.length) return text.length;
  const start = starts[line]!;
  let end = line + 1 < starts.length ? starts[line + 1]! : text.length;
  while (end > start && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === 13)) end--;
  return Math.min(start + character, end);
}

/** The position of an offset. */
export function positionAt(starts: readonly number[], offset: number): Position {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low, character: offset - starts[low]! };
}

function isPosition(p: unknown): p is Position {
  const q = p as Position;
  return typeof p === 'object' && p !== null && Number.isInteger(q.line) && Number.isInteger(q.character) && q.line >= 0 && q.character >= 0;
}

/** Whether a value is a well-formed content change (a guest sends what it likes). */
export function isTextChange(x: unknown): x is TextChange {
  const c = x as TextChange;
  if (typeof x !== 'object' || x === null || typeof c.text !== 'string') return false;
  return c.range === undefined || (typeof c.range === 'object' && c.range !== null && isPosition(c.range.start) && isPosition(c.range.end));
}

/** Applies changes in order, each against the text the previous ones left (LSP's didChange semantics). */
export function applyChanges(text: string, changes: readonly TextChange[]): string {
  for (const change of changes) {
    if (!change.range) {
      text = change.text;
      continue;
    }
    const starts = lineStarts(text);
    const start = offsetAt(text, starts, change.range.start);
    const end = Math.max(start, offsetAt(text, starts, change.range.end));
    text = text.slice(0, start) + change.text + text.slice(end);
  }
  return text;
}
