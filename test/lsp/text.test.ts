// LSP positions over text: every line ending, UTF-16 units (surrogate pairs count two), clamping past a line's
// end, and didChange semantics (each change against the previous result).
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyChanges, isTextChange, lineStarts, offsetAt, positionAt } from '../../src/lsp/text.js';

test('lines end at \\n, \\r\\n and \\r; a character past the end of a line is its end', () => {
  const text = 'a\nbc\r\nd\re😀f';
  const starts = lineStarts(text);
  assert.equal(starts, [0, 2, 6, 8]);
  assert.is(offsetAt(text, starts, { line: 1, character: 99 }), 4, 'clamped before \\r\\n');
  assert.is(offsetAt(text, starts, { line: 3, character: 3 }), 11, 'the emoji is two units');
  assert.is(offsetAt(text, starts, { line: 9, character: 0 }), text.length);
  assert.equal(positionAt(starts, 11), { line: 3, character: 3 });
});

test('changes apply in order, each against the text the previous left; no range replaces all', () => {
  const out = applyChanges('hello\nworld', [
    { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } }, text: 'HI' },
    { range: { start: { line: 1, character: 5 }, end: { line: 1, character: 5 } }, text: '!' },
    { range: { start: { line: 0, character: 2 }, end: { line: 1, character: 0 } }, text: ' ' },
  ]);
  assert.is(out, 'HI world!');
  assert.is(applyChanges('x', [{ text: 'all new' }]), 'all new');
});

test('malformed content changes are recognised', () => {
  for (const bad of [null, 'x', {}, { text: 1 }, { text: '', range: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } } }, { text: '', range: { start: { line: 0 }, end: { line: 0, character: 0 } } }, { text: '', range: null }]) {
    assert.not.ok(isTextChange(bad), JSON.stringify(bad));
  }
  assert.ok(isTextChange({ text: 'a', range: { start: { line: 0, character: 1 }, end: { line: 2, character: 0 } } }));
});

test('property: an edit given by positions equals the same edit by offsets', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', '\n', '\r', '😀', 'é', ' ') }), fc.nat(), fc.nat(), fc.string({ maxLength: 5 }), (text, x, y, insert) => {
      const a = x % (text.length + 1);
      const b = y % (text.length + 1);
      const [from, to] = a <= b ? [a, b] : [b, a];
      const starts = lineStarts(text);
      // Offsets inside a \r\n pair have no position; move them to its start, as an editor would.
      const snap = (o: number) => (o > 0 && text[o - 1] === '\r' && text[o] === '\n' ? o - 1 : o);
      const [s, e] = [snap(from), snap(to)];
      const range = { start: positionAt(starts, s), end: positionAt(starts, e) };
      assert.is(applyChanges(text, [{ range, text: insert }]), text.slice(0, s) + insert + text.slice(e));
    }),
    { seed: 20261125, numRuns: 1000 },
  );
});

test.run();
