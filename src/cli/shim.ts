// What `lspair lsp` and `lspair dap` share: bridging the editor's stdio to the daemon's socket, or running the
// configured program directly when no session holds the folder.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { reachable } from '../session/control.js';

/**
 * Bridges stdio to the daemon listening at `daemon` until one side ends. The editor ending it, or the daemon
 * ending it on purpose (an LSP `exit`, a debug session over), is a normal end. The daemon gone — stopped, or killed
 * — rejects with a message for the editor's log: an editor shows its server's stderr and exit code, and otherwise
 * the server would just vanish.
 */
export function bridge(socket: Socket, daemon: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let editorEnded = false;
    let failed = false;
    process.stdin.once('end', () => (editorEnded = true));
    process.stdin.pipe(socket);
    socket.pipe(process.stdout);
    socket.resume();
    socket.on('error', () => (failed = true)); // 'close' follows
    socket.on('close', async () => {
      if (editorEnded || (await reachable(daemon))) return resolve(failed ? 1 : 0);
      reject(new Error('the lspair daemon of this folder is gone (it stopped or was killed); start this command again once it runs'));
    });
  });
}

export function runDirect(command: string, args: readonly string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, stdio: 'inherit' });
    child.on('error', (err) => reject(new Error(`could not start '${command}': ${err.message}`)));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
