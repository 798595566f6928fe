// The adapter's capabilities as one guest sees them: what it may not do is switched off, so its client's UI hides
// it (the hub still refuses it, whatever the client shows). One rule per capability of the DAP schema (checked by
// test/dap/commands.test.ts).
import type { DapPermission } from './commands.js';

/**
 * keep — as the adapter says; a permission — only for guests that hold it; 'host' — never for a guest (the host
 * owns the session's life); 'hub' — always for a guest (the hub answers it itself).
 */
type Rule = 'keep' | 'host' | 'hub' | DapPermission;

export const CAPABILITY_RULES: Readonly<Record<string, Rule>> = {
  supportsConfigurationDoneRequest: 'hub', // the hub answers a guest's configurationDone, then replays the state
  supportsFunctionBreakpoints: 'debug.breakpoints',
  supportsConditionalBreakpoints: 'debug.repl',
  supportsHitConditionalBreakpoints: 'debug.repl',
  supportsEvaluateForHovers: 'debug.repl',
  exceptionBreakpointFilters: 'debug.breakpoints', // and each filter's supportsCondition needs debug.repl
  supportsStepBack: 'debug.control',
  supportsSetVariable: 'debug.repl',
  supportsRestartFrame: 'debug.control',
  supportsGotoTargetsRequest: 'debug.control',
  supportsStepInTargetsRequest: 'debug.control',
  supportsCompletionsRequest: 'debug.repl',
  completionTriggerCharacters: 'debug.repl',
  supportsModulesRequest: 'debug.inspect',
  additionalModuleColumns: 'keep',
  supportedChecksumAlgorithms: 'keep',
  supportsRestartRequest: 'host',
  supportsExceptionOptions: 'debug.breakpoints',
  supportsValueFormattingOptions: 'keep',
  supportsExceptionInfoRequest: 'debug.inspect',
  supportTerminateDebuggee: 'host',
  supportSuspendDebuggee: 'host',
  supportsDelayedStackTraceLoading: 'keep',
  supportsLoadedSourcesRequest: 'debug.inspect',
  supportsLogPoints: 'debug.repl',
  supportsTerminateThreadsRequest: 'host',
  supportsSetExpression: 'debug.repl',
  supportsTerminateRequest: 'host', // a guest stops following with disconnect
  supportsDataBreakpoints: 'debug.breakpoints',
  supportsReadMemoryRequest: 'debug.inspect',
  supportsWriteMemoryRequest: 'debug.repl',
  supportsDisassembleRequest: 'debug.inspect',
  supportsCancelRequest: 'keep',
  supportsBreakpointLocationsRequest: 'debug.inspect',
  supportsClipboardContext: 'debug.repl',
  supportsSteppingGranularity: 'debug.control',
  supportsInstructionBreakpoints: 'debug.breakpoints',
  supportsExceptionFilterOptions: 'debug.breakpoints',
  supportsSingleThreadExecutionRequests: 'debug.control',
  supportsDataBreakpointBytes: 'debug.breakpoints',
  breakpointModes: 'debug.breakpoints',
  supportsANSIStyling: 'keep',
};

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * The capabilities a guest holding `has` sees. Capabilities the table does not know are left out; with
 * `explicit` (a `capabilities` event after a permission change), what it lost is switched off rather than left out.
 */
export function trimCapabilities(capabilities: unknown, has: (p: DapPermission) => boolean, explicit = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(isObject(capabilities) ? capabilities : {})) {
    const rule = Object.hasOwn(CAPABILITY_RULES, key) ? CAPABILITY_RULES[key] : undefined;
    if (rule === undefined) continue;
    if (rule === 'host' || (rule !== 'keep' && rule !== 'hub' && !has(rule))) {
      if (explicit && typeof value === 'boolean') out[key] = false;
      else if (explicit && Array.isArray(value)) out[key] = [];
      continue;
    }
    out[key] = value;
  }
  out.supportsConfigurationDoneRequest = true;
  if (Array.isArray(out.exceptionBreakpointFilters) && !has('debug.repl')) {
    out.exceptionBreakpointFilters = out.exceptionBreakpointFilters.map((f) => (isObject(f) ? { ...f, supportsCondition: false } : f));
  }
  return out;
}
