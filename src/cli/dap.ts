// `lspair dap [NAME]`: the stdio command a DAP client launches as its debug adapter, on the host's side or a
// guest's. On the host it starts the debug session of adapter NAME (or joins the one running); in a guest's
// mirror its client's initialize and attach join the host's running session. With no lspair session holding the
// folder, it runs the configured adapter itself, so the client's configuration never changes.
import path from 'node:path';
import { errorResponse, type Request } from '../dap/endpoint.js';
import { loadHostConfig } from '../session/config.js';
import { findDaemon, openStream } from '../session/control.js';
import { encode, MessageReader } from '../wire/content-length.js';
import { bridge, runDirect } from './shim.js';
import { parse, UsageError } from './usage.js';

const HELP = `Usage: lspair dap [NAME] [--dir DIR] [--config FILE]
  The debug adapter NAME of the lspair session whose folder holds DIR (default: the current folder). A DAP
  client (nvim-dap, dap-mode, …) launches it over stdio. On the host, the client launches or attaches the
  program as with the adapter itself; in a guest's mirror, the client attaches to the host's running session
  and may do what the host's permissions allow. Without NAME: the session running, else the one adapter
  configured. Without a session, it runs the adapter NAME of the host configuration (--config, else
  ~/.config/lspair/config.json) directly.
`;

/** Tells the DAP client why, as the answer to its first request (a client shows that; an exit it may not). */
function refuse(message: string): Promise<number> {
  return new Promise((resolve) => {
    const reader = new MessageReader(process.stdin, 1024 * 1024);
    const done = (): void => resolve(1);
    reader.once('message', (m: Partial<Request>) => {
      const answer = errorResponse({ seq: typeof m.seq === 'number' ? m.seq : 0, command: typeof m.command === 'string' ? m.command : 'initialize' }, `lspair: ${message}`);
      process.stdout.write(encode({ seq: 1, ...answer }), done);
    });
    reader.once('error', done);
    process.stdin.once('end', done);
    process.stderr.write(`lspair dap: ${message}\n`);
  });
}

export async function dapCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { dir: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`dap takes at most the adapter's NAME\n${HELP}`);
  const name = positionals[0] ?? '';
  const dir = path.resolve(values.dir ?? '.');
  const socket = findDaemon(dir);
  if (socket) {
    const conn = await openStream(socket, { cmd: 'dap', value: name }).catch((err: Error) => err);
    return conn instanceof Error ? refuse(conn.message) : bridge(conn, socket);
  }
  let loaded: ReturnType<typeof loadHostConfig>;
  try {
    loaded = loadHostConfig(values.config);
  } catch (err) {
    return refuse((err as Error).message);
  }
  const { config, file } = loaded;
  const names = Object.keys(config.adapters);
  const chosen = name !== '' ? name : names.length === 1 ? names[0]! : null;
  const adapter = chosen !== null && Object.hasOwn(config.adapters, chosen) ? config.adapters[chosen] : undefined;
  if (!adapter) return refuse(`no lspair session holds ${dir}, and ${chosen === null ? 'no single debug adapter' : `no debug adapter '${chosen}'`} is configured${file ? ` in ${file}` : ''}`);
  return runDirect(adapter.command, adapter.args, dir);
}
