// The DAP layer's pieces on their own: the endpoint under hostile input, the site walker and path mapping,
// breakpoint merging, capability trimming, and a guest proxy whose stream the host refused.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BreakpointBook } from '../../src/dap/breakpoints.js';
import { trimCapabilities } from '../../src/dap/capabilities.js';
import { requestEntry } from '../../src/dap/commands.js';
import { Endpoint, classify, type Response } from '../../src/dap/endpoint.js';
import { GuestDapProxy } from '../../src/dap/index.js';
import { GuestUris } from '../../src/policy/index.js';
import { PEER_LIMITS } from '../../src/wire/framed-peer.js';
import { PEER_RESET } from '../../src/wire/mux.js';
import { duplexPair, stallable } from '../helpers/streams.js';
import { tmpdir } from '../helpers/tmp.js';
import { GuestHandles } from '../../src/dap/participant.js';
import { HIDDEN_FRAME_NAME, Refused, collectPaths, mapSites, type PathMap } from '../../src/dap/paths.js';
import { Dropped } from '../../src/dap/sites.js';
import { encode } from '../../src/wire/content-length.js';

const endpoint = suite('endpoint');

endpoint('classify: DAP shapes are checked and rebuilt from their known fields', () => {
  assert.equal(classify({ seq: 1, type: 'request', command: 'threads', extra: 1 }), { seq: 1, type: 'request', command: 'threads' });
  assert.equal(classify({ seq: 0, type: 'event', event: 'terminated', statistics: 'x' }), { seq: 0, type: 'event', event: 'terminated' });
  assert.equal(classify({ seq: 2, type: 'response', request_seq: 1, success: false, command: 'x', message: 'no', body: null }), { seq: 2, type: 'response', request_seq: 1, success: false, command: 'x', message: 'no', body: null });
  for (const bad of [null, [], 'x', { type: 'request', command: 'a' }, { seq: -1, type: 'event', event: 'a' }, { seq: 1.5, type: 'event', event: 'a' }, { seq: 1, type: 'request', command: 'a b' }, { seq: 1, type: 'request', command: 'a', arguments: [1] }, { seq: 1, type: 'response', command: 'a', success: true }, { seq: 1, type: 'event', event: 'x'.repeat(200) }, { seq: 1, type: 'nope' }]) {
    assert.ok('invalid' in classify(bad), JSON.stringify(bad));
  }
});

endpoint('answers an invalid request with an error, numbers its own messages, and ends a peer that stops reading', async () => {
  const input = new PassThrough();
  const { output, sent, stall } = stallable();
  const ep = new Endpoint(input, output, { maxMessage: 4096, maxQueued: 4096 });
  input.write(encode({ seq: 9, type: 'request', command: 'evaluate', arguments: 'x' }));
  assert.match(Buffer.concat(sent).toString(), /"seq":1,"type":"response","request_seq":9,"command":"evaluate","success":false,"message":"lspair: invalid request: arguments must be an object"/);
  assert.is(ep.send({ type: 'event', event: 'x' }), 2);
  stall();
  const closed = once(ep, 'close');
  for (let i = 0; i < 100 && !ep.closed; i++) ep.send({ type: 'event', event: 'flood', body: { pad: 'x'.repeat(500) } });
  assert.equal(await closed, ['too slow: stopped reading what it was sent']);
});

endpoint('a lying Content-Length ends the endpoint instead of buffering', async () => {
  const input = new PassThrough();
  const ep = new Endpoint(input, new PassThrough(), { maxMessage: 1000, maxQueued: 1000 });
  const closed = once(ep, 'close');
  input.write('Content-Length: 99999999\r\n\r\n{');
  assert.match(String((await closed)[0]), /over the limit/);
});

endpoint.run();

const paths = suite('paths');

/** Host side for a guest: /share/… is `lspair:/…`, /share/secret/… is hidden. */
const out: PathMap = { path: (p) => (p.startsWith('/share/secret/') ? null : p.startsWith('/share/') ? `lspair:/${p.slice(7)}` : null), name: (s) => s.split('/').pop()!, text: () => null };

paths('frames in hidden files become placeholders; visible ones are mapped and their ids granted', () => {
  const handles = new GuestHandles();
  const body = { stackFrames: [{ id: 1, name: 'leak', line: 3, column: 1, source: { path: '/share/secret/k.py' }, instructionPointerReference: '0x1' }, { id: 2, name: 'main', line: 9, column: 1, source: { path: '/share/app.py', sourceReference: 0 } }, { id: 3, name: 'native', line: 0, column: 0 }] };
  const mapped = mapSites(requestEntry('stackTrace')!.body, body, out, { grants: handles }) as typeof body;
  assert.equal(mapped.stackFrames, [
    { id: 1, name: HIDDEN_FRAME_NAME, line: 0, column: 0, presentationHint: 'subtle' },
    { id: 2, name: 'main', line: 9, column: 1, source: { path: 'lspair:/app.py', sourceReference: 0 } },
    { id: 3, name: 'native', line: 0, column: 0 },
  ]);
  assert.equal([handles.has('frame', 1), handles.has('frame', 2), handles.has('frame', 3)], [false, true, true]);
  handles.resumed();
  assert.not.ok(handles.has('frame', 2), 'frames are gone once the debuggee runs');
});

paths('lists lose what is hidden, messages that must not arrive are dropped, nested sources are mapped', () => {
  const loaded = mapSites(requestEntry('loadedSources')!.body, { sources: [{ path: '/share/secret/a' }, { path: '/share/b', sources: [{ path: '/share/secret/c' }, { path: '/share/d' }] }, { path: '/elsewhere/e' }] }, out);
  assert.equal(loaded, { sources: [{ path: 'lspair:/b', sources: [{ path: 'lspair:/d' }] }] });
  const modules = mapSites(requestEntry('modules')!.body, { modules: [{ id: 1, name: 'k', path: '/share/secret/k.so' }, { id: 2, name: 'm', path: '/share/m.so', symbolFilePath: '/share/secret/m.pdb' }] }, out);
  assert.equal(modules, { modules: [{ id: 2, name: 'm', path: 'lspair:/m.so' }] });
  assert.throws(() => mapSites([{ at: 'breakpoint.source', kind: 'source', hidden: 'drop' }], { reason: 'changed', breakpoint: { id: 1, source: { path: '/share/secret/k.py' } } }, out), (e: unknown) => e instanceof Dropped);
  assert.equal(mapSites([{ at: 'name', kind: 'basename' }], { name: '/home/host/project/run.py', systemProcessId: 1 }, out), { name: 'run.py', systemProcessId: 1 });
  const trace = { exceptionId: 'E', breakMode: 'always', details: { message: 'm', stackTrace: 'File "/share/secret/k.py", line 2', innerException: [{ message: 'n', stackTrace: 'File "/share/secret/k.py"' }] } };
  assert.equal(mapSites(requestEntry('exceptionInfo')!.body, trace, out), { exceptionId: 'E', breakMode: 'always', details: { message: 'm', innerException: [{ message: 'n' }] } });
  assert.equal(collectPaths(requestEntry('loadedSources')!.body, { sources: [{ path: 'lspair:/a' }, { name: 'x', sourceReference: 4 }] }), ['lspair:/a']);
});

paths('a guest may only use the handles it was shown', () => {
  const handles = new GuestHandles();
  mapSites(requestEntry('scopes')!.body, { scopes: [{ name: 'Locals', variablesReference: 5, expensive: false }] }, out, { grants: handles });
  const into: PathMap = { path: (p) => p };
  assert.equal(mapSites(requestEntry('variables')!.arguments, { variablesReference: 5 }, into, { checks: handles }), { variablesReference: 5 });
  assert.throws(() => mapSites(requestEntry('variables')!.arguments, { variablesReference: 6 }, into, { checks: handles }), (e: unknown) => e instanceof Refused);
  assert.throws(() => mapSites(requestEntry('source')!.arguments, { source: { sourceReference: 3 }, sourceReference: 3 }, into, { checks: handles }), /never shown/);
  mapSites(requestEntry('loadedSources')!.body, { sources: [{ name: '<string>', sourceReference: 3 }] }, out, { grants: handles });
  assert.ok(mapSites(requestEntry('source')!.arguments, { source: { sourceReference: 3 }, sourceReference: 3 }, into, { checks: handles }));
});

paths.run();

const book = suite('breakpoints');

book('the union holds each breakpoint once; each owner gets the answers for its own, in its order', () => {
  const b = new BreakpointBook();
  const merge = requestEntry('setBreakpoints')!.merge!;
  const [host, guest] = [{}, {}];
  b.update('setBreakpoints', merge, host, { source: { path: '/nowhere/a.py' }, breakpoints: [{ line: 3 }, { line: 5 }] });
  const merged = b.update('setBreakpoints', merge, guest, { source: { path: '/nowhere/x/../a.py' }, lines: [7, 3], sourceModified: false });
  assert.equal(merged.args, { source: { path: '/nowhere/x/../a.py' }, sourceModified: false, breakpoints: [{ line: 3 }, { line: 5 }, { line: 7 }] }, "the latest request's source; lines as breakpoints");
  const answers = b.settle(merged, guest, [{ id: 11, line: 3 }, { id: 12, line: 5 }, { id: 13, line: 7 }]);
  assert.equal(answers.get(guest), [{ id: 13, line: 7 }, { id: 11, line: 3 }]);
  assert.equal(answers.get(host), [{ id: 11, line: 3 }, { id: 12, line: 5 }]);
  assert.equal(b.remove(guest).map((m) => m.args.breakpoints), [[{ line: 3 }, { line: 5 }]]);
  assert.equal(b.remove(guest), [], 'nothing more to send');
});

book('session-wide sets merge every list; the answer follows their concatenation', () => {
  const b = new BreakpointBook();
  const merge = requestEntry('setExceptionBreakpoints')!.merge!;
  const [host, guest] = [{}, {}];
  b.update('setExceptionBreakpoints', merge, host, { filters: ['raised'] });
  const merged = b.update('setExceptionBreakpoints', merge, guest, { filters: ['uncaught', 'raised'], filterOptions: [{ filterId: 'userUnhandled' }] });
  assert.equal(merged.args, { filters: ['raised', 'uncaught'], filterOptions: [{ filterId: 'userUnhandled' }], exceptionOptions: [] });
  const answers = b.settle(merged, guest, ['r', 'u', 'uu']);
  assert.equal([answers.get(host), answers.get(guest)], [['r'], ['u', 'r', 'uu']]);
});

book('renumbered breakpoints: each owner keeps the ids it was told', () => {
  const b = new BreakpointBook();
  const merge = requestEntry('setFunctionBreakpoints')!.merge!;
  const [host, guest] = [{}, {}];
  b.settle(b.update('setFunctionBreakpoints', merge, host, { breakpoints: [{ name: 'f' }] }), host, [{ id: 1 }]);
  b.settle(b.update('setFunctionBreakpoints', merge, guest, { breakpoints: [{ name: 'g' }] }), guest, [{ id: 2 }, { id: 3 }]);
  assert.equal([b.translate(host, 2), b.translate(guest, 3), b.translate(guest, 2), b.translate(host, 99)], [1, 3, 2, 99]);
});

book.run();

const caps = suite('capabilities');

caps('a guest sees what its permissions allow; the host’s lifecycle never', () => {
  const adapter = { supportsConditionalBreakpoints: true, supportsStepBack: true, supportsRestartRequest: true, supportsTerminateRequest: true, supportsModulesRequest: true, supportsSomethingNew: true, exceptionBreakpointFilters: [{ filter: 'raised', label: 'Raised', supportsCondition: true }] };
  const viewer = trimCapabilities(adapter, (p) => p === 'debug.inspect' || p === 'debug.breakpoints');
  assert.equal(viewer, { supportsModulesRequest: true, exceptionBreakpointFilters: [{ filter: 'raised', label: 'Raised', supportsCondition: false }], supportsConfigurationDoneRequest: true });
  assert.equal(trimCapabilities({ supportsStepBack: true, supportsModulesRequest: true, completionTriggerCharacters: ['.'], additionalModuleColumns: [] }, (p) => p === 'debug.inspect', true), { supportsStepBack: false, supportsModulesRequest: true, completionTriggerCharacters: [], additionalModuleColumns: [], supportsConfigurationDoneRequest: true }, 'explicit: what it lost is switched off');
  const all = trimCapabilities(adapter, () => true);
  assert.equal(all, { supportsConditionalBreakpoints: true, supportsStepBack: true, supportsModulesRequest: true, exceptionBreakpointFilters: adapter.exceptionBreakpointFilters, supportsConfigurationDoneRequest: true });
});

caps.run();

const proxy = suite("a guest's proxy");
proxy('a client the host refused before it asked anything hears why on its requests', async () => {
  const [hostSide, guestSide] = duplexPair();
  const [clientSide, proxySide] = duplexPair();
  const client = new Endpoint(clientSide, clientSide, PEER_LIMITS.hostTool);
  new GuestDapProxy(proxySide, proxySide, guestSide, new GuestUris(tmpdir('lspair-dap-refused-')), { materialise: async () => undefined });
  hostSide.on('error', () => undefined); // the pair's other end hears the error too
  guestSide.destroy(new Error(`${PEER_RESET}no debug adapter 'nope' is configured on the host (configured: py)`)); // what the mux says of a reset
  await new Promise((resolve) => setImmediate(resolve)); // the proxy heard it before the client's first request
  client.send({ type: 'request', command: 'initialize', arguments: { adapterID: 'python' } });
  const [answer] = (await once(client, 'response')) as [Response];
  assert.equal([answer.success, answer.message], [false, "lspair: no debug adapter 'nope' is configured on the host (configured: py)"]);
  client.close(null);
});
proxy.run();
