// The SSH baseline of the LSP benchmark: Debian's openssh-server on loopback with a private config (DESIGN §9),
// so a language server can be reached the way a Neovim user would today: `ssh -p PORT localhost SERVER --stdio`.
// openssh-server is installed with apt-get when missing (root only); when sshd cannot run, the reason says why.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const SSHD = '/usr/sbin/sshd';
/** DESIGN §9's port; another free one when something (another session's sshd) holds it. */
const PORT = 2222;

export interface SshPipe {
  /** The listening sshd: sessions are its descendants. */
  readonly pid: number;
  /** The argv that runs `command` on loopback through ssh (stdio piped). */
  argv(command: readonly string[]): string[];
  stop(): void;
}

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { ok: r.status === 0, output: `${r.error?.message ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' / ') };
}

/** Installs openssh-server when sshd is missing; returns why it could not, or null. */
function install(): string | null {
  if (existsSync(SSHD)) return null;
  if (process.getuid?.() !== 0) return 'openssh-server is not installed and installing it needs root';
  console.error('lsp bench: installing openssh-server with apt-get for the SSH baseline (once)…');
  let r = run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'openssh-server']);
  if (!r.ok) {
    run('apt-get', ['update', '-q']);
    r = run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'openssh-server']);
  }
  return r.ok && existsSync(SSHD) ? null : `apt-get install openssh-server failed: ${r.output}`;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** sshd on 127.0.0.1:2222 or a free port (key auth for this user with a generated key), or why it is unavailable. */
export async function startSshd(): Promise<SshPipe | { unavailable: string }> {
  const failed = install();
  if (failed) return { unavailable: failed };
  const port = (await portOpen(PORT)) ? await freePort() : PORT;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lspair-bench-sshd-'));
  const done = (why: string): { unavailable: string } => (rmSync(dir, { recursive: true, force: true }), { unavailable: why });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation folder
  for (const key of ['host_key', 'client_key']) {
    const r = run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, key)]);
    if (!r.ok) return done(`ssh-keygen failed: ${r.output}`);
  }
  const user = os.userInfo().username;
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'client_key.pub')), { mode: 0o600 });
  const config = [
    `ListenAddress 127.0.0.1`,
    `Port ${port}`,
    `HostKey ${path.join(dir, 'host_key')}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    `AllowUsers ${user}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no', // the key files live under /tmp, which is world-writable
  ];
  writeFileSync(path.join(dir, 'sshd_config'), `${config.join('\n')}\n`);
  const daemon: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  daemon.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  daemon.once('error', (err) => (stderr += err.message));
  const kill = (): void => void daemon.kill('SIGTERM');
  process.once('exit', kill); // even when the bench fails
  const stop = (): void => {
    process.off('exit', kill);
    kill();
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && !(await portOpen(port)); i++) {
    if (daemon.exitCode !== null || daemon.signalCode !== null) return done(`sshd exited: ${stderr.trim().split('\n').slice(-2).join(' / ')}`);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
  }
  const pipe: SshPipe = {
    pid: daemon.pid!,
    argv: (command) => ['ssh', '-T', '-p', String(port), '-i', path.join(dir, 'client_key'), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', `${user}@127.0.0.1`, ...command],
    stop,
  };
  const [ssh, ...args] = pipe.argv(['true']);
  const check = run(ssh!, args);
  if (!check.ok) {
    stop();
    return { unavailable: `ssh to 127.0.0.1:${port} failed: ${check.output} ${stderr.trim().split('\n').slice(-2).join(' / ')}` };
  }
  return pipe;
}
