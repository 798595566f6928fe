// What long-running commands share: their event output (a JSON object per line with --json, a sentence
// otherwise) and waiting for the user to interrupt them.

export type Print = (event: string, data: Record<string, unknown>, human: string) => void;

export function eventPrinter(json: boolean): Print {
  return (event, data, human) => {
    process.stdout.write(json ? `${JSON.stringify({ event, ...data })}\n` : `${human}\n`);
  };
}

/** Resolves at the first SIGINT or SIGTERM. */
export function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
