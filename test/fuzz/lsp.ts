// Fuzz targets: the LSP hub's guest input (src/lsp/hub.ts through LspHub.connect, as test/lsp/guest-gate.test.ts
// sets it up). A host editor has the share open, the excluded secret/vault.ts included; each case connects a
// fresh guest with random permissions, which opens two shared documents and then sends what the fuzzer made:
// requests and notifications of every method in the table (and unknown ones, and `$/lspair/*` forgeries) with
// params whose every field may be of the wrong type, a huge or negative number, deeply nested, invalid UTF-8 or a
// crafted URI; envelopes with odd ids and versions; bodies that are not JSON; and framing that lies. The server is
// a fake built to leak (fake-lsp-server.mjs) or, in a shorter run, the real typescript-language-server.
// Findings: a crash; the excluded file's canary (or the host's folder) in any byte the guest received; a guest
// that sent only well-framed messages and is then cut off or no longer answered; the host's editor no longer
// answered; the language server restarted because of what a guest sent.
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { HOST, LspHub, METHODS, type LspPermission } from '../../src/lsp/index.js';
import type { Shape } from '../../src/lsp/shape.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { MessageReader } from '../../src/wire/content-length.js';
import { tmpdir } from '../helpers/tmp.js';
import { LspClient } from '../lsp/lsp-client.js';
import { target } from './harness.js';
import { SHARED, desync, field, framed, hostile, jsonBytes, junkBody, misframed, oddNumber, uri, type Desync } from './hostile.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/lsp-share', import.meta.url));
const FAKE = fileURLToPath(new URL('./fake-lsp-server.mjs', import.meta.url));
const TSLS = fileURLToPath(new URL('../../node_modules/.bin/typescript-language-server', import.meta.url));
export const CANARY = 'CANARY-7f3a9c1e-EXCLUDED-CONTENT';

type Message =
  | { readonly kind: 'call'; readonly method: string; readonly params: unknown; readonly id: unknown; readonly envelope: Record<string, unknown> }
  | { readonly kind: 'junk'; readonly body: Buffer };

interface Case {
  readonly permissions: LspPermission[];
  /** Well-framed messages. */
  readonly messages: Message[];
  /** Last, perhaps, one whose framing lies: the guest's stream is out of step from there on. */
  readonly tail: { readonly message: Message; readonly desync: Desync } | null;
}

/** A value shaped like `shape` (the table's params shapes say where URIs live), its sites filled with URIs. */
function fromShape(shape: Shape | null, depth = 0): fc.Arbitrary<unknown> {
  if (shape === null || depth > 6) return hostile;
  switch (shape.kind) {
    case 'site':
      return uri;
    case 'object': {
      const props = Object.fromEntries(shape.props.map((p) => [p.name, field(fromShape(p.shape, depth + 1))]));
      return fc.record(props, { requiredKeys: shape.props.filter((p) => !p.optional).map((p) => p.name) });
    }
    case 'array':
      return fc.array(fromShape(shape.element, depth + 1), { maxLength: 3 });
    case 'map':
      return fc.dictionary(shape.uriKeys ? (uri.filter((u) => typeof u === 'string') as fc.Arbitrary<string>) : fc.string(), fromShape(shape.value, depth + 1), { maxKeys: 3 });
    case 'union':
      return fc.oneof(...shape.branches.map((b) => fromShape(b.shape, depth + 1)));
    case 'nullable':
      return fc.oneof(fc.constant(null), fromShape(shape.shape, depth + 1));
    case 'needs':
      return fromShape(shape.shape, depth + 1);
  }
}

const position = fc.record({ line: field(fc.nat({ max: 8 })), character: field(fc.nat({ max: 40 })) });
const range = fc.record({ start: field(position), end: field(position) });
const textDocument = fc.record({ uri, version: field(fc.nat({ max: 5 })), languageId: field(fc.constant('typescript')), text: field(fc.string({ maxLength: 40 })) }, { requiredKeys: ['uri'] });
const textOp = fc.array(fc.oneof(fc.nat({ max: 50 }), fc.string({ maxLength: 8 }), fc.record({ d: fc.oneof(fc.nat({ max: 50 }), oddNumber) }), hostile), { maxLength: 4 });

/** The fields LSP params have, any subset, each well-formed or hostile. */
const common = fc.record(
  {
    textDocument: field(textDocument),
    position: field(position),
    range: field(range),
    context: field(fc.record({ includeDeclaration: fc.boolean(), diagnostics: fc.array(fc.record({ range, message: fc.string() }), { maxLength: 2 }), triggerKind: oddNumber, only: fc.array(fc.string(), { maxLength: 2 }) })),
    contentChanges: field(fc.array(fc.record({ range: field(range), text: field(fc.string({ maxLength: 20 })) }, { requiredKeys: ['text'] }), { maxLength: 3 })),
    newName: field(fc.string({ maxLength: 10 })),
    query: field(fc.string({ maxLength: 10 })),
    data: field(fc.oneof(fc.constant('lspair-data:1'), fc.nat().map((n) => `lspair-data:${n}`))),
    command: field(fc.constantFrom('fake.run', '_typescript.organizeImports', 'rm -rf /')),
    arguments: field(fc.array(hostile, { maxLength: 3 })),
    options: field(fc.record({ tabSize: oddNumber, insertSpaces: fc.boolean() })),
    ch: field(fc.string({ maxLength: 2 })),
    workDoneToken: field(fc.oneof(fc.string({ maxLength: 8 }), fc.integer())),
    partialResultToken: field(fc.oneof(fc.string({ maxLength: 8 }), fc.integer())),
    id: field(fc.oneof(fc.nat({ max: 20 }), fc.string({ maxLength: 4 }))),
    token: field(fc.oneof(fc.string({ maxLength: 8 }), fc.integer())),
    uri,
    rev: field(fc.nat({ max: 5 })),
    op: field(textOp),
    settings: hostile,
  },
  { requiredKeys: [] },
);

const CLIENT_METHODS = METHODS.map((m) => m.method);
const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...CLIENT_METHODS) },
  { weight: 2, arbitrary: fc.constantFrom('$/lspair/edit', '$/lspair/document', '$/lspair/ack', '$/lspair/remote', '$/lspair/refused', '$/lspair/edit/x', 'initialize', 'shutdown', 'exit', '$/cancelRequest') },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('x'.repeat(300))) },
);
const byMethod = new Map(METHODS.map((m) => [m.method, m]));

const call: fc.Arbitrary<Message> = method.chain((name) =>
  fc.record({
    kind: fc.constant('call' as const),
    method: fc.constant(name),
    params: fc.oneof(
      { weight: 6, arbitrary: fc.tuple(common, fromShape(byMethod.get(name)?.params ?? null)).map(([a, b]) => (typeof b === 'object' && b !== null && !Array.isArray(b) ? { ...a, ...b } : a)) },
      { weight: 1, arbitrary: hostile },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    id: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: hostile }),
    envelope: fc.oneof({ weight: 8, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.record({ jsonrpc: hostile, result: hostile, error: hostile }, { requiredKeys: [] }) }),
  }),
);

const message: fc.Arbitrary<Message> = fc.oneof({ weight: 8, arbitrary: call }, { weight: 1, arbitrary: fc.record({ kind: fc.constant('junk' as const), body: junkBody }) });

/** Whether the case asked to leave (an `exit` notification): then the guest's connection ends, as it should. */
const leaves = (c: Case): boolean => c.messages.some((m) => m.kind === 'call' && m.method === 'exit' && m.id === undefined);
/** A guest's message body: a request gets an id (its own counter unless the case chose one), a notification none. */
function bodyOf(m: Message, seq: number): Buffer {
  if (m.kind === 'junk') return m.body;
  // Mostly as the table says; every fifth the other way round (a request named after a notification, and so on).
  const notification = m.id === undefined && (byMethod.get(m.method)?.kind === 'notification') !== (seq % 5 === 4);
  const id = m.id === undefined ? (notification ? undefined : 1000 + seq) : m.id;
  const body = { jsonrpc: '2.0', ...(id === undefined ? {} : { id }), method: m.method, ...(m.params === undefined ? {} : { params: m.params }), ...m.envelope };
  return jsonBytes(body);
}

interface Ctx {
  readonly root: string;
  readonly hub: LspHub;
  readonly host: LspClient;
}

/** The forms the canary could take in what a guest receives. */
function leaked(bytes: Buffer, root: string): string | null {
  const text = bytes.toString('utf8');
  const forms = [CANARY, Buffer.from(CANARY, 'utf16le').toString('latin1'), Buffer.from(CANARY).toString('hex'), root, encodeURI(root)];
  for (let shift = 0; shift < 3; shift++) forms.push(Buffer.from(CANARY.slice(shift)).toString('base64').slice(0, 24));
  return forms.find((form) => text.includes(form) || bytes.toString('latin1').includes(form)) ?? null;
}

async function setup(command: { command: string; args: string[] }): Promise<Ctx> {
  const root = path.join(tmpdir('lspair-fuzz-lsp-'), 'share');
  cpSync(FIXTURE, root, { recursive: true });
  const policy = new Policy(root);
  process.env.LSPAIR_CANARY = CANARY; // the fake server's
  const hub = new LspHub({ name: 'fuzz', command, uris: new HostUris(policy, true), save: async () => undefined, idleMs: 60_000 });
  const host = LspClient.pair();
  hub.connect(host.input, host.output, HOST);
  await host.client.initialize(policy.root);
  for (const rel of ['secret/vault.ts', 'src/main.ts']) {
    await host.client.open(pathToFileURL(path.join(policy.root, rel)).href, 'typescript', readFileSync(path.join(policy.root, rel), 'utf8'));
  }
  return { root: policy.root, hub, host: host.client };
}

/** Resolves with the answer to request `id` (or null once `ms` passed). */
function answer(reader: MessageReader, id: unknown, ms: number): Promise<unknown> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => (reader.off('message', onMessage), resolve(null)), ms);
    const onMessage = (m: { id?: unknown; method?: unknown }): void => {
      if (m.id !== id || m.method !== undefined) return;
      clearTimeout(timer);
      reader.off('message', onMessage);
      resolve(m);
    };
    reader.on('message', onMessage);
  });
}

async function run(ctx: Ctx, c: Case, answerMs: number): Promise<void> {
  const pid = ctx.hub.serverPid;
  const permissions = new Set(c.permissions);
  const input = new PassThrough();
  const output = new PassThrough();
  const received: Buffer[] = [];
  output.on('data', (chunk: Buffer) => received.push(chunk));
  const reader = new MessageReader(output, 1 << 30);
  reader.on('error', () => undefined);
  let closed = false;
  output.on('close', () => (closed = true));
  ctx.hub.connect(input, output, { kind: 'guest', id: 'fuzz', has: (p) => permissions.has(p) });
  const hello = answer(reader, 1, answerMs);
  input.write(framed(jsonBytes({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: 'lspair:/', capabilities: { window: { workDoneProgress: true } } } })));
  input.write(framed(jsonBytes({ jsonrpc: '2.0', method: 'initialized', params: {} })));
  for (const doc of SHARED.slice(0, 2)) input.write(framed(jsonBytes({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: doc, languageId: 'typescript', version: 1, text: '' } } })));
  if (!(await hello)) throw new Error('the guest got no answer to initialize');
  c.messages.forEach((m, i) => input.write(framed(bodyOf(m, i))));
  if (c.tail) input.write(misframed(bodyOf(c.tail.message, c.messages.length), c.tail.desync));
  // A guest in step is asked to hover; the hub has read everything before it once the answer is there.
  const probe = c.tail ? Promise.resolve(null) : answer(reader, 'probe', answerMs);
  if (!c.tail) input.write(framed(jsonBytes({ jsonrpc: '2.0', id: 'probe', method: 'textDocument/hover', params: { textDocument: { uri: SHARED[0] }, position: { line: 0, character: 10 } } })));
  const probed = await probe;
  const hostProbe = await Promise.race([
    ctx.host.request('textDocument/hover', { textDocument: { uri: pathToFileURL(path.join(ctx.root, 'src/main.ts')).href }, position: { line: 0, character: 10 } }).then(() => true, () => true),
    new Promise((resolve) => setTimeout(() => resolve(false), answerMs)),
  ]);
  const cutOff = closed;
  input.end();
  await new Promise((resolve) => setImmediate(resolve));

  const form = leaked(Buffer.concat(received), ctx.root);
  if (form) throw new Error(`the guest received ${JSON.stringify(form.slice(0, 40))}`);
  if (!c.tail && !leaves(c)) {
    if (cutOff) throw new Error('a guest that sent only well-framed messages was cut off');
    if (!probed) throw new Error('a guest that sent only well-framed messages got no answer to a hover');
  }
  if (!hostProbe) throw new Error("the host's editor got no answer after a guest's messages");
  if (ctx.hub.serverPid !== pid) throw new Error(`the language server was restarted (pid ${pid} → ${ctx.hub.serverPid}) after a guest's messages`);
}

function lspTarget(name: string, what: string, command: { command: string; args: string[] }, shortRuns: number, answerMs: number) {
  return target<Case, Ctx>({
    name,
    what,
    cases: fc.record({
      permissions: fc.subarray(['files.write', 'lsp.commands'] as LspPermission[]),
      messages: fc.array(message, { minLength: 1, maxLength: 8 }),
      tail: fc.option(fc.record({ message, desync }), { freq: 4 }),
    }),
    shortRuns,
    timeoutMs: 4 * answerMs,
    setup: () => setup(command),
    run: (ctx, c) => run(ctx, c, answerMs),
    teardown: async (ctx) => {
      ctx.host.dispose();
      await ctx.hub.close();
    },
  });
}

export const lspFuzzer = lspTarget('lsp', "LSP hub: a guest's hostile messages, with a server built to leak", { command: process.execPath, args: [FAKE] }, 250, 2000);
export const lspTslsFuzzer = lspTarget('lsp-tsls', 'LSP hub: the same, with the real typescript-language-server', { command: TSLS, args: ['--stdio'] }, 25, 10_000);

