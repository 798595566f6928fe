// `lspair join LINK`: join a host's session (its own addresses first, then the relay), show the PIN, wait to
// be let in, and stay until the session ends; a lost connection is retried (backoff with jitter, for up to two
// minutes) and the host lets the same key in again unasked. Meanwhile the mirror folder follows the host's
// files (resyncing by difference after a reconnect) and the guest daemon answers `lspair ls|open`.
// Exit status: 0 when the session ended, 3 refused or removed, 4 the host's key does not match the link or the
// channel was tampered with, 5 unreachable.
import os from 'node:os';
import { loadOrCreateIdentity, wipeKeyPair, type KeyPair } from '../crypto/index.js';
import { Mirror, type SyncSummary } from '../fs/index.js';
import { defaultMirrorDir, GuestDaemon } from '../session/guest-daemon.js';
import { GuestSession, JoinError, type JoinFailure } from '../session/guest.js';
import { LinkError, parseLink, type JoinLink } from '../session/link.js';
import { eventPrinter, interrupted, type Print } from './events.js';
import { parse, UsageError } from './usage.js';

const HELP = `Usage: lspair join LINK [--dir MIRROR] [--lazy] [--name NAME] [--json]
  Joins the session of LINK (lspair://…, from the host). Compare the PIN shown with the host's.
  --dir MIRROR  the folder that mirrors what the host shares with you (made if missing; it must be empty or
                an earlier mirror). Default: $XDG_CACHE_HOME/lspair/mirrors/SESSION-NAME (~/.cache/… without it)
  --lazy        mirror the listing only; contents arrive on demand (lspair open PATH, or editor navigation)
  --name NAME   the name the host sees (default: your user name)
  --json        one JSON object per line per event on stdout
`;

const EXIT: Record<JoinFailure, number> = { refused: 3, 'no-session': 3, 'key-mismatch': 4, integrity: 4, unreachable: 5, protocol: 1 };
/** Failures worth retrying once we were in: the relay or the host may be on their way back. */
const TRANSIENT = new Set<JoinFailure>(['unreachable', 'no-session', 'integrity']);
const RECONNECT_FOR_MS = 120_000;

type Outcome = { end: 'left' | 'finished'; reason: string; removed: boolean } | { end: 'lost'; reason: string };

function describeSync(s: SyncSummary): string {
  const extra = [s.skipped ? `${s.skipped} too large` : '', s.conflicts ? `${s.conflicts} left as yours` : '', s.failed ? `${s.failed} failed (see the log)` : ''].filter(Boolean);
  const what = s.lazy ? `${s.files} files listed (lazy: ${s.fetched} fetched)` : `${s.files} files, ${(s.bytes / 1e6).toFixed(1)} MB: ${s.fetched} fetched, ${s.kept} unchanged`;
  return `Mirror synced: ${what}, ${s.deleted} deleted${extra.length ? `, ${extra.join(', ')}` : ''} in ${(s.ms / 1000).toFixed(1)} s.`;
}

/** Mirror events as output: a progress line on a terminal (for syncs that take a while), then the summary. */
function reportMirror(mirror: Mirror, print: Print, json: boolean): void {
  const live = !json && process.stdout.isTTY;
  let shown = Date.now();
  mirror.on('progress', ({ done, total, bytes }: { done: number; total: number; bytes: number }) => {
    if (!live || Date.now() - shown < 100) return;
    shown = Date.now();
    process.stdout.write(`\rSyncing the mirror: ${done}/${total} paths, ${(bytes / 1e6).toFixed(1)} MB\x1b[K`);
  });
  mirror.on('synced', (summary: SyncSummary) => {
    if (live) process.stdout.write('\r\x1b[K');
    print('synced', { ...summary }, describeSync(summary));
  });
}

/** One connection, from reaching the host to the end of the session or the loss of the connection. */
async function attend(link: JoinLink, identity: KeyPair, name: string, print: Print, stop: Promise<void>, daemon: GuestDaemon): Promise<Outcome> {
  const session = await GuestSession.connect({ link, identity, name });
  print('waiting', { pin: session.pin, host: session.hostName }, `Connected to ${session.hostName}. PIN ${session.pin}: check it matches the host's. Waiting to be let in…`);
  const welcome = await session.joined();
  print('joined', { pin: session.pin, guestId: welcome.guestId, role: welcome.role, permissions: welcome.permissions }, `Joined as ${welcome.role} (${welcome.permissions.join(', ') || 'no permissions'}).`);
  session.on('permissions', (m: { role: string; permissions: string[] }) => print('permissions', { role: m.role, permissions: m.permissions }, `Now ${m.role} (${m.permissions.join(', ') || 'no permissions'}).`));
  daemon.attach(session).catch((err: Error) => print('mirror-error', { message: err.message }, `The mirror could not sync: ${err.message}`));
  const ended = new Promise<string>((resolve) => session.once('ended', ({ reason }: { reason: string }) => resolve(reason)));
  const reason = await Promise.race([ended, stop.then(() => null)]);
  if (reason === null) {
    session.leave();
    return { end: 'left', reason: 'you left', removed: false };
  }
  if (session.finished) return { end: 'finished', reason, removed: /removed/.test(reason) };
  return { end: 'lost', reason };
}

export async function joinCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    dir: { type: 'string' },
    lazy: { type: 'boolean' },
    name: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`join takes one LINK\n${HELP}`);
  let link: JoinLink;
  try {
    link = parseLink(positionals[0]!);
  } catch (err) {
    if (err instanceof LinkError) throw new UsageError(err.message);
    throw err;
  }
  const json = values.json ?? false;
  const print = eventPrinter(json);
  const name = values.name ?? os.userInfo().username;
  const stop = interrupted();
  const mirror = Mirror.open({ dir: values.dir ?? defaultMirrorDir(link.sessionId, name), lazy: values.lazy ?? false });
  const daemon = await GuestDaemon.start(mirror);
  print('mirror', { path: mirror.root, lazy: mirror.lazy }, `Mirror folder: ${mirror.root}${mirror.lazy ? ' (lazy: lspair open PATH fetches a file)' : ''}`);
  reportMirror(mirror, print, json);
  const identity = await loadOrCreateIdentity();
  let lostAt: number | null = null;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await attend(link, identity, name, print, stop, daemon);
        if (outcome.end !== 'lost') {
          print('ended', { reason: outcome.reason }, `Session ended: ${outcome.reason}.`);
          return outcome.end === 'finished' && outcome.removed ? EXIT.refused : 0;
        }
        lostAt = Date.now();
        attempt = 0;
        print('reconnecting', { reason: outcome.reason }, `Connection lost (${outcome.reason}); reconnecting…`);
      } catch (err) {
        if (!(err instanceof JoinError)) throw err;
        const retry = lostAt !== null && TRANSIENT.has(err.code) && Date.now() - lostAt < RECONNECT_FOR_MS;
        if (!retry) {
          print('error', { code: err.code, message: err.message }, `lspair join: ${err.message}`);
          if (!json) process.stderr.write(`lspair join: ${err.message}\n`);
          return EXIT[err.code];
        }
      }
      const delay = Math.min(10_000, 250 * 2 ** attempt) * (0.5 + Math.random());
      if (await Promise.race([new Promise((resolve) => setTimeout(() => resolve(false), delay)), stop.then(() => true)])) return 0;
    }
  } finally {
    wipeKeyPair(identity);
    await daemon.close();
  }
}
