// LSP benchmark: latency of hover and definition through every way an editor can reach a language server, in
// one run, on the same positions: (a) the server itself on stdio, (b) the host's editor through the hub
// (`lspair lsp` in the share), (c) a guest through the hub over the host's own listener, (d) a guest through
// `lspair relay`, (e) an SSH pipe to the server (sshd on loopback). Once with typescript-language-server, once
// with a trivial server that answers at once, to isolate the proxies' own cost. The paths take turns (rounds of
// requests), so drift on the machine spreads over all of them. For each path the CPU time of every process on
// it is counted too: on loopback the hops run one after the other, so that is where the latency goes. The client
// writes each message in one write, as Neovim and Emacs do (test/lsp/lsp-client.ts).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspClient } from '../test/lsp/lsp-client.js';
import { atGreet, BenchSession, FAKE_SERVER, GREET, realAnswer, lspairPid, serverTree, spawnStdio, TS_SERVER, type Guest, type StdioProcess } from './lsp-session.js';
import { CpuMeter, descendants } from './proc-cpu.js';
import { startSshd, type SshPipe } from './sshd.js';
import { machine, ms, percentile, since, table } from './stats.js';

const REQUESTS = Number(process.env.BENCH_LSP_REQUESTS ?? 2000);
const WARMUP = 200;
const ROUNDS = 10;
const METHODS = ['textDocument/hover', 'textDocument/definition'] as const;

/** The processes a request crosses, in order (the bench's client is this process). */
const HOPS = ['client', 'editor side', 'guest daemon', 'relay', 'host side', 'server'] as const;
type Hop = (typeof HOPS)[number];

interface Server {
  /** The name under `lspair host --server`. */
  readonly name: string;
  readonly argv: readonly string[];
  /** A word of its command line that finds its process. */
  readonly marker: string;
  readonly what: string;
}

interface Route {
  readonly label: string;
  /** The folder the editor sees as its workspace (the share, or a guest's mirror). */
  readonly root: string;
  start(): StdioProcess;
  /** The processes of each hop, once the route's editor process runs. */
  hops(editor: StdioProcess): Map<Hop, number[]>;
}

interface Connected {
  readonly route: Route;
  readonly process: StdioProcess;
  readonly client: LspClient;
  readonly cpu: CpuMeter<Hop>;
}

const params = atGreet;

/**
 * Starts the route's editor connection and warms it up. typescript-language-server answers from a syntax-only
 * server while the project loads (definition then stops at the import), so the timing starts once both methods
 * give the real answer, and the answers are checked again after the warm-up.
 */
async function connect(route: Route): Promise<Connected> {
  const process = route.start();
  const client = new LspClient(process.child.stdout!, process.child.stdin!);
  await client.initialize(route.root);
  await client.open(pathToFileURL(path.join(route.root, GREET.file)).href, 'typescript', readFileSync(path.join(route.root, GREET.file), 'utf8'));
  const answers = () => Promise.all(METHODS.map(async (m) => realAnswer(route.root, m, await client.request(m, params(route.root)))));
  for (const start = Date.now(); !(await answers()).every(Boolean); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() - start > 60_000) throw new Error(`${route.label}: no real hover/definition answer within 60 s`);
  }
  for (const method of METHODS) for (let i = 0; i < WARMUP; i++) await client.request(method, params(route.root));
  if (!(await answers()).every(Boolean)) throw new Error(`${route.label}: the answers changed during the warm-up`);
  return { route, process, client, cpu: new CpuMeter(route.hops(process)) };
}

/** Per route, the latency (ms) of each of REQUESTS sequential requests; routes take turns in ROUNDS rounds. */
async function measure(routes: readonly Connected[], method: string): Promise<number[][]> {
  const samples = routes.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, { route, client, cpu }] of routes.entries()) {
      cpu.start();
      for (let k = 0; k < REQUESTS / ROUNDS; k++) {
        const start = process.hrtime.bigint();
        await client.request(method, params(route.root));
        samples[i]!.push(since(start));
      }
      cpu.stop();
    }
  }
  return samples;
}

function latencyTable(routes: readonly Connected[], samples: number[][]): string[] {
  const p50 = samples.map((s) => percentile(s, 0.5));
  const base = p50[0]!;
  const sshP50 = p50[routes.findIndex((r) => r.route.label.startsWith('(e)'))] ?? NaN;
  const rows = routes.map((r, i) => [
    r.route.label,
    ms(p50[i]!),
    ms(percentile(samples[i]!, 0.99)),
    i === 0 ? '—' : `${p50[i]! < base ? '−' : '+'}${ms(Math.abs(p50[i]! - base))}`,
    Number.isFinite(sshP50) ? `${(p50[i]! / sshP50).toFixed(2)}×` : '—',
  ]);
  return table([['path', 'p50', 'p99', 'added p50 vs (a)', 'p50 ÷ ssh p50'], ...rows]);
}

/** CPU µs per request of each hop of each route (both methods). */
function cpuTable(routes: readonly Connected[]): string[] {
  const requests = REQUESTS * METHODS.length;
  const us = (value: number | undefined) => (value === undefined ? '' : `${Math.round((value * 1000) / requests)}`);
  const rows = routes.map(({ route, cpu }) => [route.label, ...HOPS.map((hop) => us(cpu.totals.get(hop))), us([...cpu.totals.values()].reduce((a, b) => a + b, 0))]);
  return table([['CPU µs per request', ...HOPS, 'total'], ...rows]);
}

async function bench(server: Server, session: BenchSession, guests: { direct: Guest; relayed: Guest }, ssh: SshPipe | { unavailable: string }): Promise<string[]> {
  const share = session.share;
  const host = lspairPid('host');
  const hub = (editor: StdioProcess, guest: Guest | null, relayed: boolean): Map<Hop, number[]> =>
    new Map<Hop, number[]>([
      ['client', [process.pid]],
      ['editor side', [editor.child.pid!]],
      ...(guest ? [['guest daemon', [lspairPid('join', guest.mirror)]] as [Hop, number[]]] : []),
      ...(relayed ? [['relay', [lspairPid('relay')]] as [Hop, number[]]] : []),
      ['host side', [host]],
      ['server', serverTree(host, server.marker)],
    ]);
  const routes: Route[] = [
    {
      label: '(a) direct: server on stdio',
      root: share,
      start: () => spawnStdio(server.argv, share),
      hops: (editor) => new Map([['client', [process.pid]], ['server', [editor.child.pid!, ...descendants(editor.child.pid!)]]]),
    },
    { label: '(b) host editor → hub', root: share, start: () => session.editor(server.name, 'host'), hops: (editor) => hub(editor, null, false) },
    { label: '(c) guest → hub (direct)', root: guests.direct.mirror, start: () => session.editor(server.name, guests.direct), hops: (editor) => hub(editor, guests.direct, false) },
    { label: '(d) guest → relay → hub', root: guests.relayed.mirror, start: () => session.editor(server.name, guests.relayed), hops: (editor) => hub(editor, guests.relayed, true) },
  ];
  if ('argv' in ssh) {
    routes.push({
      label: '(e) ssh pipe to the server',
      root: share,
      start: () => spawnStdio(ssh.argv(server.argv), share),
      hops: (editor) => {
        const remote = serverTree(ssh.pid, server.marker);
        const sshd = descendants(ssh.pid).filter((p) => !remote.includes(p));
        return new Map([['client', [process.pid]], ['editor side', [editor.child.pid!]], ['host side', [ssh.pid, ...sshd]], ['server', remote]]);
      },
    });
  }
  const connected = await Promise.all(routes.map(connect));
  try {
    const lines: string[] = [];
    for (const method of METHODS) {
      lines.push(`${method} against ${server.what} (${REQUESTS} sequential requests per path after ${WARMUP} warm-up, paths interleaved in ${ROUNDS} rounds):`);
      lines.push(...latencyTable(connected, await measure(connected, method)));
      if (!('argv' in ssh)) lines.push(`  (e) ssh pipe: unavailable (${ssh.unavailable})`);
    }
    lines.push(`where the time goes with ${server.what}: CPU time of each process on the path (/proc), per request:`, ...cpuTable(connected));
    return lines;
  } finally {
    for (const c of connected) {
      c.client.dispose();
      await c.process.stop();
    }
  }
}

export async function runLspBench(): Promise<string[]> {
  const load = os.loadavg()[0]!;
  const relay = await BenchSession.relay();
  const ssh = await startSshd();
  const servers: Server[] = [
    { name: 'ts', argv: TS_SERVER, marker: TS_SERVER[1]!, what: 'typescript-language-server' },
    { name: 'fake', argv: FAKE_SERVER, marker: FAKE_SERVER.at(-1)!, what: 'a trivial server (constant answers)' },
  ];
  const session = await BenchSession.start(Object.fromEntries(servers.map((s) => [s.name, s.argv])), relay.url);
  try {
    const guests = { direct: await session.join('direct', 'direct'), relayed: await session.join('relayed', 'relay') };
    const lines: string[] = [];
    for (const server of servers) lines.push(...(await bench(server, session, guests, ssh)));
    return [`LSP latency on loopback (${machine(load)}):`, ...lines];
  } finally {
    await session.close();
    if ('argv' in ssh) ssh.stop();
    await relay.stop();
  }
}
