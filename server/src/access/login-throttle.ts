import { isIPv6 } from 'node:net';

/**
 * Brakes on password guessing at `POST /v1/auth/login`, in memory (per collector node).
 *
 * Every attempt counts as a failure until it succeeds. Three limits, checked before the password
 * is looked at:
 *  - per address and username: `perAddress.failures` failed logins in a fixed window, then 429
 *    until the window ends. Stops one machine hammering one account.
 *  - per username, from every address: a token bucket. Each attempt takes a token (a success
 *    gives it back), one token comes back every `perUsername.refillMs`, at most
 *    `perUsername.burst` are saved up. Guessing spread over many addresses is slowed to one guess
 *    per `refillMs` once the burst is spent, and the wait for any single attempt never exceeds
 *    `refillMs`: the account is slowed down, never locked for a long (or unbounded) time.
 *  - per address, across usernames: a token bucket like the one per username. Password spraying
 *    (one guess at each of many usernames from one machine) gets `perClient.burst` guesses, then
 *    one per `perClient.refillMs`. IPv6 addresses count per /64, the block one subscriber gets, so
 *    walking through one's own prefix does not buy a fresh budget.
 * An attacker who keeps spending every token as it comes back would still crowd the real user
 * out, so an address that logged in to the account successfully in the last
 * `trustedAddressMs` is exempt from the per-username and per-client limits (the per-address and
 * username limit still applies to it). The attacker cannot earn that exemption without the password.
 *
 * Unknown usernames are tracked exactly like real ones, so a 429 says nothing about whether an
 * account exists. Memory is bounded by `maxTracked` entries per map.
 */

export interface LoginLimits {
  /** @default { failures: 10, windowMs: 15 minutes } */
  perAddress?: { failures: number; windowMs: number };
  /** @default { burst: 30, refillMs: 30 seconds } (after the burst: 120 guesses an hour, at most, across all addresses) */
  perUsername?: { burst: number; refillMs: number };
  /**
   * @default { burst: 20, refillMs: 15 seconds } (after the burst: 240 guesses an hour from one
   * address, whatever the usernames)
   */
  perClient?: { burst: number; refillMs: number };
  /** @default 30 days */
  trustedAddressMs?: number;
  /** @default 10,000 */
  maxTracked?: number;
}

export const DEFAULT_LOGIN_LIMITS: Required<LoginLimits> = {
  perAddress: { failures: 10, windowMs: 15 * 60 * 1000 },
  perUsername: { burst: 30, refillMs: 30 * 1000 },
  perClient: { burst: 20, refillMs: 15 * 1000 },
  trustedAddressMs: 30 * 24 * 60 * 60 * 1000,
  maxTracked: 10_000,
};

export type LoginVerdict =
  | { allowed: true }
  | { allowed: false; scope: 'address' | 'username' | 'client'; retryAfterMs: number; message: string };

interface Bucket {
  tokens: number;
  at: number;
}

/** Where login attempts are shared with other collector nodes (the cluster bus). */
export interface LoginShare {
  publish(topic: string, body: unknown): void;
  on(topic: string, handler: (body: unknown) => void): void;
}

type SharedAttempt = { op: 'attempt' | 'succeeded'; address: string; username: string };

export class LoginThrottle {
  private share: LoginShare | undefined;
  private readonly limits: Required<LoginLimits>;
  private readonly addressFailures = new Map<string, { count: number; since: number }>();
  private readonly usernameBuckets: TokenBuckets;
  private readonly clientBuckets: TokenBuckets;
  /** `address\nusername` → when the exemption ends. */
  private readonly trusted = new Map<string, number>();

  constructor(
    limits: LoginLimits = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_LOGIN_LIMITS, ...limits };
    this.usernameBuckets = new TokenBuckets(this.limits.perUsername, this.limits.maxTracked);
    this.clientBuckets = new TokenBuckets(this.limits.perClient, this.limits.maxTracked);
  }

  /**
   * Whether a login attempt may go ahead; ask before checking the password. An allowed attempt
   * is counted as a failure straight away, and `succeeded` takes it back: parallel guesses
   * cannot all slip through while their passwords are being hashed.
   */
  attempt(address: string, username: string): LoginVerdict {
    const verdict = this.count(address, username);
    if (verdict.allowed) this.share?.publish('login', { op: 'attempt', address, username } satisfies SharedAttempt);
    return verdict;
  }

  /**
   * Count the attempts and successes other collector nodes see, as if made here: every node then
   * brakes on the cluster's total. Approximate: an attempt made on two nodes within the bus's
   * latency (milliseconds) is counted on neither before it is allowed, so a burst spread over N
   * nodes at once can get up to N × the limit through; a lost message is never replayed.
   */
  shareWith(share: LoginShare): void {
    this.share = share;
    share.on('login', (body) => {
      const event = body as Partial<SharedAttempt>;
      if (typeof event.address !== 'string' || typeof event.username !== 'string') return;
      if (event.op === 'attempt') this.count(event.address, event.username);
      else if (event.op === 'succeeded') this.forgive(event.address, event.username);
    });
  }

  private count(address: string, username: string): LoginVerdict {
    const now = this.now();
    const pair = pairKey(address, username);
    const { perAddress, perUsername, perClient } = this.limits;
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
    const client = clientKey(address);
    const clientTokens = this.clientBuckets.tokens(client, now);
    const tokens = this.usernameBuckets.tokens(username, now);
    if (!trusted) {
      const refused =
        emptyBucket(
          'client',
          clientTokens,
          perClient,
          (wait) => `too many failed logins from your address, for any username; try again in ${wait}.`,
        ) ??
        emptyBucket(
          'username',
          tokens,
          perUsername,
          (wait) =>
            `too many failed logins for this username from many addresses, so logins to it are slowed down to one every ${waitText(perUsername.refillMs)}; try again in ${wait}.`,
        );
      if (refused) return refused;
    }
    if (freshWindow)
      makeRoom(
        this.addressFailures,
        this.limits.maxTracked,
        (entry) => now - entry.since >= perAddress.windowMs,
        (entry) => -entry.count,
      );
    this.addressFailures.set(pair, { count: freshWindow ? 1 : seen.count + 1, since: freshWindow ? now : seen.since });
    // A trusted address spends no tokens: its typos must not slow down logins from elsewhere.
    if (!trusted) {
      this.usernameBuckets.take(username, tokens, now);
      this.clientBuckets.take(client, clientTokens, now);
    }
    return { allowed: true };
  }

  /**
   * The password was right: forget this address's failures, give back the token this attempt
   * took, and trust the address for the account. Only that one token: refilling the bucket would
   * hand an attacker a fresh burst each time the real user logs in.
   */
  succeeded(address: string, username: string): void {
    this.forgive(address, username);
    this.share?.publish('login', { op: 'succeeded', address, username } satisfies SharedAttempt);
  }

  private forgive(address: string, username: string): void {
    const now = this.now();
    const pair = pairKey(address, username);
    this.addressFailures.delete(pair);
    if (!this.isTrusted(pair, now)) {
      this.usernameBuckets.giveBack(username, now);
      this.clientBuckets.giveBack(clientKey(address), now);
    }
    this.trusted.delete(pair); // re-inserted last: the map's order is its eviction order
    if (this.trusted.size >= this.limits.maxTracked) this.trusted.delete(this.trusted.keys().next().value as string);
    this.trusted.set(pair, now + this.limits.trustedAddressMs);
  }

  private isTrusted(pair: string, now: number): boolean {
    const until = this.trusted.get(pair);
    return until !== undefined && until > now;
  }
}

/** One token bucket per key (a username, a client), all under the same limit. */
class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: { burst: number; refillMs: number },
    private readonly maxTracked: number,
  ) {}

  /** The tokens `key` has now: a key not seen yet has the whole burst. */
  tokens(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    return bucket ? this.refilled(bucket, now) : this.limit.burst;
  }

  /** Spends one of the `tokens` that `tokens(key, now)` gave. */
  take(key: string, tokens: number, now: number): void {
    if (!this.buckets.has(key)) {
      const slack = (bucket: Bucket) => this.refilled(bucket, now);
      makeRoom(this.buckets, this.maxTracked, (bucket) => slack(bucket) >= this.limit.burst, slack);
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
  }

  /** Gives back one token, never above the burst. */
  giveBack(key: string, now: number): void {
    const bucket = this.buckets.get(key);
    if (bucket) this.buckets.set(key, { tokens: Math.min(this.limit.burst, this.refilled(bucket, now) + 1), at: now });
  }

  private refilled(bucket: Bucket, now: number): number {
    return Math.min(this.limit.burst, bucket.tokens + (now - bucket.at) / this.limit.refillMs);
  }
}

/**
 * Keeps a map under `maxTracked` before an insert: first drops entries that are spent (as good
 * as absent), then the one with the highest `slack` (the least throttling left), so that
 * spraying made-up usernames cannot wipe the brake off the account actually under attack.
 */
function makeRoom<T>(
  map: Map<string, T>,
  maxTracked: number,
  isSpent: (entry: T) => boolean,
  slack: (entry: T) => number,
): void {
  if (map.size < maxTracked) return;
  for (const [key, entry] of map) if (isSpent(entry)) map.delete(key);
  if (map.size < maxTracked) return;
  let victim: string | undefined;
  let most = Number.NEGATIVE_INFINITY;
  for (const [key, entry] of map) {
    const value = slack(entry);
    if (value > most) [victim, most] = [key, value];
  }
  if (victim !== undefined) map.delete(victim);
}

/** The refusal when a bucket has no whole token left: the wait is until one has refilled. */
function emptyBucket(
  scope: 'client' | 'username',
  tokens: number,
  limit: { refillMs: number },
  message: (wait: string) => string,
): LoginVerdict | undefined {
  if (tokens >= 1) return undefined;
  const retryAfterMs = Math.ceil((1 - tokens) * limit.refillMs);
  return { allowed: false, scope, retryAfterMs, message: message(waitText(retryAfterMs)) };
}

const pairKey = (address: string, username: string) => `${address}\n${username}`;

/**
 * The unit the per-client budget counts: an IPv4 address (also when IPv4-mapped), or the /64
 * prefix of an IPv6 address.
 */
export function clientKey(address: string): string {
  const plain = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(plain);
  if (mapped) return mapped[1]!;
  if (isIPv6(plain)) return `${expandIpv6(plain).slice(0, 4).join(':')}::/64`;
  return plain;
}

function expandIpv6(address: string): string[] {
  const groups = (part: string) =>
    part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const [head = '', tail] = address.split('::');
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16).toString(16));
}

/** `45 s` or `12 min`, rounded up: never promises less wait than the Retry-After header. */
const waitText = (ms: number) =>
  ms <= 90_000 ? `${Math.max(1, Math.ceil(ms / 1000))} s` : `${Math.ceil(ms / 60_000)} min`;
