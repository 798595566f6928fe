import { framesFuzzer } from './frames.js';
import { channelFuzzer } from './channel.js';
import { handshakeFuzzer } from './handshake.js';
import { muxFuzzer } from './mux.js';
import { relayFuzzer } from './relay.js';
import { lspFuzzer, lspTslsFuzzer } from './lsp.js';
import { dapFuzzer } from './dap.js';
import { describeFindings } from './harness.js';
const all = { frames: framesFuzzer, channel: channelFuzzer, handshake: handshakeFuzzer, mux: muxFuzzer, relay: relayFuzzer, lsp: lspFuzzer, 'lsp-tsls': lspTslsFuzzer, dap: dapFuzzer };
for (const name of process.argv.slice(2)) {
  const f = (all as any)[name];
  const r = await f.fuzz({ seed: Number(process.env.SEED ?? 1), runs: Number(process.env.RUNS ?? f.shortRuns), keepGoing: true });
  console.log(name, r.runs, r.ms, 'ms', r.findings.length);
  if (r.findings.length) console.log(describeFindings(r));
}
