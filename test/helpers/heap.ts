// This process's live JavaScript heap after a full garbage collection, through its own inspector session: what a
// test can hold a leak to (bytes still referenced), where resident memory or heapUsed alone would also count garbage.
import { Session } from 'node:inspector/promises';

export async function heapAfterGc(): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
    return process.memoryUsage().heapUsed;
  } finally {
    session.disconnect();
  }
}
