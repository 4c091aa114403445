/**
 * Brakes on password guessing at `POST /v1/auth/login`, in memory (per collector node).
 *
 * Every attempt counts as a failure until it succeeds. Two limits, checked before the password
 * is looked at:
 *  - per address and username: `perAddress.failures` failed logins in a fixed window, then 429
 *    until the window ends. Stops one machine hammering one account.
 *  - per username, from every address: a token bucket. Each attempt takes a token (a success
 *    gives it back), one token comes back every `perUsername.refillMs`, at most
 *    `perUsername.burst` are saved up. Guessing spread over many addresses is slowed to one guess
 *    per `refillMs` once the burst is spent, and the wait for any single attempt never exceeds
 *    `refillMs`: the account is slowed down, never locked for a long (or unbounded) time.
 * An attacker who keeps spending every token as it comes back would still crowd the real user
 * out, so an address that logged in to the account successfully in the last
 * `trustedAddressMs` is exempt from the per-username limit (the per-address limit still
 * applies to it). The attacker cannot earn that exemption without the password.
 *
 * Unknown usernames are tracked exactly like real ones, so a 429 says nothing about whether an
 * account exists. Memory is bounded by `maxTracked` entries per map.
 */

export interface LoginLimits {
  /** @default { failures: 10, windowMs: 15 minutes } */
  perAddress?: { failures: number; windowMs: number };
  /** @default { burst: 30, refillMs: 30 seconds } (after the burst: 120 guesses an hour, at most, across all addresses) */
  perUsername?: { burst: number; refillMs: number };
  /** @default 30 days */
  trustedAddressMs?: number;
  /** @default 10,000 */
  maxTracked?: number;
}

export const DEFAULT_LOGIN_LIMITS: Required<LoginLimits> = {
  perAddress: { failures: 10, windowMs: 15 * 60 * 1000 },
  perUsername: { burst: 30, refillMs: 30 * 1000 },
  trustedAddressMs: 30 * 24 * 60 * 60 * 1000,
  maxTracked: 10_000,
};

export type LoginVerdict =
  | { allowed: true }
  | { allowed: false; scope: 'address' | 'username'; retryAfterMs: number; message: string };

interface Bucket {
  tokens: number;
  at: number;
}

export class LoginThrottle {
  private readonly limits: Required<LoginLimits>;
  private readonly addressFailures = new Map<string, { count: number; since: number }>();
  private readonly usernameBuckets = new Map<string, Bucket>();
  /** `address\nusername` → when the exemption ends. */
  private readonly trusted = new Map<string, number>();

  constructor(limits: LoginLimits = {}, private readonly now: () => number = Date.now) {
    this.limits = { ...DEFAULT_LOGIN_LIMITS, ...limits };
  }

  /**
   * Whether a login attempt may go ahead; ask before checking the password. An allowed attempt
   * is counted as a failure straight away, and `succeeded` takes it back: parallel guesses
   * cannot all slip through while their passwords are being hashed.
   */
  attempt(address: string, username: string): LoginVerdict {
    const now = this.now();
    const pair = pairKey(address, username);
    const { perAddress, perUsername } = this.limits;
    const seen = this.addressFailures.get(pair);
    const freshWindow = !seen || now - seen.since >= perAddress.windowMs;
    if (!freshWindow && seen.count >= perAddress.failures) {
      const retryAfterMs = seen.since + perAddress.windowMs - now;
      return {
        allowed: false,
        scope: 'address',
        retryAfterMs,
        message: `too many failed logins for this username from your address; try again in ${waitText(retryAfterMs)}.`,
      };
    }
    const trusted = this.isTrusted(pair, now);
    const tokens = this.tokens(username, now);
    if (!trusted && tokens < 1) {
      const retryAfterMs = Math.ceil((1 - tokens) * perUsername.refillMs);
      return {
        allowed: false,
        scope: 'username',
        retryAfterMs,
        message: `too many failed logins for this username from many addresses, so logins to it are slowed down to one every ${waitText(perUsername.refillMs)}; try again in ${waitText(retryAfterMs)}.`,
      };
    }
    if (freshWindow) this.makeRoom(this.addressFailures, (entry) => now - entry.since >= perAddress.windowMs, (entry) => -entry.count);
    this.addressFailures.set(pair, { count: freshWindow ? 1 : seen.count + 1, since: freshWindow ? now : seen.since });
    // A trusted address spends no tokens: its typos must not slow down logins from elsewhere.
    if (!trusted) {
      if (!this.usernameBuckets.has(username)) {
        const slack = (bucket: Bucket) => this.refilled(bucket, now);
        this.makeRoom(this.usernameBuckets, (bucket) => slack(bucket) >= perUsername.burst, slack);
      }
      this.usernameBuckets.set(username, { tokens: tokens - 1, at: now });
    }
    return { allowed: true };
  }

  /**
   * The password was right: forget this address's failures, give back the token this attempt
   * took, and trust the address for the account. Only that one token: refilling the bucket would
   * hand an attacker a fresh burst each time the real user logs in.
   */
  succeeded(address: string, username: string): void {
    const now = this.now();
    const pair = pairKey(address, username);
    this.addressFailures.delete(pair);
    const bucket = this.usernameBuckets.get(username);
    if (bucket && !this.isTrusted(pair, now)) this.usernameBuckets.set(username, { tokens: this.refilled(bucket, now) + 1, at: now });
    this.trusted.delete(pair); // re-inserted last: the map's order is its eviction order
    if (this.trusted.size >= this.limits.maxTracked) this.trusted.delete(this.trusted.keys().next().value as string);
    this.trusted.set(pair, now + this.limits.trustedAddressMs);
  }

  private isTrusted(pair: string, now: number): boolean {
    const until = this.trusted.get(pair);
    return until !== undefined && until > now;
  }

  private refilled(bucket: Bucket, now: number): number {
    return Math.min(this.limits.perUsername.burst, bucket.tokens + (now - bucket.at) / this.limits.perUsername.refillMs);
  }

  private tokens(username: string, now: number): number {
    const bucket = this.usernameBuckets.get(username);
    return bucket ? this.refilled(bucket, now) : this.limits.perUsername.burst;
  }

  /**
   * Keeps a map under `maxTracked` before an insert: first drops entries that are spent (as good
   * as absent), then the one with the highest `slack` (the least throttling left), so that
   * spraying made-up usernames cannot wipe the brake off the account actually under attack.
   */
  private makeRoom<T>(map: Map<string, T>, isSpent: (entry: T) => boolean, slack: (entry: T) => number): void {
    if (map.size < this.limits.maxTracked) return;
    for (const [key, entry] of map) if (isSpent(entry)) map.delete(key);
    if (map.size < this.limits.maxTracked) return;
    let victim: string | undefined;
    let most = Number.NEGATIVE_INFINITY;
    for (const [key, entry] of map) {
      const value = slack(entry);
      if (value > most) [victim, most] = [key, value];
    }
    if (victim !== undefined) map.delete(victim);
  }
}

const pairKey = (address: string, username: string) => `${address}\n${username}`;

/** `45 s` or `12 min`, rounded up: never promises less wait than the Retry-After header. */
const waitText = (ms: number) => (ms <= 90_000 ? `${Math.max(1, Math.ceil(ms / 1000))} s` : `${Math.ceil(ms / 60_000)} min`);
