import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeSetup, createApiToken, issueSetupToken, verifyApiToken } from '../src/access/access-store.js';
import { parseCookies, sessionCookie } from '../src/access/middleware.js';
import { hashPassword, verifyPassword } from '../src/access/passwords.js';
import { LoginThrottle } from '../src/access/login-throttle.js';
import {
  assertMayChangeRole,
  can,
  effectiveRole,
  hasAnyAccess,
  projectsWith,
  type Principal,
} from '../src/access/principal.js';
import type { IndexDatabase } from '../src/index-db/database.js';
import { openTestIndex } from './support/index-db.js';

const user = (roles: Record<string, 'admin' | 'viewer'>): Principal => ({
  kind: 'user',
  user: { id: 1, username: 'u', roles: new Map(Object.entries(roles)) },
  csrfToken: 'c',
});

describe('access rules', () => {
  let index: IndexDatabase;
  beforeAll(async () => {
    index = await openTestIndex('sqlite');
  });
  afterAll(() => index?.close());

  it('grants by role per project: viewers read, admins also delete and administer, `*` covers every project', () => {
    const viewer = user({ a: 'viewer' });
    expect([
      can(viewer, 'read', 'a'),
      can(viewer, 'delete', 'a'),
      can(viewer, 'admin', 'a'),
      can(viewer, 'read', 'b'),
    ]).toEqual([true, false, false, false]);
    const admin = user({ a: 'admin', b: 'viewer' });
    expect([can(admin, 'delete', 'a'), can(admin, 'delete', 'b'), can(admin, 'read', 'b')]).toEqual([
      true,
      false,
      true,
    ]);
    expect(projectsWith(admin, 'delete')).toEqual(['a']);
    const root = user({ '*': 'admin' });
    expect([can(root, 'admin', 'anything'), projectsWith(root, 'read')]).toEqual([true, 'all']);
    const everywhereViewer = user({ '*': 'viewer' });
    expect([projectsWith(everywhereViewer, 'read'), projectsWith(everywhereViewer, 'delete')]).toEqual(['all', []]);
  });

  it('scopes a token to its project and operations, never admin', async () => {
    const { token } = await createApiToken(index.db, {
      name: 't',
      project: 'a',
      operations: ['delete'],
      createdBy: null,
    });
    const identity = (await verifyApiToken(index.db, token))!;
    const principal: Principal = { kind: 'token', token: identity };
    expect([
      can(principal, 'delete', 'a'),
      can(principal, 'read', 'a'),
      can(principal, 'delete', 'b'),
      can(principal, 'admin', 'a'),
    ]).toEqual([true, false, false, false]);
    expect(await verifyApiToken(index.db, token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
    await expect(
      createApiToken(index.db, { name: 't', project: '*', operations: ['read'], createdBy: null }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('voids an older setup link when a new one is printed', async () => {
    const first = await issueSetupToken(index.db);
    const second = await issueSetupToken(index.db);
    await expect(
      completeSetup(index.db, { token: first, username: 'a', password: 'twelve chars!' }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      completeSetup(index.db, { token: second, username: 'a', password: 'twelve chars!' }),
    ).resolves.toMatchObject({ username: 'a' });
    // Once a user exists, even a fresh link cannot create another admin.
    const third = await issueSetupToken(index.db);
    await expect(
      completeSetup(index.db, { token: third, username: 'b', password: 'twelve chars!' }),
    ).rejects.toMatchObject({ status: 403 });
  });

  it('hashes passwords with a salted scrypt and checks them', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('x', 'plain')).toBe(false);
  });

  it('names the session cookie __Host- and marks it Secure, except over plain HTTP to a loopback host; always HttpOnly and SameSite', () => {
    const req = (secure: boolean, hostname: string) => ({ secure, hostname }) as Request;
    expect(sessionCookie(req(true, 'replay.example.com'), 'v', 60_000)).toBe(
      '__Host-reprise_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure',
    );
    // Plain HTTP to a real host still gets Secure (the login itself is refused there).
    expect(sessionCookie(req(false, 'replay.example.com'), 'v', 60_000)).toBe(
      '__Host-reprise_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure',
    );
    for (const loopback of ['127.0.0.1', 'localhost', 'admin.localhost', '[::1]']) {
      expect(sessionCookie(req(false, loopback), 'v', 60_000)).toBe(
        'reprise_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60',
      );
    }
    expect(sessionCookie(req(true, '127.0.0.1'), 'v', 60_000)).toMatch(/^__Host-reprise_session=v; .*; Secure$/);
    expect(parseCookies('a=1; reprise_session=abc%3D; a=2; bad')).toEqual(
      new Map([
        ['a', '1'],
        ['reprise_session', 'abc='],
      ]),
    );
  });

  it('takes the higher of a project role and the `*` role, the same in every check', () => {
    const rootAlsoViewer = user({ '*': 'admin', a: 'viewer' });
    expect(effectiveRole((rootAlsoViewer as { user: { roles: Map<string, 'admin' | 'viewer'> } }).user, 'a')).toBe(
      'admin',
    );
    // `can` and `projectsWith` agree: the explicit viewer role does not take `a` away from a `*` admin.
    expect([
      can(rootAlsoViewer, 'delete', 'a'),
      can(rootAlsoViewer, 'admin', 'a'),
      can(rootAlsoViewer, 'delete', 'b'),
    ]).toEqual([true, true, true]);
    expect([projectsWith(rootAlsoViewer, 'delete'), projectsWith(rootAlsoViewer, 'admin')]).toEqual(['all', 'all']);
    // And the other way round: a `*` viewer who administers one project.
    const viewerAlsoAdmin = user({ '*': 'viewer', a: 'admin' });
    expect([
      can(viewerAlsoAdmin, 'delete', 'a'),
      can(viewerAlsoAdmin, 'delete', 'b'),
      can(viewerAlsoAdmin, 'read', 'b'),
    ]).toEqual([true, false, true]);
    expect([projectsWith(viewerAlsoAdmin, 'delete'), projectsWith(viewerAlsoAdmin, 'read')]).toEqual([['a'], 'all']);
    // `*` itself is never listed as a project.
    expect(projectsWith(user({ '*': 'viewer', b: 'admin' }), 'admin')).toEqual(['b']);
  });

  it('lets a project admin change roles of viewers and fellow admins of the project, never of an all-projects admin', () => {
    const alphaAdmin = user({ alpha: 'admin' });
    const root = user({ '*': 'admin' });
    const target = (roles: Record<string, 'admin' | 'viewer'>) => ({
      username: 't',
      roles: new Map(Object.entries(roles)),
    });
    expect(() => assertMayChangeRole(alphaAdmin, target({ alpha: 'viewer' }), 'alpha')).not.toThrow();
    expect(() => assertMayChangeRole(alphaAdmin, target({ alpha: 'admin', beta: 'admin' }), 'alpha')).not.toThrow();
    expect(() => assertMayChangeRole(alphaAdmin, target({ '*': 'viewer' }), 'alpha')).not.toThrow();
    expect(() => assertMayChangeRole(alphaAdmin, target({ '*': 'admin' }), 'alpha')).toThrow(
      /only an admin of every project/,
    );
    expect(() => assertMayChangeRole(alphaAdmin, target({ '*': 'admin', alpha: 'viewer' }), 'alpha')).toThrow(
      /only an admin of every project/,
    );
    expect(() => assertMayChangeRole(alphaAdmin, target({}), 'beta')).toThrow(/no admin access to project "beta"/);
    expect(() => assertMayChangeRole(alphaAdmin, target({}), '*')).toThrow(/no admin access/);
    expect(() => assertMayChangeRole(root, target({ '*': 'admin' }), 'alpha')).not.toThrow();
  });

  it('counts a delete-only token as having access to its project (for the 404-vs-403 rule), not to others', async () => {
    const { token } = await createApiToken(index.db, {
      name: 'eraser',
      project: 'a',
      operations: ['delete'],
      createdBy: null,
    });
    const principal: Principal = { kind: 'token', token: (await verifyApiToken(index.db, token))! };
    expect([hasAnyAccess(principal, 'a'), hasAnyAccess(principal, 'b'), can(principal, 'read', 'a')]).toEqual([
      true,
      false,
      false,
    ]);
    expect([hasAnyAccess(user({ '*': 'viewer' }), 'z'), hasAnyAccess(user({ a: 'viewer' }), 'z')]).toEqual([
      true,
      false,
    ]);
  });
});

describe('login throttle', () => {
  const limits = { perAddress: { failures: 3, windowMs: 60_000 }, perUsername: { burst: 5, refillMs: 10_000 } };
  const clock = () => {
    const state = { now: 1_000_000 };
    return { state, now: () => state.now };
  };

  it('slows down guessing of one username spread over many addresses, for at most one refill interval at a time', () => {
    const { state, now } = clock();
    const throttle = new LoginThrottle(limits, now);
    for (let i = 0; i < 5; i++) expect(throttle.attempt(`198.51.100.${i}`, 'root')).toEqual({ allowed: true });
    const blocked = throttle.attempt('198.51.100.99', 'root');
    expect(blocked).toMatchObject({ allowed: false, scope: 'username', retryAfterMs: 10_000 });
    expect(blocked.allowed === false && blocked.message).toMatch(/slowed down to one every 10 s; try again in 10 s\./);
    // Other accounts are not affected.
    expect(throttle.attempt('198.51.100.99', 'someone-else')).toEqual({ allowed: true });
    state.now += 4_000;
    expect(throttle.attempt('198.51.100.100', 'root')).toMatchObject({ allowed: false, retryAfterMs: 6_000 });
    state.now += 6_000;
    // One guess per refill interval: never a permanent lock.
    expect(throttle.attempt('198.51.100.100', 'root')).toEqual({ allowed: true });
    expect(throttle.attempt('198.51.100.101', 'root')).toMatchObject({ allowed: false, scope: 'username' });
  });

  it('lets an address that logged in before through while the username is under attack', () => {
    const { now } = clock();
    const throttle = new LoginThrottle(limits, now);
    expect(throttle.attempt('192.0.2.1', 'root')).toEqual({ allowed: true });
    throttle.succeeded('192.0.2.1', 'root');
    for (let i = 0; i < 5; i++) throttle.attempt(`198.51.100.${i}`, 'root');
    expect(throttle.attempt('198.51.100.200', 'root')).toMatchObject({ allowed: false, scope: 'username' });
    expect(throttle.attempt('192.0.2.1', 'root')).toEqual({ allowed: true });
    throttle.succeeded('192.0.2.1', 'root');
    // The trusted address's own attempts spent no tokens, and the real user's success gave no attacker a fresh burst.
    expect(throttle.attempt('198.51.100.201', 'root')).toMatchObject({ allowed: false, scope: 'username' });
  });

  it('keeps the per-address limit, and counts an attempt before its password is checked', () => {
    const { state, now } = clock();
    const throttle = new LoginThrottle(limits, now);
    // Three attempts in flight at once (their passwords still being hashed) use up the address's allowance.
    for (let i = 0; i < 3; i++) expect(throttle.attempt('203.0.113.9', 'ann').allowed).toBe(true);
    expect(throttle.attempt('203.0.113.9', 'ann')).toMatchObject({
      allowed: false,
      scope: 'address',
      retryAfterMs: 60_000,
    });
    state.now += 60_000;
    expect(throttle.attempt('203.0.113.9', 'ann')).toEqual({ allowed: true });
    throttle.succeeded('203.0.113.9', 'ann');
    expect(throttle.attempt('203.0.113.9', 'ann')).toEqual({ allowed: true });
  });

  it('gives a successful attempt its token back', () => {
    const { now } = clock();
    const throttle = new LoginThrottle(limits, now);
    expect(throttle.attempt('203.0.113.9', 'ann').allowed).toBe(true);
    throttle.succeeded('203.0.113.9', 'ann');
    // The whole burst of 5 is still there for other addresses.
    for (let i = 0; i < 5; i++) expect(throttle.attempt(`198.51.100.${i}`, 'ann').allowed).toBe(true);
    expect(throttle.attempt('198.51.100.9', 'ann')).toMatchObject({ allowed: false, scope: 'username' });
  });

  it('stays bounded in memory without letting a spray of made-up usernames reset the account under attack', () => {
    const { now } = clock();
    const throttle = new LoginThrottle({ ...limits, maxTracked: 50 }, now);
    for (let i = 0; i < 5; i++) throttle.attempt(`198.51.100.${i}`, 'root');
    for (let i = 0; i < 500; i++) throttle.attempt(`198.51.${100 + (i % 100)}.250`, `made-up-${i}`);
    expect(throttle.attempt('198.51.100.251', 'root')).toMatchObject({ allowed: false, scope: 'username' });
  });
});
