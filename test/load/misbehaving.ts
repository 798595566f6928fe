// Guests that misbehave, for the soak (no tests here): one that never reads (its channel paused) while it asks
// for large answers, an editor that floods requests without waiting for answers, and one that sends the host
// garbage — bodies that are not JSON, JSON that is not JSON-RPC, params of the wrong shape, a lying
// Content-Length, a mux frame that is not one — and a connection that sends bytes that are not a handshake.
// The silent and garbage guests are assembled in this process (GuestSession, as `lspair join` does), so that
// none of the guest daemon's own checks stands between them and the host.
import { randomBytes } from 'node:crypto';
import { createSessionKey } from '../../src/crypto/index.js';
import { GuestSession } from '../../src/session/guest.js';
import { LSP_STREAM } from '../../src/session/language-servers.js';
import { formatLink, parseLink } from '../../src/session/link.js';
import { shareUri } from '../../src/policy/index.js';
import { encode, MessageReader } from '../../src/wire/content-length.js';
import type { MuxStream } from '../../src/wire/mux.js';
import { joinRelay } from '../../src/wire/relay-client.js';
import { atGreet, realAnswer, type Guest } from '../../bench/lsp-session.js';
import type { LspairProcess } from '../helpers/process.js';
import { answered } from '../lsp/live.js';
import { LspClient } from '../lsp/lsp-client.js';
import { sleep, type SoakSession } from './soak.js';

/**
 * documentSymbol answers of the fake server are ~560 KiB: two fill the host's backlog for an editor (1 MiB). The
 * silent guest could send 256 KiB of requests (its window) without reading the host's credit, ~2000.
 */
const SILENT_REQUESTS = 2000;
const SILENT_BATCH = 4;
const SILENT_PAUSE_MS = 100;
const FLOOD_METHODS = ['textDocument/hover', 'textDocument/definition'] as const;

/** One line of a host's log (pino JSON on its stderr). */
export type LogLine = Record<string, unknown> & { msg?: string };

export function logLines(p: LspairProcess): LogLine[] {
  return p.stderr.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** A guest in this process, joined through the relay only; its id as the host named it. */
async function inProcessGuest(link: string, name: string): Promise<{ session: GuestSession; guestId: string }> {
  const relayOnly = parseLink(formatLink({ ...parseLink(link), direct: [] }));
  const session = await GuestSession.connect({ link: relayOnly, identity: createSessionKey(), name });
  const welcome = await session.joined();
  session.on('ended', () => undefined);
  return { session, guestId: welcome.guestId };
}

const request = (id: number | string, method: string, params: unknown): object => ({ jsonrpc: '2.0', id, method, params });
const initialize = (id: number | string): object => request(id, 'initialize', { processId: null, rootUri: shareUri(''), capabilities: {} });
const mainUri = shareUri('src/main.ts');

/** Whether `session`'s host stopped serving editor `guestId` for not reading its answers. */
export function heldBack(session: SoakSession, guestId: string): boolean {
  return logLines(session.bench.host).some((l) => l.msg === 'editor is not reading its answers: its requests wait' && l.editor === guestId);
}

export interface Silent {
  readonly guestId: string;
  readonly asked: number;
  close(): void;
}

/**
 * A guest that opens a language server stream, then stops reading its connection altogether (the host's answers
 * and its flow-control credit would pile up on the host's side) while it keeps asking for large answers, until
 * `enough(its id)`.
 */
export async function silentGuest(session: SoakSession, enough: (guestId: string) => boolean): Promise<Silent> {
  const { session: guest, guestId } = await inProcessGuest(session.bench.link, 'silent');
  const stream = guest.mux.open(LSP_STREAM, session.spec.server);
  stream.on('error', () => undefined);
  const send = (m: object): boolean => stream.write(encode(m));
  send(initialize(0));
  send({ jsonrpc: '2.0', method: 'initialized', params: {} });
  guest.channel.pause(); // from here on it reads nothing
  let asked = 0;
  while (asked < SILENT_REQUESTS && !enough(guestId)) {
    for (let i = 0; i < SILENT_BATCH; i++) send(request(++asked, 'textDocument/documentSymbol', { textDocument: { uri: mainUri } }));
    await sleep(SILENT_PAUSE_MS);
  }
  return { guestId, asked, close: () => guest.mux.destroy() };
}

export interface Flood {
  readonly sent: number;
  readonly answered: number;
  /** Refused by the host's bound on requests in flight. */
  readonly refused: number;
  /** Anything else: a wrong answer, another error. */
  readonly other: string[];
}

/** An editor (`lspair lsp` in `guest`'s mirror) that sends `count` requests at once, then waits for them all. */
export async function flood(session: SoakSession, guest: Guest, count: number): Promise<Flood> {
  const editor = session.bench.editor(session.spec.server, guest);
  const client = new LspClient(editor.child.stdout!, editor.child.stdin!);
  try {
    await client.initialize(guest.mirror);
    const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => client.request(FLOOD_METHODS[i % 2]!, atGreet(guest.mirror)).then((r) => ({ r, method: FLOOD_METHODS[i % 2]! }))));
    const other: string[] = [];
    let answered = 0;
    let refused = 0;
    for (const r of results) {
      if (r.status === 'fulfilled' && realAnswer(guest.mirror, r.value.method, r.value.r)) answered++;
      else if (r.status === 'rejected' && /requests waiting/.test((r.reason as Error).message)) refused++;
      else other.push(r.status === 'fulfilled' ? JSON.stringify(r.value.r)?.slice(0, 200) ?? 'undefined' : (r.reason as Error).message);
    }
    return { sent: count, answered, refused, other };
  } finally {
    client.dispose();
    await editor.stop();
  }
}

export interface Garbage {
  readonly guestId: string;
  /** Error codes of the host's answers to the garbage, by the garbage's label. */
  readonly codes: Record<string, number | 'result' | 'none'>;
  close(): void;
}

/** Garbage and what it is answered by: its id, or null for what JSON-RPC answers with a null id (unreadable). */
const GARBAGE: readonly { label: string; id: string | null; body: Buffer | object }[] = [
  { label: 'not JSON', id: null, body: Buffer.from('{"jsonrpc": "2.0", "id": "nope", "method": ') },
  { label: 'a batch', id: null, body: [request('batch', 'textDocument/hover', {})] },
  { label: 'jsonrpc 1.0', id: 'v1', body: { jsonrpc: '1.0', id: 'v1', method: 'textDocument/hover', params: {} } },
  { label: 'before initialize', id: 'early', body: request('early', 'textDocument/hover', atGreet('/')) },
  { label: 'initialize', id: 'init', body: initialize('init') },
  { label: 'wrong shape', id: 'shape', body: request('shape', 'textDocument/hover', { textDocument: 5, position: 'here' }) },
  { label: 'host path', id: 'path', body: request('path', 'textDocument/hover', { textDocument: { uri: 'file:///etc/passwd' }, position: { line: 0, character: 0 } }) },
  { label: 'unknown method', id: 'unknown', body: request('unknown', 'lspair/backdoor', {}) },
  { label: 'huge numbers', id: 'huge', body: request('huge', 'textDocument/hover', { textDocument: { uri: mainUri }, position: { line: 1e308, character: -1 } }) },
  { label: 'invalid UTF-8', id: 'utf8', body: Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":"utf8","method":"textDocument/hover","params":{"textDocument":{"uri":"${mainUri}`), Buffer.from([0xff, 0xfe]), Buffer.from('"},"position":{"line":0,"character":0}}}')]) },
  { label: 'deep nesting', id: 'deep', body: Buffer.from(`{"jsonrpc":"2.0","id":"deep","method":"textDocument/hover","params":{"textDocument":{"uri":"${mainUri}"},"position":{"line":0,"character":0},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`) },
];

type Answer = { id: unknown; error?: { code: number }; result?: unknown };

function frame(body: Buffer | object): Buffer {
  if (!Buffer.isBuffer(body)) return encode(body);
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
}

/** A garbage message without an answer after this long counts as unanswered ('none'), and the guest goes on. */
const UNANSWERED_MS = 20_000;

/** Answers on `stream`, in order, until `count` arrived (or the stream ended, or UNANSWERED_MS passed). */
function answers(stream: MuxStream, count: number): Promise<Answer[]> {
  const got: Answer[] = [];
  const reader = new MessageReader(stream, 1 << 24);
  return new Promise((resolve) => {
    const done = (): void => (clearTimeout(timer), resolve(got));
    const timer = setTimeout(done, UNANSWERED_MS);
    reader.on('message', (m: Answer) => {
      if ('id' in m) got.push(m);
      if (got.length === count) done();
    });
    stream.on('close', done);
  });
}

/** Each garbage message's answer: an error code, 'result', or 'none'. Null-id answers come in the garbage's order. */
function codesOf(got: readonly Answer[]): Record<string, number | 'result' | 'none'> {
  const unreadable = got.filter((a) => a.id === null);
  return Object.fromEntries(
    GARBAGE.map((g) => {
      const answer = g.id === null ? unreadable.shift() : got.find((a) => a.id === g.id);
      return [g.label, answer === undefined ? 'none' : answer.error ? answer.error.code : 'result'];
    }),
  );
}

/**
 * A guest whose editor stream sends the host each GARBAGE message and collects the answers, then a header whose
 * Content-Length is over the host's bound (the host ends that stream), then a mux frame that is not one (the host
 * ends the connection). Resolves with the codes of the answers once the host ended the connection.
 */
export async function garbageGuest(session: SoakSession): Promise<Garbage> {
  const { session: guest, guestId } = await inProcessGuest(session.bench.link, 'garbage');
  const stream = guest.mux.open(LSP_STREAM, session.spec.server);
  stream.on('error', () => undefined);
  const answered = answers(stream, GARBAGE.length);
  for (const g of GARBAGE) stream.write(frame(g.body));
  const codes = codesOf(await answered);
  stream.write(Buffer.from('Content-Length: 4000000000\r\n\r\n'));
  await new Promise((resolve) => stream.once('close', resolve));
  const ended = new Promise((resolve) => guest.channel.once('close', resolve));
  guest.channel.write(new Uint8Array([0xee, 0xee, 0xee])); // sealed as it should be, but not a mux frame
  await ended;
  return { guestId, codes, close: () => guest.mux.destroy() };
}

/** A connection through the relay that sends bytes that are not a handshake; resolves once the host hung up. */
export async function notAHandshake(session: SoakSession): Promise<void> {
  const { relay, sessionId } = parseLink(session.bench.link);
  const stream = await joinRelay(relay!, sessionId);
  // A relay stream ends (it does not emit 'close') when the other side hangs up: read it to its end.
  const closed = new Promise((resolve) => stream.once('end', resolve).once('error', resolve).resume());
  stream.write(Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), randomBytes(1024)]));
  await closed;
}

/** A step of `misbehave` without an outcome after this long hangs: it fails rather than waits. */
const STEP_MS = 60_000;

export interface Misbehaviour {
  readonly silent: { readonly guestId: string; readonly asked: number; readonly heldBack: boolean };
  readonly garbage: Garbage;
  readonly floods: readonly Flood[];
}

/**
 * The misbehaving guests in `session`, one after the other: the silent one until its host stops serving it (or it
 * can send no more), the garbage guest, the connection without a handshake, then floods of `count` requests from an
 * editor of a guest joined for it, until `floodUntil` (Date.now(); at least one).
 */
export async function misbehave(session: SoakSession, count: number, floodUntil: number): Promise<Misbehaviour> {
  const flooder = await session.join('flooder');
  const silent = await silentGuest(session, (id) => heldBack(session, id));
  silent.close();
  // Each step ends when the host answers or hangs up: one that never does fails (a hang), rather than waits.
  const garbage = await answered(garbageGuest(session), 'the garbage guest (answers to its garbage, the host ending its stream and connection)', undefined, STEP_MS);
  garbage.close();
  await answered(notAHandshake(session), 'the host hanging up on a connection without a handshake', undefined, STEP_MS);
  const floods: Flood[] = [];
  do floods.push(await answered(flood(session, flooder, count), `a flood of ${count} requests`, undefined, STEP_MS));
  while (Date.now() < floodUntil);
  return { silent: { guestId: silent.guestId, asked: silent.asked, heldBack: heldBack(session, silent.guestId) }, garbage, floods };
}
