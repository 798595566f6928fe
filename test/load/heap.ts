// The live JavaScript heap of a Node process, measured after a full garbage collection, through the process's
// inspector (no tests here). Resident memory cannot tell a leak from a heap that has not settled yet or from the
// allocator keeping pages: the heap right after a full collection holds only what the process still references.
// The processes measured run with INSPECT; the inspector says its random loopback port on their stderr.
import WebSocket from 'ws';

/** Node's options for a process whose heap is measured: its inspector on a free loopback port. */
export const INSPECT: readonly string[] = ['--inspect=127.0.0.1:0'];

/** The inspector's port, from what the process wrote to its stderr; null before it said it. */
export function inspectorPort(stderr: string): number | null {
  const port = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr)?.[1];
  return port === undefined ? null : Number(port);
}

/** Calls `methods` in turn over one inspector session; resolves with the last one's result. */
async function inspect(port: number, methods: readonly string[]): Promise<unknown> {
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(target!.webSocketDebuggerUrl);
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    let result: unknown;
    for (const [id, method] of methods.entries()) {
      result = await new Promise((resolve, reject) => {
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
    return result;
  } finally {
    ws.close(); // a session left open would keep the process waiting for its debugger when it exits
  }
}

/** The bytes the heap of the process inspected on `port` holds after a full collection. */
export async function heapAfterGc(port: number): Promise<number> {
  const usage = (await inspect(port, ['HeapProfiler.collectGarbage', 'Runtime.getHeapUsage'])) as { usedSize: number };
  return usage.usedSize;
}
