import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiToken,
  createLoginSession,
  createUser,
  findLoginSession,
  verifyApiToken,
} from '../src/access/access-store.js';
import { FailedLoginLog, pruneFailedLogins } from '../src/access/failed-logins.js';
import { clientKey, LoginThrottle } from '../src/access/login-throttle.js';
import {
  DEFAULT_HASH_CONCURRENCY,
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  needsRehash,
  passwordHashLimiter,
  setPasswordHashConcurrency,
  setScryptParams,
  verifyPassword,
} from '../src/access/passwords.js';
import { recordAudit } from '../src/audit/audit-log.js';
import type { IndexDatabase } from '../src/index-db/database.js';
import { ENGINES, openTestIndex } from './support/index-db.js';

const TEST_COST = { N: 2 ** 14, r: 8, p: 1 };
const DAY = 86_400_000;

describe('login budget per client address, across usernames', () => {
  const limits = {
    perAddress: { failures: 3, windowMs: 60_000 },
    perUsername: { burst: 5, refillMs: 10_000 },
    perClient: { burst: 4, refillMs: 5_000 },
  };
  const clock = () => {
    const state = { now: 1_000_000 };
    return { state, now: () => state.now };
  };

  it('brakes one address spraying many usernames, and lets it go on at one guess per refill', () => {
    const { state, now } = clock();
    const throttle = new LoginThrottle(limits, now);
    for (let i = 0; i < 4; i++) expect(throttle.attempt('203.0.113.7', `user-${i}`)).toEqual({ allowed: true });
    const blocked = throttle.attempt('203.0.113.7', 'user-99');
    expect(blocked).toMatchObject({ allowed: false, scope: 'client', retryAfterMs: 5_000 });
    expect(blocked.allowed === false && blocked.message).toMatch(
      /from your address, for any username; try again in 5 s\./,
    );
    // Another address is not affected.
    expect(throttle.attempt('203.0.113.8', 'user-99')).toEqual({ allowed: true });
    state.now += 5_000;
    expect(throttle.attempt('203.0.113.7', 'user-100')).toEqual({ allowed: true });
    expect(throttle.attempt('203.0.113.7', 'user-101')).toMatchObject({ allowed: false, scope: 'client' });
  });

  it('gives a success its token back and never brakes an address that logged in to that account', () => {
    const { now } = clock();
    const throttle = new LoginThrottle(limits, now);
    expect(throttle.attempt('192.0.2.10', 'ann').allowed).toBe(true);
    throttle.succeeded('192.0.2.10', 'ann');
    // The office's other users (same NAT address) still have the whole budget.
    for (let i = 0; i < 4; i++) expect(throttle.attempt('192.0.2.10', `colleague-${i}`).allowed).toBe(true);
    expect(throttle.attempt('192.0.2.10', 'colleague-9')).toMatchObject({ allowed: false, scope: 'client' });
    expect(throttle.attempt('192.0.2.10', 'ann')).toEqual({ allowed: true });
  });

  it('counts IPv6 addresses per /64, and IPv4-mapped addresses as IPv4', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('::ffff:198.51.100.4')).toBe('198.51.100.4');
    expect(clientKey('198.51.100.4')).toBe('198.51.100.4');
    const { now } = clock();
    const throttle = new LoginThrottle(limits, now);
    for (let i = 0; i < 4; i++) expect(throttle.attempt(`2001:db8:1:2::${i + 1}`, `user-${i}`).allowed).toBe(true);
    expect(throttle.attempt('2001:db8:1:2:ffff::9', 'user-9')).toMatchObject({ allowed: false, scope: 'client' });
    expect(throttle.attempt('2001:db8:1:3::1', 'user-9')).toEqual({ allowed: true });
  });
});

describe('password hashing', () => {
  afterEach(() => {
    setScryptParams(TEST_COST);
    setPasswordHashConcurrency(DEFAULT_HASH_CONCURRENCY);
  });

  it('runs at most the configured number of hashes at once, and refuses with a 503 past the waiting line', async () => {
    const limiter = setPasswordHashConcurrency(2, 16);
    const hashes = await Promise.all(Array.from({ length: 8 }, (_, i) => hashPassword(`password number ${i}`)));
    expect(new Set(hashes).size).toBe(8);
    expect(limiter.peak).toBe(2);
    expect(await verifyPassword('password number 3', hashes[3]!)).toBe(true);

    const tight = setPasswordHashConcurrency(1, 1);
    const first = hashPassword('first in line');
    const second = hashPassword('second, waiting');
    await expect(hashPassword('third, refused')).rejects.toMatchObject({ status: 503, code: 'busy' });
    await Promise.all([first, second]);
    expect(tight.peak).toBe(1);
    expect(passwordHashLimiter()).toBe(tight);
  });

  it('hashes new passwords at N=2^17 by default and marks lower-cost hashes for an upgrade', async () => {
    const cheap = await hashPassword('a long enough password');
    setScryptParams(DEFAULT_SCRYPT_PARAMS);
    expect(needsRehash(cheap)).toBe(true);
    // The real cost, with the maxmem it needs (128 MiB), on whatever Node runs this.
    const strong = await hashPassword('a long enough password');
    expect(strong).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(needsRehash(strong)).toBe(false);
    expect(await verifyPassword('a long enough password', strong)).toBe(true);
    expect(await verifyPassword('a long enough password', cheap)).toBe(true);
    // A stored hash asking for absurd memory is refused, not run.
    expect(await verifyPassword('x', `scrypt$${2 ** 24}$8$1$AAAA$AAAA`)).toBe(false);
  });
});

describe.each(ENGINES)('login sessions, tokens and failed-login rows (%s index)', (engine) => {
  let index: IndexDatabase;
  beforeAll(async () => {
    index = await openTestIndex(engine);
  });
  afterAll(() => index?.close());

  it('ends a login session after the idle timeout; each request pushes the timeout back', async () => {
    const user = await createUser(index.db, {
      username: `idle-${engine}`,
      password: 'a long enough password',
      roles: { a: 'viewer' },
    });
    const t0 = Date.now();
    const { cookieValue } = await createLoginSession(index.db, user.id, t0);
    const idleMs = 30 * 60_000;
    expect(await findLoginSession(index.db, cookieValue, { idleMs, now: t0 + 29 * 60_000 })).toBeDefined();
    // 29 minutes after that request: still within the idle timeout of the last request.
    expect(await findLoginSession(index.db, cookieValue, { idleMs, now: t0 + 58 * 60_000 })).toBeDefined();
    expect(await findLoginSession(index.db, cookieValue, { idleMs, now: t0 + 58 * 60_000 + idleMs })).toBeUndefined();
    // Gone for good, even if asked with an earlier clock.
    expect(await findLoginSession(index.db, cookieValue, { idleMs, now: t0 + 60_000 })).toBeUndefined();
  });

  it('gives every API token an expiry, at most the maximum lifetime', async () => {
    const now = Date.now();
    const made = await createApiToken(index.db, { name: 'ci', project: 'a', operations: ['read'], createdBy: null });
    expect(made.expiresAt).toBeGreaterThanOrEqual(now + 90 * DAY);
    expect(made.expiresAt).toBeLessThan(now + 91 * DAY);
    const short = await createApiToken(
      index.db,
      { name: 'short', project: 'a', operations: ['read'], createdBy: null, lifetimeMs: DAY },
      now,
    );
    expect(await verifyApiToken(index.db, short.token, now + DAY - 1)).toMatchObject({
      id: short.id,
      expiresAt: now + DAY,
    });
    expect(await verifyApiToken(index.db, short.token, now + DAY)).toBeUndefined();
    await expect(
      createApiToken(index.db, {
        name: 'long',
        project: 'a',
        operations: ['read'],
        createdBy: null,
        lifetimeMs: 400 * DAY,
        maxLifetimeMs: 365 * DAY,
      }),
    ).rejects.toMatchObject({ status: 400, code: 'bad_expiry' });
    await expect(
      createApiToken(index.db, { name: 'zero', project: 'a', operations: ['read'], createdBy: null, lifetimeMs: 0 }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('audits failed logins for unknown usernames as one row per address, and prunes only failed-login rows', async () => {
    const log = new FailedLoginLog(index.db);
    const before = Date.now();
    for (let i = 0; i < 25; i++) log.record({ ip: '203.0.113.50', userAgent: 'spray', username: `made-up-${i % 20}` });
    log.record({ ip: '203.0.113.51', userAgent: null, username: 'admin' });
    const countRows = async () =>
      Number(
        (
          await index.db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('action', '=', 'auth.login_failed')
            .where('at', '>=', before)
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await countRows()).toBe(0);
    await log.flush();
    const rows = await index.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'auth.login_failed')
      .where('at', '>=', before)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.ip, JSON.parse(r.detail!).attempts, JSON.parse(r.detail!).unknownUsernames])).toEqual([
      ['203.0.113.50', 25, 20],
      ['203.0.113.51', 1, 1],
    ]);
    // No username is stored: people type passwords into that field.
    expect(rows.every((r) => r.actor_name === '' && !r.detail!.includes('made-up'))).toBe(true);
    await log.flush();
    expect(await countRows()).toBe(2);

    const old = Date.now() - 40 * DAY;
    await recordAudit(index.db, { actor: { type: 'user', id: '', name: 'x' }, action: 'auth.login_failed', at: old });
    await recordAudit(index.db, { actor: { type: 'user', id: '1', name: 'x' }, action: 'auth.login', at: old });
    expect(await pruneFailedLogins(index.db, 30 * DAY)).toBe(1);
    expect(await countRows()).toBe(2);
    const kept = await index.db.selectFrom('audit_log').select('action').where('at', '=', old).execute();
    expect(kept.map((r) => r.action)).toEqual(['auth.login']);
    // Every other row is still append-only in the database itself.
    await expect(sql`DELETE FROM audit_log WHERE action = 'auth.login'`.execute(index.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(
      sql`UPDATE audit_log SET actor_name = 'y' WHERE action = 'auth.login_failed'`.execute(index.db),
    ).rejects.toThrow(/append-only/);
  });
});
