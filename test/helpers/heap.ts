// The live JavaScript heap of a Node process, measured after a full garbage collection through its inspector: this
// process's own, or another's (no tests here). Resident memory cannot tell a leak from a heap that has not settled
// yet or from the allocator keeping pages: the heap right after a full collection holds only what the process still
// references. Another process is measured when it runs with INSPECT; the inspector says its random loopback port on
// its stderr.
import { Session } from 'node:inspector/promises';
import WebSocket from 'ws';

/** Node's options for a process whose heap is measured: its inspector on a free loopback port. */
export const INSPECT: readonly string[] = ['--inspect=127.0.0.1:0'];

/** Calls one inspector method; resolves with its result. */
type Post = (method: string) => Promise<unknown>;

/** The bytes the heap holds after a full collection, asked through `post`. */
async function collected(post: Post): Promise<number> {
  await post('HeapProfiler.collectGarbage');
  return ((await post('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
}

/** This process's heap after a full collection, through its own inspector session. */
export async function heapAfterGc(): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    return await collected((method) => session.post(method));
  } finally {
    session.disconnect();
  }
}

/** The inspector's port, from what the process wrote to its stderr; null before it said it. */
export function inspectorPort(stderr: string): number | null {
  const port = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr)?.[1];
  return port === undefined ? null : Number(port);
}

/** One inspector method over the session `ws`, with the id `id`. */
function call(ws: WebSocket, id: number, method: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const m = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (m.id !== id) return;
      ws.off('message', onMessage);
      if (m.error) reject(new Error(`${method}: ${m.error.message}`));
      else resolve(m.result);
    };
    ws.on('message', onMessage).once('close', () => reject(new Error(`${method}: the inspector hung up`)));
    ws.send(JSON.stringify({ id, method }));
  });
}

/** The heap after a full collection of the process whose inspector listens on `port`. */
export async function heapAfterGcAt(port: number): Promise<number> {
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(target!.webSocketDebuggerUrl);
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    let id = 0;
    return await collected((method) => call(ws, id++, method));
  } finally {
    ws.close(); // a session left open would keep the process waiting for its debugger when it exits
  }
}
