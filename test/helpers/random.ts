// A small seeded PRNG (mulberry32) so generated cases can be replayed from the printed seed.
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed for this run: LSPAIR_SEED if set, else the given default (tests stay deterministic). */
export function seedFromEnv(fallback: number): number {
  const env = process.env.LSPAIR_SEED;
  return env ? Number(env) >>> 0 : fallback;
}
