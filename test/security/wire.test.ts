// Nothing readable on the wire (DESIGN §3, first row), with real processes on loopback: `lspair relay`, `lspair host`
// sharing typescript-language-server and debugpy, one guest joined through the relay and one straight to the host's
// listener, their editors (scripted, through `lspair lsp`) and DAP clients (through `lspair dap`) at work, over a
// fixture whose folder name, file names and contents are canaries, fresh for each run. dumpcap/tshark record every
// packet of the relay's port and the host's listener port, from before the host starts until everyone has left.
// No canary, join secret or key appears in the capture in any encoding, nor in the relay's debug log (nor a key or
// the join secret in the host's and guests' debug logs). The controls show that the capture is whole, that it sees
// what is visible by design (the session id in the upgrade paths, a plain-text probe), and that the detector finds
// each of these very secrets when it is planted in every encoding.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyPairFromPrivate, type KeyPair } from '../../src/crypto/primitives.js';
import { parseLink, type JoinLink } from '../../src/session/link.js';
import { shim, type Client } from '../dap/helpers.js';
import { BIN } from '../helpers/cli.js';
import { LspairProcess, type Event } from '../helpers/process.js';
import { eventually } from '../helpers/procs.js';
import { ScriptedEditor } from '../lsp/scripted-editor.js';
import { world } from '../session/world.js';
import { bytesCanary, scan, textCanary, type Finding } from './canary.js';
import { Capture, readCapture, type CaptureFile, type Flow } from './capture.js';
import { bytesLeaks, textLeaks } from './leaks.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/canary', import.meta.url));
const TSLS = fileURLToPath(new URL('../../node_modules/.bin/typescript-language-server', import.meta.url));
const DEBUGPY = '/usr/bin/python3 -m debugpy.adapter';
/** The canary words: `canary<kind>-XXXX` in the fixture's names and contents becomes `canary<kind>-<random>`. */
const KINDS = ['folder', 'file', 'text', 'value', 'typed', 'host', 'guest'] as const;
type Words = Record<(typeof KINDS)[number], string>;
const GUESTS = ['relayed', 'direct'] as const;

/** Copies the fixture with each placeholder replaced by its canary word. */
function materialise(from: string, to: string, words: Words): void {
  const fill = (s: string) =>
    s.replace(/canary([a-z]+)-XXXX/g, (_, kind: string) => {
      if (!(kind in words)) throw new Error(`unknown canary kind ${kind} in the fixture`);
      return words[kind as keyof Words];
    });
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const target = path.join(to, fill(entry.name));
    if (entry.isDirectory()) materialise(path.join(from, entry.name), target, words);
    else writeFileSync(target, fill(readFileSync(path.join(from, entry.name), 'utf8')));
  }
}

function treeBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? treeBytes(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).size), 0);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A plain HTTP GET on its own connection; its status. */
function plainGet(port: number, where: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: where, agent: false }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0))).on('error', reject);
  });
}

const at = (uri: string, line: number, character: number) => ({ textDocument: { uri }, position: { line, character } });

/** Everything one run starts, so that it can be stopped whatever happens. */
class Run {
  readonly words = Object.fromEntries(KINDS.map((k) => [k, `canary${k}-${randomBytes(8).toString('hex')}`])) as Words;
  readonly w = world({ LSPAIR_LOG: 'debug' });
  readonly rel = { main: `${this.words.folder}/main.ts`, lib: `${this.words.folder}/${this.words.file}.ts`, py: `${this.words.folder}/${this.words.file}.py` };
  readonly pcap = path.join(this.w.root, 'wire.pcap');
  readonly processes: LspairProcess[] = [];
  readonly closers: (() => void)[] = [];
  capture: Capture | null = null;

  start(args: string[], env: Record<string, string>): LspairProcess {
    const p = new LspairProcess(args, env);
    this.processes.push(p);
    return p;
  }

  /** A scripted editor whose language server is `lspair lsp ts`, launched in `root` as an editor would. */
  async editor(root: string, who: string): Promise<{ editor: ScriptedEditor; uri: (rel: string) => string }> {
    const child = spawn(process.execPath, [BIN, 'lsp', 'ts'], { cwd: root, env: { ...process.env, ...this.w.env(who), LSPAIR_LOG: 'error' }, stdio: ['pipe', 'pipe', 'ignore'] });
    const editor = new ScriptedEditor(child.stdout, child.stdin);
    this.closers.push(() => (editor.dispose(), child.stdin.end(), child.kill()));
    await editor.initialize(pathToFileURL(root).href);
    return { editor, uri: (rel) => pathToFileURL(path.join(root, rel)).href };
  }

  /** A DAP client whose adapter is `lspair dap ARGS…`. */
  dap(args: string[], who: string): Client {
    const { client } = shim(args, this.w.env(who), who);
    this.closers.push(() => client.close());
    return client;
  }

  async stop(): Promise<void> {
    for (const close of this.closers.splice(0)) close();
    for (const p of this.processes) p.kill('SIGKILL');
    await this.capture?.stop().catch(() => undefined);
  }
}

interface Guest {
  readonly who: (typeof GUESTS)[number];
  readonly process: LspairProcess;
  readonly mirror: string;
  readonly key: KeyPair;
}

interface Session {
  readonly relay: LspairProcess;
  readonly host: LspairProcess;
  readonly guests: readonly Guest[];
  readonly ports: { readonly relay: number; readonly host: number };
  readonly probe: string;
  readonly link: string;
  readonly parsed: JoinLink;
  readonly sessionId: string;
}

/** The relay, the capture (live before anyone connects), the host, and both guests joined as editors. */
async function share(run: Run): Promise<Session> {
  const { w, words } = run;
  materialise(FIXTURE, w.folder, words);
  const relay = run.start(['relay', '--listen', '127.0.0.1:0', '--json'], { LSPAIR_LOG: 'debug' });
  const relayUrl = String((await relay.next('ready')).url);
  const ports = { relay: Number(new URL(relayUrl).port), host: await freePort() };
  run.capture = await Capture.start([ports.relay, ports.host], run.pcap);
  await run.capture.live(() => plainGet(ports.relay, '/').then(() => undefined));
  const probe = `/v1/probe-${randomBytes(8).toString('hex')}`;
  assert.is(await plainGet(ports.relay, probe), 426, 'the relay answers a plain HTTP request');

  const host = run.start(['host', w.folder, '--json', '--relay', relayUrl, '--listen', `127.0.0.1:${ports.host}`, '--anonymous', 'accept', '--name', words.host, '--server', `ts=${TSLS} --stdio`, '--adapter', `py=${DEBUGPY}`], w.env('host'));
  const ready = await host.next('ready');
  const link = String(ready.link);
  const parsed = parseLink(link);
  assert.equal([parsed.relay, parsed.direct], [relayUrl, [`ws://127.0.0.1:${ports.host}`]], 'the link names the relay and the host');
  // One guest through the relay only (the link without the host's address), one with the whole link (direct first).
  const links = { relayed: link.replace(/&direct=[^#&]*/, ''), direct: link };
  const guests = await Promise.all(
    GUESTS.map(async (who): Promise<Guest> => {
      const mirror = path.join(w.root, `mirror-${who}`);
      const guest = run.start(['join', links[who], '--json', '--name', words.guest, '--dir', mirror], w.env(who));
      const { guestId } = (await guest.next('joined')) as Event & { guestId: string };
      await guest.next('synced', 30_000);
      assert.is(w.guests('role', guestId, 'editor').code, 0);
      await guest.next('permissions');
      const key = readFileSync(path.join(w.root, who, 'lspair', 'identity.key')).subarray(-32);
      return { who, process: guest, mirror, key: keyPairFromPrivate(new Uint8Array(key)) };
    }),
  );
  assert.match(relay.stderr, /guest paired with host/, 'a guest went through the relay');
  return { relay, host, guests, ports, probe, link, parsed, sessionId: String(ready.sessionId) };
}

/** Each guest's editor gets diagnostics, hover, definition and completion; the host and a guest type into one file. */
async function useLanguageServer(run: Run, s: Session): Promise<void> {
  const { rel, words } = run;
  const editors = await Promise.all([{ root: run.w.folder, who: 'host' }, ...s.guests.map((g) => ({ root: g.mirror, who: g.who }))].map(async ({ root, who }) => {
    const e = await run.editor(root, who);
    for (const r of [rel.lib, rel.main]) await e.editor.open(e.uri(r), readFileSync(path.join(root, r), 'utf8'));
    return e;
  }));
  const greetColumn = readFileSync(path.join(run.w.folder, rel.main), 'utf8').split('\n')[2]!.indexOf('greet(') + 1;
  for (const { editor, uri } of editors.slice(1)) {
    const main = uri(rel.main);
    await eventually(() => editor.diagnostics.get(main)?.some((d) => d.message.includes(words.text)) === true, () => 'diagnostics quoting the canary');
    const hover = await editor.connection.sendRequest('textDocument/hover', at(main, 2, greetColumn));
    assert.ok(JSON.stringify(hover).includes(words.text), 'hover shows the doc comment');
    const definition = (await editor.connection.sendRequest('textDocument/definition', at(main, 2, greetColumn))) as { uri?: string; targetUri?: string }[];
    assert.equal(definition.map((d) => d.targetUri ?? d.uri), [uri(rel.lib)], 'definition in the canary file');
    const completion = (await editor.connection.sendRequest('textDocument/completion', at(main, 3, 2))) as { items: { label: string }[] };
    assert.ok(completion.items.some((i) => i.label === 'greet'), 'completion');
  }
  const [host, relayed] = editors as [(typeof editors)[0], (typeof editors)[0]];
  const type = async (e: typeof host, text: string, atEnd: boolean) => {
    const offset = atEnd ? e.editor.text(e.uri(rel.lib)).length : 0;
    e.editor.type(e.uri(rel.lib), offset, offset, text);
    await e.editor.flush(e.uri(rel.lib));
  };
  for (const keystroke of ['/', '/', ' ', `${words.typed}\n`]) await type(relayed, keystroke, true); // the last one pasted
  for (const keystroke of 'hi!') await type(host, keystroke, false);
  const texts = () => editors.map((e) => e.editor.text(e.uri(rel.lib)));
  await eventually(() => new Set(texts()).size === 1 && texts()[0]!.includes(`// ${words.typed}`) && texts()[0]!.startsWith('!ih'), () => 'the three buffers converge');
}

/** The host launches the canary program through `lspair dap py`; each guest attaches from its mirror and inspects. */
async function debug(run: Run, s: Session): Promise<void> {
  const { rel, words } = run;
  const h = run.dap(['py', '--dir', run.w.folder], 'host');
  await h.initializeRequest();
  const program = path.join(run.w.folder, rel.py);
  const launched = h.launchRequest({ program, console: 'internalConsole', cwd: run.w.folder } as DebugProtocol.LaunchRequestArguments);
  await h.next('initialized');
  await h.setBreakpointsRequest({ source: { path: program }, breakpoints: [{ line: 4 }] });
  await h.configurationDoneRequest();
  await launched;
  const threadId = (await h.next<DebugProtocol.StoppedEvent>('stopped')).body.threadId!;
  const followers: Client[] = [];
  for (const g of s.guests) {
    const c = run.dap(['--dir', g.mirror], g.who);
    followers.push(c);
    await c.initializeRequest();
    await c.attachRequest({} as DebugProtocol.AttachRequestArguments);
    await c.next('initialized');
    await c.configurationDoneRequest();
    await c.next('stopped');
    const top = (await c.stackTraceRequest({ threadId })).body.stackFrames[0]!;
    assert.is(top.source?.path, path.join(g.mirror, rel.py), `${g.who}: the frame is in its mirror`);
    const scope = (await c.scopesRequest({ frameId: top.id })).body.scopes[0]!;
    const variables = (await c.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
    assert.ok(variables.some((v) => v.name === 'secret' && v.value.includes(words.value)), `${g.who} sees the canary variable`);
  }
  await h.continueRequest({ threadId });
  for (const c of followers) {
    await c.next('terminated');
    assert.ok(c.events.some((e) => e.event === 'output' && String(e.body?.output).includes(words.text)), `${c.label} got the program's output`);
  }
  await h.next('terminated');
}

/** Everyone leaves (editors and clients, guests, host, relay); then the capture stops and is read. */
async function leave(run: Run, s: Session): Promise<CaptureFile & { dropped: number; received: number }> {
  for (const close of run.closers.splice(0)) close();
  for (const g of s.guests) g.process.kill();
  await Promise.all(s.guests.map((g) => g.process.exited));
  for (const p of [s.host, s.relay]) {
    p.kill();
    await p.exited;
  }
  const counts = await run.capture!.stop();
  run.capture = null;
  return { ...(await readCapture(run.pcap)), ...counts };
}

const sent = (flows: readonly Flow[]) => Buffer.concat(flows.map((f) => f.bytes));
const touching = (file: CaptureFile, port: number) => file.flows.filter((f) => f.srcPort === port || f.dstPort === port);

/** The capture is whole, holds both paths' traffic, and sees what is visible by design. */
function checkCapture(run: Run, s: Session, file: CaptureFile & { dropped: number; received: number }): void {
  assert.is(file.dropped, 0, 'the kernel dropped no packet');
  assert.is(file.packets, file.received, 'every packet dumpcap received is in the file');
  assert.equal(file.flows.filter((f) => f.missing > 0).map((f) => `${f.stream}:${f.srcPort}`), [], 'no connection has a gap');
  const upstream = (port: number) => sent(file.flows.filter((f) => f.dstPort === port)).toString('latin1');
  const shared = treeBytes(run.w.folder);
  for (const [where, port] of [['relay', s.ports.relay], ['host listener', s.ports.host]] as const) {
    assert.ok(sent(touching(file, port)).length > shared, `the ${where}'s connections carried more than the shared files (${shared} bytes)`);
  }
  assert.ok(upstream(s.ports.relay).includes(`GET ${s.probe} HTTP/1.1`), 'the capture holds the plain-text probe');
  for (const route of ['host', 'join', 'accept']) assert.ok(upstream(s.ports.relay).includes(`GET /v1/${route}/${s.sessionId}`), `the relay's /v1/${route}/ upgrade path is visible`);
  assert.ok(upstream(s.ports.host).includes(`GET /v1/join/${s.sessionId} HTTP/1.1`), "the host listener's upgrade path is visible");
}

test('a relayed and a direct guest use the TypeScript server and debugpy: no canary, secret or key on the wire or in the relay log', async () => {
  const run = new Run();
  try {
    const s = await share(run);
    await useLanguageServer(run, s);
    await debug(run, s);
    const file = await leave(run, s);
    checkCapture(run, s, file);

    // The secrets: the canary words, the link's fragment, the join secret, the host's session key, the guests' keys.
    const secrets: { label: string; value: string | Uint8Array }[] = [
      ...KINDS.map((k) => ({ label: `canary ${k}`, value: run.words[k] })),
      { label: 'link fragment', value: s.link.slice(s.link.indexOf('#') + 1) },
      { label: 'join secret', value: s.parsed.secret },
      { label: "host's session public key", value: s.parsed.hostKey },
      ...s.guests.flatMap((g) => [{ label: `${g.who} guest's private key`, value: g.key.privateKey }, { label: `${g.who} guest's public key`, value: g.key.publicKey }]),
    ];
    const canaries = secrets.map((x) => (typeof x.value === 'string' ? textCanary(x.label, x.value) : bytesCanary(x.label, x.value)));
    // The detector finds each of these very secrets planted in every encoding after real captured bytes (the last
    // 64 KiB of the busiest stream: enough for any needle to straddle, and seconds faster than the whole stream).
    const biggest = file.flows.reduce((a, b) => (b.bytes.length > a.bytes.length ? b : a)).bytes.subarray(-64 * 1024);
    for (const { label, value } of secrets) {
      for (const leak of typeof value === 'string' ? textLeaks(value) : bytesLeaks(value)) {
        const found = scan(Buffer.concat([biggest, leak.document]), canaries);
        assert.ok(found.some((f) => f.label === label && f.at >= biggest.length), `the detector finds ${label} planted as ${leak.how}`);
      }
    }

    const findings: (Finding & { where: string })[] = [
      ...file.flows.flatMap((f) => scan(f.bytes, canaries).map((x) => ({ ...x, where: `tcp ${f.srcPort}→${f.dstPort}` }))),
      ...scan(Buffer.from(s.relay.stderr), canaries).map((x) => ({ ...x, where: "the relay's log" })),
    ];
    const keys = canaries.filter((c) => /secret|fragment|private/.test(c.label));
    const daemonLogs = [s.host, ...s.guests.map((g) => g.process)].flatMap((p) => scan(Buffer.from(p.stderr), keys).map((x) => ({ ...x, where: `pid ${p.pid}'s log` })));
    const payload = sent(file.flows).length;
    const needles = canaries.reduce((n, c) => n + c.needles.length, 0);
    const encodings = new Set(canaries.flatMap((c) => c.needles.map((n) => n.encoding))).size;
    console.log(
      `  wire capture: ${file.packets} packets, ${file.frameBytes} bytes (${payload} of TCP payload) in ${new Set(file.flows.map((f) => f.stream)).size} connections` +
        ` (relay ${sent(touching(file, s.ports.relay)).length} B, host listener ${sent(touching(file, s.ports.host)).length} B); relay log ${s.relay.stderr.split('\n').length - 1} lines;` +
        ` ${canaries.length} secrets, ${needles} needles in ${encodings} encodings; found on the wire or in the relay log: ${findings.length}; keys in the daemons' logs: ${daemonLogs.length}`,
    );
    assert.equal(findings, [], 'no secret on the wire or in the relay log');
    assert.equal(daemonLogs, [], "no key or join secret in the host's or the guests' logs");
  } finally {
    await run.stop();
  }
});

test.run();
