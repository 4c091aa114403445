import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/audit/audit-log.js';
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

type Caller = ApiCaller;

/** Access control and audit over real HTTP, with the index on PostgreSQL. */
describe('access control and audit (PostgreSQL index)', () => {
  let env: TestCollector;
  let admin: Caller;
  let viewerA: Caller;
  let readTokenA: Caller;
  let deleteTokenA: Caller;

  const call = (
    caller: Caller | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => callApi(env.url, caller, method, path, body, { 'user-agent': 'reprise-access-test', ...headers });
  const login = async (username: string, password: string): Promise<Caller> => {
    const response = await call(undefined, 'POST', '/v1/auth/login', { username, password });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return { cookie: response.headers.get('set-cookie')!.split(';')[0]!, csrf: response.body.csrfToken };
  };

  beforeAll(async () => {
    env = await startTestCollector('postgres', ['alpha', 'beta']);
    await ingestIndexed(env, 'alpha', [...session('a-1', T, 'ann'), ...session('shared-id', T + 60_000, 'ann')]);
    await ingestIndexed(env, 'beta', [...session('b-1', T, 'bob'), ...session('shared-id', T + 120_000, 'bob')]);
  });
  afterAll(() => env?.stop());

  it('prints a one-time setup link on first start and creates the first admin from it', async () => {
    expect(env.setupLinks).toHaveLength(1);
    expect(env.setupLinks[0]!.startsWith(`${env.url}/setup#token=`), env.setupLinks[0]).toBe(true);
    const token = new URL(env.setupLinks[0]!).hash.replace('#token=', '');
    const page = await call(undefined, 'GET', '/setup');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Create the first admin');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

    const wrong = await call(undefined, 'POST', '/v1/auth/setup', {
      token: 'x'.repeat(43),
      username: 'root',
      password: 'a long enough password',
    });
    expect(wrong.status).toBe(403);
    const crossSite = await call(
      undefined,
      'POST',
      '/v1/auth/setup',
      { token, username: 'root', password: 'a long enough password' },
      { origin: 'https://evil.test' },
    );
    expect(crossSite.status).toBe(403);
    const weak = await call(undefined, 'POST', '/v1/auth/setup', { token, username: 'root', password: 'short' });
    expect(weak.status).toBe(400);

    const done = await call(undefined, 'POST', '/v1/auth/setup', {
      token,
      username: 'root',
      password: 'a long enough password',
    });
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    expect(done.body.user).toMatchObject({ username: 'root', roles: { '*': 'admin' } });
    const cookie = done.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^reprise_session=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure'); // plain HTTP on loopback; Secure is added over HTTPS

    const again = await call(undefined, 'POST', '/v1/auth/setup', {
      token,
      username: 'root2',
      password: 'a long enough password',
    });
    expect(again.status).toBe(403);
    const stored = await env.plugin.index.db
      .selectFrom('users')
      .select('password_hash')
      .where('username', '=', 'root')
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/); // test cost (password-cost.setup.ts)
    expect(stored.password_hash).not.toContain('a long enough password');
  });

  it('logs in by password, and refuses a wrong one', async () => {
    expect(
      (await call(undefined, 'POST', '/v1/auth/login', { username: 'root', password: 'not the password' })).status,
    ).toBe(401);
    expect(
      (await call(undefined, 'POST', '/v1/auth/login', { username: 'nobody', password: 'not the password' })).status,
    ).toBe(401);
    admin = await login('root', 'a long enough password');
    // Logging in again while the cookie is still valid works (no CSRF token needed to log in).
    const again = await call({ cookie: admin.cookie }, 'POST', '/v1/auth/login', {
      username: 'root',
      password: 'a long enough password',
    });
    expect(again.status).toBe(200);
    const me = await call(admin, 'GET', '/v1/auth/me');
    expect(me.body).toMatchObject({ kind: 'user', user: { username: 'root' }, csrfToken: admin.csrf });
  });

  it('lets an admin create a viewer and project-scoped tokens, with CSRF protection on the cookie', async () => {
    const withoutCsrf = await call({ cookie: admin.cookie }, 'POST', '/v1/users', {
      username: 'vera',
      password: 'viewer password 1',
      roles: { alpha: 'viewer' },
    });
    expect(withoutCsrf.status).toBe(403);
    expect(withoutCsrf.body.error).toBe('csrf_failed');
    const wrongOrigin = await call(
      admin,
      'POST',
      '/v1/users',
      { username: 'vera', password: 'viewer password 1', roles: { alpha: 'viewer' } },
      { origin: 'https://evil.test' },
    );
    expect(wrongOrigin.status).toBe(403);
    const created = await call(admin, 'POST', '/v1/users', {
      username: 'vera',
      password: 'viewer password 1',
      roles: { alpha: 'viewer' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    viewerA = await login('vera', 'viewer password 1');

    const read = await call(admin, 'POST', '/v1/tokens', { name: 'ci reader', project: 'alpha', operations: ['read'] });
    expect(read.status).toBe(201);
    expect(read.body.token).toMatch(/^rpt_/);
    readTokenA = { token: read.body.token };
    deleteTokenA = {
      token: (
        await call(admin, 'POST', '/v1/tokens', { name: 'eraser', project: 'alpha', operations: ['delete', 'read'] })
      ).body.token,
    };
    // A viewer administers nothing.
    expect(
      (await call(viewerA, 'POST', '/v1/tokens', { name: 'x', project: 'alpha', operations: ['read'] })).status,
    ).toBe(403);
    // Nor can a viewer or a token create an account by naming no project at all.
    for (const caller of [viewerA, readTokenA]) {
      const roleless = await call(caller, 'POST', '/v1/users', {
        username: 'mallory',
        password: 'roleless password',
        roles: {},
      });
      expect(roleless.status).toBe(400);
    }
    expect(
      await env.plugin.index.db.selectFrom('users').select('id').where('username', '=', 'mallory').executeTakeFirst(),
    ).toBeUndefined();
    const stored = await env.plugin.index.db.selectFrom('api_tokens').select('secret_hash').execute();
    expect(stored.every((row) => !read.body.token.includes(row.secret_hash))).toBe(true);
  });

  it('answers 401 without credentials or with a bad token', async () => {
    for (const path of ['/v1/sessions', '/v1/sessions/a-1', '/v1/sessions/a-1/events', '/v1/audit', '/v1/auth/me']) {
      const response = await call(undefined, 'GET', path);
      expect(response.status, path).toBe(401);
      expect(response.body.error).toBe('unauthenticated');
    }
    expect((await call({ token: 'rpt_0000000000000000_' + 'x'.repeat(43) }, 'GET', '/v1/sessions')).status).toBe(401);
    expect((await call({ cookie: 'reprise_session=forged' }, 'GET', '/v1/sessions')).status).toBe(401);
  });

  it('keeps a project-A viewer out of project B: 403 for B by name, 404 for B sessions', async () => {
    const own = await call(viewerA, 'GET', '/v1/sessions');
    expect(own.status).toBe(200);
    expect(own.headers.get('cache-control')).toBe('no-store');
    expect(own.body.sessions.map((s: { project: string; id: string }) => `${s.project}/${s.id}`).sort()).toEqual([
      'alpha/a-1',
      'alpha/shared-id',
    ]);
    expect((await call(viewerA, 'GET', '/v1/sessions?project=alpha')).status).toBe(200);
    const searchB = await call(viewerA, 'GET', '/v1/sessions?project=beta');
    expect(searchB.status).toBe(403);
    expect((await call(viewerA, 'GET', '/v1/sessions?project=alpha,beta')).status).toBe(403);

    const otherProject = await call(viewerA, 'GET', '/v1/sessions/b-1');
    const nowhere = await call(viewerA, 'GET', '/v1/sessions/no-such-session');
    expect(otherProject.status).toBe(404);
    expect(nowhere.status).toBe(404);
    expect(otherProject.body.error).toBe(nowhere.body.error);
    expect(otherProject.body.message.replace('b-1', 'X')).toBe(nowhere.body.message.replace('no-such-session', 'X'));
    expect((await call(viewerA, 'GET', '/v1/sessions/b-1/events')).status).toBe(404);
    expect((await call(viewerA, 'GET', '/v1/sessions/b-1/export')).status).toBe(404);
    expect((await call(viewerA, 'GET', '/v1/sessions/b-1?project=beta')).status).toBe(403);
    // The same id in both projects: the viewer gets project A's.
    const shared = await call(viewerA, 'GET', '/v1/sessions/shared-id');
    expect(shared.body).toMatchObject({ project: 'alpha', userId: 'ann' });
    expect((await call(readTokenA, 'GET', '/v1/sessions/b-1')).status).toBe(404);
    expect((await call(readTokenA, 'GET', '/v1/sessions?project=beta')).status).toBe(403);
  });

  it('keeps the audit log to admins of the project', async () => {
    expect((await call(viewerA, 'GET', '/v1/audit')).status).toBe(403);
    expect((await call(viewerA, 'GET', '/v1/audit?project=beta')).status).toBe(403);
    expect((await call(readTokenA, 'GET', '/v1/audit')).status).toBe(403);
    const created = await call(admin, 'POST', '/v1/users', {
      username: 'alba',
      password: 'alpha admin pass',
      roles: { alpha: 'admin' },
    });
    expect(created.status).toBe(201);
    const alphaAdmin = await login('alba', 'alpha admin pass');
    expect((await call(alphaAdmin, 'GET', '/v1/audit?project=beta')).status).toBe(403);
    const own = await call(alphaAdmin, 'GET', '/v1/audit');
    expect(own.status).toBe(200);
    expect(own.body.entries.length).toBeGreaterThan(0);
    expect(own.body.entries.every((e: { project: string }) => e.project === 'alpha')).toBe(true);
  });

  it('enforces operations: a viewer or a read token cannot delete, a delete token can', async () => {
    expect((await call(viewerA, 'DELETE', '/v1/sessions/a-1')).status).toBe(403);
    expect((await call(readTokenA, 'DELETE', '/v1/sessions/a-1')).status).toBe(403);
    expect((await call(deleteTokenA, 'DELETE', '/v1/sessions/b-1')).status).toBe(404);
    expect((await call(deleteTokenA, 'DELETE', '/v1/users/bob/sessions?project=beta')).status).toBe(403);
    const deleted = await call(deleteTokenA, 'DELETE', '/v1/sessions/a-1');
    expect(deleted.status).toBe(200);
    expect((await call(viewerA, 'GET', '/v1/sessions/a-1')).status).toBe(404);
    // Project B was not touched.
    expect((await call(admin, 'GET', '/v1/sessions/b-1')).status).toBe(200);
  });

  it('refuses a search term longer than anything the index keeps (400), and records no search for it', async () => {
    const before = Date.now();
    for (const [name, length] of [
      ['error', 301],
      ['url', 2_001],
      ['user', 201],
      ['event', 201],
    ] as const) {
      const refused = await call(viewerA, 'GET', `/v1/sessions?project=alpha&${name}=${'a'.repeat(length)}`);
      expect(refused.status, name).toBe(400);
      expect(refused.body).toMatchObject({ error: 'bad_query', message: expect.stringContaining(`"${name}"`) });
    }
    expect((await call(viewerA, 'GET', `/v1/sessions?project=alpha&error=${'a'.repeat(300)}`)).status).toBe(200);
    const log = await call(admin, 'GET', `/v1/audit?project=alpha&action=session.search&from=${before}`);
    expect(log.body.entries).toHaveLength(1);
  });

  it('records every view, play, export, search and deletion with who, when and from where', async () => {
    const before = Date.now();
    expect((await call(viewerA, 'GET', '/v1/sessions/shared-id')).status).toBe(200);
    expect((await call(viewerA, 'GET', '/v1/sessions/shared-id/events?from=0')).status).toBe(200);
    const exported = await call(readTokenA, 'GET', '/v1/sessions/shared-id/export');
    expect(exported.headers.get('content-disposition')).toContain('attachment');
    expect((await call(viewerA, 'GET', '/v1/sessions?project=alpha&user=ann&hasError=false')).status).toBe(200);

    const log = await call(admin, 'GET', `/v1/audit?project=alpha&from=${before}`);
    expect(log.status).toBe(200);
    const entries = log.body.entries as AuditEntry[];
    const actions = entries.map((e) => `${e.action} ${e.actor.name} ${e.sessionId ?? ''}`.trim());
    expect(actions).toEqual([
      'session.search vera',
      'session.export ci reader shared-id',
      'session.play vera shared-id',
      'session.view vera shared-id',
    ]);
    for (const entry of entries) {
      expect(entry.at).toBeGreaterThanOrEqual(before);
      expect(entry.ip).toMatch(/127\.0\.0\.1/);
      expect(entry.userAgent).toBe('reprise-access-test');
      expect(entry.project).toBe('alpha');
    }
    expect(entries[0]!.detail).toMatchObject({ filters: { userId: 'ann', hasError: false }, results: 1 });
    expect(entries[2]!.detail).toEqual({ from: 0 });

    const all = await call(admin, 'GET', '/v1/audit?action=session.delete');
    expect(all.body.entries).toEqual([
      expect.objectContaining({
        action: 'session.delete',
        project: 'alpha',
        sessionId: 'a-1',
        actor: expect.objectContaining({ type: 'token', name: 'eraser' }),
      }),
    ]);
    // A failure against a real account has its own row; unknown usernames are counted per address
    // and written by the next flush (the sweep runs one), without the name.
    await env.plugin.sweep();
    const failed = await call(admin, 'GET', '/v1/audit?action=auth.login_failed');
    expect(failed.body.entries.map((e: { actor: { name: string } }) => e.actor.name).sort()).toEqual(['', 'root']);
    expect(failed.body.entries.find((e: { actor: { name: string } }) => e.actor.name === '').detail).toMatchObject({
      attempts: 1,
      unknownUsernames: 1,
    });
    // Reading the log is on the record too.
    const reads = await call(admin, 'GET', '/v1/audit?action=audit.view&limit=2');
    expect(reads.body.entries).toHaveLength(2);
    expect(reads.body.nextCursor).toEqual(expect.any(String));
  });

  it('keeps the audit log append-only in the database itself', async () => {
    const db = env.plugin.index.db;
    await expect(db.updateTable('audit_log').set({ actor_name: 'someone else' }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE audit_log`.execute(db)).rejects.toThrow(/append-only/);
  });

  it('logs out: the cookie stops working', async () => {
    const session = await login('vera', 'viewer password 1');
    expect((await call(session, 'POST', '/v1/auth/logout')).status).toBe(204);
    expect((await call(session, 'GET', '/v1/sessions')).status).toBe(401);
  });
});
