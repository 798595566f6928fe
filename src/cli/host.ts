// `lspair host [DIR]`: share a folder until interrupted. Prints the join link and every guest event (one JSON
// object per line with --json), and answers `lspair guests|status|link` on the folder's control socket.
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FILES_STREAM, HostFiles } from '../fs/index.js';
import { HostUris, Policy, watchPolicy } from '../policy/index.js';
import { loadHostConfig, mergeConfig, parseCommandSpec, type AnonymousGuestApproval, type HostConfig } from '../session/config.js';
import { ControlServer, controlPath, type ControlRequest } from '../session/control.js';
import { DAP_STREAM, DebugAdapters } from '../session/debug-adapters.js';
import { HostSession, type GuestInfo } from '../session/host.js';
import { LanguageServers, LSP_STREAM } from '../session/language-servers.js';
import { toRole } from '../session/permissions.js';
import { loadTrustedGuests } from '../session/trusted.js';
import { parseListen } from './address.js';
import { eventPrinter, interrupted } from './events.js';
import { TerminalPrompts } from './prompt.js';
import { parse, UsageError } from './usage.js';

const HELP = `Usage: lspair host [DIR] [--listen HOST:PORT] [--relay URL] [--config FILE] [--read-only|--read-write]
                   [--approve-guests] [--anonymous prompt|accept|reject] [--server 'NAME=CMD ARG…']…
                   [--adapter 'NAME=CMD ARG…']… [--name NAME] [--json]
  Shares DIR (default: the current folder). Without --listen or --relay it listens on 127.0.0.1 on a free port.
  --relay URL           also reachable through this relay (ws:// or wss://); alone, the relay only
  --config FILE         host settings (schemas/lspair.schema.json; default ~/.config/lspair/config.json when
                        it exists); flags override them
  --server 'NAME=CMD ARG…'   a language server guests and \`lspair lsp NAME\` share (repeatable; split like a
                        shell would, no shell runs)
  --adapter 'NAME=CMD ARG…'  a debug adapter the host's \`lspair dap NAME\` starts and guests attach to
                        (repeatable; e.g. 'py=/usr/bin/python3 -m debugpy.adapter')
  --read-only           no guest may write files (--read-write: the roles decide)
  --approve-guests      ask before known guests join too (guestApprovalRequired)
  --anonymous MODE      guests not in your trusted-guests file: prompt (default), accept or reject
  --json                one JSON object per line per event on stdout
`;

const OPTIONS = {
  listen: { type: 'string' },
  relay: { type: 'string' },
  config: { type: 'string' },
  'read-only': { type: 'boolean' },
  'read-write': { type: 'boolean' },
  'approve-guests': { type: 'boolean' },
  anonymous: { type: 'string' },
  server: { type: 'string', multiple: true },
  adapter: { type: 'string', multiple: true },
  name: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

function settings(values: Values, base: HostConfig): HostConfig {
  if (values['read-only'] && values['read-write']) throw new UsageError('--read-only and --read-write contradict each other');
  const anonymous = values.anonymous;
  if (anonymous !== undefined && !['prompt', 'accept', 'reject'].includes(anonymous)) throw new UsageError(`--anonymous takes prompt, accept or reject, not '${anonymous}'`);
  const servers = Object.fromEntries((values.server ?? []).map((spec) => {
    const { name, command, args } = parseCommandSpec(spec, '--server');
    return [name, { command, args, languages: [], filePatterns: [] }];
  }));
  const adapters = Object.fromEntries((values.adapter ?? []).map((spec) => {
    const { name, command, args } = parseCommandSpec(spec, '--adapter');
    return [name, { command, args }];
  }));
  return mergeConfig(base, {
    servers,
    adapters,
    readOnly: values['read-only'] ? true : values['read-write'] ? false : undefined,
    guestApprovalRequired: values['approve-guests'] ? true : undefined,
    anonymousGuestApproval: anonymous as AnonymousGuestApproval | undefined,
    listen: values.listen,
    relay: values.relay,
  });
}

/** The watcher's events as LSP's FileChangeType (created 1, changed 2, deleted 3); folders are not reported. */
const FILE_EVENT_KINDS: Readonly<Record<string, 1 | 2 | 3 | undefined>> = { add: 1, change: 2, unlink: 3 };

function describe(guest: GuestInfo): string {
  return `${guest.name} (${guest.id}, ${guest.known ? 'known' : 'anonymous'}, ${guest.fingerprint})`;
}

export async function hostCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`host shares one folder\n${HELP}`);
  const dir = path.resolve(positionals[0] ?? '.');
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${dir} is not a folder`);
  const loaded = loadHostConfig(values.config);
  const config = settings(values, loaded.config);
  const listen = config.listen ? parseListen(config.listen) : config.relay ? null : { host: '127.0.0.1', port: 0 };
  const trusted = loadTrustedGuests(config.trustedGuestsFile);
  // The host's own files are never shared, even when they lie inside the folder.
  const policy = new Policy(dir, { exclude: [config.trustedGuestsFile, ...(loaded.file ? [loaded.file] : [])] });
  const watcher = watchPolicy(policy);
  const json = values.json ?? false;
  const print = eventPrinter(json);
  const uris = new HostUris(policy, config.shareExternalFiles);
  const adapters = new DebugAdapters({ adapters: config.adapters, uris });
  const files = new HostFiles({ policy, watcher, externals: (token) => uris.external(token) });
  const servers = new LanguageServers({
    servers: config.servers,
    uris,
    // A guest's save (the hub checked files.write; the file service checks it again, and the policy).
    save: async (hostUri, text, who) => {
      const at = policy.locate(fileURLToPath(hostUri));
      if (at === null || at === 'invalid') throw new Error('not a file of the share');
      await files.write({ id: who.id, name: who.id, has: (p) => who.has(p) }, at.rel, text);
    },
  });
  watcher.subscribe(({ type, path: rel }) => {
    const kind = FILE_EVENT_KINDS[type];
    if (kind) servers.fileChanged(path.join(policy.root, rel), kind);
  });
  const session = await HostSession.start({ config, trusted, name: values.name ?? os.userInfo().username, listen, relay: config.relay ?? null });
  session.serve(FILES_STREAM, files.serve);
  const prompting = process.stdin.isTTY && !json;
  session.on('guest-request', ({ guest, pin }: { guest: GuestInfo; pin: string }) => {
    print('guest-request', { guest, pin }, `${describe(guest)} asks to join. PIN ${pin} (compare it with theirs).`);
    if (!prompting && !json) print('hint', {}, `  approve with: lspair guests approve ${guest.id}   reject with: lspair guests reject ${guest.id}`);
  });
  session.on('guest-joined', ({ guest, pin }: { guest: GuestInfo; pin: string }) => print('guest-joined', { guest, pin }, `${describe(guest)} joined as ${guest.role}. PIN ${pin}.`));
  session.on('guest-left', ({ guest }: { guest: GuestInfo }) => print('guest-left', { guest }, `${describe(guest)} left.`));
  session.on('guest-denied', ({ guest, reason }: { guest: GuestInfo; reason: string }) => print('guest-denied', { guest, reason }, `${describe(guest)} was not let in: ${reason}.`));
  const ask = prompting ? new TerminalPrompts(session) : null; // after the listeners above: the request prints first
  session.on('link-rotated', ({ link, sessionId }: { link: string; sessionId: string }) => print('link-rotated', { link, sessionId }, `New join link (the old one no longer works):\n  ${link}`));
  const changed = (guest: GuestInfo): GuestInfo => (adapters.permissionsChanged(guest.id), guest);
  const handle = async (req: ControlRequest): Promise<unknown> => {
    const id = req.id ?? '';
    switch (req.cmd) {
      case 'ping':
        return 'pong';
      case 'list':
        return session.guests();
      case 'status':
        return { folder: dir, sessionId: session.sessionId, link: session.link, guests: session.guests(), policyErrors: policy.errors, readOnly: config.readOnly };
      case 'approve':
        return session.approve(id);
      case 'reject':
        return session.reject(id);
      case 'kick':
        return session.kick(id);
      case 'role':
        return changed(session.setRole(id, toRole(req.value)));
      case 'grant':
        return changed(session.grant(id, req.value ?? ''));
      case 'revoke':
        return changed(session.revoke(id, req.value ?? ''));
      case 'rotate':
        return { link: await session.rotate() };
      default:
        throw new Error(`unknown command '${req.cmd}'`);
    }
  };
  session.serve(LSP_STREAM, (stream, guest) => servers.serveGuest(stream, guest));
  session.serve(DAP_STREAM, (stream, guest) => adapters.serveGuest(stream, guest));
  const control = await ControlServer.start(controlPath(dir), handle, { lsp: (req, conn) => servers.serveHost(req, conn), dap: (req, conn) => adapters.serveHost(req, conn) });
  print('ready', { link: session.link, sessionId: session.sessionId }, `Sharing ${dir}\nJoin link (give it only to your guests; it holds the join secret):\n  ${session.link}`);
  await interrupted();
  ask?.close();
  files.close();
  const closing = Promise.all([control.close(), watcher.close(), session.close(), servers.close(), adapters.close()]);
  await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 3000).unref())]); // a peer may not finish closing
  return 0;
}
