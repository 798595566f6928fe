// Issue 5's server-crash proof, with real processes: `lspair relay` on loopback, `lspair host` (reachable only
// through the relay) running typescript-language-server, a guest's `lspair join`, and a guest editor through
// `lspair lsp ts` in the mirror. The language server is killed (SIGKILL) mid-session: the hub starts a new one,
// replays the open documents, and the guest keeps getting answers and diagnostics. When the host stops, no
// language-server process it started (nor one of theirs) is left behind.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLink } from '../../src/session/link.js';
import { LspairProcess } from '../helpers/process.js';
import { descendants, eventually, running, type Proc } from '../helpers/procs.js';
import { relayProcess } from '../session/world.js';
import { answered, editor, projectLoaded, SERVERS, settled, world } from './live.js';

const isServer = (p: Proc) => p.command.includes('typescript-language-server');

test('a language server killed mid-session is restarted, documents replayed, and the guest keeps its answers; none is left when the host stops', async () => {
  const w = world();
  const { relay, url } = await relayProcess();
  const { host, link } = await w.hosting('--relay', url, '--server', SERVERS.ts);
  const everyone: { kill(): void }[] = [relay, host];
  try {
    const log = () => `host log:\n${host.stderr.split('\n').filter((l) => /lsp|warn|error/.test(l)).slice(-30).join('\n')}`;
    const parsed = parseLink(link);
    assert.equal([parsed.relay, parsed.direct], [url, []], 'the guest can only come through the relay');
    const mirror = path.join(w.root, 'mirror');
    const guest = new LspairProcess(['join', link, '--json', '--name', 'ana', '--dir', mirror], w.env('ana'));
    everyone.push(guest);
    await guest.next('synced', 30_000);
    const ts = editor('ts', mirror, w.env('ana'));
    everyone.push(ts);
    const uri = (rel: string) => pathToFileURL(path.join(mirror, rel)).href;
    await answered(ts.client.initialize(mirror), 'initialize', log);
    for (const rel of ['src/main.ts', 'src/greet.ts']) await ts.client.open(uri(rel), 'typescript', readFileSync(path.join(mirror, rel), 'utf8'));
    await projectLoaded(ts.client, 0, uri('src/main.ts'));
    const hover = { textDocument: { uri: uri('src/main.ts') }, position: { line: 2, character: 24 } };
    const definition = { textDocument: { uri: uri('src/greet.ts') }, position: { line: 5, character: 10 } };
    const answers = async (): Promise<void> => {
      const h = await answered(ts.client.request<{ contents: { value: string } }>('textDocument/hover', hover), 'hover', log);
      assert.match(h.contents.value, /greet\(name: string\): string/);
      const d = await answered(ts.client.request<{ uri?: string; targetUri?: string }[]>('textDocument/definition', definition), 'definition', log);
      assert.equal(d.map((l) => l.targetUri ?? l.uri), [uri('generated/shout.ts')], 'definition into the hidden file');
    };
    await answers();

    const seen = new Map<string, Proc>();
    const note = (): Proc[] => {
      const now = descendants(host.pid);
      for (const p of now) seen.set(`${p.pid}/${p.start}`, p);
      return now.filter((p) => p.ppid === host.pid && isServer(p));
    };
    const [first, ...others] = note();
    assert.ok(first && others.length === 0, `one language server, a child of the host: ${JSON.stringify(descendants(host.pid))}`);
    const inFlight = settled(ts.client.request('textDocument/hover', hover), 'a hover sent as the server dies');
    const killedAt = ts.client.received.length;
    process.kill(first.pid, 'SIGKILL');
    const outcome = await inFlight;
    if ('error' in outcome) assert.match(outcome.error.message, /lspair: the language server 'ts' was killed by SIGKILL/, `an answer lost with the server says so: ${outcome.error.message}`);

    await eventually(() => note().some((p) => p.pid !== first.pid), () => `a new server under the host: ${JSON.stringify(descendants(host.pid))}`);
    const [second, ...more] = note();
    assert.ok(second && more.length === 0 && !running(first), 'one new server instead of the old');
    assert.is.not(second.pid, first.pid);
    await projectLoaded(ts.client, killedAt, uri('src/main.ts')); // main.ts was replayed to the new server: its diagnostics come again
    await answers();
    note(); // the new server's own processes, running by now
    assert.is(ts.stderr(), '');

    const editorExit = ts.close();
    guest.kill();
    assert.is(await guest.exited, 0);
    host.kill('SIGTERM');
    assert.is(await host.exited, 0);
    await editorExit;
    const servers = [...seen.values()];
    assert.ok(servers.filter((p) => /tsserver/.test(p.command)).length >= 2, `the servers' own processes were seen: ${JSON.stringify(servers)}`);
    await eventually(() => servers.every((p) => !running(p)), () => `processes left running: ${JSON.stringify(servers.filter(running))}`);
    relay.kill();
    await relay.exited;
  } finally {
    for (const p of everyone) p.kill(); // a test that failed half-way leaves nothing running (the host stops its servers)
  }
});

test.run();
