import { expect, test } from 'vitest';
import { RateLimiter } from './rate-limit.js';

test('a debit from another node takes tokens off the bucket, into debt, so the sum stays at the rate', () => {
  const limiter = new RateLimiter();
  const limit = { perSecond: 10, burst: 5 };
  limiter.debit('k', 12, limit, 1_000);
  // 5 - 12 = -7: eight tenths of a second per token before the next one is admitted here.
  expect(limiter.take('k', limit, 1_000).ok).toBe(false);
  expect(limiter.take('k', limit, 1_700).ok).toBe(false);
  expect(limiter.take('k', limit, 1_800).ok).toBe(true);
  // Floored at ten seconds' refill: a flood of reports cannot shut the key out for long.
  limiter.debit('k', 1_000_000, limit, 2_000);
  expect(limiter.take('k', limit, 12_000).ok).toBe(false);
  expect(limiter.take('k', limit, 12_100).ok).toBe(true);
});
