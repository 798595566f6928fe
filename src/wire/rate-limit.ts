// Attempts per key (a remote address) in a sliding one-minute window, with a bound on the keys remembered.
const WINDOW_MS = 60_000;

export class RateLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Records an attempt; false when the key is over its limit. */
  admit(key: string, now = Date.now()): boolean {
    const recent = (this.attempts.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    recent.push(now);
    this.attempts.delete(key);
    this.attempts.set(key, recent); // most recent last, so the oldest key is evicted first
    if (this.attempts.size > this.maxKeys) this.attempts.delete(this.attempts.keys().next().value!);
    return recent.length <= this.perMinute;
  }
}
