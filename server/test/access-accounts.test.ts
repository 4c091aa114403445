import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/access/access-store.js';
import type { AuditEntry } from '../src/audit/audit-log.js';
import { freePort } from '@reprise/test-support/process';
import { ev } from './support/index-events.js';
import {
  callApi,
  ingest,
  startTestCollector,
  toBatches,
  waitForIndexed,
  type ApiCaller,
  type TestCollector,
} from './support/playback-collector.js';

const PASSWORD = 'a long enough password';
const T = Date.now() - 3_600_000;

interface Caller extends ApiCaller {
  /** Sent as X-Forwarded-For (the collector trusts its loopback proxy here). */
  ip?: string;
}

/**
 * Accounts over real HTTP (SQLite index): the login budget per address, the cookie, log out
 * everywhere, password change, user deletion without username enumeration, token expiry, and
 * the audit of every read.
 */
describe('accounts, logins and tokens', () => {
  let env: TestCollector;

  const call = (
    caller: Caller | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => callApi(env.url, caller, method, path, body, { 'x-forwarded-for': caller?.ip ?? '192.0.2.250', ...headers });
  const login = async (username: string, password = PASSWORD, ip = '192.0.2.250'): Promise<Caller> => {
    const response = await call({ ip }, 'POST', '/v1/auth/login', { username, password });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return { cookie: response.headers.get('set-cookie')!.split(';')[0]!, csrf: response.body.csrfToken, ip };
  };
  const auditOf = async (caller: Caller, query: string) =>
    (await call(caller, 'GET', `/v1/audit?${query}`)).body.entries as AuditEntry[];

  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['alpha', 'beta'], { config: { trustProxy: ['loopback'] } });
    const db = env.plugin.index.db;
    await createUser(db, { username: 'root', password: PASSWORD, roles: { '*': 'admin' } });
    await createUser(db, { username: 'alba', password: PASSWORD, roles: { alpha: 'admin' } });
    await createUser(db, { username: 'vera', password: PASSWORD, roles: { alpha: 'viewer' } });
    await createUser(db, { username: 'bea', password: PASSWORD, roles: { beta: 'viewer' } });
    await createUser(db, { username: 'pat', password: PASSWORD, roles: { alpha: 'viewer', beta: 'viewer' } });
    await ingest(
      env.url,
      'alpha',
      toBatches('a-1', [ev.meta(T, 'https://app.test/'), ev.full(T + 1), ev.click(T + 5_000)], 10),
    );
    await waitForIndexed(env.plugin, 'alpha', 'a-1', 3);
  });
  afterAll(() => env?.stop());

  it('brakes one address guessing many usernames (429 + Retry-After), and audits the unknown ones as one row', async () => {
    const before = Date.now();
    const spray = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call({ ip: '203.0.113.9' }, 'POST', '/v1/auth/login', { username: `made-up-${i}`, password: 'wrong password' }),
      ),
    );
    expect(spray.map((r) => r.status)).toEqual(Array<number>(20).fill(401));
    const braked = await call({ ip: '203.0.113.9' }, 'POST', '/v1/auth/login', {
      username: 'root',
      password: PASSWORD,
    });
    expect(braked.status).toBe(429);
    expect(braked.body.message).toMatch(/from your address, for any username/);
    expect(Number(braked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Everyone else logs in as usual.
    const root = await login('root', PASSWORD, '203.0.113.10');
    await env.plugin.sweep();
    const failed = (await auditOf(root, `action=auth.login_failed&from=${before}`)).filter(
      (e) => e.ip === '203.0.113.9',
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({ attempts: 20, unknownUsernames: 20 });
  });

  it('sets a __Host- Secure cookie behind HTTPS, refuses a login it could not keep over plain HTTP, and keeps the bare name for loopback', async () => {
    const local = await call(undefined, 'POST', '/v1/auth/login', { username: 'vera', password: PASSWORD });
    expect(local.headers.get('set-cookie')).toMatch(
      /^reprise_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );

    const plain = await call(
      undefined,
      'POST',
      '/v1/auth/login',
      { username: 'vera', password: PASSWORD },
      { 'x-forwarded-host': 'replay.example.com' },
    );
    expect(plain.status).toBe(400);
    expect(plain.body).toMatchObject({ error: 'https_required' });
    expect(plain.headers.get('set-cookie')).toBeNull();

    const https = { 'x-forwarded-host': 'replay.example.com', 'x-forwarded-proto': 'https' };
    const secure = await call(undefined, 'POST', '/v1/auth/login', { username: 'vera', password: PASSWORD }, https);
    expect(secure.status).toBe(200);
    const cookie = secure.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      /^__Host-reprise_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/,
    );
    expect(cookie).not.toContain('Domain');
    const value = cookie.split(';')[0]!.split('=')[1]!;
    expect(
      (await call({ cookie: `__Host-reprise_session=${value}` }, 'GET', '/v1/auth/me', undefined, https)).status,
    ).toBe(200);
    // The same value under the bare name (as a sibling subdomain could plant it) is ignored there.
    expect((await call({ cookie: `reprise_session=${value}` }, 'GET', '/v1/auth/me', undefined, https)).status).toBe(
      401,
    );
  });

  it('logs out everywhere: every login session of the user ends', async () => {
    const laptop = await login('vera');
    const phone = await login('vera');
    const other = await login('pat');
    const done = await call(laptop, 'POST', '/v1/auth/logout-all');
    expect(done.status).toBe(200);
    expect(done.body.sessions).toBeGreaterThanOrEqual(2);
    expect(done.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    expect((await call(laptop, 'GET', '/v1/auth/me')).status).toBe(401);
    expect((await call(phone, 'GET', '/v1/auth/me')).status).toBe(401);
    expect((await call(other, 'GET', '/v1/auth/me')).status).toBe(200);
    const root = await login('root');
    expect((await auditOf(root, 'action=auth.logout_all'))[0]).toMatchObject({ actor: { name: 'vera' } });
  });

  it('changes a password after checking the current one, and ends the other login sessions', async () => {
    const here = await login('pat');
    const elsewhere = await login('pat');
    const wrong = await call(here, 'POST', '/v1/auth/password', {
      currentPassword: 'not my password',
      newPassword: 'a brand new password',
    });
    expect(wrong.status).toBe(403);
    const weak = await call(here, 'POST', '/v1/auth/password', { currentPassword: PASSWORD, newPassword: 'short' });
    expect(weak.status).toBe(400);
    expect((await call(elsewhere, 'GET', '/v1/auth/me')).status).toBe(200);
    const changed = await call(here, 'POST', '/v1/auth/password', {
      currentPassword: PASSWORD,
      newPassword: 'a brand new password',
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(204);
    expect((await call(here, 'GET', '/v1/auth/me')).status).toBe(200);
    expect((await call(elsewhere, 'GET', '/v1/auth/me')).status).toBe(401);
    expect((await call(undefined, 'POST', '/v1/auth/login', { username: 'pat', password: PASSWORD })).status).toBe(401);
    await login('pat', 'a brand new password');
    // Without the CSRF token a cookie cannot change it.
    expect(
      (
        await call({ cookie: here.cookie }, 'POST', '/v1/auth/password', {
          currentPassword: 'a brand new password',
          newPassword: 'yet another password',
        })
      ).status,
    ).toBe(403);
  });

  it('upgrades a hash made at a lower cost at the next login', async () => {
    const db = env.plugin.index.db;
    await createUser(db, { username: 'olga', password: PASSWORD, roles: { alpha: 'viewer' } });
    // As a hash from before the cost was raised: N=2^12.
    const { hashPassword, setScryptParams } = await import('../src/access/passwords.js');
    setScryptParams({ N: 2 ** 12, r: 8, p: 1 });
    const old = await hashPassword(PASSWORD);
    setScryptParams({ N: 2 ** 14, r: 8, p: 1 });
    await db.updateTable('users').set({ password_hash: old }).where('username', '=', 'olga').execute();
    await login('olga');
    const stored = await db
      .selectFrom('users')
      .select('password_hash')
      .where('username', '=', 'olga')
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    await login('olga');
  });

  it('lists users to project admins with the roles they may see, and audits the read', async () => {
    const alba = await login('alba');
    const listed = await call(alba, 'GET', '/v1/users');
    expect(listed.status).toBe(200);
    const byName = Object.fromEntries(
      (listed.body.users as { username: string; roles: object }[]).map((u) => [u.username, u.roles]),
    );
    expect(byName.pat).toEqual({ alpha: 'viewer' });
    expect(byName.root).toEqual({ '*': 'admin' });
    expect(byName.bea).toBeUndefined();
    expect((await call(await login('vera'), 'GET', '/v1/users')).status).toBe(403);
    expect((await auditOf(alba, 'project=alpha&action=user.list'))[0]).toMatchObject({
      actor: { name: 'alba' },
      project: 'alpha',
    });
  });

  it("deletes users, with the same 404 for a user who does not exist and one outside the caller's projects", async () => {
    const alba = await login('alba');
    const hidden = await call(alba, 'DELETE', '/v1/users/bea');
    const missing = await call(alba, 'DELETE', '/v1/users/ghost');
    expect([hidden.status, missing.status]).toEqual([404, 404]);
    expect(hidden.body.message.replace('bea', 'X')).toBe(missing.body.message.replace('ghost', 'X'));
    const roleHidden = await call(alba, 'PUT', '/v1/users/bea/roles/alpha', { role: 'viewer' });
    const roleMissing = await call(alba, 'PUT', '/v1/users/ghost/roles/alpha', { role: 'viewer' });
    expect([roleHidden.status, roleMissing.status]).toEqual([404, 404]);
    expect(roleHidden.body.message.replace('bea', 'X')).toBe(roleMissing.body.message.replace('ghost', 'X'));
    // pat also works on beta, which alba does not administer.
    expect((await call(alba, 'DELETE', '/v1/users/pat')).status).toBe(403);
    expect((await call(alba, 'DELETE', '/v1/users/root')).status).toBe(403);
    await createUser(env.plugin.index.db, { username: 'temp', password: PASSWORD, roles: { alpha: 'viewer' } });
    const temp = await login('temp');
    expect((await call(alba, 'DELETE', '/v1/users/temp')).status).toBe(204);
    expect((await call(temp, 'GET', '/v1/auth/me')).status).toBe(401);
    expect((await call(undefined, 'POST', '/v1/auth/login', { username: 'temp', password: PASSWORD })).status).toBe(
      401,
    );
    expect((await auditOf(alba, 'project=alpha&action=user.delete'))[0]).toMatchObject({
      actor: { name: 'alba' },
      detail: { user: 'temp' },
    });

    // Nobody deletes themselves, so an admin of every project always remains.
    const root = await login('root');
    expect((await call(root, 'DELETE', '/v1/users/root')).status).toBe(400);
    await createUser(env.plugin.index.db, { username: 'root2', password: PASSWORD, roles: { '*': 'admin' } });
    expect((await call(await login('root2'), 'DELETE', '/v1/users/root')).status).toBe(204);
    expect((await call(undefined, 'POST', '/v1/auth/login', { username: 'root', password: PASSWORD })).status).toBe(
      401,
    );
    await createUser(env.plugin.index.db, { username: 'root', password: PASSWORD, roles: { '*': 'admin' } });
  });

  it('answers a project admin creating a taken username the same way whoever holds it, brakes it, and tells the all-projects admins', async () => {
    const alba = await login('alba');
    const taken = await call(alba, 'POST', '/v1/users', {
      username: 'bea',
      password: PASSWORD,
      roles: { alpha: 'viewer' },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.message).toContain('cannot be used; pick another');
    const root = await login('root');
    expect((await auditOf(root, 'action=user.create_refused'))[0]).toMatchObject({
      actor: { name: 'alba' },
      project: null,
      detail: { user: 'bea' },
    });
    for (let i = 1; i < 10; i++)
      expect(
        (await call(alba, 'POST', '/v1/users', { username: 'bea', password: PASSWORD, roles: { alpha: 'viewer' } }))
          .status,
      ).toBe(409);
    const braked = await call(alba, 'POST', '/v1/users', {
      username: 'vera',
      password: PASSWORD,
      roles: { alpha: 'viewer' },
    });
    expect(braked.status).toBe(429);
    // An all-projects admin sees every user anyway, and is not braked.
    expect(
      (await call(root, 'POST', '/v1/users', { username: 'bea', password: PASSWORD, roles: { alpha: 'viewer' } }))
        .status,
    ).toBe(409);
  });

  it('gives API tokens an expiry chosen at creation, at most the maximum, and audits the token list per project', async () => {
    const alba = await login('alba');
    const tooLong = await call(alba, 'POST', '/v1/tokens', {
      name: 'ci',
      project: 'alpha',
      operations: ['read'],
      expiresInDays: 400,
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toMatch(/at most 365/);
    const before = Date.now();
    const made = await call(alba, 'POST', '/v1/tokens', {
      name: 'ci',
      project: 'alpha',
      operations: ['read'],
      expiresInDays: 7,
    });
    expect(made.status).toBe(201);
    expect(made.body.expiresAt).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
    expect(made.body.expiresAt).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000);
    const listed = await call(alba, 'GET', '/v1/tokens');
    expect(listed.body.tokens.find((t: { id: string }) => t.id === made.body.id)).toMatchObject({
      expiresAt: made.body.expiresAt,
      revokedAt: null,
    });
    expect((await auditOf(alba, 'project=alpha&action=token.list'))[0]).toMatchObject({
      actor: { name: 'alba' },
      project: 'alpha',
    });
    // An expired token is refused like a revoked one.
    await env.plugin.index.db
      .updateTable('api_tokens')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', made.body.id)
      .execute();
    const expired = await call({ token: made.body.token }, 'GET', '/v1/sessions');
    expect(expired.status).toBe(401);
    expect(expired.body.message).toMatch(/expired/);
  });

  it("logs a search over several projects once per project, so each project's admins see it", async () => {
    const before = Date.now();
    const viewer = await login('bea');
    const both = await call(await login('root'), 'PUT', '/v1/users/bea/roles/alpha', { role: 'viewer' });
    expect(both.status).toBe(200);
    expect((await call(viewer, 'GET', '/v1/sessions')).status).toBe(200);
    const alba = await login('alba');
    const seen = await auditOf(alba, `project=alpha&action=session.search&from=${before}`);
    expect(seen).toEqual([
      expect.objectContaining({ actor: expect.objectContaining({ name: 'bea' }), project: 'alpha' }),
    ]);
    const root = await login('root');
    const rows = await auditOf(root, `action=session.search&from=${before}`);
    expect(rows.map((r) => r.project).sort()).toEqual(['alpha', 'beta']);
    // Over every project (a `*` role), once per project it found sessions in.
    await call(root, 'GET', '/v1/sessions');
    const mine = (await auditOf(root, `action=session.search&actor=root&from=${before}`)).map((r) => r.project);
    expect(mine).toEqual(['alpha']);
  });
});

describe('/healthz, /readyz and /metrics', () => {
  it('keeps details and metrics behind a token, or on a separate port', async () => {
    const metricsPort = await freePort();
    const env = await startTestCollector('sqlite', ['alpha'], {
      config: { metricsToken: 'a-metrics-token-of-some-length', metricsPort },
    });
    try {
      const health = await fetch(`${env.url}/healthz`);
      expect(await health.json()).toEqual({ ok: true });
      expect(await (await fetch(`${env.url}/readyz`)).json()).toEqual({ ready: true });
      const auth = { authorization: 'Bearer a-metrics-token-of-some-length' };
      const detailed = (await (await fetch(`${env.url}/readyz`, { headers: auth })).json()) as Record<string, unknown>;
      expect(detailed).toMatchObject({ ready: true, lag: 0 });
      expect(String(detailed.store)).toContain(env.dataDir);
      expect((await fetch(`${env.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${env.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const metrics = await fetch(`${env.url}/metrics`, { headers: auth });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('reprise_ingest_batches_total');
      // The metrics port asks for nothing; it is bound to 127.0.0.1 (REPRISE_METRICS_HOST).
      const open = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(open.status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).json()).toMatchObject({
        ready: true,
        lag: 0,
      });
    } finally {
      await env.stop();
    }
    const bare = await startTestCollector('sqlite', ['alpha']);
    try {
      const off = await fetch(`${bare.url}/metrics`);
      expect(off.status).toBe(404);
      expect(((await off.json()) as { message: string }).message).toMatch(/REPRISE_METRICS_TOKEN/);
      expect(await (await fetch(`${bare.url}/readyz`)).json()).toEqual({ ready: true });
    } finally {
      await bare.stop();
    }
  });
});
