// A shared language server answers in order, so a guest with hundreds of requests at the server would make every
// other editor's request wait behind them all (found by the load soak: the healthy editors of a session with a
// flooding guest waited seconds). The hub lets at most MAX_AT_SERVER of one guest's requests reach the server at
// once; the rest wait in the hub, are sent as answers come back, and can be cancelled while they wait. Nor do a
// guest's requests reach the server while more than MAX_BACKLOG bytes of answers wait for it to read them: a
// guest that reads nothing costs the server and the hub no more work (the soak's healthy editors waited seconds).
import { cpSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { HOST, LspHub } from '../../src/lsp/index.js';
import { MAX_AT_SERVER, MAX_BACKLOG } from '../../src/lsp/editor.js';
import { encode, MessageReader } from '../../src/wire/content-length.js';
import { eventually } from '../helpers/procs.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { tmpdir } from '../helpers/tmp.js';
import { LspClient } from './lsp-client.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/lsp-share', import.meta.url));
const HELD = fileURLToPath(new URL('./held-server.ts', import.meta.url));
const FLOOD = 100;
const at = { textDocument: { uri: 'lspair:/src/main.ts' }, position: { line: 2, character: 24 } };

/** A hub on the held server with the host's editor connected; `guest()` adds a guest's editor on raw streams. */
async function heldHub() {
  const root = path.join(tmpdir('lspair-fair-'), 'share');
  cpSync(FIXTURE, root, { recursive: true });
  const hub = new LspHub({ name: 'held', command: { command: process.execPath, args: ['--import', import.meta.resolve('tsx'), HELD] }, uris: new HostUris(new Policy(root), true), save: async () => undefined });
  const host = LspClient.pair();
  hub.connect(host.input, host.output, HOST);
  await host.client.initialize(root);
  const guest = () => {
    const input = new PassThrough();
    const output = new PassThrough();
    hub.connect(input, output, { kind: 'guest', id: 'g1', has: () => true });
    return { input, output };
  };
  /** How many guest requests reached the held server before this probe from the host's editor (which releases it). */
  const seen = async () => (await host.client.request<{ range: { start: { line: number } } }>('textDocument/definition', { textDocument: { uri: 'file:///x' }, position: { line: 0, character: 0 } })).range.start.line;
  /** A request of the host's editor that the hub answers itself, from the moment its bytes are read. */
  const shutdownProbe = () => host.client.request('shutdown', null);
  const close = async () => {
    host.client.dispose();
    await hub.close();
  };
  return { hub, guest, seen, shutdownProbe, close };
}

test(`a guest's flood reaches the server ${MAX_AT_SERVER} at a time: another editor's request is not queued behind it`, async () => {
  const s = await heldHub();
  try {
    const { input, output } = s.guest();
    const guest = new LspClient(output, input);
    await guest.connection.sendRequest('initialize', { processId: null, rootUri: 'lspair:/', capabilities: {} });

    const cancel = new CancellationTokenSource();
    const flood = Array.from({ length: FLOOD }, (_, i) => (i === FLOOD - 1 ? guest.connection.sendRequest('textDocument/hover', at, cancel.token) : guest.connection.sendRequest('textDocument/hover', at)));
    const outcomes = Promise.allSettled(flood);
    // The hub handles a guest's messages in order: once it refused this one, it has taken in the whole flood.
    await guest.request('workspace/executeCommand', { command: 'x' }).catch(() => undefined);
    cancel.cancel(); // the last of the flood, still waiting in the hub

    // The held server tells, in the line of its answer, how many hovers reached it before the host's request.
    const seen = await s.seen();
    assert.ok(seen <= MAX_AT_SERVER, `${seen} of the guest's requests were at the server ahead of the host's`);

    // Released, the rest reach the server in turn and are all answered, but the one cancelled while it waited.
    const settled = await outcomes;
    const refused = settled.flatMap((o) => (o.status === 'rejected' ? [(o.reason as Error).message] : []));
    assert.is(settled.filter((o) => o.status === 'fulfilled').length, FLOOD - 1, `refused: ${refused.slice(0, 3).join('; ')}`);
    const cancelled = settled[FLOOD - 1]!;
    assert.is(cancelled.status, 'rejected');
    assert.is((cancelled as PromiseRejectedResult).reason.code, -32800);
    guest.dispose();
  } finally {
    await s.close();
  }
});

test('a guest that does not read its answers gets no more of its requests to the server until it does', async () => {
  const s = await heldHub();
  try {
    const { input, output } = s.guest(); // nobody reads `output` for now
    const count = 3 * MAX_AT_SERVER;
    input.write(encode({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { processId: null, rootUri: 'lspair:/', capabilities: {} } }));
    for (let id = 1; id <= count; id++) input.write(encode({ jsonrpc: '2.0', id, method: 'textDocument/documentSymbol', params: { textDocument: { uri: 'lspair:/src/main.ts' } } }));
    // The first MAX_AT_SERVER go to the server at once; once their answers wait for the guest, the rest stay here.
    const waiting = () => output.readableLength + output.writableLength;
    await eventually(() => waiting() > MAX_AT_SERVER * 500_000, () => `${waiting()} bytes wait for the guest`);
    assert.ok(waiting() > MAX_BACKLOG);
    // (An answer back while less than MAX_BACKLOG waited let one more through: two ~600 KiB answers pass it.)
    const seen = await s.seen();
    assert.ok(seen <= MAX_AT_SERVER + 2, `${seen} of ${count} requests reached the server while the guest read nothing`);
    // It reads: everything it asked is answered.
    const answered = new Set<unknown>();
    new MessageReader(output, 1 << 24).on('message', (m: { id?: unknown }) => answered.add(m.id));
    await eventually(() => answered.size === count + 1, () => `${answered.size} of ${count + 1} answered`);
  } finally {
    await s.close();
  }
});

test('a burst of a guest\'s messages is handled a message per turn: another editor\'s, read meanwhile, does not wait for all of it', async () => {
  const s = await heldHub();
  try {
    // The flooder's answers are counted as the hub writes them (one write per message); the host's editor asks
    // `shutdown`, which the hub answers itself, and the count at that answer says how much of the burst went first.
    let written = 0;
    const flooderOut = new Writable({ write: (_chunk, _encoding, done) => (written++, done()) });
    const flooderIn = new PassThrough();
    s.hub.connect(flooderIn, flooderOut, { kind: 'guest', id: 'g2', has: () => true });
    flooderIn.write(encode({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { processId: null, rootUri: 'lspair:/', capabilities: {} } }));
    await eventually(() => written === 1, () => 'no initialize answer');
    const burst = Array.from({ length: 1000 }, (_, i) => encode({ jsonrpc: '2.0', id: i + 1, method: 'textDocument/hover', params: at }));
    flooderIn.write(Buffer.concat(burst)); // one read: past 256 waiting, each is refused at once
    const atProbe = new Promise<number>((resolve) => setImmediate(() => void s.shutdownProbe().then(() => resolve(written))));
    const before = await atProbe;
    assert.ok(before < 100, `${before} answers to the burst were written before the other editor's`);
    await eventually(() => written > 700, () => `${written} answers to the burst`);
  } finally {
    await s.close();
  }
});

test.run();
