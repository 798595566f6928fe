// The DAP hub with Debian's debugpy and real DAP clients: the host's client launches a small program with a
// breakpoint; a viewer and an editor guest attach (speaking the neutral names guests use) and get what the
// issue asks: trimmed capabilities, the replayed state, inspection, plain breakpoints, refusals, stepping for the
// editor, evaluate after a grant for that guest only, a frame in an excluded file without a source, and a
// guest's disconnect that leaves the program and the others running.
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DapHub, HOST, type DapPermission } from '../../src/dap/index.js';
import { HIDDEN_FRAME_NAME } from '../../src/dap/paths.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { Client, DEBUGPY, listen, share } from './helpers.js';

type Stopped = DebugProtocol.StoppedEvent;

function guest(id: string, permissions: DapPermission[]) {
  const held = new Set<DapPermission>(permissions);
  return { who: { kind: 'guest' as const, id, has: (p: DapPermission) => held.has(p) }, held };
}

async function top(client: Client, threadId: number): Promise<DebugProtocol.StackFrame[]> {
  return (await client.stackTraceRequest({ threadId })).body.stackFrames;
}

test('debugpy: host launches, a viewer and an editor follow, each within its permissions', async () => {
  const dir = share('py');
  const app = path.join(dir, 'app.py');
  const vault = path.join(dir, 'private', 'vault.py');
  const hub = new DapHub({ name: 'py', command: DEBUGPY, uris: new HostUris(new Policy(dir), true) });
  const viewer = guest('g1', ['debug.inspect', 'debug.breakpoints']);
  const editor = guest('g2', ['debug.inspect', 'debug.breakpoints', 'debug.control']);
  const hosts = await listen((conn) => hub.connect(conn, conn, HOST));
  const viewers = await listen((conn) => hub.connect(conn, conn, viewer.who));
  const editors = await listen((conn) => hub.connect(conn, conn, editor.who));
  try {
    // A guest cannot start a session: only join the host's.
    const early = await Client.over(viewers.path, 'early');
    assert.match(await early.refused('initialize', { adapterID: 'python' }), /no debug session of 'py' is running/);
    early.close();

    // The host's client: launch with a breakpoint in add() (debugpy answers launch only after configurationDone).
    const host = await Client.over(hosts.path, 'host');
    const caps = (await host.initializeRequest()).body!;
    assert.ok(caps.supportsConditionalBreakpoints && caps.supportsEvaluateForHovers, 'the host sees the adapter as it is');
    const launched = host.launchRequest({ program: app, console: 'internalConsole', cwd: dir, justMyCode: true } as DebugProtocol.LaunchRequestArguments);
    await host.next('initialized');
    const hostBp = await host.setBreakpointsRequest({ source: { path: app }, breakpoints: [{ line: 5 }] });
    assert.ok(hostBp.body.breakpoints[0]!.verified);
    await host.setExceptionBreakpointsRequest({ filters: [] });
    await host.configurationDoneRequest();
    await launched;
    const first = await host.next<Stopped>('stopped');
    assert.is(first.body.reason, 'breakpoint');
    const threadId = first.body.threadId!;

    // Both guests attach: trimmed capabilities, a replayed initialized and stopped state.
    const v = await Client.over(viewers.path, 'viewer');
    const e = await Client.over(editors.path, 'editor');
    const vCaps = (await v.initializeRequest()).body!;
    assert.equal([vCaps.supportsConditionalBreakpoints, vCaps.supportsHitConditionalBreakpoints, vCaps.supportsLogPoints, vCaps.supportsEvaluateForHovers, vCaps.supportsSetVariable, vCaps.supportsCompletionsRequest], [undefined, undefined, undefined, undefined, undefined, undefined]);
    assert.is(vCaps.supportsConfigurationDoneRequest, true);
    assert.ok(vCaps.supportsFunctionBreakpoints, 'breakpoints stay for a viewer');
    assert.ok((vCaps.exceptionBreakpointFilters ?? []).every((f) => !f.supportsCondition));
    await e.initializeRequest();
    for (const c of [v, e]) {
      await c.attachRequest({} as DebugProtocol.AttachRequestArguments);
      await c.next('initialized');
      await c.setExceptionBreakpointsRequest({ filters: [] }); // a client's usual configuration: nothing of its own
      await c.configurationDoneRequest();
      const replayed = await c.next<Stopped>('stopped');
      assert.equal([replayed.body.reason, replayed.body.threadId], ['breakpoint', threadId], c.label);
    }

    // The viewer inspects: threads, stack (neutral names), scopes, variables.
    assert.equal((await v.threadsRequest()).body.threads.map((t) => t.id), [threadId]);
    const frames = await top(v, threadId);
    assert.equal([frames[0]!.name, frames[0]!.line, frames[0]!.source?.path], ['add', 5, 'lspair:/app.py']);
    const scopes = (await v.scopesRequest({ frameId: frames[0]!.id })).body.scopes;
    const locals = (await v.variablesRequest({ variablesReference: scopes[0]!.variablesReference })).body.variables;
    assert.equal(Object.fromEntries(locals.filter((x) => x.name === 'a' || x.name === 'b').map((x) => [x.name, x.value])), { a: '1', b: '2' });

    // …but may not step, evaluate (any context), change variables or set code breakpoints. Nor make up handles.
    assert.match(await v.refused('next', { threadId }), /needs the debug\.control permission/);
    for (const context of ['repl', 'hover', 'watch']) assert.match(await v.refused('evaluate', { expression: 'a', frameId: frames[0]!.id, context }), /needs the debug\.repl permission/, context);
    assert.match(await v.refused('setVariable', { variablesReference: scopes[0]!.variablesReference, name: 'a', value: '5' }), /debug\.repl/);
    assert.match(await v.refused('setBreakpoints', { source: { path: 'lspair:/app.py' }, breakpoints: [{ line: 14, condition: 'i == 1' }] }), /runs code in the debuggee: it needs the debug\.repl/);
    assert.match(await v.refused('variables', { variablesReference: 987654 }), /never shown to you/);
    assert.match(await v.refused('launch', { program: app }), /attach/);
    assert.match(await v.refused('restart', {}), /host/);
    assert.match(await v.refused('debugpySystemInfo', {}), /not a request lspair forwards/);
    assert.match(await v.refused('setBreakpoints', { source: { path: app }, breakpoints: [{ line: 5 }] }), /not a shared file's URI/);

    // The editor steps; everyone hears the program move on and stop again.
    await e.nextRequest({ threadId });
    for (const c of [host, v, e]) assert.is((await c.next<Stopped>('stopped')).body.reason, 'step', c.label);
    assert.equal((await top(e, threadId))[0]!.line, 6);

    // The viewer sets a plain breakpoint in the loop; the host moves its own to the excluded file.
    const vBp = (await v.setBreakpointsRequest({ source: { path: 'lspair:/app.py' }, breakpoints: [{ line: 14 }] })).body.breakpoints[0]!;
    assert.equal([vBp.verified, vBp.line, vBp.source?.path], [true, 14, 'lspair:/app.py']);
    const hostAfter = await host.setBreakpointsRequest({ source: { path: app }, breakpoints: [] });
    assert.equal(hostAfter.body.breakpoints, [], "the host's answer holds only its own breakpoints");
    await host.setBreakpointsRequest({ source: { path: vault }, breakpoints: [{ line: 2 }] });
    await host.continueRequest({ threadId });

    // Stopped in the excluded file: guests see a frame without a source, and may not reach into it.
    assert.is((await host.next<Stopped>('stopped')).body.reason, 'breakpoint');
    const hostFrames = await top(host, threadId);
    assert.equal([hostFrames[0]!.name, hostFrames[0]!.source?.path], ['scramble', vault]);
    for (const c of [v, e]) {
      await c.next('continued');
      await c.next<Stopped>('stopped');
      const seen = await top(c, threadId);
      assert.equal(seen[0], { id: seen[0]!.id, name: HIDDEN_FRAME_NAME, line: 0, column: 0, presentationHint: 'subtle' }, c.label);
      assert.equal([seen[1]!.name, seen[1]!.source?.path, seen[1]!.line], ['main', 'lspair:/app.py', 12], c.label);
      assert.match(await c.refused('scopes', { frameId: seen[0]!.id }), /never shown to you/, c.label);
      assert.match(await c.refused('source', { source: { path: 'lspair:/private/vault.py' }, sourceReference: 0 }), /excluded/, c.label);
    }

    // On to the viewer's breakpoint: it hits (debugpy names no hitBreakpointIds; see breakpoints.test.ts for those).
    await host.continueRequest({ threadId });
    assert.is((await v.next<Stopped>('stopped')).body.reason, 'breakpoint');
    assert.equal((await top(v, threadId))[0]!.line, 14);
    for (const c of [host, e]) assert.is((await c.next<Stopped>('stopped')).body.reason, 'breakpoint', c.label);

    // The host grants debug.repl to the viewer: evaluate works for it, and for it only.
    const frameId = (await top(v, threadId))[0]!.id;
    assert.match(await v.refused('evaluate', { expression: 'i', frameId, context: 'repl' }), /debug\.repl/);
    viewer.held.add('debug.repl');
    hub.permissionsChanged('g1');
    const now = (await v.next<DebugProtocol.CapabilitiesEvent>('capabilities')).body.capabilities;
    assert.equal([now.supportsEvaluateForHovers, now.supportsConditionalBreakpoints, now.supportsGotoTargetsRequest], [true, true, false], "the viewer's UI may show evaluation now");
    assert.is((await v.evaluateRequest({ expression: 'i', frameId, context: 'repl' })).body.result, '0');
    assert.is((await v.evaluateRequest({ expression: 'x + z', frameId, context: 'hover' })).body.result, '22');
    const editorFrame = (await top(e, threadId))[0]!.id;
    assert.match(await e.refused('evaluate', { expression: 'i', frameId: editorFrame, context: 'repl' }), /debug\.repl/);
    assert.is(e.unseen('capabilities').length, 0, 'the editor was not told anything new');

    // The viewer leaves: its breakpoint goes with it; the program and the others go on to the end.
    await v.disconnectRequest({});
    v.close();
    assert.is((await e.threadsRequest()).body.threads.length, 1, 'the editor still follows');
    await host.continueRequest({ threadId });
    for (const c of [host, e]) await c.next('terminated');
    const out = host.events.filter((x) => x.event === 'output' && x.body.category === 'stdout').map((x) => x.body.output).join('');
    assert.match(out, /done 4 21/, 'the program ran to its end');
    assert.is(host.unseen('stopped').length + e.unseen('stopped').length, 0, "the viewer's breakpoint did not stop the program again");
    await host.disconnectRequest({});
    host.close();
    e.close();
  } finally {
    await hub.close();
    for (const s of [hosts, viewers, editors]) s.server.close();
  }
});

test.run();
