// Audit lines a remote peer can provoke at will — each refused request of a guest, each failed handshake from an
// address — are bounded per peer and kind: a hostile guest must not fill the host's disk, nor drown the lines that
// matter. In each window the first lines of a key are written; the others are counted, and one summary line says
// how many were left out (when the window ends, or at once when the peer leaves), so the trail stays complete.
import type { Logger } from './log.js';

interface Window {
  readonly logger: Logger;
  readonly fields: Record<string, unknown>;
  written: number;
  suppressed: number;
  readonly timer: NodeJS.Timeout;
}

export interface ThrottleOptions {
  /** Lines written per key per window; default 50. */
  readonly perWindow?: number;
  /** Default one minute. */
  readonly windowMs?: number;
}

export class LogThrottle {
  readonly #windows = new Map<string, Window>();
  readonly #perWindow: number;
  readonly #windowMs: number;

  constructor(options: ThrottleOptions = {}) {
    this.#perWindow = options.perWindow ?? 50;
    this.#windowMs = options.windowMs ?? 60_000;
  }

  /**
   * Writes an info line for `peer` unless its kind (`fields.audit`) is over the limit in this window. `summary`
   * holds the fields the summary line repeats (who, and the kind): never a message's details.
   */
  info(logger: Logger, peer: string, summary: Record<string, unknown> & { audit: string }, details: Record<string, unknown>, msg: string): void {
    const key = `${peer}\0${summary.audit}`;
    let window = this.#windows.get(key);
    if (!window) {
      window = { logger, fields: summary, written: 0, suppressed: 0, timer: setTimeout(() => this.#close(key), this.#windowMs).unref() };
      this.#windows.set(key, window);
    }
    if (window.written < this.#perWindow) {
      window.written++;
      logger.info({ ...summary, ...details }, msg);
    } else {
      window.suppressed++;
    }
  }

  /** The peer left: its summaries now, not when their windows end. */
  flush(peer: string): void {
    for (const key of this.#windows.keys()) if (key.startsWith(`${peer}\0`)) this.#close(key);
  }

  #close(key: string): void {
    const window = this.#windows.get(key);
    if (!window) return;
    this.#windows.delete(key);
    clearTimeout(window.timer);
    const limit = `at most ${this.#perWindow} in ${this.#windowMs / 1000} s`;
    if (window.suppressed > 0) window.logger.info({ ...window.fields, suppressed: window.suppressed }, `${window.suppressed} more '${String(window.fields.audit)}' lines left out (${limit})`);
  }
}

/** The host's one throttle for what guests and remote addresses provoke; keyed by guest id or address. */
export const peerAudit = new LogThrottle();
