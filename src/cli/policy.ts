// `lspair policy check|explain|ls`: what a guest would see of a folder, before it is shared.
import { readFileSync } from 'node:fs';
import { log } from '../log.js';
import { explain, Policy, type Decision, type Explanation, type RuleRef } from '../policy/index.js';
import { parse, UsageError } from './usage.js';

const HELP = `Usage:
  lspair policy check [--root DIR] [--json] [--stdin] [PATH...]
      One answer per path, in input order: STATE<TAB>PATH, or with --json one object per line
      {"path","state","rule"}. STATE is visible, hidden, excluded or outside. Paths are relative to the
      root (default: the current folder) or absolute; a path ending in / is asked as a folder.
      --stdin reads newline-separated paths.
  lspair policy explain [--root DIR] [--json] PATH
      Every rule file consulted from the root down, the line of each that matched, and what decided.
  lspair policy ls [--root DIR] [--hidden] [--json]
      The tree a guest would see (folders end in /); --hidden adds hidden entries, marked.
`;

const OPTIONS = {
  root: { type: 'string' },
  json: { type: 'boolean' },
  stdin: { type: 'boolean' },
  hidden: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function open(root: string): Policy {
  if (!process.env.LSPAIR_LOG) log.level = 'error'; // rule-file problems are reported below, for people
  try {
    return new Policy(root);
  } catch (err) {
    throw new UsageError(`cannot read the root folder ${root}: ${(err as Error).message}`);
  }
}

function reportProblems(policy: Policy): void {
  for (const p of policy.errors) {
    const where = p.line > 0 ? `${p.source}:${p.line}:${p.column}` : p.source;
    process.stderr.write(`lspair policy: ${where}: ${p.message} (its folder is excluded)\n`);
  }
}

function describe(rule: RuleRef | null): string {
  if (!rule) return 'no rule';
  if (rule.error) return rule.error;
  return `${rule.source === 'builtin' ? 'builtin' : `${rule.source}:${rule.line}`} ${JSON.stringify(rule.pattern)} (${rule.kind})`;
}

function checkOutput(input: string, decision: Decision, json: boolean): string {
  return json ? JSON.stringify({ path: input, state: decision.state, rule: decision.rule }) : `${decision.state}\t${input}`;
}

function check(policy: Policy, paths: string[], json: boolean): void {
  const decisions = policy.checkAll(paths);
  const lines = paths.map((p, i) => checkOutput(p, decisions[i]!, json));
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

function formatExplanation(e: Explanation): string {
  const out = [`${e.path === null ? e.input : e.path || '.'}: ${e.decision.state}`];
  if (e.decision.state === 'outside') out.push('  its real path (symlinks resolved) leaves the shared folder');
  else if (e.folder) {
    const nothing = e.folder.decision.state === 'hidden' ? 'everything inside a hidden folder is hidden' : 'nothing inside it is shared';
    out.push(`  decided on the folder ${e.folder.path}: ${describe(e.folder.decision.rule)}; ${nothing}`);
  } else {
    const how = e.decision.state === 'visible' && e.decision.rule ? 're-included by' : 'decided by';
    out.push(`  ${e.decision.rule ? `${how} ${describe(e.decision.rule)}` : 'no rule matched'}`);
  }
  if (e.path === null) return `${out.join('\n')}\n`;
  out.push('  rule files consulted, from the root down (a deeper file overrides the ones above; in a file the last matching line wins):');
  out.push('    builtin: .git, .vsls.json, .lspair/, .lspair.json and the host\'s config are always excluded');
  for (const s of e.sources) {
    const channels = [s.mode === undefined || s.mode === 'exclude' ? `exclude: ${s.exclude ? `line ${s.exclude.line} ${JSON.stringify(s.exclude.pattern)}` : '-'}` : '',
      s.mode === undefined || s.mode === 'hide' ? `hide: ${s.hide ? `line ${s.hide.line} ${JSON.stringify(s.hide.pattern)}` : '-'}` : ''];
    const mode = s.mode === undefined ? '' : ` (gitignore: ${s.mode})`;
    out.push(`    ${s.file}${mode}: ${s.mode === 'none' ? 'not used' : channels.filter(Boolean).join('  ')}`);
  }
  return `${out.join('\n')}\n`;
}

export async function policyCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, OPTIONS);
  if (sub === undefined || sub === '--help' || sub === '-h' || values.help) {
    process.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  const policy = open(values.root ?? '.');
  const json = values.json ?? false;
  if (sub === 'check') {
    const paths = values.stdin ? readFileSync(0, 'utf8').split('\n') : positionals;
    if (values.stdin && paths[paths.length - 1] === '') paths.pop();
    if (!values.stdin && paths.length === 0) throw new UsageError('check needs at least one PATH (or --stdin)');
    check(policy, paths, json);
  } else if (sub === 'explain') {
    if (positionals.length !== 1) throw new UsageError('explain takes exactly one PATH');
    const e = explain(policy, positionals[0]!);
    process.stdout.write(json ? `${JSON.stringify(e)}\n` : formatExplanation(e));
  } else if (sub === 'ls') {
    if (positionals.length > 0) throw new UsageError('ls takes no PATH (use --root)');
    const lines: string[] = [];
    for (const entry of policy.entries({ hidden: values.hidden ?? false })) {
      const { state, rule } = entry.decision;
      lines.push(json ? JSON.stringify({ path: entry.path, type: entry.type, state, rule }) : state === 'hidden' ? `${entry.path}\t(hidden)` : entry.path);
    }
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  } else {
    throw new UsageError(`unknown subcommand '${sub}'\n${HELP}`);
  }
  reportProblems(policy);
  return 0;
}
