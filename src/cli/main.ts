// `lspair`: the command table and its dispatch. Each command returns its exit code: 0 done, 1 failed, 2 usage.
import { readFileSync } from 'node:fs';
import { dapCommand } from './dap.js';
import { guestsCommand, linkCommand, statusCommand } from './guests.js';
import { hostCommand } from './host.js';
import { idCommand } from './id.js';
import { joinCommand } from './join.js';
import { lspCommand } from './lsp.js';
import { lsCommand, openCommand } from './mirror.js';
import { policyCommand } from './policy.js';
import { relayCommand } from './relay.js';
import { UsageError } from './usage.js';

interface Command {
  readonly summary: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  host: { summary: 'share a folder: print the join link, admit guests', run: hostCommand },
  join: { summary: 'join a session from its link; keeps a mirror folder of the shared files', run: joinCommand },
  ls: { summary: "list the shared files (a guest's view, for pickers like fzf)", run: lsCommand },
  open: { summary: 'fetch a shared file into the mirror and print its local path', run: openCommand },
  guests: { summary: 'list, approve, reject, kick guests, change their role or permissions', run: guestsCommand },
  status: { summary: 'the session of the host sharing a folder', run: statusCommand },
  link: { summary: 'rotate the join link (lspair link rotate)', run: linkCommand },
  lsp: { summary: 'the language server NAME of this folder\'s session, for an editor to launch (stdio)', run: lspCommand },
  dap: { summary: 'the debug adapter of this folder\'s session, for a DAP client to launch (stdio)', run: dapCommand },
  id: { summary: 'show your guest identity (fingerprint and public key)', run: idCommand },
  policy: { summary: 'check, explain or list what a guest would see of a folder', run: policyCommand },
  relay: { summary: 'run a relay that pairs hosts and guests and forwards ciphertext it cannot read', run: relayCommand },
};

function version(): string {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `lspair ${version()}: pair programming for any LSP editor

Usage: lspair <command> [options]

Commands:
${lines.join('\n')}

Run \`lspair <command> --help\` for a command's options.
Logs: JSON lines on stderr (pretty on a terminal); level from LSPAIR_LOG (trace, debug, info, warn, error, silent).
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`lspair: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`lspair ${name}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`lspair ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}
