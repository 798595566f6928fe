// Co-debugging end to end, as users run it: `lspair relay`, `lspair host --adapter py=…debugpy`, two
// `lspair join` processes with their mirror folders, and `lspair dap` launched by real DAP clients on both
// sides (the host's client launches the program; the guests' attach from their mirrors). Roles and grants come
// from `lspair guests`.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HIDDEN_FRAME_NAME } from '../../src/dap/paths.js';
import { lspair } from '../helpers/cli.js';
import { LspairProcess, type Event } from '../helpers/process.js';
import { tmpdir } from '../helpers/tmp.js';
import { share, shim, type Client } from './helpers.js';

type Stopped = DebugProtocol.StoppedEvent;

function world() {
  const root = tmpdir('lspair-dap-e2e-');
  const runtime = path.join(root, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  chmodSync(runtime, 0o700);
  const env = (who: string) => ({ XDG_CONFIG_HOME: path.join(root, who), XDG_CACHE_HOME: path.join(root, who, 'cache'), XDG_RUNTIME_DIR: runtime });
  return { root, env };
}

async function frames(c: Client, threadId: number): Promise<DebugProtocol.StackFrame[]> {
  return (await c.stackTraceRequest({ threadId })).body.stackFrames;
}

test('debugpy: the host launches, a viewer and an editor follow through the relay', async () => {
  const w = world();
  const dir = share('py');
  const app = path.join(dir, 'app.py');
  const running: LspairProcess[] = [];
  const start = (args: string[], who: string): LspairProcess => {
    const p = new LspairProcess(args, w.env(who));
    running.push(p);
    return p;
  };
  try {
    const relay = start(['relay', '--listen', '127.0.0.1:0', '--json'], 'relay');
    const { url } = (await relay.next('ready')) as Event & { url: string };
    const host = start(['host', dir, '--relay', url, '--anonymous', 'accept', '--adapter', 'py=/usr/bin/python3 -m debugpy.adapter', '--json'], 'host');
    const link = String((await host.next('ready')).link);

    // The host's DAP client launches the program through `lspair dap py`, stopping in add().
    const h = shim(['py', '--dir', dir], w.env('host'), 'host').client;
    await h.initializeRequest();
    const launched = h.launchRequest({ program: app, console: 'internalConsole', cwd: dir } as DebugProtocol.LaunchRequestArguments);
    await h.next('initialized');
    await h.setBreakpointsRequest({ source: { path: app }, breakpoints: [{ line: 5 }] });
    await h.configurationDoneRequest();
    await launched;
    const threadId = (await h.next<Stopped>('stopped')).body.threadId!;

    // Two guests join through the relay, each with a mirror; the host makes one an editor.
    const join = async (name: string) => {
      const mirror = path.join(w.root, `mirror-${name}`);
      const guest = start(['join', link, '--dir', mirror, '--name', name, '--json'], name);
      const { guestId } = (await guest.next('joined')) as Event & { guestId: string };
      await guest.next('synced');
      return { guest, guestId, mirror };
    };
    const viewer = await join('viewer');
    const editor = await join('editor');
    assert.is(lspair(['guests', 'role', editor.guestId, 'editor', '--dir', dir], { env: w.env('host') }).code, 0);
    await editor.guest.next('permissions');

    // Their DAP clients launch `lspair dap` in the mirror: attach, and catch up with the stopped program.
    const follow = async (who: { mirror: string }, label: string): Promise<Client> => {
      const c = shim(['--dir', who.mirror], w.env(label), label).client;
      const caps = (await c.initializeRequest()).body!;
      assert.is(caps.supportsEvaluateForHovers, undefined, `${label}: no evaluation in its UI`);
      await c.attachRequest({} as DebugProtocol.AttachRequestArguments);
      await c.next('initialized');
      await c.configurationDoneRequest();
      assert.equal([(await c.next<Stopped>('stopped')).body.reason], ['breakpoint'], label);
      return c;
    };
    const v = await follow(viewer, 'viewer');
    const e = await follow(editor, 'editor');
    const vApp = path.join(viewer.mirror, 'app.py');

    // The viewer reads the stack (files of its mirror), scopes and variables…
    const top = (await frames(v, threadId))[0]!;
    assert.equal([top.name, top.line, top.source?.path], ['add', 5, vApp]);
    assert.ok(existsSync(vApp));
    const scope = (await v.scopesRequest({ frameId: top.id })).body.scopes[0]!;
    const vars = (await v.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
    assert.equal(vars.filter((x) => ['a', 'b'].includes(x.name)).map((x) => x.value), ['1', '2']);
    // …sets a plain breakpoint, but no conditional one, and may not step, evaluate or change variables.
    const bp = (await v.setBreakpointsRequest({ source: { path: vApp }, breakpoints: [{ line: 14 }] })).body.breakpoints[0]!;
    assert.equal([bp.verified, bp.source?.path], [true, vApp]);
    assert.match(await v.refused('setBreakpoints', { source: { path: vApp }, breakpoints: [{ line: 14 }, { line: 15, condition: 'x > 1' }] }), /debug\.repl/);
    assert.match(await v.refused('next', { threadId }), new RegExp(`lspair guests grant ${viewer.guestId} debug\\.control`));
    for (const context of ['repl', 'hover']) assert.match(await v.refused('evaluate', { expression: 'a', frameId: top.id, context }), /debug\.repl/, context);
    assert.match(await v.refused('setVariable', { variablesReference: scope.variablesReference, name: 'a', value: '9' }), /debug\.repl/);

    // The editor steps; everyone sees it.
    await e.nextRequest({ threadId });
    for (const c of [h, v, e]) assert.is((await c.next<Stopped>('stopped')).body.reason, 'step', c.label);

    // The host stops in an excluded file: the guests see a frame without a source.
    await h.setBreakpointsRequest({ source: { path: app }, breakpoints: [] });
    await h.setBreakpointsRequest({ source: { path: path.join(dir, 'private', 'vault.py') }, breakpoints: [{ line: 2 }] });
    await h.continueRequest({ threadId });
    for (const c of [h, v, e]) assert.is((await c.next<Stopped>('stopped')).body.reason, 'breakpoint', c.label);
    const hidden = await frames(e, threadId);
    assert.equal([hidden[0]!.name, hidden[0]!.source, hidden[1]!.source?.path], [HIDDEN_FRAME_NAME, undefined, path.join(editor.mirror, 'app.py')]);
    assert.not.ok(existsSync(path.join(editor.mirror, 'private')), 'the excluded folder never reached the mirror');

    // On to the viewer's breakpoint, which the program hits.
    await h.continueRequest({ threadId });
    for (const c of [h, v, e]) assert.is((await c.next<Stopped>('stopped')).body.reason, 'breakpoint', c.label);
    assert.is((await frames(v, threadId))[0]!.line, 14);

    // The host grants debug.repl to the viewer: its UI is told, and evaluate works for it only.
    assert.is(lspair(['guests', 'grant', viewer.guestId, 'debug.repl', '--dir', dir], { env: w.env('host') }).code, 0);
    assert.is((await v.next<DebugProtocol.CapabilitiesEvent>('capabilities')).body.capabilities.supportsEvaluateForHovers, true);
    const frameId = (await frames(v, threadId))[0]!.id;
    assert.is((await v.evaluateRequest({ expression: 'x + z', frameId, context: 'repl' })).body.result, '22');
    assert.match(await e.refused('evaluate', { expression: 'x + z', frameId: (await frames(e, threadId))[0]!.id, context: 'repl' }), /debug\.repl/);

    // The viewer disconnects: the program and the others go on, to the end.
    await v.disconnectRequest({});
    v.close();
    assert.is((await e.threadsRequest()).body.threads.length, 1);
    await h.continueRequest({ threadId });
    for (const c of [h, e]) await c.next('terminated');
    assert.match(h.events.filter((x) => x.event === 'output').map((x) => x.body.output).join(''), /done 4 21/);
    assert.is(h.unseen('stopped').length, 0, "the viewer's breakpoint left with it");
    await h.disconnectRequest({});
    h.close();
    e.close();
  } finally {
    for (const p of running.reverse()) p.kill();
    await Promise.all(running.map((p) => p.exited));
  }
});

test.run();
