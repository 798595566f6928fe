// `npm run bench`: every benchmark, each printing ratios measured side by side in this one run.
import { runChannelBench } from './channel.bench.js';
import { runCoeditBench } from './coedit.bench.js';
import { runFaultsBench } from './faults.bench.js';
import { runLspBench } from './lsp.bench.js';
import { runPolicyBench } from './policy.bench.js';
import { runRelayBench } from './relay.bench.js';
import { runSoakBench } from './soak.bench.js';

const only = process.argv[2];
if (!only || only === 'channel') for (const line of await runChannelBench()) console.log(line);
if (!only || only === 'relay') for (const line of await runRelayBench()) console.log(line);
if (!only || only === 'policy') for (const line of runPolicyBench()) console.log(line);
if (!only || only === 'lsp') for (const line of await runLspBench()) console.log(line);
if (!only || only === 'coedit') for (const line of await runCoeditBench()) console.log(line);
if (!only || only === 'faults') for (const line of await runFaultsBench()) console.log(line);
if (!only || only === 'soak') for (const line of await runSoakBench()) console.log(line);
