// `lspair guests …`, `lspair status` and `lspair link rotate`: talk to the host daemon sharing a folder.
import { controlPath, request, type ControlRequest } from '../session/control.js';
import type { GuestInfo } from '../session/host.js';
import { parse, UsageError } from './usage.js';

const OPTIONS = { dir: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

const GUESTS_HELP = `Usage: lspair guests list|approve ID|reject ID|kick ID|role ID viewer|editor|grant ID PERM|revoke ID PERM
                     [--dir DIR] [--json]
  Talks to the host daemon sharing DIR (default: the current folder). IDs are those of \`lspair guests list\`.
  Permissions: files.write lsp.commands debug.inspect debug.breakpoints debug.control debug.repl
               terminal.read terminal.write ports
`;

/** Arguments each guests subcommand takes after its name. */
const ARITY: Record<string, string[]> = { list: [], approve: ['id'], reject: ['id'], kick: ['id'], role: ['id', 'value'], grant: ['id', 'value'], revoke: ['id', 'value'] };

/** What `status` answers: the host daemon of a shared folder, or a guest daemon of its mirror. */
type HostStatus = { folder: string; link: string; guests: GuestInfo[]; policyErrors: unknown[] };
type MirrorStatus = { mirror: string; connected: boolean; lazy: boolean };

async function ask(dir: string, req: ControlRequest): Promise<unknown> {
  const answer = await request(controlPath(dir), req);
  if (!answer.ok) throw new Error(answer.error);
  return answer.result;
}

function row(g: GuestInfo): string {
  return [g.id, g.state, g.role, g.known ? 'known' : 'anonymous', g.fingerprint, g.name, g.permissions.join(',')].join('\t');
}

export async function guestsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  const [cmd, ...rest] = positionals;
  if (values.help || cmd === undefined) {
    process.stdout.write(GUESTS_HELP);
    return cmd === undefined && !values.help ? 2 : 0;
  }
  const names = ARITY[cmd];
  if (!names || rest.length !== names.length) throw new UsageError(`usage: lspair guests ${cmd in ARITY ? `${cmd} ${names!.map((n) => n.toUpperCase()).join(' ')}` : 'list|approve|reject|kick|role|grant|revoke'}`);
  const req = { cmd, ...Object.fromEntries(names.map((n, i) => [n, rest[i]])) } as ControlRequest;
  const result = await ask(values.dir ?? '.', req);
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else if (cmd === 'list') process.stdout.write((result as GuestInfo[]).map((g) => `${row(g)}\n`).join(''));
  else if (result) process.stdout.write(`${row(result as GuestInfo)}\n`);
  return 0;
}

export async function statusCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    process.stdout.write(
      'Usage: lspair status [--dir DIR] [--json]\n  The session of DIR: for the host sharing it, its link, guests and policy problems; for a\n  guest\'s mirror, whether it is connected to the host.\n',
    );
    return 0;
  }
  if (positionals.length > 0) throw new UsageError('status takes no arguments (use --dir)');
  const status = (await ask(values.dir ?? '.', { cmd: 'status' })) as HostStatus | MirrorStatus;
  if (values.json) process.stdout.write(`${JSON.stringify(status)}\n`);
  else if ('mirror' in status) process.stdout.write(`Mirror ${status.mirror} (${status.lazy ? 'files fetched on demand' : 'the visible tree'})\nConnected to the host: ${status.connected ? 'yes' : 'no (reconnecting)'}\n`);
  else process.stdout.write(`Sharing ${status.folder}\nJoin link: ${status.link}\nGuests: ${status.guests.length}\n${status.guests.map((g) => `  ${row(g)}\n`).join('')}`);
  return 0;
}

export async function linkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help || positionals[0] !== 'rotate' || positionals.length !== 1) {
    process.stdout.write('Usage: lspair link rotate [--dir DIR] [--json]\n  A new session id, join secret and host key: the old link stops working; guests already in stay.\n');
    return values.help ? 0 : 2;
  }
  const { link } = (await ask(values.dir ?? '.', { cmd: 'rotate' })) as { link: string };
  process.stdout.write(values.json ? `${JSON.stringify({ link })}\n` : `${link}\n`);
  return 0;
}
