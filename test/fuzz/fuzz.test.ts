// Every fuzz target with a short budget and a fixed seed (the long runs are `npm run fuzz`): any crash, uncaught
// exception, hang, leak of an excluded file or broken invariant a target finds fails its test, with the smallest
// case found and how to replay it (`npm run fuzz -- --seed S --path P TARGET`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeFindings } from './harness.js';
import { FUZZERS } from './targets.js';

/** Fixed, so that a run of `npm test` is repeatable; `npm run fuzz` draws others. */
const SEED = 20_240_508;

for (const fuzzer of FUZZERS) {
  test(`fuzz ${fuzzer.name}: ${fuzzer.what} (${fuzzer.shortRuns} cases)`, async () => {
    const report = await fuzzer.fuzz({ seed: SEED, runs: fuzzer.shortRuns });
    assert.is(report.findings.length, 0, describeFindings(report));
    assert.is(report.runs, fuzzer.shortRuns, 'every case ran');
  });
}

test.run();
