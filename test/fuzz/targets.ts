// Every fuzz target, in the order they run (no tests here): test/fuzz/fuzz.test.ts runs each briefly, bench/fuzz.ts
// (`npm run fuzz`) long.
import { channelFuzzer } from './channel.js';
import { dapFuzzer } from './dap.js';
import { framesFuzzer } from './frames.js';
import { handshakeFuzzer } from './handshake.js';
import type { Fuzzer } from './harness.js';
import { lspFuzzer, lspTslsFuzzer } from './lsp.js';
import { muxFuzzer } from './mux.js';
import { relayFuzzer } from './relay.js';

export const FUZZERS: readonly Fuzzer[] = [framesFuzzer, handshakeFuzzer, channelFuzzer, muxFuzzer, relayFuzzer, lspFuzzer, lspTslsFuzzer, dapFuzzer];
