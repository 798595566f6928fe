// A shared language server answers in order, so a guest with hundreds of requests at the server would make every
// other editor's request wait behind them all (found by the load soak: the healthy editors of a session with a
// flooding guest waited seconds). The hub lets at most MAX_AT_SERVER of one guest's requests reach the server at
// once; the rest wait in the hub, are sent as answers come back, and can be cancelled while they wait.
import { cpSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { HOST, LspHub } from '../../src/lsp/index.js';
import { MAX_AT_SERVER } from '../../src/lsp/editor.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { tmpdir } from '../helpers/tmp.js';
import { LspClient } from './lsp-client.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/lsp-share', import.meta.url));
const HELD = fileURLToPath(new URL('./held-server.ts', import.meta.url));
const FLOOD = 100;
const at = { textDocument: { uri: 'lspair:/src/main.ts' }, position: { line: 2, character: 24 } };

test(`a guest's flood reaches the server ${MAX_AT_SERVER} at a time: another editor's request is not queued behind it`, async () => {
  const root = path.join(tmpdir('lspair-fair-'), 'share');
  cpSync(FIXTURE, root, { recursive: true });
  const hub = new LspHub({ name: 'held', command: { command: process.execPath, args: ['--import', import.meta.resolve('tsx'), HELD] }, uris: new HostUris(new Policy(root), true), save: async () => undefined });
  try {
    const host = LspClient.pair();
    hub.connect(host.input, host.output, HOST);
    await host.client.initialize(root);
    const input = new PassThrough();
    const output = new PassThrough();
    hub.connect(input, output, { kind: 'guest', id: 'g1', has: () => true });
    const guest = new LspClient(output, input);
    await guest.connection.sendRequest('initialize', { processId: null, rootUri: 'lspair:/', capabilities: {} });

    const cancel = new CancellationTokenSource();
    const flood = Array.from({ length: FLOOD }, (_, i) => (i === FLOOD - 1 ? guest.connection.sendRequest('textDocument/hover', at, cancel.token) : guest.connection.sendRequest('textDocument/hover', at)));
    const outcomes = Promise.allSettled(flood);
    // The hub handles a guest's messages in order: once it refused this one, it has taken in the whole flood.
    await guest.request('workspace/executeCommand', { command: 'x' }).catch(() => undefined);
    cancel.cancel(); // the last of the flood, still waiting in the hub

    // The held server tells, in the line of its answer, how many hovers reached it before the host's request.
    const probe = await host.client.request<{ range: { start: { line: number } } }>('textDocument/definition', { textDocument: { uri: 'file:///x' }, position: { line: 0, character: 0 } });
    assert.ok(probe.range.start.line <= MAX_AT_SERVER, `${probe.range.start.line} of the guest's requests were at the server ahead of the host's`);

    // Released, the rest reach the server in turn and are all answered, but the one cancelled while it waited.
    const settled = await outcomes;
    const refused = settled.flatMap((o) => (o.status === 'rejected' ? [(o.reason as Error).message] : []));
    assert.is(settled.filter((o) => o.status === 'fulfilled').length, FLOOD - 1, `refused: ${refused.slice(0, 3).join('; ')}`);
    const cancelled = settled[FLOOD - 1]!;
    assert.is(cancelled.status, 'rejected');
    assert.is((cancelled as PromiseRejectedResult).reason.code, -32800);
    guest.dispose();
    host.client.dispose();
  } finally {
    await hub.close();
  }
});

test.run();
