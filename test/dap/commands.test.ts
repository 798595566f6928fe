// The command table against the DAP JSON schema: every request, event and reverse request has exactly one entry,
// every place a Source or Module lives is mapped, every handle a guest is given or uses is recorded or checked,
// every capability has a trimming rule; and the permission classification the issue asks for.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CAPABILITY_RULES, COMMANDS, eventEntry, requestEntry, type RequestEntry } from '../../src/dap/index.js';
import { PERMISSIONS } from '../../src/session/permissions.js';

interface Schema {
  readonly $ref?: string;
  readonly allOf?: readonly Schema[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
  readonly type?: string | readonly string[];
  readonly title?: string;
}

const spec = JSON.parse(readFileSync(new URL('../../fixtures/dap/debugAdapterProtocol.json', import.meta.url), 'utf8')) as { definitions: Record<string, Schema> };
const defs = spec.definitions;
const refName = (s: Schema): string | undefined => s.$ref?.split('/').pop();

function properties(s: Schema): Record<string, Schema> {
  const name = refName(s);
  if (name) return properties(defs[name]!);
  return Object.assign({}, ...(s.allOf ?? []).map(properties), s.properties ?? {});
}

/** Messages of the schema by section: a definition's `title` opens a section ("Requests", "Reverse Requests", …). */
function messages(): { requests: Map<string, Schema>; events: Map<string, Schema>; reverse: Map<string, Schema> } {
  const requests = new Map<string, Schema>();
  const events = new Map<string, Schema>();
  const reverse = new Map<string, Schema>();
  let section = 'Base Protocol';
  for (const [name, def] of Object.entries(defs)) {
    const own = def.allOf?.[1];
    if (own?.title) section = own.title;
    const base = def.allOf?.[0] && refName(def.allOf[0]);
    const props = properties(def);
    const enumOf = (key: string): string => (props[key] as { enum?: string[] } | undefined)?.enum?.[0] ?? name;
    if (base === 'Request') (section === 'Reverse Requests' ? reverse : requests).set(enumOf('command'), def);
    if (base === 'Event') events.set(enumOf('event'), def);
  }
  return { requests, events, reverse };
}

const { requests, events, reverse } = messages();
const responseOf = (command: string): Schema | undefined => Object.entries(defs).find(([name]) => name.toLowerCase() === `${command.toLowerCase()}response`)?.[1];

/**
 * Every place under `s` where a Source or Module lives (`a.b[].c<Source>`: the mapper takes care of what is inside
 * them), or a property named in `keys` sits (`a.b`).
 */
function places(s: Schema, at: string, keys: ReadonlySet<string>, out: string[], seen: readonly string[] = []): string[] {
  const name = refName(s);
  if (name === 'Source' || name === 'Module') {
    out.push(`${at}<${name}>`);
    return out;
  }
  if (name) return seen.includes(name) ? out : places(defs[name]!, at, keys, out, [...seen, name]);
  if (s.items) return places(s.items, `${at}[]`, keys, out, seen);
  for (const [key, child] of Object.entries(properties(s))) {
    const here = at === '' ? key : `${at}.${key}`;
    if (keys.has(key)) out.push(here);
    places(child, here, keys, out, seen);
  }
  return out;
}

const PATHS = new Set<string>();
/** The table's path sites, written as the schema walk writes them. */
function tablePaths(sites: RequestEntry['body']): string[] {
  return sites.flatMap((s) => (s.kind === 'source' ? [`${s.at}<Source>`] : s.kind === 'frame' ? [`${s.at}.source<Source>`] : s.kind === 'module' ? [`${s.at}<Module>`] : []));
}

const sorted = (list: string[]): string[] => [...list].sort();

test('every request, event and reverse request of the schema has one entry, and the table has nothing else', () => {
  const table = (kind: string) => COMMANDS.filter((c) => c.kind === kind).map((c) => c.name).sort();
  assert.equal(table('request'), [...requests.keys()].sort());
  assert.equal(table('event'), [...events.keys()].sort());
  assert.equal(table('reverse'), [...reverse.keys()].sort());
  assert.is(new Set(COMMANDS.map((c) => `${c.kind}:${c.name}`)).size, COMMANDS.length, 'no duplicates');
  assert.ok(requests.size > 40 && events.size > 15 && reverse.size === 2, 'the schema was read');
});

test("every Source and Module of a message's arguments and body has a site", () => {
  for (const [command, def] of requests) {
    const entry = requestEntry(command)!;
    const args = properties(def).arguments;
    const inArgs = args ? sorted(places(args, '', PATHS, [])) : [];
    assert.equal(tablePaths(entry.arguments).sort(), inArgs, `${command} arguments`);
    const body = responseOf(command) && properties(responseOf(command)!).body;
    const inBody = body ? sorted(places(body, '', PATHS, [])) : [];
    assert.equal(tablePaths(entry.body).sort(), inBody, `${command} body`);
  }
  for (const [name, def] of events) {
    const body = properties(def).body;
    assert.equal(tablePaths(eventEntry(name)!.body).sort(), body ? sorted(places(body, '', PATHS, [])) : [], `${name} event`);
  }
});

test('every handle a guest is given is granted, and every handle it uses is checked', () => {
  const HANDLES = new Set(['variablesReference', 'frameId', 'locationReference', 'declarationLocationReference', 'valueLocationReference', 'sourceReference']);
  /** Handles inside Sources are the source mapper's own; these are the others. */
  const plain = (list: string[]): string[] => list.filter((p) => !p.includes('<')).sort();
  const sites = (list: RequestEntry['body'], kind: 'grant' | 'needs') => list.filter((s) => s.kind === kind).map((s) => s.at).sort();
  for (const [command, def] of requests) {
    const entry = requestEntry(command)!;
    const args = properties(def).arguments;
    assert.equal(sites(entry.arguments, 'needs'), args ? plain(places(args, '', HANDLES, [])) : [], `${command} arguments`);
    const body = responseOf(command) && properties(responseOf(command)!).body;
    assert.equal(sites(entry.body, 'grant'), body ? plain(places(body, '', HANDLES, [])) : [], `${command} body`);
  }
  for (const [name, def] of events) {
    const body = properties(def).body;
    assert.equal(sites(eventEntry(name)!.body, 'grant'), body ? plain(places(body, '', HANDLES, [])) : [], `${name} event`);
  }
});

test('every capability of the schema has a rule for guests, and no rule is for an unknown one', () => {
  assert.equal(Object.keys(CAPABILITY_RULES).sort(), Object.keys(properties(defs.Capabilities!)).sort());
});

test("the table's permissions are the session's", () => {
  const known = new Set<string>(PERMISSIONS.map((p) => p.name));
  for (const entry of COMMANDS) if (entry.kind !== 'reverse' && entry.permission) assert.ok(known.has(entry.permission), `${entry.name}: ${entry.permission}`);
});

test('classification: inspection, breakpoints, control, code, and the lifecycle a guest may not drive', () => {
  const of = (command: string) => requestEntry(command)!;
  for (const c of ['threads', 'stackTrace', 'scopes', 'variables', 'source', 'loadedSources', 'modules', 'exceptionInfo', 'breakpointLocations']) assert.is(of(c).permission, 'debug.inspect', c);
  for (const c of ['setBreakpoints', 'setFunctionBreakpoints', 'setExceptionBreakpoints', 'setDataBreakpoints', 'setInstructionBreakpoints']) {
    assert.is(of(c).permission, 'debug.breakpoints', c);
    assert.ok(of(c).merge, `${c} is merged`);
  }
  for (const c of ['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'pause', 'goto', 'restartFrame']) assert.is(of(c).permission, 'debug.control', c);
  for (const c of ['evaluate', 'setVariable', 'setExpression', 'writeMemory', 'completions']) assert.is(of(c).permission, 'debug.repl', c);
  for (const c of ['launch', 'restart']) assert.is(of(c).guest, 'refuse', c);
  for (const c of ['disconnect', 'terminate']) assert.is(of(c).guest, 'detach', c);
  assert.is(of('attach').guest, 'join');
  const code = of('setBreakpoints').code!;
  assert.not.ok(code({ breakpoints: [{ line: 3 }, { line: 4, condition: '' }] }), 'plain breakpoints are not code');
  for (const field of ['condition', 'hitCondition', 'logMessage']) assert.ok(code({ breakpoints: [{ line: 3 }, { line: 4, [field]: 'x > 1' }] }), field);
  assert.ok(of('setExceptionBreakpoints').code!({ filters: [], filterOptions: [{ filterId: 'raised', condition: 'True' }] }));
  assert.ok(of('dataBreakpointInfo').code!({ name: 'a.b' }), 'an expression without a variables reference is code');
  assert.not.ok(of('dataBreakpointInfo').code!({ name: 'b', variablesReference: 7 }));
});

test.run();
