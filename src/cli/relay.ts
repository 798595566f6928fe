// `lspair relay`: run a relay until interrupted.
import { readFileSync } from 'node:fs';
import { Relay } from '../relay/server.js';
import { parseListen } from './address.js';
import { interrupted } from './events.js';
import { parse, UsageError } from './usage.js';

const HELP = `Usage: lspair relay [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--json]
  Pairs hosts and guests by session id and forwards their encrypted frames; it cannot read them.
  --listen     where to listen (default 127.0.0.1:7000; use 0.0.0.0:PORT to serve other machines)
  --tls-cert, --tls-key   serve wss:// with this certificate and key (PEM)
  --json       print {"event":"ready","url":...} on stdout when listening
`;

const OPTIONS = {
  listen: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function relayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n${HELP}`);
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
  const { host, port } = parseListen(values.listen ?? '127.0.0.1:7000');
  const tls = values['tls-cert'] && values['tls-key'] ? { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) } : undefined;
  const relay = await Relay.start({ host, port, tls });
  process.stdout.write(values.json ? `${JSON.stringify({ event: 'ready', url: relay.url })}\n` : `lspair relay listening on ${relay.url}\n`);
  await interrupted();
  await relay.close();
  return 0;
}
