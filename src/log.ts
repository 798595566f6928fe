// The one logger of every layer: pino, JSON lines on stderr (pretty on a TTY), level from LSPAIR_LOG.
// Secrets and file contents are never logged; the redact list is a second line of defence, not the first.
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

const REDACT = ['secret', 'joinSecret', 'psk', 'privateKey', 'secretKey', 'key', 'text', 'content', '*.secret', '*.joinSecret', '*.psk', '*.privateKey', '*.secretKey', '*.text', '*.content'];

function level(): string {
  const wanted = process.env.LSPAIR_LOG ?? 'info';
  return wanted in pino.levels.values || wanted === 'silent' ? wanted : 'info';
}

function destination(): DestinationStream {
  if (process.stderr.isTTY) return pretty({ destination: 2, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l' });
  return pino.destination({ fd: 2, sync: true });
}

export const log: Logger = pino({ level: level(), base: { pid: process.pid }, redact: { paths: REDACT, censor: '[redacted]' } }, destination());

if (level() !== (process.env.LSPAIR_LOG ?? 'info')) log.warn({ LSPAIR_LOG: process.env.LSPAIR_LOG }, 'unknown log level, using info');

/** A logger for one module: every line carries `component`. */
export function logger(component: string): Logger {
  return log.child({ component });
}
