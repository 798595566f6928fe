// Real sessions for LSP end-to-end tests (no tests here): `lspair host` with real language servers on a copy of
// fixtures/lsp-share, a guest — a real `lspair join`, or one assembled in this process as join.ts does so that a
// test can read every byte its daemon decrypted — and editors that launch `lspair lsp NAME` in the mirror.
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSessionKey } from '../../src/crypto/index.js';
import { Mirror } from '../../src/fs/index.js';
import { GuestDaemon } from '../../src/session/guest-daemon.js';
import { GuestSession } from '../../src/session/guest.js';
import { parseLink } from '../../src/session/link.js';
import { BIN, lspair } from '../helpers/cli.js';
import { LspairProcess } from '../helpers/process.js';
import { tmpdir } from '../helpers/tmp.js';
import { LspClient, type Received } from './lsp-client.js';
import { Plaintext } from './plaintext.js';

const bin = (name: string) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));
export const FIXTURE = fileURLToPath(new URL('../../fixtures/lsp-share', import.meta.url));
/** The host's language servers, as `--server` specs. */
export const SERVERS = {
  ts: `ts=${bin('typescript-language-server')} --stdio`,
  py: `py=${bin('pyright-langserver')} --stdio`,
};

/** Separate config and cache folders per participant, one private runtime folder for control sockets. */
export function world() {
  const root = tmpdir('lspair-live-');
  const runtime = path.join(root, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  chmodSync(runtime, 0o700);
  const folder = path.join(root, 'share');
  cpSync(FIXTURE, folder, { recursive: true });
  const env = (who: string) => ({ XDG_CONFIG_HOME: path.join(root, who), XDG_CACHE_HOME: path.join(root, who, 'cache'), XDG_RUNTIME_DIR: runtime });
  return {
    root,
    folder,
    runtime,
    env,
    /** `lspair host` sharing the folder with `args` (servers, --relay), anonymous guests let in as viewers. */
    async hosting(...args: string[]): Promise<{ host: LspairProcess; link: string }> {
      const host = new LspairProcess(['host', folder, '--json', '--anonymous', 'accept', ...args], env('host'));
      return { host, link: String((await host.next('ready')).link) };
    },
    /** `lspair guests ARGS` on the host's side. */
    guests: (...args: string[]) => lspair(['guests', ...args, '--dir', folder, '--json'], { env: env('host') }),
  };
}

/**
 * A guest assembled in this process as `lspair join` does (GuestSession, Mirror, GuestDaemon), with a tap on the
 * plaintext of its channel. The daemon's control socket lives in `runtime` (the editors' `lspair lsp` finds it).
 */
export async function guestInProcess(link: string, mirrorDir: string, runtime: string) {
  const session = await GuestSession.connect({ link: parseLink(link), identity: createSessionKey(), name: 'mallory' });
  const plaintext = new Plaintext(session.channel);
  const welcome = await session.joined();
  const mirror = Mirror.open({ dir: mirrorDir });
  const saved = process.env.XDG_RUNTIME_DIR;
  process.env.XDG_RUNTIME_DIR = runtime; // where the daemon's control socket goes (read once, at start)
  let daemon: GuestDaemon;
  try {
    daemon = await GuestDaemon.start(mirror);
  } finally {
    if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = saved;
  }
  const synced = await daemon.attach(session);
  return {
    session,
    daemon,
    mirror,
    plaintext,
    welcome,
    synced,
    /** Resolves with the guest's permissions once the host's change reaches it. */
    permissions: (test: (permissions: string[]) => boolean) =>
      new Promise<string[]>((resolve) => {
        const seen = (m: { permissions: string[] }): void => {
          if (!test(m.permissions)) return;
          session.off('permissions', seen);
          resolve(m.permissions);
        };
        session.on('permissions', seen);
      }),
    async close(): Promise<void> {
      session.leave();
      await daemon.close();
    },
  };
}

/** An editor that launches `lspair lsp NAME` in `cwd` (a mirror, or the host's folder), as editors do. */
export function editor(name: string, cwd: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, 'lsp', name], { cwd, env: { ...process.env, LSPAIR_LOG: 'error', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const client = new LspClient(child.stdout, child.stdin);
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return {
    client,
    exited,
    stderr: () => stderr,
    close(): Promise<number> {
      client.dispose();
      child.stdin.end();
      return exited;
    },
    /** For a test that failed half-way: its processes must not outlive it. */
    kill: () => child.kill('SIGKILL'),
  };
}

/** Resolves with `work`'s outcome, or rejects naming `what` when it has none after `ms`: a hang is a failure. */
export function settled<T>(work: Promise<T>, what: string, ms = 30_000): Promise<{ value: T } | { error: Error }> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then((value) => ({ value }), (error: Error) => ({ error })),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** A request that must be answered (its value), not refused nor left hanging; `context` adds to a failure (a log). */
export async function answered<T>(work: Promise<T>, what: string, context: () => string = () => '', ms?: number): Promise<T> {
  const outcome = await settled(work, what, ms);
  if ('error' in outcome) throw new Error(`${what}: ${outcome.error.message}${context() ? `\n${context()}` : ''}`);
  return outcome.value;
}

/**
 * Waits, from the editor's message `from` on, for typescript-language-server to finish loading the project (it
 * reports that as work-done progress; until then its syntax-only process answers, blind to other files) and to
 * publish main.ts's diagnostics: the messages of a server started after `from`, not of one that died.
 */
export async function projectLoaded(client: LspClient, from: number, mainUri: string): Promise<void> {
  const index = (r: Received) => client.received.indexOf(r);
  const params = (r: Received) => r.params as { token?: unknown; value?: { kind?: string }; uri?: string; diagnostics?: { message: string }[] };
  const created = await client.waitFor((r) => index(r) >= from && r.method === 'window/workDoneProgress/create', 60_000, 'a new server\'s loading progress');
  const since = index(created);
  const after = (method: string, test: (p: ReturnType<typeof params>) => boolean) => (r: Received) => index(r) > since && r.method === method && test(params(r));
  await client.waitFor(after('$/progress', (p) => p.token === params(created).token && p.value?.kind === 'end'), 60_000, 'the project loaded');
  const failing = (p: ReturnType<typeof params>) => p.uri === mainUri && (p.diagnostics ?? []).some((d) => /not assignable to type 'number'/.test(d.message));
  await client.waitFor(after('textDocument/publishDiagnostics', failing), 60_000, 'main.ts\'s diagnostics from that server');
}
