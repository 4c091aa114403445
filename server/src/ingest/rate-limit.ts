/** A token bucket's shape: `perSecond` refill, `burst` capacity. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/**
 * Token buckets by name (an ingest key, a session id, a client address). A bucket is dropped once
 * it has refilled (a full bucket is the same as no bucket, so that changes no answer): a flood of
 * made-up session ids costs memory only for the seconds their buckets take to refill.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; fullAt: number }>();
  private lastSweep = 0;

  /** `onTake`: told of every token spent here (the cluster shares them, `cluster/rate-limits.ts`). */
  constructor(private readonly onTake?: (key: string, limit: RateLimit) => void) {}

  take(key: string, limit: RateLimit, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    // Before looking the bucket up: a sweep must not drop the bucket this call is about to spend.
    if (now - this.lastSweep > 10_000) this.sweep(now);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: limit.burst, at: now, fullAt: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.fullAt = now + ((limit.burst - bucket.tokens) / limit.perSecond) * 1000;
      this.onTake?.(key, limit);
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond)) };
  }

  /**
   * Tokens another node spent on the same key. The bucket may go below zero: that debt is what
   * makes N nodes admit the configured rate in total rather than N times it. Floored at ten
   * seconds' refill so a burst of reports cannot shut a key out for long.
   */
  debit(key: string, count: number, limit: RateLimit, now = Date.now()): void {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: limit.burst, at: now, fullAt: now };
      this.buckets.set(key, bucket);
    }
    const refilled = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
    bucket.tokens = Math.max(-limit.perSecond * 10, refilled - count);
    bucket.at = now;
    bucket.fullAt = now + ((limit.burst - bucket.tokens) / limit.perSecond) * 1000;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) if (now >= bucket.fullAt) this.buckets.delete(key);
  }
}
