// `npm run bench`: every benchmark, each printing ratios measured side by side in this one run.
import { runPolicyBench } from './policy.bench.js';

for (const line of runPolicyBench()) console.log(line);
