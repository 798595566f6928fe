// HOST:PORT arguments (`127.0.0.1:0`, `[::1]:7000`, `:7000` for loopback).
import { UsageError } from './usage.js';

export function parseListen(value: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new UsageError(`${flag} takes HOST:PORT (e.g. 127.0.0.1:7000), not '${value}'`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}
