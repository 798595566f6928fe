// The same hub with another adapter, Debian's lldb-vscode-16, on a small C program: nothing in the hub is
// debugpy's. lldb-vscode answers launch before it sends initialized, numbers every message seq 0, and names a
// thread by its process id; none of that reaches the guests' clients differently.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DapHub, HOST, type DapPermission } from '../../src/dap/index.js';
import { HIDDEN_FRAME_NAME } from '../../src/dap/paths.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { Client, listen, share } from './helpers.js';

type Stopped = DebugProtocol.StoppedEvent;

test('lldb-vscode-16: a C program, a viewer and an editor', async () => {
  const dir = share('c');
  execFileSync('gcc', ['-g', '-O0', '-o', 'prog', 'prog.c', 'private/secret.c'], { cwd: dir });
  const source = path.join(dir, 'prog.c');
  const hub = new DapHub({ name: 'lldb', command: { command: 'lldb-vscode-16', args: [] }, uris: new HostUris(new Policy(dir), true) });
  const held = new Set<DapPermission>(['debug.inspect', 'debug.breakpoints']);
  const hosts = await listen((conn) => hub.connect(conn, conn, HOST));
  const viewers = await listen((conn) => hub.connect(conn, conn, { kind: 'guest', id: 'g1', has: (p) => held.has(p) }));
  const editors = await listen((conn) => hub.connect(conn, conn, { kind: 'guest', id: 'g2', has: (p) => p !== 'debug.repl' }));
  try {
    const host = await Client.over(hosts.path, 'host');
    await host.initializeRequest();
    await host.launchRequest({ program: path.join(dir, 'prog'), cwd: dir } as DebugProtocol.LaunchRequestArguments); // answered before initialized
    await host.next('initialized');
    await host.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: 5 }] });
    await host.setBreakpointsRequest({ source: { path: path.join(dir, 'private', 'secret.c') }, breakpoints: [{ line: 2 }] });
    await host.configurationDoneRequest();
    const threadId = (await host.next<Stopped>('stopped')).body.threadId!;

    const follow = async (socket: string, label: string) => {
      const c = await Client.over(socket, label);
      await c.initializeRequest();
      await c.attachRequest({} as DebugProtocol.AttachRequestArguments);
      await c.next('initialized');
      await c.configurationDoneRequest();
      assert.is((await c.next<Stopped>('stopped')).body.threadId, threadId, label);
      return c;
    };
    const v = await follow(viewers.path, 'viewer');
    const e = await follow(editors.path, 'editor');

    const frames = (await v.stackTraceRequest({ threadId })).body.stackFrames;
    assert.equal([frames[0]!.name, frames[0]!.line, frames[0]!.source?.path], ['add', 5, 'lspair:/prog.c']);
    assert.equal([frames[1]!.name, frames[1]!.line], ['main', 11]);
    assert.ok(frames.slice(2).every((f) => f.source === undefined || f.source.path === undefined || f.source.path.startsWith('lspair')), "the C library's frames name no host path");
    const locals = (await v.variablesRequest({ variablesReference: (await v.scopesRequest({ frameId: frames[0]!.id })).body.scopes[0]!.variablesReference })).body.variables;
    assert.equal(locals.filter((x) => x.name === 'a' || x.name === 'b').map((x) => x.value), ['1', '2']);
    assert.match(await v.refused('next', { threadId }), /debug\.control/);

    await e.nextRequest({ threadId });
    for (const c of [host, v, e]) assert.is((await c.next<Stopped>('stopped')).body.reason, 'step', c.label);
    assert.is((await e.stackTraceRequest({ threadId })).body.stackFrames[0]!.line, 6);

    await host.continueRequest({ threadId });
    for (const c of [host, v, e]) assert.is((await c.next<Stopped>('stopped')).body.reason, 'breakpoint', c.label);
    const hidden = (await v.stackTraceRequest({ threadId })).body.stackFrames;
    assert.equal([hidden[0]!.name, hidden[0]!.source, hidden[1]!.name, hidden[1]!.line, hidden[1]!.source?.path], [HIDDEN_FRAME_NAME, undefined, 'main', 12, 'lspair:/prog.c']);

    held.add('debug.repl');
    assert.match(await v.refused('evaluate', { expression: 'secret', frameId: hidden[0]!.id, context: 'repl' }), /never shown to you/);
    assert.is((await v.evaluateRequest({ expression: 'y', frameId: hidden[1]!.id, context: 'repl' })).body.result, '3');
    const editorFrames = (await e.stackTraceRequest({ threadId })).body.stackFrames;
    assert.match(await e.refused('evaluate', { expression: 'y', frameId: editorFrames[1]!.id, context: 'repl' }), /debug\.repl/);

    await v.disconnectRequest({});
    v.close();
    await host.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
    await host.continueRequest({ threadId });
    for (const c of [host, e]) await c.next('terminated');
    assert.match(host.events.filter((x) => x.event === 'output').map((x) => x.body.output).join(''), /done 4 21/);
    await host.disconnectRequest({}).catch(() => undefined); // lldb-vscode may be gone already
    host.close();
    e.close();
  } finally {
    await hub.close();
    for (const s of [hosts, viewers, editors]) s.server.close();
  }
});

test.run();
