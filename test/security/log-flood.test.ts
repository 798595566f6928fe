// A guest cannot flood the host's log: each refused request is still refused, but its audit line is written at
// most 50 times a minute per guest and kind, and one summary line counts the rest (DESIGN §3, denial of service).
// First the throttle alone (a pino logger into memory, a short window), then a real session: a viewer's editor,
// through `lspair join` and `lspair lsp`, sends requests it may not make, and the host's log stays bounded.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BenchSession, FAKE_SERVER } from '../../bench/lsp-session.js';
import { LogThrottle } from '../../src/log-throttle.js';
import { eventually } from '../helpers/procs.js';
import { logLines, type LogLine } from '../load/misbehaving.js';
import { LspClient } from '../lsp/lsp-client.js';

const FLOOD = 300;
const PER_WINDOW = 50;

function memoryLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as LogLine), done()) });
  return { logger: pino(sink), lines };
}

test('the throttle writes the first lines of each peer and kind, then one summary per window', async () => {
  const { logger, lines } = memoryLogger();
  const throttle = new LogThrottle({ perWindow: 3, windowMs: 200 });
  for (let i = 0; i < 10; i++) throttle.info(logger, 'g1', { audit: 'lsp-deny', guest: 'g1' }, { method: `m${i}` }, 'refused');
  for (let i = 0; i < 2; i++) throttle.info(logger, 'g2', { audit: 'lsp-deny', guest: 'g2' }, { method: 'x' }, 'refused');
  for (let i = 0; i < 5; i++) throttle.info(logger, 'g1', { audit: 'dap-deny', guest: 'g1' }, { command: 'evaluate' }, 'refused');
  assert.equal(
    lines.map((l) => `${String(l.guest)} ${String(l.audit)} ${String(l.method ?? l.command)}`),
    ['g1 lsp-deny m0', 'g1 lsp-deny m1', 'g1 lsp-deny m2', 'g2 lsp-deny x', 'g2 lsp-deny x', 'g1 dap-deny evaluate', 'g1 dap-deny evaluate', 'g1 dap-deny evaluate'],
  );
  throttle.flush('g1'); // g1 left: its summaries now
  assert.equal(lines.slice(8).map((l) => [l.audit, l.suppressed, l.method]), [['lsp-deny', 7, undefined], ['dap-deny', 2, undefined]]);
  await new Promise((resolve) => setTimeout(resolve, 300)); // g2's window ends
  assert.is(lines.length, 10, 'g2 stayed under its limit: no summary for it');
  // A new window writes again.
  throttle.info(logger, 'g1', { audit: 'lsp-deny', guest: 'g1' }, { method: 'again' }, 'refused');
  assert.is(lines.at(-1)!.method, 'again');
});

test('the summary comes when the window ends, for a peer that stays', async () => {
  const { logger, lines } = memoryLogger();
  const throttle = new LogThrottle({ perWindow: 1, windowMs: 100 });
  for (let i = 0; i < 4; i++) throttle.info(logger, '10.0.0.9', { audit: 'handshake-failed', address: '10.0.0.9' }, { reason: 'bad' }, 'handshake failed');
  assert.is(lines.length, 1);
  await eventually(() => lines.length === 2, () => 'no summary line after the window', 2000);
  assert.equal([lines[1]!.audit, lines[1]!.address, lines[1]!.suppressed, lines[1]!.reason], ['handshake-failed', '10.0.0.9', 3, undefined]);
});

test(`a viewer's ${FLOOD} refused requests: every one refused, at most ${PER_WINDOW} audit lines, and a count of the rest`, async () => {
  const session = await BenchSession.start({ fake: FAKE_SERVER }, null);
  try {
    const guest = await session.join('viewer', 'direct');
    const editor = session.editor('fake', guest);
    const client = new LspClient(editor.child.stdout!, editor.child.stdin!);
    await client.initialize(guest.mirror);
    const refused = await Promise.all(
      Array.from({ length: FLOOD }, (_, i) =>
        client.request('workspace/executeCommand', { command: `flood.${i}`, arguments: [] }).then(
          () => 'answered',
          (err: Error) => (/lsp\.commands/.test(err.message) ? 'refused' : err.message),
        ),
      ),
    );
    assert.equal(new Set(refused), new Set(['refused']));
    const denials = () => logLines(session.host).filter((l) => l.audit === 'lsp-deny' && l.guest === guest.id);
    assert.is(denials().filter((l) => l.suppressed === undefined).length, PER_WINDOW);
    client.dispose();
    await editor.stop();
    guest.daemon.kill(); // the guest leaves: the host writes the count of what it left out
    const summary = () => denials().find((l) => typeof l.suppressed === 'number');
    await eventually(() => summary() !== undefined, () => 'no summary line when the guest left');
    assert.is(summary()!.suppressed, FLOOD - PER_WINDOW);
  } finally {
    await session.close();
  }
});

test.run();
