// A deterministic debug adapter for the DAP hub's fuzzer: fast, and built to leak. Its debuggee is stopped in
// two frames, one in the share's app.py and one in the excluded private/vault.py; every handle that belongs to the
// excluded file (frame 2, variables 666, source 77, location 99) leads to the canary (argv[3]), as does any
// request that names the excluded file; events, reverse requests and an extra top-level field carry it where the
// hub must drop them. A guest must never see the canary whatever it sends. argv[2] is the shared folder, argv[3] the canary.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listen, send as write } from './fake-stdio.mjs';

const CANARY = process.argv[3] ?? 'CANARY';
const ROOT = process.argv[2] ?? '/nowhere';
const APP = path.join(ROOT, 'app.py');
const VAULT = path.join(ROOT, 'private', 'vault.py');
let seq = 1;

const send = (message) => write({ seq: seq++, statistics: CANARY, ...message });
const respond = (req, body, success = true, message) => send({ type: 'response', request_seq: req.seq, command: req.command, success, ...(message ? { message } : {}), ...(body ? { body } : {}) });
const event = (name, body) => send({ type: 'event', event: name, ...(body ? { body } : {}) });

const visible = { name: 'app.py', path: APP };
const secret = { name: CANARY, path: VAULT, sourceReference: 77 };
const FRAMES = [
  { id: 1, name: 'main', line: 3, column: 1, source: visible },
  { id: 2, name: CANARY, line: 2, column: 1, source: secret },
];

/** Everything the hub must keep from a guest, after each answer that may interest one. */
function spray() {
  event('breakpoint', { reason: 'changed', breakpoint: { id: 9, verified: true, message: CANARY, source: secret, line: 2 } });
  event('loadedSource', { reason: 'new', source: secret });
  event('module', { reason: 'new', module: { id: 2, name: CANARY, path: VAULT } });
  event('output', { category: 'console', output: 'visible output\n', source: secret, line: 2 });
  event('fakeCustom', { CANARY });
  send({ type: 'request', command: 'runInTerminal', arguments: { kind: 'integrated', cwd: ROOT, args: ['echo', CANARY] } });
}

/** The handle and source arguments each command takes, from the DAP schema (`SetBreakpointsArguments`: setBreakpoints). */
const SCHEMA = JSON.parse(readFileSync(new URL('../../fixtures/dap/debugAdapterProtocol.json', import.meta.url), 'utf8'));
const TAKES = new Map(
  Object.entries(SCHEMA.definitions)
    .filter(([name]) => name.endsWith('Arguments'))
    .map(([name, def]) => [name[0].toLowerCase() + name.slice(1, -'Arguments'.length), new Set(Object.keys(def.properties ?? {}))]),
);
/** The excluded file's handles, by argument. */
const SECRET_HANDLES = { frameId: 2, variablesReference: 666, sourceReference: 77, locationReference: 99 };

/** Whether a request reaches the excluded file (by path, or by one of its handles): the hub should not have let it. */
function secretArgs(command, args) {
  if (JSON.stringify(args ?? {}).includes(VAULT)) return true;
  const takes = TAKES.get(command) ?? new Set();
  if (takes.has('source') && args?.source?.sourceReference === 77) return true;
  return Object.entries(SECRET_HANDLES).some(([key, id]) => takes.has(key) && args?.[key] === id);
}

const handlers = {
  initialize: (req) => {
    respond(req, { supportsConfigurationDoneRequest: true, supportsConditionalBreakpoints: true, supportsEvaluateForHovers: true, supportsSetVariable: true, supportsLoadedSourcesRequest: true, supportsModulesRequest: true, supportsExceptionInfoRequest: true, supportsCancelRequest: true, supportsDataBreakpoints: true, supportsDisassembleRequest: true, supportsGotoTargetsRequest: true, supportsBreakpointLocationsRequest: true, supportsReadMemoryRequest: true, supportsTerminateRequest: true });
    event('initialized');
  },
  launch: (req) => {
    respond(req);
    event('process', { name: APP, startMethod: 'launch' });
    event('thread', { reason: 'started', threadId: 1 });
    event('stopped', { reason: 'breakpoint', threadId: 1, allThreadsStopped: true });
  },
  threads: (req) => {
    respond(req, { threads: [{ id: 1, name: 'main' }] });
    spray();
  },
  stackTrace: (req) => respond(req, { stackFrames: FRAMES, totalFrames: FRAMES.length }),
  scopes: (req) => respond(req, { scopes: [{ name: 'Locals', variablesReference: 10, expensive: false, source: visible }] }),
  variables: (req) => respond(req, { variables: [{ name: 'x', value: '1', variablesReference: 11, valueLocationReference: 55 }] }),
  source: (req) => {
    const p = req.arguments?.source?.path;
    if (typeof p !== 'string' || path.relative(ROOT, p).startsWith('..')) return respond(req, undefined, false, 'no such source');
    try {
      respond(req, { content: readFileSync(p, 'utf8') });
    } catch {
      respond(req, undefined, false, 'no such source');
    }
  },
  loadedSources: (req) => respond(req, { sources: [visible, secret] }),
  modules: (req) => respond(req, { modules: [{ id: 1, name: 'app', path: APP }, { id: 2, name: CANARY, path: VAULT }], totalModules: 2 }),
  exceptionInfo: (req) => respond(req, { exceptionId: 'E', breakMode: 'always', details: { message: 'boom', stackTrace: `File "${VAULT}", line 2 ${CANARY}`, innerException: [{ stackTrace: CANARY }] } }),
  evaluate: (req) => respond(req, { result: '42', variablesReference: 10 }),
  setBreakpoints: (req) => respond(req, { breakpoints: (req.arguments?.breakpoints ?? []).map((bp, i) => ({ id: 100 + i, verified: true, line: bp?.line, source: req.arguments?.source })) }),
  breakpointLocations: (req) => respond(req, { breakpoints: [{ line: 1 }] }),
  locations: (req) => respond(req, { source: visible, line: 1 }),
  disassemble: (req) => respond(req, { instructions: [{ address: '0x1', instruction: 'nop', location: secret }, { address: '0x2', instruction: 'nop', location: visible }] }),
  continue: (req) => {
    respond(req, { allThreadsContinued: true });
    event('stopped', { reason: 'step', threadId: 1, allThreadsStopped: true });
  },
  disconnect: (req) => {
    respond(req);
    event('terminated');
    setTimeout(() => process.exit(0), 10);
  },
};

function receive(m) {
  if (m?.type !== 'request') return; // the owner's answers to our reverse requests
  if (secretArgs(m.command, m.arguments)) return respond(m, { content: CANARY, result: CANARY, variables: [{ name: CANARY, value: CANARY, variablesReference: 0 }] });
  try {
    (handlers[m.command] ?? ((req) => respond(req, {})))(m);
  } catch {
    respond(m, undefined, false, 'malformed arguments'); // a real adapter's answer to arguments of the wrong type
  }
}

listen(receive);
