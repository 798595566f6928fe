// Co-debugging through a real session, in one process: the host's client reaches the hub through the control
// socket's `dap` stream command (what `lspair dap` does), guests through the encrypted channel, a `dap` mux stream
// and the guest's proxy, with file paths in a mirror folder. Roles and grants come from the host's roster.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadOrCreateIdentity } from '../../src/crypto/index.js';
import { GuestDapProxy } from '../../src/dap/index.js';
import { GuestUris, HostUris, Policy, type MirrorAccess, type Neutral } from '../../src/policy/index.js';
import { defaultConfig, mergeConfig } from '../../src/session/config.js';
import { ControlServer, openStream } from '../../src/session/control.js';
import { DebugAdapters } from '../../src/session/debug-adapters.js';
import { GuestSession } from '../../src/session/guest.js';
import { HostSession } from '../../src/session/host.js';
import { parseLink } from '../../src/session/link.js';
import { TrustedGuests } from '../../src/session/trusted.js';
import { tmpdir } from '../helpers/tmp.js';
import { Client, DEBUGPY, listen, share } from './helpers.js';

type Stopped = DebugProtocol.StoppedEvent;

/** A guest's mirror as the proxy sees it: files fetched from the share on demand (the guest daemon's job). */
function mirrorOf(dir: string, root: string): { uris: GuestUris; mirror: MirrorAccess; fetched: string[] } {
  const uris = new GuestUris(root);
  const fetched: string[] = [];
  const mirror: MirrorAccess = {
    async materialise(neutral: Neutral) {
      if (neutral.kind !== 'share') throw new Error('external files are not served in this test');
      const local = uris.localPath(neutral);
      mkdirSync(path.dirname(local), { recursive: true });
      copyFileSync(path.join(dir, neutral.rel), local);
      fetched.push(neutral.rel);
    },
  };
  return { uris, mirror, fetched };
}

test('debugpy through the control socket, the encrypted channel and the guest proxy', async () => {
  const dir = share('py');
  const app = path.join(dir, 'app.py');
  const config = mergeConfig(defaultConfig({ XDG_CONFIG_HOME: tmpdir() }), { anonymousGuestApproval: 'accept', adapters: { py: DEBUGPY } });
  const adapters = new DebugAdapters({ adapters: config.adapters, uris: new HostUris(new Policy(dir), true) });
  const identities = [await loadOrCreateIdentity(path.join(tmpdir(), 'viewer.json')), await loadOrCreateIdentity(path.join(tmpdir(), 'editor.json'))];
  const session = await HostSession.start({ config, trusted: TrustedGuests.none, name: 'host', listen: { host: '127.0.0.1', port: 0 }, relay: null });
  session.serve('dap', (stream, guest) => adapters.serveGuest(stream, guest));
  const socket = path.join(tmpdir(), 'control.sock');
  const control = await ControlServer.start(socket, async () => null, { dap: (req, conn) => adapters.serveHost(req, conn) });
  const guests: GuestSession[] = [];
  try {
    // The host's client, as `lspair dap py` connects it; a wrong name is refused with the names configured.
    await openStream(socket, { cmd: 'dap', value: 'nope' }).then(
      () => assert.unreachable('an unknown adapter was accepted'),
      (err: Error) => assert.match(err.message, /no debug adapter 'nope' is configured on the host \(configured: py\)/),
    );
    const host = Client.onSocket(await openStream(socket, { cmd: 'dap', value: 'py' }), 'host');
    await host.initializeRequest();
    const launched = host.launchRequest({ program: app, console: 'internalConsole', cwd: dir } as DebugProtocol.LaunchRequestArguments);
    await host.next('initialized');
    await host.setBreakpointsRequest({ source: { path: app }, breakpoints: [{ line: 5 }] });
    await host.configurationDoneRequest();
    await launched;
    const threadId = (await host.next<Stopped>('stopped')).body.threadId!;

    // Two guests join through the channel; the host makes one an editor.
    const join = async (name: string) => {
      const guest = await GuestSession.connect({ link: parseLink(session.link), identity: identities[guests.length]!, name });
      guests.push(guest);
      return { guest, welcome: await guest.joined() };
    };
    const viewer = await join('viewer');
    const editor = await join('editor');
    session.setRole(editor.welcome.guestId, 'editor');
    const follow = async (who: { guest: GuestSession }, label: string) => {
      const root = tmpdir('lspair-mirror-');
      const m = mirrorOf(dir, root);
      const server = await listen((conn) => new GuestDapProxy(conn, conn, who.guest.mux.open('dap', 'py'), m.uris, m.mirror));
      const client = await Client.over(server.path, label);
      await client.initializeRequest();
      await client.attachRequest({} as DebugProtocol.AttachRequestArguments);
      await client.next('initialized');
      await client.configurationDoneRequest();
      assert.is((await client.next<Stopped>('stopped')).body.threadId, threadId, label);
      return { client, root, fetched: m.fetched, server };
    };
    const v = await follow(viewer, 'viewer');
    const e = await follow(editor, 'editor');

    // The viewer sees the stack in its mirror: the file was fetched before its client heard of it.
    const frames = (await v.client.stackTraceRequest({ threadId })).body.stackFrames;
    assert.equal([frames[0]!.line, frames[0]!.source?.path], [5, path.join(v.root, 'app.py')]);
    assert.ok(existsSync(path.join(v.root, 'app.py')) && v.fetched.includes('app.py'));
    const bp = (await v.client.setBreakpointsRequest({ source: { path: path.join(v.root, 'app.py') }, breakpoints: [{ line: 14 }] })).body.breakpoints[0]!;
    assert.equal([bp.verified, bp.source?.path], [true, path.join(v.root, 'app.py')]);
    assert.match(await v.client.refused('setBreakpoints', { source: { path: app }, breakpoints: [{ line: 1 }] }), /not a file of the shared folder/);
    assert.match(await v.client.refused('next', { threadId }), /needs the debug\.control permission \(the host can grant it: lspair guests grant g\d debug\.control\)/);
    assert.match(await v.client.refused('evaluate', { expression: 'a', frameId: frames[0]!.id, context: 'hover' }), /debug\.repl/);

    // The editor steps.
    await e.client.nextRequest({ threadId });
    for (const c of [host, v.client, e.client]) assert.is((await c.next<Stopped>('stopped')).body.reason, 'step', c.label);

    // The host grants debug.repl to the viewer: its evaluate works, the editor's is still refused.
    session.grant(viewer.welcome.guestId, 'debug.repl');
    const top = (await v.client.stackTraceRequest({ threadId })).body.stackFrames[0]!;
    assert.is((await v.client.evaluateRequest({ expression: 'total', frameId: top.id, context: 'repl' })).body.result, '3');
    const editorTop = (await e.client.stackTraceRequest({ threadId })).body.stackFrames[0]!;
    assert.match(await e.client.refused('evaluate', { expression: 'total', frameId: editorTop.id, context: 'repl' }), /debug\.repl/);

    // The viewer leaves; the host clears its breakpoint and the program runs to its end for the others.
    await v.client.disconnectRequest({});
    v.client.close();
    await host.setBreakpointsRequest({ source: { path: app }, breakpoints: [] });
    await host.continueRequest({ threadId });
    for (const c of [host, e.client]) await c.next('terminated');
    assert.match(host.events.filter((x) => x.event === 'output').map((x) => x.body.output).join(''), /done 4 21/);
    assert.is(host.unseen('stopped').length, 0, "the viewer's breakpoint went with it");
    await host.disconnectRequest({});
    host.close();
    e.client.close();
    v.server.server.close();
    e.server.server.close();
  } finally {
    for (const guest of guests) guest.leave();
    await adapters.close();
    await control.close();
    await session.close();
  }
});

test.run();
