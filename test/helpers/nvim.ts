// A headless Neovim 0.7.2 (Debian's) as a real LSP editor for end-to-end tests: started with --listen, driven
// with `nvim --server SOCKET --remote-expr` calls into test/helpers/nvim-agent.lua, which uses Neovim's own LSP client.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from './tmp.js';

const AGENT = fileURLToPath(new URL('./nvim-agent.lua', import.meta.url));
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class Nvim {
  #calls = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly socket: string,
    private readonly scratch: string,
  ) {}

  /** Starts Neovim in `cwd` (where `lspair lsp` will look for its session) with `env`. */
  static async start(cwd: string, env: Record<string, string> = {}): Promise<Nvim> {
    const scratch = tmpdir('lspair-nvim-');
    const socket = path.join(scratch, 'nvim.sock');
    const child = spawn('nvim', ['--headless', '--clean', '-n', '--listen', socket, '-c', `luafile ${AGENT}`], { cwd, env: { ...process.env, ...env }, stdio: 'ignore' });
    running.add(child);
    child.on('exit', () => running.delete(child));
    for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 25));
    const nvim = new Nvim(child, socket, scratch);
    // The socket exists before the agent is loaded: wait until it answers.
    for (let i = 0; ; i++) {
      try {
        await nvim.call('lines');
        return nvim;
      } catch (err) {
        if (i === 200) throw new Error(`neovim did not start: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  /** Calls LspairTest[fn](...args) in Neovim; throws with Neovim's error when it fails. */
  async call<T = unknown>(fn: string, ...args: unknown[]): Promise<T> {
    const file = path.join(this.scratch, `call-${this.#calls++}.json`);
    writeFileSync(file, JSON.stringify({ fn, args }));
    const out = await new Promise<string>((resolve, reject) => {
      const client = spawn('nvim', ['--server', this.socket, '--remote-expr', `luaeval('LspairTest.call("${file}")')`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      // Neovim 0.7 prints the value on stderr when stdout is not a terminal.
      client.stdout.on('data', (c) => (text += c));
      client.stderr.on('data', (c) => (text += c));
      client.on('error', reject);
      client.on('exit', () => resolve(text));
    });
    // A remote client can give up on a loaded machine while Neovim still runs the call: its FILE.out says it ran.
    if (!out.includes('done') && !(await this.#written(`${file}.out`))) throw new Error(`neovim ${fn}: no answer (is the agent loaded?) ${out.slice(0, 500)}`);
    const answer = JSON.parse(readFileSync(`${file}.out`, 'utf8')) as { ok: boolean; result: T };
    if (!answer.ok) throw new Error(`neovim ${fn}: ${String(answer.result)}`);
    return answer.result;
  }

  /** Whether `file` exists within 10 s. */
  async #written(file: string): Promise<boolean> {
    for (const start = Date.now(); Date.now() - start < 10_000; await new Promise((r) => setTimeout(r, 50))) if (existsSync(file)) return true;
    return false;
  }

  /** Starts Neovim's LSP client on `lspair lsp NAME` (run in Neovim's cwd) and returns its id. */
  startLsp(name: string, root: string, bin: string): Promise<number> {
    return this.call<number>('start', [process.execPath, bin, 'lsp', name], root);
  }

  quit(): void {
    this.child.kill('SIGTERM');
  }
}
