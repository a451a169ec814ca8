/**
 * Attempts per client address (sign-in, kiosk PIN, first-run setup): a token bucket per address,
 * in memory and bounded, so an attacker spraying addresses cannot grow it without limit. Each
 * password check costs a 32 MiB scrypt, so the budget is small: a person mistyping never meets it.
 */
export interface RateLimitOptions {
  /** Attempts allowed at once. */
  burst: number;
  /** One more attempt every this many milliseconds. */
  refillMs: number;
  /** Addresses remembered at most; the oldest are forgotten first. */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  /** Takes one attempt for `key`: 0 when allowed, else the milliseconds until the next one is. */
  take(key: string): number {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.opts.burst, at: now };
    const refilled = Math.min(this.opts.burst, b.tokens + (now - b.at) / this.opts.refillMs);
    // Re-inserting keeps the Map in least-recently-used order for the eviction below.
    this.buckets.delete(key);
    if (refilled < 1) {
      this.buckets.set(key, { tokens: refilled, at: now });
      return Math.ceil((1 - refilled) * this.opts.refillMs);
    }
    this.buckets.set(key, { tokens: refilled - 1, at: now });
    while (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
    return 0;
  }

  size(): number {
    return this.buckets.size;
  }
}

/** "try again in 12 seconds" */
export function waitSentence(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return s < 90 ? `${s} seconds` : `${Math.ceil(s / 60)} minutes`;
}
