// Regression tests for what the fault and load tests found, each reduced to the one thing that failed.
import { once } from 'node:events';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { quote } from 'shell-quote';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FAKE_SERVER } from '../../bench/lsp-session.js';
import type { Request, Response } from '../../src/dap/endpoint.js';
import { DapHub, HOST as DAP_HOST } from '../../src/dap/index.js';
import { GuestProxy, HOST, LspHub } from '../../src/lsp/index.js';
import { GuestUris, HostUris, Policy } from '../../src/policy/index.js';
import { encode } from '../../src/wire/content-length.js';
import { listen, RawClient, share } from '../dap/helpers.js';
import { eventually } from '../helpers/procs.js';
import { duplexPair } from '../helpers/streams.js';
import { tmpdir } from '../helpers/tmp.js';
import { ScriptedEditor } from '../lsp/scripted-editor.js';
import { world } from '../session/world.js';
import { shim } from './procs.js';

const FAKE = fileURLToPath(new URL('../../fixtures/dap/fake-adapter.mjs', import.meta.url));

const until = (what: string, ok: () => boolean): Promise<void> => eventually(ok, () => what, 20_000);

// Found by faults.test.ts: the host's DAP client restarted debugging while the adapter of the session it had just
// left was still ending (debugpy may take seconds after its disconnect; the hub waits 5 s before killing it). The
// new client was taken for a follower of that session, and its launch was refused: "already running; attach".
test("a host client that starts debugging while the last session's adapter is still ending owns a new session", async () => {
  const dir = share('py');
  const hub = new DapHub({ name: 'fake', command: { command: process.execPath, args: [FAKE, path.join(dir, 'app.py'), '--linger'] }, uris: new HostUris(new Policy(dir), true) });
  const hosts = await listen((conn) => hub.connect(conn, conn, DAP_HOST));
  try {
    const first = await RawClient.over(hosts.path);
    assert.ok((await first.request('initialize', { adapterID: 'fake' })).success);
    const ended = once(hub, 'ended');
    first.close(); // the owner's client is gone: the hub asks the adapter to disconnect; it lingers
    const second = await RawClient.over(hosts.path);
    assert.ok((await second.request('initialize', { adapterID: 'fake' })).success);
    await ended;
    const launch = second.send('launch', {});
    const asked = await second.next<Request | Response>((m) => (m.type === 'request' && m.command === 'runInTerminal') || (m.type === 'response' && m.request_seq === launch), 'the launch taken or refused');
    assert.is(asked.type, 'request', `the launch reached a new adapter, which asks its owner to run a terminal (got ${JSON.stringify(asked)})`);
    second.close();
  } finally {
    await hub.close();
    hosts.server.close();
  }
});

/**
 * A hub with the fake server on a copy of fixtures/lsp-share and a guest mirror, and editors that join it: the
 * host's (opening src/main.ts with a text of its own) and a guest's (through its daemon's proxy). A guest's save
 * writes the host's file, as the host daemon does.
 */
function coediting() {
  const root = path.join(tmpdir('lspair-reopen-'), 'share');
  cpSync(fileURLToPath(new URL('../../fixtures/lsp-share', import.meta.url)), root, { recursive: true });
  const policy = new Policy(root);
  const mirror = tmpdir('lspair-reopen-mirror-');
  cpSync(root, mirror, { recursive: true });
  const [command, ...args] = FAKE_SERVER;
  const save = async (uri: string, text: string) => writeFileSync(fileURLToPath(uri), text);
  const hub = new LspHub({ name: 'fake', command: { command: command!, args }, uris: new HostUris(policy, true), save, idleMs: 60_000 });
  const rel = 'src/main.ts';
  const file = path.join(policy.root, rel);
  const hostUri = pathToFileURL(file).href;
  const guestUri = pathToFileURL(path.join(mirror, rel)).href;
  const hostEditor = async (text: string) => {
    const { editor, input, output } = ScriptedEditor.pair();
    hub.connect(input, output, HOST);
    await editor.initialize(pathToFileURL(policy.root).href);
    await editor.open(hostUri, text);
    return { editor, text: () => editor.text(hostUri), leave: () => (editor.dispose(), input.end()) };
  };
  const guestEditor = async () => {
    const [hubSide, guestSide] = duplexPair();
    hub.connectStream(hubSide, { kind: 'guest', id: 'g1', has: () => true });
    const { editor, input, output } = ScriptedEditor.pair();
    const proxy = new GuestProxy(input, output, new GuestUris(mirror), { materialise: async () => undefined }, 'fake');
    proxy.attach(guestSide);
    await editor.initialize(pathToFileURL(mirror).href);
    await editor.open(guestUri, readFileSync(file, 'utf8'));
    return { editor, text: () => editor.text(guestUri), leave: () => (editor.dispose(), proxy.close()) };
  };
  return { hub, file, hostUri, guestUri, hostEditor, guestEditor };
}

// Found by faults.test.ts (the guest's daemon killed, then the host editor's lspair lsp): once nobody had the file
// open, the hub forgot its text (unsaved); the guest, back first, opened it from the host's disk; the host's editor,
// back second, opened it with its buffer — which held every edit, the guest's acknowledged ones too — and was
// brought to the disk's text: all of them lost.
test("a host editor back after the hub forgot the document keeps its unsaved buffer, the guest's edits in it too", async () => {
  const { hub, file, hostUri, guestUri, hostEditor, guestEditor } = coediting();
  const disk = readFileSync(file, 'utf8');
  try {
    const host = await hostEditor(disk);
    const guest = await guestEditor();
    guest.editor.type(guestUri, 0, 0, 'g1;');
    await guest.editor.flush(guestUri);
    await until("the guest's edit to reach the host's editor", () => host.text().startsWith('g1;'));
    host.editor.type(hostUri, 3, 3, 'h1;');
    await host.editor.flush(hostUri);
    await until("the host's edit to reach the guest", () => guest.text().startsWith('g1;h1;'));
    guest.leave();
    const unsaved = host.text();
    host.leave(); // its language server restarts: nobody has the file open now
    await new Promise((r) => setTimeout(r, 100));
    const back = await guestEditor(); // opens it again first, from the host's disk
    await until('the guest to get the text of the disk', () => back.text() === disk);
    const host2 = await hostEditor(unsaved);
    await until('both editors to agree', () => host2.text() === back.text());
    assert.is(host2.text(), unsaved, "the host editor's buffer is kept, and reaches the guest");
    host2.leave();
    back.leave();
  } finally {
    await hub.close();
  }
});

// Found reviewing the fix above: a guest opened the file from disk, typed and saved; the host's editor then opened
// the saved file, and what it held beyond the text the guest had opened — the guest's own saved edit — was taken
// for the host editor's unsaved work and applied a second time.
test("a host editor that opens a file a guest saved gets the guest's edit once", async () => {
  const { hub, file, hostUri, guestUri, hostEditor, guestEditor } = coediting();
  const disk = readFileSync(file, 'utf8');
  try {
    const guest = await guestEditor(); // the first to open it: from the host's disk
    guest.editor.type(guestUri, 0, 0, 'g1;');
    await guest.editor.flush(guestUri);
    await guest.editor.connection.sendNotification('textDocument/didSave', { textDocument: { uri: guestUri } });
    await until("the guest's save to reach the host's file", () => readFileSync(file, 'utf8') === `g1;${disk}`);
    const host = await hostEditor(readFileSync(file, 'utf8'));
    host.editor.type(hostUri, 0, 0, 'h1;'); // an edit crosses after the open: both sides have settled
    await host.editor.flush(hostUri);
    await until("the host's edit to reach the guest", () => guest.text().includes('h1;'));
    assert.is(guest.text(), `h1;g1;${disk}`, "the guest's buffer holds its edit once");
    await until('both editors to agree', () => host.text() === guest.text());
    host.leave();
    guest.leave();
  } finally {
    await hub.close();
  }
});

// Found by faults.test.ts (the language server killed in many rounds): after five crashes in three minutes the hub
// told the editors the server "stays stopped", and the next request started it again, its crash count kept: the
// next crash gave up at once, and the next request brought it back, unannounced.
test('a language server that crashed too often stays stopped until the host restarts its language client', async () => {
  const { hub, hostUri, hostEditor } = coediting();
  const position = { textDocument: { uri: hostUri }, position: { line: 0, character: 10 } };
  try {
    const host = await hostEditor('');
    for (let crashes = 1; crashes <= 6; crashes++) {
      await host.editor.connection.sendRequest('textDocument/hover', position); // it runs, initialized
      const pid = hub.serverPid!;
      process.kill(pid, 'SIGKILL');
      await until(`crash ${crashes} to be answered`, () => (hub.serverPid ?? pid) !== pid || host.editor.messages.length > 0);
    }
    assert.match(host.editor.messages.join('\n'), /the language server 'fake' crashed 5 times in 3 minutes; it stays stopped until the host restarts the language client of its editor/);
    const refused = await host.editor.connection.sendRequest('textDocument/hover', position).catch((err: Error) => err);
    assert.match(String(refused), /stays stopped/, 'a request does not start it again');
    assert.is(hub.serverPid, undefined);
    host.leave();
    const restarted = await hostEditor(''); // the host's editor restarted its language client
    assert.ok(await restarted.editor.connection.sendRequest('textDocument/hover', position), 'the server answers again');
    const pid = hub.serverPid!;
    process.kill(pid, 'SIGKILL');
    await until('a crash after the restart to restart it', () => (hub.serverPid ?? pid) !== pid);
    restarted.leave();
  } finally {
    await hub.close();
  }
});

// Found by faults.test.ts (the guest's daemon killed): the editor's `lspair lsp` ended with code 0 and said
// nothing, so to the editor its language server just vanished. A daemon that closes a connection on purpose (the
// editor's `exit`) must still end it quietly.
test("lspair lsp says its daemon is gone when the daemon was killed, and ends quietly after the editor's exit", async () => {
  const w = world();
  const { host } = await w.hosting('--server', `fake=${quote(FAKE_SERVER)}`);
  const launch = async () => {
    const s = shim('lsp', 'fake', w.folder, w.env('host'));
    await new ScriptedEditor(s.process.child.stdout!, s.process.child.stdin!).initialize(pathToFileURL(w.folder).href);
    return { ...s, code: new Promise<number | null>((resolve) => s.process.child.once('close', (code) => resolve(code))) };
  };
  try {
    const quiet = await launch();
    quiet.process.child.stdin!.write(encode({ jsonrpc: '2.0', method: 'exit' })); // the hub closes the connection
    assert.is(await quiet.code, 0, 'an exit the editor asked for');
    assert.equal(quiet.said, []);
    const orphaned = await launch();
    host.kill('SIGKILL');
    assert.is(await orphaned.code, 1, 'an editor sees its server fail');
    assert.match(orphaned.said.join('\n'), /lspair lsp: the lspair daemon of this folder is gone \(it stopped or was killed\)/);
  } finally {
    host.kill('SIGKILL');
    await host.exited;
  }
});

test.run();
