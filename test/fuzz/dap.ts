// Fuzz target: the DAP hub's guest input (src/dap/hub.ts through DapHub.connect, as test/dap/hub.test.ts sets it
// up). The host's client owns a debug session of an adapter built to leak (fake-adapter.mjs), stopped in a frame of
// the share and one of the excluded private/vault.py; each case connects a fresh guest with random permissions,
// which initializes, attaches, may ask for the stack (and so be given its handles), then sends what the fuzzer
// made: requests of every command in the table, unknown and reverse-request names, arguments whose every field may
// be of the wrong type or a crafted path, handles it was never given (the excluded frame's, variables, source and
// location references) or forged numbers, responses and events of its own, odd seqs, bodies that are not JSON,
// and framing that lies. Findings: a crash; the canary (or the host's folder) in any byte the guest received; a
// well-framed guest no longer answered; the owner no longer answered; the debug session ended because of a guest.
import { cpSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { COMMANDS, DapHub, HOST, type DapPermission } from '../../src/dap/index.js';
import { Endpoint, type Message, type Request, type Response } from '../../src/dap/endpoint.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { tmpdir } from '../helpers/tmp.js';
import { GuestPipe, first, leaked } from './guest-pipe.js';
import { target } from './harness.js';
import { desync, field, framed, hostile, jsonBytes, junkBody, misframed, oddNumber, type Desync } from './hostile.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/dap/py', import.meta.url));
const FAKE = fileURLToPath(new URL('./fake-adapter.mjs', import.meta.url));
const CANARY = 'CANARY-3e1d55a0-EXCLUDED-DEBUGGEE';
const PERMISSIONS: DapPermission[] = ['debug.inspect', 'debug.breakpoints', 'debug.control', 'debug.repl'];

type Input =
  | { readonly kind: 'request'; readonly command: string; readonly args: unknown; readonly seq: unknown }
  | { readonly kind: 'other'; readonly value: Record<string, unknown> } // a response, an event, or no DAP message at all
  | { readonly kind: 'junk'; readonly body: Buffer };

interface Case {
  readonly permissions: DapPermission[];
  /** Ask for the stack first (and so hold the visible frame's handles). */
  readonly inspect: boolean;
  readonly messages: Input[];
  readonly tail: { readonly message: Input; readonly desync: Desync } | null;
}

/** Paths a guest might name: shared, excluded, traversals, other schemes, the host's own paths guessed. */
const guestPath = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('lspair:/app.py', 'lspair:/private/vault.py', 'lspair:/private/../private/vault.py', 'lspair:/%70rivate/vault.py', 'lspair:/.vsls.json', 'lspair:/app.py/../private/vault.py', 'lspair:///private/vault.py', 'LSPAIR:/private/vault.py', 'lspair-external:/AAAAAAAAAAAAAAAA/vault.py') },
  { weight: 1, arbitrary: fc.constantFrom('/etc/passwd', 'private/vault.py', '../private/vault.py', 'file:///etc/passwd', '', '\u0000') },
  { weight: 1, arbitrary: hostile },
);
/** Handle numbers: the visible frame's and its children's (given once it asked), the excluded frame's, forged ones. */
const handle = fc.oneof(fc.constantFrom(1, 2, 10, 11, 55, 66, 77, 99, 666, 0, -1), oddNumber);
const source = fc.record({ path: guestPath, sourceReference: field(handle), name: field(fc.string({ maxLength: 8 })) }, { requiredKeys: [] });
const breakpoint = fc.record({ line: field(fc.nat({ max: 20 })), condition: field(fc.string({ maxLength: 8 })), logMessage: field(fc.string({ maxLength: 8 })), hitCondition: field(fc.string({ maxLength: 4 })) }, { requiredKeys: [] });

/** The fields DAP arguments have, any subset, each well-formed or hostile. */
const args = fc.record(
  {
    source: field(source),
    breakpoints: field(fc.array(breakpoint, { maxLength: 3 })),
    lines: field(fc.array(fc.nat({ max: 20 }), { maxLength: 3 })),
    frameId: field(handle),
    variablesReference: field(handle),
    sourceReference: field(handle),
    locationReference: field(handle),
    threadId: field(fc.constantFrom(1, 2, 0)),
    expression: field(fc.string({ maxLength: 12 })),
    context: field(fc.constantFrom('watch', 'repl', 'hover', 'clipboard', 'variables')),
    name: field(fc.string({ maxLength: 8 })),
    value: field(fc.string({ maxLength: 8 })),
    requestId: field(handle),
    progressId: field(fc.string({ maxLength: 4 })),
    filters: field(fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 })),
    filterOptions: field(fc.array(fc.record({ filterId: fc.string(), condition: fc.string() }), { maxLength: 2 })),
    memoryReference: field(fc.string({ maxLength: 6 })),
    count: field(oddNumber),
    offset: field(oddNumber),
    instructionCount: field(oddNumber),
    singleThread: field(fc.boolean()),
    targetId: field(handle),
    asAddress: field(fc.boolean()),
    startFrame: field(oddNumber),
    levels: field(oddNumber),
    restart: field(fc.boolean()),
    terminateDebuggee: field(fc.boolean()),
  },
  { requiredKeys: [] },
);

const REQUESTS = COMMANDS.filter((c) => c.kind === 'request').map((c) => c.name);
const command = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...REQUESTS) },
  { weight: 1, arbitrary: fc.constantFrom('runInTerminal', 'startDebugging', 'fakeCustom', '__proto__', 'constructor', 'x'.repeat(129)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const message: fc.Arbitrary<Input> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('request' as const), command, args: fc.oneof({ weight: 8, arbitrary: args }, { weight: 1, arbitrary: hostile }, { weight: 1, arbitrary: fc.constant(undefined) }), seq: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostile }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('other' as const),
      value: fc.record({ seq: field(fc.nat({ max: 50 })), type: fc.constantFrom('response', 'event', 'request', 'x'), request_seq: field(fc.nat({ max: 50 })), success: field(fc.boolean()), command: field(command), event: field(fc.constantFrom('stopped', 'output', 'terminated')), body: hostile }, { requiredKeys: [] }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('junk' as const), body: junkBody }) },
);

function bodyOf(m: Input, seq: number): Buffer {
  if (m.kind === 'junk') return m.body;
  if (m.kind === 'other') return jsonBytes(m.value);
  return jsonBytes({ seq: m.seq === undefined ? 100 + seq : m.seq, type: 'request', command: m.command, ...(m.args === undefined ? {} : { arguments: m.args }) });
}

/** The host's own debug client: it owns the session and answers the adapter's reverse requests. */
function owner(hub: DapHub): Endpoint {
  const input = new PassThrough();
  const output = new PassThrough();
  hub.connect(input, output, HOST);
  const endpoint = new Endpoint(output, input, { maxMessage: 1 << 30, maxQueued: 1 << 30 });
  endpoint.on('request', (r: Request) => endpoint.send({ type: 'response', request_seq: r.seq, command: r.command, success: true, body: {} }));
  return endpoint;
}

const isResponse = (seq: number) => (m: Message) => m.type === 'response' && m.request_seq === seq;

export interface Ctx {
  readonly root: string;
  readonly hub: DapHub;
  readonly owner: Endpoint;
  ended: number;
}

/** A session of the fake adapter, launched and configured by the host's client. */
export async function debugSession(): Promise<Ctx> {
  const root = path.join(tmpdir('lspair-fuzz-dap-'), 'py');
  cpSync(FIXTURE, root, { recursive: true });
  appendFileSync(path.join(root, 'private/vault.py'), `# ${CANARY}\n`);
  const hub = new DapHub({ name: 'fuzz', command: { command: process.execPath, args: [FAKE, root, CANARY] }, uris: new HostUris(new Policy(root), true) });
  const host = owner(hub);
  for (const [command, args] of [['initialize', { adapterID: 'fuzz', pathFormat: 'path' }], ['launch', {}], ['configurationDone', {}]] as const) {
    const r = await first<Response>(host, 'response', isResponse(host.send({ type: 'request', command, arguments: args })), 5000);
    if (!r?.success) throw new Error(`the owner's ${command} failed: ${JSON.stringify(r)}`);
  }
  const ctx: Ctx = { root, hub, owner: host, ended: 0 };
  hub.on('ended', () => ctx.ended++);
  return ctx;
}

/** A request from the guest, answered (or null after `ms`). */
export function ask(pipe: GuestPipe, seq: number, command: string, args: object, ms: number): Promise<Response | null> {
  const answered = pipe.next<Message>(isResponse(seq), ms) as Promise<Response | null>;
  pipe.input.write(framed(jsonBytes({ seq, type: 'request', command, arguments: args })));
  return answered;
}

/** A fresh guest with `c`'s permissions, attached (and holding the visible frame's handles if `c.inspect`). */
export async function join(ctx: Ctx, c: Pick<Case, 'permissions' | 'inspect'>, ms: number): Promise<GuestPipe> {
  const permissions = new Set(c.permissions);
  const pipe = new GuestPipe();
  ctx.hub.connect(pipe.input, pipe.output, { kind: 'guest', id: 'fuzz', has: (p) => permissions.has(p) });
  if (!(await ask(pipe, 1, 'initialize', { adapterID: 'fuzz', pathFormat: 'path' }, ms))?.success) throw new Error('the guest could not initialize');
  await ask(pipe, 2, 'attach', {}, ms);
  if (c.inspect) await ask(pipe, 3, 'stackTrace', { threadId: 1 }, ms);
  return pipe;
}

async function run(ctx: Ctx, c: Case, answerMs: number): Promise<void> {
  const ended = ctx.ended;
  const pipe = await join(ctx, c, answerMs);
  c.messages.forEach((m, i) => pipe.input.write(framed(bodyOf(m, i))));
  if (c.tail) pipe.input.write(misframed(bodyOf(c.tail.message, c.messages.length), c.tail.desync));
  const probed = c.tail ? null : await ask(pipe, 99_999, 'threads', {}, answerMs);
  const ownerProbed = await first<Message>(ctx.owner, 'response', isResponse(ctx.owner.send({ type: 'request', command: 'threads', arguments: {} })), answerMs);
  const cutOff = pipe.cutOff;
  pipe.input.end();
  await new Promise((resolve) => setImmediate(resolve));

  const form = leaked(pipe.received, [CANARY, ctx.root]);
  if (form) throw new Error(`the guest received ${JSON.stringify(form)}`);
  if (!c.tail && cutOff) throw new Error('a guest that sent only well-framed messages was cut off');
  if (!c.tail && !probed) throw new Error('a guest that sent only well-framed messages got no answer to threads');
  if (!ownerProbed) throw new Error("the session's owner got no answer after a guest's messages");
  if (ctx.ended !== ended) throw new Error("the debug session ended because of a guest's messages");
}

export const dapFuzzer = target<Case, Ctx>({
  name: 'dap',
  what: "DAP hub: a guest's hostile requests, forged handles and paths, with an adapter built to leak",
  cases: fc.record({
    permissions: fc.subarray(PERMISSIONS),
    inspect: fc.boolean(),
    messages: fc.array(message, { minLength: 1, maxLength: 8 }),
    tail: fc.option(fc.record({ message, desync }), { freq: 4 }),
  }),
  shortRuns: 60,
  timeoutMs: 12_000,
  setup: debugSession,
  run: (ctx, c) => run(ctx, c, 3000),
  teardown: async (ctx) => {
    await ctx.hub.close();
  },
});
