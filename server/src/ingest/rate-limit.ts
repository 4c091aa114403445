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
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond)) };
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) if (now >= bucket.fullAt) this.buckets.delete(key);
  }
}
