import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createUser } from '../src/access/access-store.js';
import {
  callApi,
  identifiedVisit,
  ingestIndexed,
  startTestCollector,
  type ApiCaller,
  type TestCollector,
} from './support/playback-collector.js';

const T = Date.now() - 3_600_000;
const session = identifiedVisit;
const PASSWORD = 'a long enough password';

interface Caller extends ApiCaller {
  /** Sent as X-Forwarded-For (the collector trusts its loopback proxy here). */
  ip?: string;
}

/**
 * The access rules over real HTTP (SQLite index): delete-only tokens, a `*` admin with a lower
 * explicit role, who may change whose roles, and the login brakes.
 */
describe('access rules', () => {
  let env: TestCollector;

  const call = (caller: Caller | undefined, method: string, path: string, body?: unknown) =>
    callApi(env.url, caller, method, path, body, { 'x-forwarded-for': caller?.ip ?? '192.0.2.250' });
  const login = async (username: string, ip = '192.0.2.250'): Promise<Caller> => {
    const response = await call({ ip }, 'POST', '/v1/auth/login', { username, password: PASSWORD });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return { cookie: response.headers.get('set-cookie')!.split(';')[0]!, csrf: response.body.csrfToken, ip };
  };
  const roleOf = async (username: string, project: string) => {
    const row = await env.plugin.index.db
      .selectFrom('user_roles as r')
      .innerJoin('users as u', 'u.id', 'r.user_id')
      .select('r.role')
      .where('u.username', '=', username)
      .where('r.project', '=', project)
      .executeTakeFirst();
    return row?.role ?? null;
  };

  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['alpha', 'beta'], {
      config: { trustProxy: ['loopback'] },
      // A 6 s refill: slow enough that a loaded machine hashing the guesses one by one does not earn a token back before the check.
      plugin: {
        loginLimits: { perAddress: { failures: 3, windowMs: 60_000 }, perUsername: { burst: 4, refillMs: 6_000 } },
      },
    });
    const db = env.plugin.index.db;
    await createUser(db, { username: 'root', password: PASSWORD, roles: { '*': 'admin' } });
    // An all-projects admin who was also given a viewer role on alpha (e.g. before being promoted).
    await createUser(db, { username: 'ria', password: PASSWORD, roles: { '*': 'admin', alpha: 'viewer' } });
    await createUser(db, { username: 'alba', password: PASSWORD, roles: { alpha: 'admin' } });
    await createUser(db, { username: 'vera', password: PASSWORD, roles: { alpha: 'viewer' } });
    await createUser(db, { username: 'ann', password: PASSWORD, roles: { alpha: 'viewer' } });
    await createUser(db, { username: 'bob', password: PASSWORD, roles: { alpha: 'viewer' } });
    await ingestIndexed(env, 'alpha', [
      ...session('a-1', T, 'ann'),
      ...session('a-2', T + 60_000, 'ann'),
      ...session('a-3', T + 120_000, 'cat'),
    ]);
    await ingestIndexed(env, 'beta', [...session('b-1', T, 'ann')]);
  });
  afterAll(() => env?.stop());

  it("lets a delete-only token delete its project's sessions, though it cannot read them, and says nothing about other projects", async () => {
    const { token } = await createApiToken(env.plugin.index.db, {
      name: 'eraser',
      project: 'alpha',
      operations: ['delete'],
      createdBy: null,
    });
    const eraser: Caller = { token };
    // Another project's session answers exactly like one that does not exist.
    const elsewhere = await call(eraser, 'DELETE', '/v1/sessions/b-1');
    const nowhere = await call(eraser, 'DELETE', '/v1/sessions/no-such-session');
    expect([elsewhere.status, nowhere.status]).toEqual([404, 404]);
    expect(elsewhere.body.message.replace('b-1', 'X')).toBe(nowhere.body.message.replace('no-such-session', 'X'));
    expect((await call(eraser, 'DELETE', '/v1/sessions/b-1?project=beta')).status).toBe(403);
    // Reading its own project's session: 403 (it is in the token's project), never the data.
    const read = await call(eraser, 'GET', '/v1/sessions/a-1');
    expect(read.status).toBe(403);
    expect(read.body.message).toContain('no read access to project "alpha"');
    expect((await call(eraser, 'GET', '/v1/sessions/a-1/events')).status).toBe(403);
    expect((await call(eraser, 'GET', '/v1/sessions')).body.sessions).toEqual([]);

    const deleted = await call(eraser, 'DELETE', '/v1/sessions/a-1?project=alpha');
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body.deleted).toEqual([expect.objectContaining({ project: 'alpha', sessionId: 'a-1' })]);
    expect((await call(eraser, 'DELETE', '/v1/sessions/a-1')).status).toBe(404);

    // Right to erasure with the same token: only its project's sessions of that user.
    expect((await call(eraser, 'DELETE', '/v1/users/ann/sessions?project=beta')).status).toBe(403);
    const erased = await call(eraser, 'DELETE', '/v1/users/ann/sessions');
    expect(erased.status).toBe(200);
    expect(
      erased.body.deleted.map((d: { project: string; sessionId: string }) => `${d.project}/${d.sessionId}`),
    ).toEqual(['alpha/a-2']);
    const root = await login('root');
    expect((await call(root, 'GET', '/v1/sessions/a-2')).status).toBe(404);
    expect((await call(root, 'GET', '/v1/sessions/b-1')).body).toMatchObject({ project: 'beta', userId: 'ann' });
  });

  it('gives an all-projects admin with an explicit viewer role on a project the higher role there, in every check', async () => {
    const ria = await login('ria');
    expect((await call(ria, 'GET', '/v1/tokens?project=alpha')).status).toBe(200);
    expect((await call(ria, 'GET', '/v1/audit?project=alpha')).status).toBe(200);
    expect(
      (await call(ria, 'POST', '/v1/tokens', { name: 'ria-reader', project: 'alpha', operations: ['read'] })).status,
    ).toBe(201);
    const deleted = await call(ria, 'DELETE', '/v1/sessions/a-3');
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
  });

  it('keeps a project admin from changing or removing the roles of an all-projects admin', async () => {
    const alba = await login('alba');
    for (const role of ['viewer', 'admin', null]) {
      const response = await call(alba, 'PUT', '/v1/users/root/roles/alpha', { role });
      expect(response.status, JSON.stringify(response.body)).toBe(403);
      expect(response.body.message).toContain('only an admin of every project');
    }
    // ria's own explicit alpha role belongs to an all-projects admin too.
    expect((await call(alba, 'PUT', '/v1/users/ria/roles/alpha', { role: null })).status).toBe(403);
    expect([await roleOf('root', 'alpha'), await roleOf('ria', 'alpha')]).toEqual([null, 'viewer']);
    expect((await call(alba, 'PUT', '/v1/users/root/roles/*', { role: 'viewer' })).status).toBe(403);
    // A project admin still manages the project's viewers and admins.
    expect((await call(alba, 'PUT', '/v1/users/vera/roles/alpha', { role: 'admin' })).status).toBe(200);
    expect((await call(alba, 'PUT', '/v1/users/vera/roles/alpha', { role: 'viewer' })).status).toBe(200);
    // An all-projects admin may.
    const root = await login('root');
    expect((await call(root, 'PUT', '/v1/users/ria/roles/alpha', { role: null })).status).toBe(200);
    expect(await roleOf('ria', 'alpha')).toBeNull();
  });

  it('slows down one username guessed from many addresses (429 + Retry-After), but never for long, and not for an address it logged in from', async () => {
    const known = await login('ann', '192.0.2.1');
    expect(known.cookie).toBeTruthy();
    for (let i = 0; i < 4; i++) {
      expect(
        (
          await call({ ip: `198.51.100.${i}` }, 'POST', '/v1/auth/login', {
            username: 'ann',
            password: `guess ${i} is wrong`,
          })
        ).status,
      ).toBe(401);
    }
    const slowed = await call({ ip: '198.51.100.50' }, 'POST', '/v1/auth/login', {
      username: 'ann',
      password: PASSWORD,
    });
    expect(slowed.status).toBe(429);
    expect(slowed.body.error).toBe('too_many_attempts');
    expect(slowed.body.message).toMatch(/many addresses.*slowed down/);
    const retryAfter = Number(slowed.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(6);
    // An unknown username is braked the same way: a 429 does not tell that an account exists.
    // Sent at once: each attempt is counted on arrival, so a slow (loaded) machine's hashing does not give tokens back meanwhile.
    const guesses = await Promise.all(
      ['198.51.100.0', '198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.50'].map((ip) =>
        call({ ip }, 'POST', '/v1/auth/login', { username: 'nobody', password: 'wrong password' }),
      ),
    );
    expect(guesses.map((g) => g.status).sort()).toEqual([401, 401, 401, 401, 429]);

    // The real user's usual address is not slowed down.
    await login('ann', '192.0.2.1');
    // Anyone else waits at most one refill interval: poll as the Retry-After says.
    const deadline = Date.now() + 20_000;
    let status = 429;
    while (status === 429 && Date.now() < deadline) {
      const attempt = await call({ ip: '198.51.100.60' }, 'POST', '/v1/auth/login', {
        username: 'ann',
        password: PASSWORD,
      });
      status = attempt.status;
      if (status === 429)
        await new Promise((resolve) => setTimeout(resolve, Number(attempt.headers.get('retry-after')) * 1000));
    }
    expect(status).toBe(200);
  });

  it('still limits one address guessing one username', async () => {
    for (let i = 0; i < 3; i++) {
      expect(
        (await call({ ip: '203.0.113.5' }, 'POST', '/v1/auth/login', { username: 'bob', password: `wrong ${i}` }))
          .status,
      ).toBe(401);
    }
    const blocked = await call({ ip: '203.0.113.5' }, 'POST', '/v1/auth/login', {
      username: 'bob',
      password: PASSWORD,
    });
    expect(blocked.status).toBe(429);
    expect(blocked.body.message).toMatch(/from your address; try again in \d+ s\./);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(50);
    // Bob from elsewhere is fine.
    await login('bob', '203.0.113.6');
  });
});
