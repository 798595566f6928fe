// The command table: one entry per DAP request, event and reverse request (checked against the DAP JSON schema
// by test/dap/commands.test.ts). It says what a guest's request needs, how the hub treats it, which arguments
// make it run code in the debuggee, where its paths and handles live, and which events a guest hears.
// The gate, the path mapping, the handle checks and the breakpoint merging all walk this one table.
import type { Site } from './sites.js';

export type DapPermission = 'debug.inspect' | 'debug.breakpoints' | 'debug.control' | 'debug.repl';

/**
 * How the hub treats a guest's request (the host's own clients are forwarded as they are):
 * forward — gated, mapped and sent on; join — attach to the host's running session; detach — only this
 * guest leaves; local — answered by the hub; refuse — never from a guest.
 */
export type GuestHandling = 'forward' | 'join' | 'detach' | 'local' | 'refuse';

/** `setBreakpoints` and its family replace a whole set: the hub keeps each participant's and sends the union. */
export interface Merge {
  /** The argument lists that make up a participant's set, in the order the answer's `breakpoints` follow. */
  readonly lists: readonly string[];
  /** One set per source (setBreakpoints) rather than one for the session. */
  readonly bySource: boolean;
}

export interface RequestEntry {
  readonly kind: 'request';
  readonly name: string;
  readonly guest: GuestHandling;
  readonly permission: DapPermission | null;
  /** Why a guest may not send it (guest: 'refuse'). */
  readonly why?: string;
  /** True when these arguments make the request run code in the debuggee: it then needs debug.repl too. */
  readonly code?: (args: Readonly<Record<string, unknown>>) => boolean;
  readonly arguments: readonly Site[];
  readonly body: readonly Site[];
  /** Execution resumes when it succeeds (adapters need not send `continued` for it). */
  readonly resumes?: boolean;
  readonly merge?: Merge;
}

export interface EventEntry {
  readonly kind: 'event';
  readonly name: string;
  /** What a guest needs to hear it; null: every attached guest does. */
  readonly permission: DapPermission | null;
  readonly body: readonly Site[];
}

/** Sent by the adapter to its client: only ever to the host's client that owns the session. */
export interface ReverseEntry {
  readonly kind: 'reverse';
  readonly name: string;
}

export type CommandEntry = RequestEntry | EventEntry | ReverseEntry;

const CONDITIONS = ['condition', 'hitCondition', 'logMessage'];

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Breakpoints with a condition, a hit condition or a log message: the adapter evaluates them in the debuggee. */
function conditional(...lists: string[]): (args: Readonly<Record<string, unknown>>) => boolean {
  return (args) => lists.some((list) => Array.isArray(args[list]) && args[list].some((bp) => isObject(bp) && CONDITIONS.some((k) => bp[k] !== undefined && bp[k] !== null && bp[k] !== '')));
}

/** Without a variables reference (and not an address), a data breakpoint's `name` is an expression to evaluate. */
function expressionName(args: Readonly<Record<string, unknown>>): boolean {
  return !(typeof args.variablesReference === 'number' && args.variablesReference > 0) && args.asAddress !== true;
}

const source = (at: string, hidden: 'remove' | 'drop' = 'remove'): Site => ({ at, kind: 'source', hidden });
const grant = (at: string, handle: 'frame' | 'variables' | 'source' | 'location'): Site => ({ at, kind: 'grant', handle });
const needs = (at: string, handle: 'frame' | 'variables' | 'source' | 'location'): Site => ({ at, kind: 'needs', handle });
const breakpointsOut = [source('breakpoints[].source')];
/** What an evaluation hands back: a value with children, and where it was declared. */
const valueOut = [grant('variablesReference', 'variables'), grant('valueLocationReference', 'location')];

function request(name: string, guest: GuestHandling, permission: RequestEntry['permission'], more: Partial<RequestEntry> = {}): RequestEntry {
  return { kind: 'request', name, guest, permission, arguments: [], body: [], ...more };
}

function event(name: string, permission: EventEntry['permission'], body: readonly Site[] = []): EventEntry {
  return { kind: 'event', name, permission, body };
}

const control = (name: string, more: Partial<RequestEntry> = {}): RequestEntry => request(name, 'forward', 'debug.control', { resumes: true, ...more });

export const COMMANDS: readonly CommandEntry[] = [
  // ---- lifecycle: the host's client owns the session; a guest joins it, and leaving only detaches it
  request('initialize', 'local', null),
  request('configurationDone', 'local', null),
  request('launch', 'refuse', null, { why: "a guest joins the host's running session with attach; launching is the host's" }),
  request('attach', 'join', null),
  request('restart', 'refuse', null, { why: "restarting the debug session is the host's" }),
  request('disconnect', 'detach', null),
  request('terminate', 'detach', null),
  request('terminateThreads', 'refuse', null, { why: "terminating the debuggee's threads is the host's" }),
  request('cancel', 'forward', null), // the hub maps requestId to the guest's own requests

  // ---- breakpoints (conditions, hit conditions and log messages are code: debug.repl)
  request('setBreakpoints', 'forward', 'debug.breakpoints', { code: conditional('breakpoints'), arguments: [source('source', 'drop')], body: breakpointsOut, merge: { lists: ['breakpoints'], bySource: true } }),
  request('setFunctionBreakpoints', 'forward', 'debug.breakpoints', { code: conditional('breakpoints'), body: breakpointsOut, merge: { lists: ['breakpoints'], bySource: false } }),
  request('setExceptionBreakpoints', 'forward', 'debug.breakpoints', { code: conditional('filterOptions'), body: breakpointsOut, merge: { lists: ['filters', 'filterOptions', 'exceptionOptions'], bySource: false } }),
  request('dataBreakpointInfo', 'forward', 'debug.breakpoints', { code: expressionName, arguments: [needs('variablesReference', 'variables'), needs('frameId', 'frame')] }),
  request('setDataBreakpoints', 'forward', 'debug.breakpoints', { code: conditional('breakpoints'), body: breakpointsOut, merge: { lists: ['breakpoints'], bySource: false } }),
  request('setInstructionBreakpoints', 'forward', 'debug.breakpoints', { code: conditional('breakpoints'), body: breakpointsOut, merge: { lists: ['breakpoints'], bySource: false } }),
  request('breakpointLocations', 'forward', 'debug.inspect', { arguments: [source('source', 'drop')] }),

  // ---- execution
  control('continue'),
  control('next'),
  control('stepIn'),
  control('stepOut'),
  control('stepBack'),
  control('reverseContinue'),
  control('restartFrame', { arguments: [needs('frameId', 'frame')] }),
  control('goto'),
  control('pause', { resumes: false }),
  control('stepInTargets', { resumes: false, arguments: [needs('frameId', 'frame')] }), // only serves stepIn
  control('gotoTargets', { resumes: false, arguments: [source('source', 'drop')] }), // only serves goto

  // ---- inspection
  request('threads', 'forward', 'debug.inspect'),
  request('stackTrace', 'forward', 'debug.inspect', { body: [{ at: 'stackFrames[]', kind: 'frame' }] }),
  request('scopes', 'forward', 'debug.inspect', { arguments: [needs('frameId', 'frame')], body: [source('scopes[].source'), grant('scopes[].variablesReference', 'variables')] }),
  request('variables', 'forward', 'debug.inspect', {
    arguments: [needs('variablesReference', 'variables')],
    body: [grant('variables[].variablesReference', 'variables'), grant('variables[].declarationLocationReference', 'location'), grant('variables[].valueLocationReference', 'location')],
  }),
  request('source', 'forward', 'debug.inspect', { arguments: [source('source', 'drop'), needs('sourceReference', 'source')] }),
  request('loadedSources', 'forward', 'debug.inspect', { body: [source('sources[]')] }),
  request('modules', 'forward', 'debug.inspect', { body: [{ at: 'modules[]', kind: 'module', hidden: 'remove' }] }),
  request('exceptionInfo', 'forward', 'debug.inspect', { body: [{ at: 'details.stackTrace', kind: 'omit' }, { at: 'details.innerException[].stackTrace', kind: 'omit' }] }),
  request('readMemory', 'forward', 'debug.inspect'),
  request('disassemble', 'forward', 'debug.inspect', { body: [source('instructions[].location')] }),
  request('locations', 'forward', 'debug.inspect', { arguments: [needs('locationReference', 'location')], body: [source('source', 'drop')] }),

  // ---- code in the debuggee: every evaluation context (hover and watch too), changes to its state
  request('evaluate', 'forward', 'debug.repl', { arguments: [needs('frameId', 'frame'), source('source', 'drop')], body: valueOut }),
  request('setVariable', 'forward', 'debug.repl', { arguments: [needs('variablesReference', 'variables')], body: valueOut }),
  request('setExpression', 'forward', 'debug.repl', { arguments: [needs('frameId', 'frame')], body: valueOut }),
  request('completions', 'forward', 'debug.repl', { arguments: [needs('frameId', 'frame')] }),
  request('writeMemory', 'forward', 'debug.repl'),

  // ---- events: the session's life reaches every attached guest; what it shows needs debug.inspect
  event('initialized', null), // each participant gets its own, when it may configure
  event('stopped', null),
  event('continued', null),
  event('exited', null),
  event('terminated', null),
  event('thread', null),
  event('capabilities', null), // trimmed to each guest's permissions
  event('process', 'debug.inspect', [{ at: 'name', kind: 'basename' }]),
  event('output', 'debug.inspect', [source('source'), grant('variablesReference', 'variables'), grant('locationReference', 'location')]),
  event('breakpoint', 'debug.inspect', [source('breakpoint.source', 'drop')]),
  event('module', 'debug.inspect', [{ at: 'module', kind: 'module', hidden: 'drop' }]),
  event('loadedSource', 'debug.inspect', [source('source', 'drop')]),
  event('progressStart', 'debug.inspect'),
  event('progressUpdate', 'debug.inspect'),
  event('progressEnd', 'debug.inspect'),
  event('invalidated', 'debug.inspect'),
  event('memory', 'debug.inspect'),

  // ---- reverse requests: never to a guest
  { kind: 'reverse', name: 'runInTerminal' },
  { kind: 'reverse', name: 'startDebugging' },
];

const REQUESTS = new Map(COMMANDS.filter((c): c is RequestEntry => c.kind === 'request').map((c) => [c.name, c]));
const EVENTS = new Map(COMMANDS.filter((c): c is EventEntry => c.kind === 'event').map((c) => [c.name, c]));

export function requestEntry(command: string): RequestEntry | undefined {
  return REQUESTS.get(command);
}

export function eventEntry(name: string): EventEntry | undefined {
  return EVENTS.get(name);
}
