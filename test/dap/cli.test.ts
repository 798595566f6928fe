// `lspair dap` as a DAP client launches it, against a running `lspair host` (built binary, real processes):
// the host's client debugs through it; an unknown adapter is refused in the client's own terms, on the host and on
// a guest (whose `lspair lsp` for an unknown server is refused by name too); with no session holding the folder it
// runs the configured adapter itself.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { LspClient } from '../lsp/lsp-client.js';
import { BIN } from '../helpers/cli.js';
import { LspairProcess } from '../helpers/process.js';
import { tmpdir } from '../helpers/tmp.js';
import { share, shim } from './helpers.js';

const ADAPTER = 'py=/usr/bin/python3 -m debugpy.adapter';

function env(): Record<string, string> {
  const root = tmpdir('lspair-dap-cli-');
  const runtime = path.join(root, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  chmodSync(runtime, 0o700);
  return { XDG_CONFIG_HOME: path.join(root, 'config'), XDG_RUNTIME_DIR: runtime };
}

test("the host's client debugs through lspair dap; unknown adapters are refused by name", async () => {
  const dir = share('py');
  const e = env();
  const host = new LspairProcess(['host', dir, '--json', '--adapter', ADAPTER], e);
  await host.next('ready');
  try {
    const wrong = shim(['nope', '--dir', dir], e, 'wrong');
    assert.match(await wrong.client.refused('initialize', { adapterID: 'python' }), /no debug adapter 'nope' is configured on the host \(configured: py\)/);
    assert.is(await wrong.exited, 1);

    const { client, exited } = shim(['--dir', dir], e, 'host client'); // the one adapter configured
    await client.initializeRequest();
    const app = path.join(dir, 'app.py');
    const launched = client.launchRequest({ program: app, console: 'internalConsole', cwd: dir } as DebugProtocol.LaunchRequestArguments);
    await client.next('initialized');
    await client.setBreakpointsRequest({ source: { path: app }, breakpoints: [{ line: 5 }] });
    await client.configurationDoneRequest();
    await launched;
    const stopped = await client.next<DebugProtocol.StoppedEvent>('stopped');
    assert.equal((await client.stackTraceRequest({ threadId: stopped.body.threadId! })).body.stackFrames[0]!.source?.path, app);
    await client.disconnectRequest({ terminateDebuggee: true });
    client.close();
    assert.is(await exited, 0);
  } finally {
    host.kill();
    await host.exited;
  }
});

test("a guest's lspair dap for an adapter the host has not configured is refused by name; its lspair lsp likewise", async () => {
  const dir = share('py');
  const e = env();
  const host = new LspairProcess(['host', dir, '--json', '--adapter', ADAPTER, '--anonymous', 'accept'], e);
  const link = String((await host.next('ready')).link);
  const mirror = path.join(tmpdir('lspair-dap-guest-'), 'mirror');
  const guestEnv = { ...e, XDG_CONFIG_HOME: path.join(path.dirname(mirror), 'config') };
  const guest = new LspairProcess(['join', link, '--json', '--name', 'guest', '--dir', mirror], guestEnv);
  try {
    await guest.next('synced', 30_000);
    const wrong = shim(['nope', '--dir', mirror], guestEnv, 'guest, wrong adapter');
    assert.match(await wrong.client.refused('initialize', { adapterID: 'python' }), /no debug adapter 'nope' is configured on the host \(configured: py\)/);
    wrong.client.close(); // a client refused at initialize ends its adapter
    await wrong.exited;
    const lsp = spawn(process.execPath, [BIN, 'lsp', 'nope', '--dir', mirror], { env: { ...process.env, ...guestEnv }, stdio: ['pipe', 'pipe', 'inherit'] });
    const editor = new LspClient(lsp.stdout, lsp.stdin);
    assert.match(await editor.initialize(mirror).then(() => 'initialized', (err: Error) => err.message), /^lspair: no language server 'nope' is configured on the host/);
    editor.dispose();
    lsp.kill();
    assert.ok(host.stderr.includes("guest asked for a debug adapter that is not configured"), 'no line in the host log');
  } finally {
    guest.kill();
    await guest.exited;
    host.kill();
    await host.exited;
  }
});

test('without a session, lspair dap runs the configured adapter itself', async () => {
  const dir = share('py');
  const e = env();
  const config = path.join(tmpdir(), 'config.json');
  writeFileSync(config, JSON.stringify({ adapters: { py: { command: '/usr/bin/python3', args: ['-m', 'debugpy.adapter'] } } }), { mode: 0o600 });
  const { client } = shim(['py', '--dir', dir, '--config', config], e, 'direct');
  const caps = (await client.initializeRequest()).body!;
  assert.ok(caps.supportsConditionalBreakpoints, "debugpy's own capabilities, untrimmed");
  client.close();
  const none = shim(['--dir', dir], e, 'none');
  assert.match(await none.client.refused('initialize', {}), /no lspair session holds .*, and no single debug adapter is configured/);
  const broken = shim(['--dir', dir, '--config', path.join(tmpdir(), 'missing.json')], e, 'broken');
  assert.match(await broken.client.refused('initialize', {}), /missing\.json.*no such file/);
});

test.run();
