// Co-editing convergence, by property: three simulated editors that behave like Neovim 0.7.2 (versions that
// jump, versioned edits refused when the buffer moved on while still answering applied: true, several changes
// in one didChange) type concurrently — inserts, deletes, replacements, multi-byte and surrogate-pair text, edits
// at one place — while every message waits a random time. At the end the three editors, their views, the
// sequencer and a language server fed the sequencer's didChange stream hold one text.
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { session } from './coedit-sim.js';

test('property: three editors typing concurrently converge on one text with the sequencer and the server', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      const { seq, server, participants } = session(seed, 40, false);
      assert.is(server, seq, 'the server saw the same text');
      for (const p of participants) {
        assert.is(p.editor.text, seq, `editor text (seed ${seed})`);
        assert.is(p.view.text, seq);
      }
    }),
    { seed: 20261125, numRuns: 300 },
  );
});

test('property: with inserts only, every editor\'s text arrives exactly once (no echo taken for a new edit, none lost)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      const { seq, participants } = session(seed, 30, true);
      for (const p of participants) {
        assert.is(p.editor.text, seq);
        for (const token of p.inserted) assert.is(seq.split(token).length - 1, 1, `${token} once (seed ${seed})`);
      }
    }),
    { seed: 20261126, numRuns: 300 },
  );
});

test.run();
