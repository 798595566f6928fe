// What `lspair lsp` and `lspair dap` share: bridging the editor's stdio to the daemon's socket, or running the
// configured program directly when no session holds the folder.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

export function bridge(socket: Socket): Promise<number> {
  return new Promise((resolve) => {
    process.stdin.pipe(socket);
    socket.pipe(process.stdout);
    socket.resume();
    socket.on('close', () => resolve(0));
    socket.on('error', () => resolve(1));
  });
}

export function runDirect(command: string, args: readonly string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, stdio: 'inherit' });
    child.on('error', (err) => reject(new Error(`could not start '${command}': ${err.message}`)));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
