// `lspair id`: this user's guest identity (created on first use), as a host would recognise it.
import { fingerprint, identityPath, loadOrCreateIdentity, wipeKeyPair } from '../crypto/index.js';
import { parse, UsageError } from './usage.js';

const HELP = `Usage: lspair id [--json]
  Prints the fingerprint and public key of your guest identity (created on first use in
  $XDG_CONFIG_HOME/lspair/, else ~/.config/lspair/, mode 0600). A host that lists your public key in its
  trusted-guests file knows you by it. --json prints {"fingerprint","publicKey","file"}.
`;

export async function idCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n${HELP}`);
  const file = identityPath();
  const identity = await loadOrCreateIdentity(file);
  const publicKey = Buffer.from(identity.publicKey).toString('base64url');
  const print = fingerprint(identity.publicKey);
  wipeKeyPair(identity);
  process.stdout.write(values.json ? `${JSON.stringify({ fingerprint: print, publicKey, file })}\n` : `fingerprint  ${print}\npublic key   ${publicKey}\n`);
  return 0;
}
