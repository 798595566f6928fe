// What no filter can remove (SECURITY.md, "What cannot be filtered" and "Known limitations"), shown with the real
// TypeScript server behind the hub. A guest never gets a location in an excluded file, but what the server derives
// from that file and puts in an answer about a visible one reaches the guest, as in Live Share: a literal type (in a
// diagnostic and a hover) and the host's absolute path of the excluded file (in a hover's text). The arguments of the
// commands a server offers carry the host's absolute paths too, and a command can make the server write to the host's
// disk itself, past the hub: so lsp.commands counts only with files.write (a guest holding it alone runs nothing).
// These tests pin that behaviour: if one fails, lspair (or the server) has changed and SECURITY.md must say so.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HOST, LspHub } from '../../src/lsp/index.js';
import { HostUris, Policy } from '../../src/policy/index.js';
import { tmpdir } from '../helpers/tmp.js';
import { LspClient } from '../lsp/lsp-client.js';

const TSLS = fileURLToPath(new URL('../../node_modules/.bin/typescript-language-server', import.meta.url));
const APP = 'lspair:/src/app.ts';
const CANARY = `canarykey-${randomBytes(8).toString('hex')}`;
const FILES: Record<string, string> = {
  '.vsls.json': '{ "excludeFiles": ["secret/"] }',
  'tsconfig.json': '{ "compilerOptions": { "strict": true, "noEmit": true, "moduleResolution": "Bundler", "module": "ES2022" } }',
  'secret/keys.ts': `export const apiKey = { token: '${CANARY}' } as const;\n`,
  'src/app.ts': "import { apiKey } from '../secret/keys';\nexport const key: number = apiKey;\nexport function twice(n: number) { return n * 2; }\n",
};
const APP_LINES = FILES['src/app.ts']!.split('\n');

/** The position of the first `text` on `line` of app.ts, `offset` characters into it. */
function positionOf(line: number, text: string, offset = 0) {
  const character = APP_LINES[line]!.indexOf(text);
  if (character < 0) throw new Error(`'${text}' is not on line ${line} of app.ts`);
  return { textDocument: { uri: APP }, position: { line, character: character + offset } };
}

interface Command {
  readonly command: string;
  readonly arguments?: unknown[];
}

const s = suite<{ root: string; hub: LspHub; host: LspClient; viewer: LspClient; commandsAlone: LspClient; commander: LspClient }>('unfilterable');

/** A guest of the hub holding only `permissions`, with app.ts open. */
async function guest(hub: LspHub, id: string, permissions: string[]): Promise<LspClient> {
  const ends = LspClient.pair();
  hub.connect(ends.input, ends.output, { kind: 'guest', id, has: (p) => permissions.includes(p) });
  await ends.client.request('initialize', { processId: null, rootUri: 'lspair:/', capabilities: {} });
  await ends.client.connection.sendNotification('initialized', {});
  await ends.client.open(APP, 'typescript', ''); // the hub keeps the host's text, whatever a guest says it is
  return ends.client;
}

s.before(async (ctx) => {
  ctx.root = path.join(tmpdir('lspair-unfilterable-'), 'share');
  for (const [rel, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(ctx.root, rel)), { recursive: true });
    writeFileSync(path.join(ctx.root, rel), text);
  }
  const policy = new Policy(ctx.root);
  ctx.hub = new LspHub({ name: 'ts', command: { command: TSLS, args: ['--stdio'] }, uris: new HostUris(policy, true), save: async () => undefined, idleMs: 60_000 });
  const host = LspClient.pair();
  ctx.hub.connect(host.input, host.output, HOST);
  ctx.host = host.client;
  await ctx.host.initialize(policy.root);
  ctx.viewer = await guest(ctx.hub, 'viewer', []);
  ctx.commandsAlone = await guest(ctx.hub, 'commands-alone', ['lsp.commands']);
  ctx.commander = await guest(ctx.hub, 'commander', ['lsp.commands', 'files.write']);
});

s.after(async (ctx) => {
  for (const client of [ctx.commander, ctx.commandsAlone, ctx.viewer, ctx.host]) client?.dispose();
  await ctx.hub?.close();
});

s('a literal type from an excluded file shows in diagnostics and hovers on a visible file; its definition does not', async ({ viewer }) => {
  const diagnostics = await viewer.diagnostics(APP);
  assert.ok(diagnostics.some((d) => d.message.includes(CANARY)), `a diagnostic on the visible file quotes the excluded literal: ${JSON.stringify(diagnostics)}`);
  const use = positionOf(1, 'apiKey', 2);
  const hover = await viewer.request<{ contents: unknown }>('textDocument/hover', use);
  assert.ok(JSON.stringify(hover.contents).includes(CANARY), `so does a hover: ${JSON.stringify(hover.contents)}`);
  assert.equal(await viewer.request('textDocument/definition', use), [], 'the location in the excluded file is filtered');
});

s("the host's absolute path of an excluded file shows in a hover's text", async ({ root, viewer }) => {
  const hover = await viewer.request<{ contents: unknown }>('textDocument/hover', positionOf(0, '../secret/keys', 3));
  const text = JSON.stringify(hover.contents);
  assert.ok(text.includes(path.join(root, 'secret/keys')), `a hover on the import names it: ${text}`);
  assert.not.ok(text.includes(CANARY), 'the path, not the contents');
});

/** The commands of the code actions offered to `client` on `twice`'s line. */
async function offeredCommands(client: LspClient): Promise<{ title: string; command: Command }[]> {
  const line = APP_LINES[2]!;
  const range = { start: { line: 2, character: 0 }, end: { line: 2, character: line.length } };
  const actions = await client.request<{ title: string; command?: Command }[]>('textDocument/codeAction', { textDocument: { uri: APP }, range, context: { diagnostics: [] } });
  return actions.flatMap((a) => (a.command ? [{ title: a.title, command: a.command }] : []));
}

/** The message of the error `request` fails with (a failure if it succeeds). */
async function refusal(request: Promise<unknown>, what: string): Promise<string> {
  try {
    await request;
  } catch (error) {
    return (error as Error).message;
  }
  assert.unreachable(`${what} is refused`);
  return '';
}

s('lsp.commands without files.write runs nothing: no code action, no command', async ({ viewer, commandsAlone }) => {
  assert.match(await refusal(offeredCommands(viewer), 'a code action for a guest holding neither'), /needs the files\.write or lsp\.commands permission \(the host/);
  assert.match(await refusal(offeredCommands(commandsAlone), 'a code action for lsp.commands alone'), /lsp\.commands counts only with files\.write, as a command may write files \(the host can grant it: lspair guests grant commands-alone files\.write\)/);
  const command = { command: '_typescript.organizeImports', arguments: [] };
  assert.match(await refusal(commandsAlone.request('workspace/executeCommand', command), 'a command for lsp.commands alone'), /needs the lsp\.commands permission, and lsp\.commands counts only with files\.write/);
});

s("the arguments of offered commands carry the host's absolute paths", async ({ root, commander }) => {
  const offered = await offeredCommands(commander);
  assert.ok(offered.length > 0, 'a guest with lsp.commands and files.write is offered commands');
  const hostFile = path.join(root, 'src/app.ts');
  const naming = offered.filter((o) => JSON.stringify(o.command.arguments ?? []).includes(hostFile));
  assert.ok(naming.length > 0, `some name ${hostFile}: ${JSON.stringify(offered.map((o) => o.command))}`);
});

interface WorkspaceEdit {
  readonly changes?: Record<string, unknown>;
  readonly documentChanges?: { textDocument?: { uri: string }; uri?: string }[];
}

/** The host paths a WorkspaceEdit creates or changes, in either of its two forms. */
const editedFiles = (edit: WorkspaceEdit): string[] =>
  [...Object.keys(edit.changes ?? {}), ...(edit.documentChanges ?? []).map((c) => c.textDocument?.uri ?? c.uri ?? '')].map((uri) => fileURLToPath(uri));

s("an offered command makes the server create a file on the host's disk itself, past the hub, and ask the host's editor to edit", async ({ root, host, commander }) => {
  const move = (await offeredCommands(commander)).find((o) => o.title === 'Move to a new file');
  assert.ok(move, 'the server offers "Move to a new file"');
  const src = path.join(root, 'src');
  const before = { messages: host.received.length, files: readdirSync(src) };
  await commander.request('workspace/executeCommand', move.command);
  const asked = await host.waitFor((r) => host.received.indexOf(r) >= before.messages && r.method === 'workspace/applyEdit', 30_000, "the server's applyEdit");
  const files = editedFiles((asked.params as { edit: WorkspaceEdit }).edit);
  assert.ok(files.includes(path.join(src, 'app.ts')), `the host's editor is asked to edit app.ts: ${files.join(', ')}`);
  const created = readdirSync(src).filter((name) => !before.files.includes(name));
  assert.equal(created.length, 1, `the server created one file in src/ itself: ${created.join(', ')}`);
  assert.ok(files.includes(path.join(src, created[0]!)), 'the file the edit fills');
  assert.is(readFileSync(path.join(src, created[0]!), 'utf8'), '', "empty: the host's editor (here a script) applies the edit, not the server");
});

s.run();
