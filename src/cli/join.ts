// `lspair join LINK`: join a host's session (its own addresses first, then the relay), show the PIN, wait to
// be let in, and stay until the session ends. Exit status: 0 when the session ended normally, 3 refused or
// removed, 4 the host's key does not match the link or the channel was tampered with, 5 unreachable.
import os from 'node:os';
import { loadOrCreateIdentity, wipeKeyPair } from '../crypto/index.js';
import { GuestSession, JoinError, type JoinFailure } from '../session/guest.js';
import { LinkError, parseLink } from '../session/link.js';
import { eventPrinter, interrupted } from './events.js';
import { parse, UsageError } from './usage.js';

const HELP = `Usage: lspair join LINK [--name NAME] [--json]
  Joins the session of LINK (lspair://…, from the host). Compare the PIN shown with the host's.
  --name NAME   the name the host sees (default: your user name)
  --json        one JSON object per line per event on stdout
`;

const EXIT: Record<JoinFailure, number> = { refused: 3, 'key-mismatch': 4, integrity: 4, unreachable: 5, protocol: 1 };

export async function joinCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { name: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`join takes one LINK\n${HELP}`);
  let link;
  try {
    link = parseLink(positionals[0]!);
  } catch (err) {
    if (err instanceof LinkError) throw new UsageError(err.message);
    throw err;
  }
  const json = values.json ?? false;
  const print = eventPrinter(json);
  const identity = await loadOrCreateIdentity();
  try {
    const session = await GuestSession.connect({ link, identity, name: values.name ?? os.userInfo().username });
    print('waiting', { pin: session.pin, host: session.hostName }, `Connected to ${session.hostName}. PIN ${session.pin}: check it matches the host's. Waiting to be let in…`);
    const welcome = await session.joined();
    print('joined', { pin: session.pin, guestId: welcome.guestId, role: welcome.role, permissions: welcome.permissions }, `Joined as ${welcome.role} (${welcome.permissions.join(', ') || 'no permissions'}).`);
    session.on('permissions', (m: { role: string; permissions: string[] }) => print('permissions', { role: m.role, permissions: m.permissions }, `Now ${m.role} (${m.permissions.join(', ') || 'no permissions'}).`));
    const ended = new Promise<string>((resolve) => session.once('ended', ({ reason }: { reason: string }) => resolve(reason)));
    const reason = await Promise.race([ended, interrupted().then(() => 'you left')]);
    session.leave();
    print('ended', { reason }, `Session ended: ${reason}.`);
    return /removed/.test(reason) ? EXIT.refused : 0;
  } catch (err) {
    if (!(err instanceof JoinError)) throw err;
    print('error', { code: err.code, message: err.message }, `lspair join: ${err.message}`);
    if (!json) process.stderr.write(`lspair join: ${err.message}\n`);
    return EXIT[err.code];
  } finally {
    wipeKeyPair(identity);
  }
}
