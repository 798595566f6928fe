// `lspair lsp NAME`: the stdio command an editor launches as its language server, on the host's side or a
// guest's. It finds the lspair daemon whose folder holds the current directory (or --dir) and bridges stdio to
// it; with no daemon, it runs the host's configured server itself, so the editor's configuration never changes.
import path from 'node:path';
import { loadHostConfig } from '../session/config.js';
import { findDaemon, openStream } from '../session/control.js';
import { bridge, runDirect } from './shim.js';
import { parse, UsageError } from './usage.js';

const HELP = `Usage: lspair lsp NAME [--dir DIR] [--config FILE]
  The language server NAME of the lspair session whose folder holds DIR (default: the current folder): the
  host's shared folder or a guest's mirror. An editor launches it as its language server over stdio.
  Without a session, it runs the server NAME of the host configuration (--config, else
  ~/.config/lspair/config.json) directly.
`;

export async function lspCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { dir: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`lsp takes the server's NAME\n${HELP}`);
  const name = positionals[0]!;
  const dir = path.resolve(values.dir ?? '.');
  const socket = findDaemon(dir);
  if (socket) return bridge(await openStream(socket, { cmd: 'lsp', value: name }), socket);
  const { config, file } = loadHostConfig(values.config);
  const server = Object.hasOwn(config.servers, name) ? config.servers[name] : undefined;
  if (!server) throw new Error(`no lspair session holds ${dir}, and no server '${name}' is configured${file ? ` in ${file}` : ''}`);
  return runDirect(server.command, server.args, dir);
}
