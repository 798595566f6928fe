// A real lspair session on loopback for the LSP and co-editing benchmarks (the built `bin/lspair.js`, as users
// run it): a relay, a host sharing a copy of fixtures/lsp-share with the given servers (its own listener and the
// relay), guests joined directly or through the relay, and editors that reach a server the way an editor does —
// a process on stdio (`lspair lsp NAME` in the share or a mirror, the server itself, or ssh).
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { quote } from 'shell-quote';
import { formatLink, parseLink } from '../src/session/link.js';
import { BIN } from '../test/helpers/cli.js';
import { LspairProcess } from '../test/helpers/process.js';
import { relayProcess, world } from '../test/session/world.js';
import { cmdline, descendants } from './proc-cpu.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/lsp-share', import.meta.url));
/** typescript-language-server (with typescript@5), as the argv of a stdio server. */
export const TS_SERVER = [process.execPath, fileURLToPath(new URL('../node_modules/typescript-language-server/lib/cli.mjs', import.meta.url)), '--stdio'];
/** The trivial server of bench/fake-lsp-server.ts (tsx by absolute URL: it may run from any folder, or over ssh). */
export const FAKE_SERVER = [process.execPath, '--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./fake-lsp-server.ts', import.meta.url))];
/** Info lines come per connection, not per message; the co-editing bench counts the re-syncs among them. */
const ENV = { LSPAIR_LOG: 'info' };

/** `greet` in `const message: string = greet('ada');`: hover shows its signature, definition lands in src/greet.ts. */
export const GREET = { file: 'src/main.ts', position: { line: 2, character: 24 } } as const;

/** The params of a request at GREET in the copy of the fixture at `root` (the share, or a guest's mirror). */
export function atGreet(root: string): { textDocument: { uri: string }; position: typeof GREET.position } {
  return { textDocument: { uri: pathToFileURL(path.join(root, GREET.file)).href }, position: GREET.position };
}

/** Whether an answer at GREET is the real one: the signature, or a location in src/greet.ts (through the import). */
export function realAnswer(root: string, method: string, result: unknown): boolean {
  if (method === 'textDocument/hover') return JSON.stringify(result).includes('greet(name: string)');
  return Array.isArray(result) && result.length > 0 && JSON.stringify(result).includes(pathToFileURL(path.join(root, 'src/greet.ts')).href);
}

export interface Guest {
  readonly name: string;
  readonly id: string;
  readonly mirror: string;
  readonly daemon: LspairProcess;
}

/** A process an editor talks to over its stdin and stdout. */
export interface StdioProcess {
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export function spawnStdio(argv: readonly string[], cwd: string, env: Record<string, string> = {}, stderr: 'inherit' | 'pipe' = 'inherit'): StdioProcess {
  const [command, ...args] = argv;
  const child = spawn(command!, args, { cwd, env: { ...process.env, ...ENV, ...env }, stdio: ['pipe', 'pipe', stderr] });
  child.stdin!.on('error', () => undefined); // a client still writing as it is stopped
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    stop: async () => {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The pid of this process's `lspair COMMAND …` whose arguments include `arg`. */
export function lspairPid(command: string, arg?: string): number {
  const pid = descendants(process.pid).find((p) => {
    const argv = cmdline(p);
    return argv[1] === BIN && argv[2] === command && (arg === undefined || argv.includes(arg));
  });
  if (pid === undefined) throw new Error(`no lspair ${command} process${arg ? ` with ${arg}` : ''} is running`);
  return pid;
}

/** The process tree of a server among `parent`'s descendants: the one whose command line holds `marker`. */
export function serverTree(parent: number, marker: string): number[] {
  const root = descendants(parent).find((p) => cmdline(p).includes(marker));
  return root === undefined ? [] : [root, ...descendants(root)];
}

export class BenchSession {
  readonly #processes: LspairProcess[] = [];

  private constructor(
    private readonly w: ReturnType<typeof world>,
    readonly link: string,
  ) {}

  /**
   * The host (listening on loopback, and registered with `relay` when given) sharing the fixture with `servers`,
   * plus `files` (relative path → text) written into the share before the host starts. `node`: Node's own
   * options for its daemons (the host, and the guests' `lspair join`).
   */
  static async start(servers: Readonly<Record<string, readonly string[]>>, relay: string | null, files: Readonly<Record<string, string>> = {}, node: readonly string[] = []): Promise<BenchSession> {
    const w = world(ENV, node);
    cpSync(FIXTURE, w.folder, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(w.folder, file), text);
    const specs = Object.entries(servers).flatMap(([name, argv]) => ['--server', `${name}=${quote([...argv])}`]);
    const { host, link } = await w.hosting('--listen', '127.0.0.1:0', ...(relay ? ['--relay', relay] : []), '--anonymous', 'accept', ...specs);
    const session = new BenchSession(w, link);
    session.#processes.push(host);
    return session;
  }

  /** `lspair relay` on a free loopback port (`node`: Node's own options for it). */
  static async relay(node: readonly string[] = []): Promise<{ url: string; process: LspairProcess; stop(): Promise<void> }> {
    const { relay, url } = await relayProcess([], node);
    return { url, process: relay, stop: async () => (relay.kill(), void (await relay.exited)) };
  }

  get share(): string {
    return this.w.folder;
  }

  /** The `lspair host` process (its pid, its log on stderr, whether it exited). */
  get host(): LspairProcess {
    return this.#processes[0]!;
  }

  /** A guest joined by the host's own address (the default) or through the relay only, its mirror synced. */
  async join(name: string, via: 'direct' | 'relay'): Promise<Guest> {
    const parsed = parseLink(this.link);
    if (via === 'relay' && !parsed.relay) throw new Error('the host has no relay');
    const link = via === 'relay' ? formatLink({ ...parsed, direct: [] }) : this.link;
    const mirror = path.join(this.w.root, `mirror-${name}`);
    const daemon = new LspairProcess(['join', link, '--json', '--name', name, '--dir', mirror], this.w.env(name), this.w.node);
    this.#processes.push(daemon);
    const joined = await daemon.next('joined', 60_000); // a loaded 2-CPU machine starts Node slowly
    await daemon.next('synced', 30_000);
    return { name, id: String(joined.guestId), mirror, daemon };
  }

  /** Gives a guest a role (`lspair guests role ID ROLE` on the host) and waits until its daemon hears of it. */
  async role(guest: Guest, role: string): Promise<void> {
    const r = this.w.guests('role', guest.id, role);
    if (r.code !== 0) throw new Error(`lspair guests role failed: ${r.stderr}`);
    await guest.daemon.next('permissions');
  }

  /**
   * `lspair lsp NAME` as an editor launches it: in the share (the host's editor) or in a guest's mirror; `node`:
   * Node's own options for it.
   */
  editor(server: string, where: Guest | 'host', node: readonly string[] = [], stderr: 'inherit' | 'pipe' = 'inherit'): StdioProcess {
    const dir = where === 'host' ? this.share : where.mirror;
    return spawnStdio([process.execPath, ...node, BIN, 'lsp', server], dir, this.w.env(where === 'host' ? 'host' : where.name), stderr);
  }

  /** Editors re-synced whole so far (host and guest daemons log each one). */
  resyncs(): number {
    return this.#processes.reduce((sum, p) => sum + (p.stderr.match(/editor re-synced/g)?.length ?? 0), 0);
  }

  async close(): Promise<void> {
    for (const p of this.#processes.reverse()) {
      p.kill();
      await p.exited;
    }
  }
}
