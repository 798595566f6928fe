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
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { HOST, LspHub, METHODS, type LspPermission } from '../../src/lsp/index.js';
import type { ToolCommand } from '../../src/wire/stdio-process.js';
import type { Shape } from '../../src/lsp/shape.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { tmpdir } from '../helpers/tmp.js';
import { LspClient } from '../lsp/lsp-client.js';
import { GuestPipe, leaked } from './guest-pipe.js';
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

export interface Ctx {
  readonly root: string;
  readonly hub: LspHub;
  readonly host: LspClient;
}

interface Server {
  readonly command: ToolCommand;
  /** Resolves once the server answers with what it knows of the whole project (not with a first guess). */
  ready(host: LspClient, root: string): Promise<void>;
}

/** A hub whose host editor has the share open, excluded file included. */
export async function lspWorld(server: Server): Promise<Ctx> {
  const root = path.join(tmpdir('lspair-fuzz-lsp-'), 'share');
  cpSync(FIXTURE, root, { recursive: true });
  const policy = new Policy(root);
  const hub = new LspHub({ name: 'fuzz', command: server.command, uris: new HostUris(policy, true), save: async () => undefined, idleMs: 60_000 });
  const host = LspClient.pair();
  hub.connect(host.input, host.output, HOST);
  await host.client.initialize(policy.root);
  // The host's editor opens the excluded file, so the server knows it and its canary could leak through answers.
  for (const rel of ['secret/vault.ts', 'src/main.ts']) {
    await host.client.open(pathToFileURL(path.join(policy.root, rel)).href, 'typescript', readFileSync(path.join(policy.root, rel), 'utf8'));
  }
  await server.ready(host.client, policy.root);
  return { root: policy.root, hub, host: host.client };
}

/** The answer to request `id`, or null after `ms`. */
export const answer = (pipe: GuestPipe, id: unknown, ms: number) => pipe.next<{ id?: unknown; method?: unknown }>((m) => m.id === id && m.method === undefined, ms);

export const frame = (message: object): Buffer => framed(jsonBytes(message));
const HOVER = { textDocument: { uri: SHARED[0] }, position: { line: 0, character: 10 } };

/** A fresh guest with `permissions`, initialized, with two shared documents open. */
export async function join(ctx: Ctx, permissions: ReadonlySet<LspPermission>, answerMs: number): Promise<GuestPipe> {
  const pipe = new GuestPipe();
  ctx.hub.connect(pipe.input, pipe.output, { kind: 'guest', id: 'fuzz', has: (p) => permissions.has(p) });
  const hello = answer(pipe, 1, answerMs);
  pipe.input.write(frame({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: 'lspair:/', capabilities: { window: { workDoneProgress: true } } } }));
  pipe.input.write(frame({ jsonrpc: '2.0', method: 'initialized', params: {} }));
  for (const doc of SHARED.slice(0, 2)) pipe.input.write(frame({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: doc, languageId: 'typescript', version: 1, text: '' } } }));
  if (!(await hello)) throw new Error('the guest got no answer to initialize');
  return pipe;
}

/** Whether the host's editor still gets answers (an error is an answer). */
function hostAnswers(ctx: Ctx, ms: number): Promise<boolean> {
  const hover = ctx.host.request('textDocument/hover', { ...HOVER, textDocument: { uri: pathToFileURL(path.join(ctx.root, 'src/main.ts')).href } });
  return Promise.race([hover.then(() => true, () => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

async function run(ctx: Ctx, c: Case, answerMs: number): Promise<void> {
  const pid = ctx.hub.serverPid;
  const pipe = await join(ctx, new Set(c.permissions), answerMs);
  c.messages.forEach((m, i) => pipe.input.write(framed(bodyOf(m, i))));
  if (c.tail) pipe.input.write(misframed(bodyOf(c.tail.message, c.messages.length), c.tail.desync));
  // A guest in step is asked to hover; the hub has read everything before it once the answer is there.
  const probe = c.tail ? Promise.resolve(null) : answer(pipe, 'probe', answerMs);
  if (!c.tail) pipe.input.write(frame({ jsonrpc: '2.0', id: 'probe', method: 'textDocument/hover', params: HOVER }));
  const probed = await probe;
  const hostProbed = await hostAnswers(ctx, answerMs);
  const cutOff = pipe.cutOff;
  pipe.input.end();
  await new Promise((resolve) => setImmediate(resolve));

  const form = leaked(pipe.received, [CANARY, ctx.root]);
  if (form) throw new Error(`the guest received ${JSON.stringify(form.slice(0, 40))}`);
  if (!c.tail && !leaves(c)) {
    if (cutOff) throw new Error('a guest that sent only well-framed messages was cut off');
    if (!probed) throw new Error('a guest that sent only well-framed messages got no answer to a hover');
  }
  if (!hostProbed) throw new Error("the host's editor got no answer after a guest's messages");
  if (ctx.hub.serverPid !== pid) throw new Error(`the language server was restarted (pid ${pid} → ${ctx.hub.serverPid}) after a guest's messages`);
}

function lspTarget(name: string, what: string, server: Server, shortRuns: number, answerMs: number) {
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
    setup: () => lspWorld(server),
    run: (ctx, c) => run(ctx, c, answerMs),
    teardown: async (ctx) => {
      ctx.host.dispose();
      await ctx.hub.close();
    },
  });
}

export const FAKE_SERVER: Server = { command: { command: process.execPath, args: [FAKE, CANARY] }, ready: async () => undefined };
const TSLS_SERVER: Server = {
  command: { command: TSLS, args: ['--stdio'] },
  // Until the project is loaded, its syntax-only process answers (and slowly, on a busy machine).
  ready: async (host, root) => void (await host.diagnostics(pathToFileURL(path.join(root, 'src/main.ts')).href, (d) => d.some((x) => /not assignable/.test(x.message)))),
};

export const lspFuzzer = lspTarget('lsp', "LSP hub: a guest's hostile messages, with a server built to leak", FAKE_SERVER, 60, 3000);
export const lspTslsFuzzer = lspTarget('lsp-tsls', 'LSP hub: the same, with the real typescript-language-server', TSLS_SERVER, 3, 20_000);
