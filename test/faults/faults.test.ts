// Fault injection (DESIGN §3, issue 8): the scripted session of scenario.ts — co-editing, navigation and
// debugging through `lspair relay` — with the language server, the debug adapter, the relay, the guest's daemon
// and an editor's `lspair lsp` killed with SIGKILL at seeded points. Every round must recover; every message a
// participant was given must say what happened; no acknowledged edit may be lost; the host's file and both
// buffers must agree; no process may outlive the session. LSPAIR_SEED replays a run, LSPAIR_FAULT_ROUNDS makes it
// longer (the default, one round per target, takes 1–2 minutes here), LSPAIR_FAULT_LOGS=DIR keeps the daemons' logs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seedFromEnv } from '../helpers/random.js';
import { runFaults, TARGETS, type Round } from './scenario.js';

const ROUNDS = Number(process.env.LSPAIR_FAULT_ROUNDS ?? TARGETS.length);
const SEED = seedFromEnv(8);

function describe(r: Round, i: number): string {
  const messages = [...r.messages].map(([k, n]) => `${n} × ${k}`).join(', ') || 'none';
  return `  round ${i + 1}: ${r.target} killed after ${r.steps} actions: ${r.outcome}; the session works again after ${r.recoveryMs} ms (messages: ${messages})`;
}

test(`SIGKILL faults during co-editing, navigation and debugging (seed ${SEED}, ${ROUNDS} rounds)`, async () => {
  console.log(`faults: seed ${SEED} (LSPAIR_SEED=${SEED} replays it), ${ROUNDS} rounds (LSPAIR_FAULT_ROUNDS)`);
  const run = await runFaults({ seed: SEED, rounds: ROUNDS, logs: process.env.LSPAIR_FAULT_LOGS, onRound: (r, i) => console.log(describe(r, i)) });
  for (const line of run.figures) console.log(`  ${line}`);
  assert.ok(run.acknowledged > 0, 'edits crossed between the editors');
  assert.equal(run.lost, [], 'no acknowledged edit is lost');
  assert.equal(run.duplicated, [], 'no edit is applied twice');
  assert.equal(run.foreign, [], 'the file holds only typed edits');
  assert.ok(run.converged, "the host's file and both buffers agree");
  assert.equal(run.unclear, [], 'every message says what happened');
  assert.equal(run.wrong, [], 'every answer is right for whoever asked');
  assert.equal(run.orphans, [], 'no process outlives the session');
});

test.run();
