import { Router, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/audit-log.js';
import { CollectorError } from '../errors.js';
import type { IndexSchema, Role } from '../index-db/schema.js';
import { bodyString, jsonBody, queryList } from '../http/helpers.js';
import {
  authenticatePassword,
  completeSetup,
  createApiToken,
  createLoginSession,
  createUser,
  deleteLoginSession,
  findApiToken,
  findUserByName,
  listApiTokens,
  LOGIN_SESSION_TTL_MS,
  OPERATIONS,
  revokeApiToken,
  setUserRole,
  type Operation,
  type UserIdentity,
} from './access-store.js';
import { LoginThrottle, type LoginLimits } from './login-throttle.js';
import { assertSameOrigin, parseCookies, principalOf, requestOrigin, SESSION_COOKIE, sessionCookie } from './middleware.js';
import { assertCan, assertMayChangeRole, principalId, projectsWith, resolveProjects, type Principal } from './principal.js';
import { setupPage } from './setup-page.js';

function userJson(user: UserIdentity) {
  return { id: user.id, username: user.username, roles: Object.fromEntries(user.roles) };
}

function auditActor(principal: Principal) {
  return principalId(principal);
}

/** Login, first-start setup, users and API tokens. Mounted after `authenticate`. */
export function createAccessRouter(db: Kysely<IndexSchema>, options: { loginLimits?: LoginLimits } = {}): Router {
  const router = Router();
  const throttle = new LoginThrottle(options.loginLimits);

  const startLoginSession = async (req: Request, res: Response, user: UserIdentity) => {
    const session = await createLoginSession(db, user.id);
    res.setHeader('Set-Cookie', sessionCookie(req, session.cookieValue, LOGIN_SESSION_TTL_MS));
    return session.csrfToken;
  };

  router.get('/setup', (_req, res) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'");
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.type('html').send(setupPage);
  });

  router.post('/v1/auth/setup', jsonBody, async (req, res) => {
    assertSameOrigin(req);
    const user = await completeSetup(db, {
      token: bodyString(req.body, 'token'),
      username: bodyString(req.body, 'username', { max: 64 }),
      password: bodyString(req.body, 'password'),
    });
    await recordAudit(db, { actor: { type: 'user', id: String(user.id), name: user.username }, action: 'auth.setup', ...requestOrigin(req) });
    const csrfToken = await startLoginSession(req, res, user);
    res.status(201).json({ user: userJson(user), csrfToken });
  });

  router.post('/v1/auth/login', jsonBody, async (req, res) => {
    assertSameOrigin(req);
    const username = bodyString(req.body, 'username', { max: 64 });
    const password = bodyString(req.body, 'password');
    const origin = requestOrigin(req);
    const address = origin.ip ?? '';
    const verdict = throttle.attempt(address, username);
    if (!verdict.allowed) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
      throw new CollectorError('too_many_attempts', 429, verdict.message);
    }
    const user = await authenticatePassword(db, username, password);
    if (!user) {
      await recordAudit(db, { actor: { type: 'user', id: '', name: username }, action: 'auth.login_failed', ...origin });
      throw new CollectorError('invalid_credentials', 401, 'wrong username or password.');
    }
    throttle.succeeded(address, username);
    await recordAudit(db, { actor: { type: 'user', id: String(user.id), name: user.username }, action: 'auth.login', ...origin });
    const csrfToken = await startLoginSession(req, res, user);
    res.json({ user: userJson(user), csrfToken });
  });

  router.post('/v1/auth/logout', async (req, res) => {
    const principal = principalOf(res);
    const cookie = parseCookies(req.get('cookie')).get(SESSION_COOKIE);
    if (cookie) await deleteLoginSession(db, cookie);
    await recordAudit(db, { actor: auditActor(principal), action: 'auth.logout', ...requestOrigin(req) });
    res.setHeader('Set-Cookie', sessionCookie(req, '', 0));
    res.status(204).end();
  });

  router.get('/v1/auth/me', (_req, res) => {
    const principal = principalOf(res);
    if (principal.kind === 'user') {
      res.json({ kind: 'user', user: userJson(principal.user), csrfToken: principal.csrfToken });
    } else {
      const { id, name, project, operations } = principal.token;
      res.json({ kind: 'token', token: { id, name, project, operations: [...operations] } });
    }
  });

  router.post('/v1/users', jsonBody, async (req, res) => {
    const principal = principalOf(res);
    const roles = (req.body as { roles?: unknown }).roles;
    // At least one project: the admin check below runs per project, so an empty object would let
    // any caller (a viewer, a read token) create accounts.
    if (!roles || typeof roles !== 'object' || Array.isArray(roles) || Object.keys(roles).length === 0) {
      throw new CollectorError('bad_request', 400, 'body field "roles" must be a non-empty object { project: "admin" | "viewer" }.');
    }
    for (const project of Object.keys(roles)) assertCan(principal, 'admin', project);
    const user = await createUser(db, {
      username: bodyString(req.body, 'username', { max: 64 }),
      password: bodyString(req.body, 'password'),
      roles: roles as Record<string, Role>,
    });
    await recordAudit(db, { actor: auditActor(principal), action: 'user.create', detail: { user: user.username, roles }, ...requestOrigin(req) });
    res.status(201).json({ user: userJson(user) });
  });

  router.put('/v1/users/:username/roles/:project', jsonBody, async (req, res) => {
    const principal = principalOf(res);
    const project = String(req.params.project);
    assertCan(principal, 'admin', project);
    const role = (req.body as { role?: unknown }).role;
    if (role !== null && role !== 'admin' && role !== 'viewer') {
      throw new CollectorError('bad_request', 400, 'body field "role" must be "admin", "viewer" or null (remove).');
    }
    const user = await findUserByName(db, String(req.params.username));
    if (!user) throw new CollectorError('user_not_found', 404, `no user "${String(req.params.username).slice(0, 64)}".`);
    assertMayChangeRole(principal, user, project);
    await setUserRole(db, user.id, project, role);
    await recordAudit(db, { actor: auditActor(principal), action: 'user.role', project, detail: { user: user.username, role }, ...requestOrigin(req) });
    res.json({ user: userJson((await findUserByName(db, user.username))!) });
  });

  router.post('/v1/tokens', jsonBody, async (req, res) => {
    const principal = principalOf(res);
    const project = bodyString(req.body, 'project', { max: 128 });
    assertCan(principal, 'admin', project);
    const operations = (req.body as { operations?: unknown }).operations;
    if (!Array.isArray(operations) || operations.some((op) => !OPERATIONS.includes(op as Operation))) {
      throw new CollectorError('bad_request', 400, `body field "operations" must be an array of ${OPERATIONS.join(', ')}.`);
    }
    const token = await createApiToken(db, {
      name: bodyString(req.body, 'name', { max: 200 }),
      project,
      operations: operations as Operation[],
      createdBy: principal.kind === 'user' ? principal.user.id : null,
    });
    await recordAudit(db, { actor: auditActor(principal), action: 'token.create', project, detail: { id: token.id, operations }, ...requestOrigin(req) });
    res.status(201).json({ id: token.id, name: token.name, project, operations: [...token.operations], token: token.token });
  });

  router.get('/v1/tokens', async (req, res) => {
    const principal = principalOf(res);
    res.json({ tokens: await listApiTokens(db, resolveProjects(principal, 'admin', queryList(req, 'project'))) });
  });

  router.delete('/v1/tokens/:id', async (req, res) => {
    const principal = principalOf(res);
    const token = await findApiToken(db, String(req.params.id));
    const admin = projectsWith(principal, 'admin');
    if (!token || (admin !== 'all' && !admin.includes(token.project))) {
      throw new CollectorError('token_not_found', 404, 'no such token in a project you administer.');
    }
    await revokeApiToken(db, token.id);
    await recordAudit(db, { actor: auditActor(principal), action: 'token.revoke', project: token.project, detail: { id: token.id }, ...requestOrigin(req) });
    res.status(204).end();
  });

  return router;
}
