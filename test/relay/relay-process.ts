// The relay in a process of its own, with the limits given as JSON in argv[2] (`lspair relay` has no flags for
// them): prints {"url"} once listening, and answers each line on stdin with its counts; a line "gc" adds `live`,
// the bytes its heap and buffers hold after full garbage collections (run node with --expose-gc). It stops when
// stdin ends. It does nothing when merely imported (a test run by path pattern imports every file it matches).
import { createInterface } from 'node:readline';
import { setImmediate as turn } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Relay } from '../../src/relay/server.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** Heap and buffer bytes still reachable: two collections a turn apart, so freed buffers are released too. */
async function live(): Promise<number> {
  gc();
  await turn();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const relay = await Relay.start({ limits: JSON.parse(process.argv[2] ?? '{}') as object });
  process.stdout.write(`${JSON.stringify({ url: relay.url })}\n`);
  createInterface({ input: process.stdin })
    .on('line', async (line) => process.stdout.write(`${JSON.stringify({ ...relay.stats(), ...(line === 'gc' ? { live: await live() } : {}) })}\n`))
    .on('close', () => void relay.close().then(() => process.exit(0)));
}
