// Regression tests for what the fault and load tests found, each reduced to the one thing that failed.
import { once } from 'node:events';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FAKE_SERVER } from '../../bench/lsp-session.js';
import { DapHub, HOST as DAP_HOST } from '../../src/dap/index.js';
import type { Request, Response } from '../../src/dap/endpoint.js';
import { GuestProxy, HOST, LspHub } from '../../src/lsp/index.js';
import { GuestUris, HostUris, Policy } from '../../src/policy/index.js';
import { listen, RawClient, share } from '../dap/helpers.js';
import { duplexPair } from '../helpers/streams.js';
import { tmpdir } from '../helpers/tmp.js';
import { ScriptedEditor } from '../lsp/scripted-editor.js';

const FAKE = fileURLToPath(new URL('../../fixtures/dap/fake-adapter.mjs', import.meta.url));

async function until(what: string, ok: () => boolean): Promise<void> {
  for (const start = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - start > 20_000) throw new Error(`timed out waiting for ${what}`);
  }
}

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

// Found by faults.test.ts (the guest's daemon killed, then the host editor's lspair lsp): once nobody had the file
// open, the hub forgot its text (unsaved); the guest, back first, opened it from the host's disk; the host's editor,
// back second, opened it with its buffer — which held every edit, the guest's acknowledged ones too — and was
// brought to the disk's text: all of them lost.
test("a host editor back after the hub forgot the document keeps its unsaved buffer, the guest's edits in it too", async () => {
  const root = path.join(tmpdir('lspair-reopen-'), 'share');
  cpSync(fileURLToPath(new URL('../../fixtures/lsp-share', import.meta.url)), root, { recursive: true });
  const policy = new Policy(root);
  const mirror = tmpdir('lspair-reopen-mirror-');
  cpSync(root, mirror, { recursive: true });
  const [command, ...args] = FAKE_SERVER;
  const hub = new LspHub({ name: 'fake', command: { command: command!, args }, uris: new HostUris(policy, true), save: async () => undefined, idleMs: 60_000 });
  const rel = 'src/main.ts';
  const disk = readFileSync(path.join(policy.root, rel), 'utf8');
  const hostUri = pathToFileURL(path.join(policy.root, rel)).href;
  const guestUri = pathToFileURL(path.join(mirror, rel)).href;
  const hostEditor = async (text: string) => {
    const { editor, input, output } = ScriptedEditor.pair();
    hub.connect(input, output, HOST);
    await editor.initialize(pathToFileURL(policy.root).href);
    await editor.open(hostUri, text);
    return { editor, leave: () => (editor.dispose(), input.end()) };
  };
  const guestEditor = async () => {
    const [hubSide, guestSide] = duplexPair();
    hub.connectStream(hubSide, { kind: 'guest', id: 'g1', has: () => true });
    const { editor, input, output } = ScriptedEditor.pair();
    const proxy = new GuestProxy(input, output, new GuestUris(mirror), { materialise: async () => undefined }, 'fake');
    proxy.attach(guestSide);
    await editor.initialize(pathToFileURL(mirror).href);
    await editor.open(guestUri, disk);
    return { editor, leave: () => (editor.dispose(), proxy.close()) };
  };
  try {
    const host = await hostEditor(disk);
    const guest = await guestEditor();
    guest.editor.type(guestUri, 0, 0, 'g1;');
    await guest.editor.flush(guestUri);
    await until("the guest's edit to reach the host's editor", () => host.editor.text(hostUri).startsWith('g1;'));
    host.editor.type(hostUri, 3, 3, 'h1;');
    await host.editor.flush(hostUri);
    await until("the host's edit to reach the guest", () => guest.editor.text(guestUri).startsWith('g1;h1;'));
    guest.leave();
    const unsaved = host.editor.text(hostUri);
    host.leave(); // its language server restarts: nobody has the file open now
    await new Promise((r) => setTimeout(r, 100));
    const back = await guestEditor(); // opens it again first, from the host's disk
    await until('the guest to get the text of the disk', () => back.editor.text(guestUri) === disk);
    const host2 = await hostEditor(unsaved);
    await until('both editors to agree', () => host2.editor.text(hostUri) === back.editor.text(guestUri));
    assert.is(host2.editor.text(hostUri), unsaved, "the host editor's buffer is kept, and reaches the guest");
    host2.leave();
    back.leave();
  } finally {
    await hub.close();
  }
});

test.run();
