import { RateLimiter, type RateLimit } from '../ingest/rate-limit.js';
import type { ClusterBus } from './bus.js';

/** How often a node tells the others what it spent. */
export const RATE_LIMIT_SYNC_MS = 250;

type Scope = 'key' | 'session' | 'address';
/** `[bucket key, tokens spent, perSecond, burst]` */
type Spent = [string, number, number, number];

/**
 * Ingest's token buckets, shared by every collector node: each node spends tokens locally (no
 * round trip on the ingest path) and every `RATE_LIMIT_SYNC_MS` publishes what it spent; the
 * other nodes take the same tokens off their own buckets, into debt if need be. Over any window
 * of T seconds a cluster of N nodes admits at most `burst × N + perSecond × (T + (N − 1) ×
 * RATE_LIMIT_SYNC_MS / 1000)` batches per key, against `N × (burst + perSecond × T)` with
 * buckets per node (ARCHITECTURE.md, "Shared state"). A lost report lets that much more through
 * once; it is never retried.
 */
export class SharedRateLimits {
  readonly limiters: Record<Scope, RateLimiter>;
  private readonly spent: Record<Scope, Map<string, Spent>> = {
    key: new Map(),
    session: new Map(),
    address: new Map(),
  };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly bus: ClusterBus) {
    const limiter = (scope: Scope) =>
      new RateLimiter((key, limit) => {
        const entry = this.spent[scope].get(key);
        if (entry) entry[1] += 1;
        else this.spent[scope].set(key, [key, 1, limit.perSecond, limit.burst]);
      });
    this.limiters = { key: limiter('key'), session: limiter('session'), address: limiter('address') };
    bus.on('rate', (message) => {
      const report = message as Partial<Record<Scope, Spent[]>>;
      const now = Date.now();
      for (const scope of ['key', 'session', 'address'] as const)
        for (const [key, count, perSecond, burst] of report[scope] ?? []) {
          const limit: RateLimit = { perSecond, burst };
          if (typeof key === 'string' && count > 0 && perSecond > 0) this.limiters[scope].debit(key, count, limit, now);
        }
    });
  }

  start(): void {
    this.timer = setInterval(() => this.flush(), RATE_LIMIT_SYNC_MS);
    this.timer.unref();
  }

  private flush(): void {
    const report: Partial<Record<Scope, Spent[]>> = {};
    let any = false;
    for (const scope of ['key', 'session', 'address'] as const) {
      if (this.spent[scope].size === 0) continue;
      report[scope] = [...this.spent[scope].values()];
      this.spent[scope].clear();
      any = true;
    }
    if (any) this.bus.publish('rate', report);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
  }
}
