// `lspair ls` and `lspair open PATH`: ask the guest daemon of the mirror folder around the current folder (or
// --dir) for the guest's view of the shared tree, or to fetch a file. Paths are relative to the current folder
// when it is inside the mirror (as git does), else to the mirror's root, so `lspair ls | fzf | xargs lspair open`
// works from anywhere.
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { findMirror, type MirrorEntry } from '../fs/index.js';
import { controlPath, request, type ControlRequest } from '../session/control.js';
import { parse, UsageError } from './usage.js';

const OPTIONS = { dir: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

const LS_HELP = `Usage: lspair ls [--dir MIRROR] [--json]
  The files the host shares with you (visible ones; hidden files never appear), one per line, whether their
  contents are in the mirror yet or not (--lazy). Under the current folder when it is inside the mirror.
  --json   one object per line: {"path", "type": "file"|"dir", "size", "local"}
`;

const OPEN_HELP = `Usage: lspair open PATH [--dir MIRROR] [--json]
  Fetches PATH from the host into the mirror when it is not there yet, and prints its local path.
`;

interface Where {
  readonly root: string;
  /** Where relative paths start: the current folder inside the mirror, else the mirror's root. */
  readonly base: string;
}

function where(dir: string | undefined): Where {
  const from = path.resolve(dir ?? '.');
  const root = existsSync(from) ? findMirror(from) : null;
  if (root === null) throw new UsageError(`${from} is not inside an lspair mirror folder (lspair join --dir MIRROR makes one); use --dir`);
  const cwd = realpathSync.native(process.cwd());
  const inside = cwd === root || cwd.startsWith(`${root}${path.sep}`);
  return { root, base: inside ? cwd : root };
}

async function ask(root: string, req: ControlRequest): Promise<unknown> {
  const socket = controlPath(root);
  if (!existsSync(socket)) throw new Error(`no lspair join is running for the mirror ${root}`);
  const answer = await request(socket, req, 120_000);
  if (!answer.ok) throw new Error(answer.error);
  return answer.result;
}

/** `abs` relative to `from`, `/`-separated. */
function relativeTo(from: string, abs: string): string {
  return path.relative(from, abs).split(path.sep).join('/');
}

export async function lsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    process.stdout.write(LS_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError('ls takes no arguments (use --dir)');
  const { root, base } = where(values.dir);
  const prefix = relativeTo(root, base);
  const entries = (await ask(root, { cmd: 'ls' })) as MirrorEntry[];
  const lines: string[] = [];
  for (const entry of entries) {
    if (prefix !== '' && !entry.path.startsWith(`${prefix}/`)) continue;
    const shown = relativeTo(base, path.join(root, entry.path));
    if (values.json) lines.push(JSON.stringify({ ...entry, path: shown }));
    else if (entry.type === 'file') lines.push(shown);
  }
  process.stdout.write(lines.map((l) => `${l}\n`).join(''));
  return 0;
}

export async function openCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    process.stdout.write(OPEN_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`open takes one PATH\n${OPEN_HELP}`);
  const { root, base } = where(values.dir);
  const rel = relativeTo(root, path.resolve(base, positionals[0]!));
  if (rel === '' || rel === '..' || rel.startsWith('../') || path.isAbsolute(rel)) throw new UsageError(`${positionals[0]} is not a path inside the mirror ${root}`);
  const { path: local } = (await ask(root, { cmd: 'open', value: rel })) as { path: string };
  process.stdout.write(values.json ? `${JSON.stringify({ path: local })}\n` : `${local}\n`);
  return 0;
}
