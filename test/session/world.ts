// One lspair "world" for end-to-end tests (no tests here): separate config (identity) folders per participant,
// one private runtime folder for the host's control socket, a shared folder, and the real processes around it.
// `extraEnv` goes to every participant's processes (e.g. NODE_EXTRA_CA_CERTS), `node` (Node's own options) to
// every lspair process started here.
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { lspair } from '../helpers/cli.js';
import { LspairProcess } from '../helpers/process.js';
import { tmpdir } from '../helpers/tmp.js';

export function world(extraEnv: Record<string, string> = {}, node: readonly string[] = []) {
  const root = tmpdir('lspair-e2e-');
  const runtime = path.join(root, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  chmodSync(runtime, 0o700);
  const env = (who: string) => ({ XDG_CONFIG_HOME: path.join(root, who), XDG_CACHE_HOME: path.join(root, who, 'cache'), XDG_RUNTIME_DIR: runtime, ...extraEnv });
  const folder = path.join(root, 'share');
  mkdirSync(folder);
  return {
    root,
    folder,
    env,
    node,
    id: (who: string) => JSON.parse(lspair(['id', '--json'], { env: env(who) }).stdout) as { publicKey: string; fingerprint: string },
    /** A host started with `args`, and its link once it is ready. */
    async hosting(...args: string[]): Promise<{ host: LspairProcess; link: string }> {
      const host = new LspairProcess(['host', folder, '--json', ...args], env('host'), node);
      return { host, link: String((await host.next('ready')).link) };
    },
    join: (link: string, who: string) => new LspairProcess(['join', link, '--json', '--name', who], env(who), node),
    guests: (...args: string[]) => lspair(['guests', ...args, '--dir', folder, '--json'], { env: env('host') }),
    rotate: () => lspair(['link', 'rotate', '--dir', folder, '--json'], { env: env('host') }),
    status: () => lspair(['status', '--dir', folder, '--json'], { env: env('host') }),
  };
}

/** `lspair relay` on a free loopback port (`args` after that), and its URL once it is ready. */
export async function relayProcess(args: readonly string[] = [], node: readonly string[] = []): Promise<{ relay: LspairProcess; url: string }> {
  const relay = new LspairProcess(['relay', '--listen', '127.0.0.1:0', '--json', ...args], {}, node);
  return { relay, url: String((await relay.next('ready')).url) };
}
