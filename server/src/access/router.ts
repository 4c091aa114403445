import { Router, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import { recordAudit, recordAuditPerProject, type AuditAction } from '../audit/audit-log.js';
import { CollectorError } from '../errors.js';
import type { IndexSchema, Role } from '../index-db/schema.js';
import { bodyString, jsonBody, queryList } from '../http/helpers.js';
import {
  ALL_PROJECTS,
  authenticatePassword,
  changePassword,
  completeSetup,
  createApiToken,
  createLoginSession,
  createUser,
  DEFAULT_TOKEN_MAX_LIFETIME_MS,
  deleteLoginSession,
  deleteUser,
  deleteUserLoginSessions,
  findApiToken,
  findUserByName,
  listApiTokens,
  listUsers,
  LOGIN_SESSION_TTL_MS,
  OPERATIONS,
  revokeApiToken,
  setUserRole,
  type Operation,
  type UserIdentity,
} from './access-store.js';
import type { FailedLoginLog } from './failed-logins.js';
import { LoginThrottle, type LoginLimits, type LoginShare } from './login-throttle.js';
import {
  assertCookieCanWork,
  assertSameOrigin,
  principalOf,
  requestOrigin,
  sessionCookie,
  sessionCookieValue,
} from './middleware.js';
import { PasswordHashBusyError } from './passwords.js';
import {
  assertCan,
  assertMayChangeRole,
  principalId,
  projectsWith,
  resolveProjects,
  type Principal,
} from './principal.js';
import { setupPage } from './setup-page.js';

function userJson(user: UserIdentity) {
  return { id: user.id, username: user.username, roles: Object.fromEntries(user.roles) };
}

function auditActor(principal: Principal) {
  return principalId(principal);
}

/** A password check refused for load answers 503 with a Retry-After, like a 429. */
async function withRetryAfter<T>(res: Response, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    if (error instanceof PasswordHashBusyError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    throw error;
  }
}

export interface AccessRouterOptions {
  loginLimits?: LoginLimits;
  /** Share the login brake with other collector nodes (the cluster bus). */
  loginShare?: LoginShare;
  /** Where failed logins for unknown usernames are counted before they are audited. */
  failedLogins?: FailedLoginLog;
  /** @default DEFAULT_TOKEN_MAX_LIFETIME_MS */
  tokenMaxLifetimeMs?: number;
}

/**
 * The same 404 for a user that does not exist and one the caller may not see: a project admin
 * sees users with a role on a project they administer, an all-projects admin sees everyone.
 */
function userNotFound(username: string) {
  return new CollectorError(
    'user_not_found',
    404,
    `no user "${username.slice(0, 64)}" in the projects you administer.`,
  );
}

function visibleTo(principal: Principal, user: UserIdentity): boolean {
  const admin = projectsWith(principal, 'admin');
  // A role on `*` is a role on each of the caller's projects: who can see a project is no secret to its admins.
  return (
    admin === 'all' || [...user.roles.keys()].some((project) => project === ALL_PROJECTS || admin.includes(project))
  );
}

/** Conflicting usernames a project admin may try per hour: each one tells that a name is taken. */
const CREATE_CONFLICTS_PER_HOUR = 10;

/** Login, first-start setup, users and API tokens. Mounted after `authenticate`. */
export function createAccessRouter(db: Kysely<IndexSchema>, options: AccessRouterOptions = {}): Router {
  const router = Router();
  const throttle = new LoginThrottle(options.loginLimits);
  if (options.loginShare) throttle.shareWith(options.loginShare);
  const tokenMaxLifetimeMs = options.tokenMaxLifetimeMs ?? DEFAULT_TOKEN_MAX_LIFETIME_MS;
  const createConflicts = new Map<number, { count: number; since: number }>();
  /** A list read, audited in each project it covers so that each project's admins see it. */
  const auditListRead = (
    req: Request,
    principal: Principal,
    action: AuditAction,
    projects: string[] | 'all',
    counts: Record<string, number>,
  ) =>
    recordAuditPerProject(
      db,
      { actor: auditActor(principal), action, detail: { projects, ...counts }, ...requestOrigin(req) },
      projects === 'all' ? [] : projects,
    );

  const startLoginSession = async (req: Request, res: Response, user: UserIdentity) => {
    const session = await createLoginSession(db, user.id);
    res.setHeader('Set-Cookie', sessionCookie(req, session.cookieValue, LOGIN_SESSION_TTL_MS));
    return session.csrfToken;
  };

  router.get('/setup', (_req, res) => {
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'",
    );
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
    await recordAudit(db, {
      actor: { type: 'user', id: String(user.id), name: user.username },
      action: 'auth.setup',
      ...requestOrigin(req),
    });
    const csrfToken = await startLoginSession(req, res, user);
    res.status(201).json({ user: userJson(user), csrfToken });
  });

  router.post('/v1/auth/login', jsonBody, async (req, res) => {
    assertSameOrigin(req);
    assertCookieCanWork(req);
    const username = bodyString(req.body, 'username', { max: 64 });
    const password = bodyString(req.body, 'password');
    const origin = requestOrigin(req);
    const address = origin.ip ?? '';
    const verdict = throttle.attempt(address, username);
    if (!verdict.allowed) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
      throw new CollectorError('too_many_attempts', 429, verdict.message);
    }
    const check = await withRetryAfter(res, () => authenticatePassword(db, username, password));
    if (!check.ok) {
      if (check.knownUser || !options.failedLogins) {
        await recordAudit(db, {
          actor: { type: 'user', id: '', name: username },
          action: 'auth.login_failed',
          ...origin,
        });
      } else {
        options.failedLogins.record({ ...origin, username });
      }
      throw new CollectorError('invalid_credentials', 401, 'wrong username or password.');
    }
    const { user } = check;
    throttle.succeeded(address, username);
    await recordAudit(db, {
      actor: { type: 'user', id: String(user.id), name: user.username },
      action: 'auth.login',
      ...origin,
    });
    const csrfToken = await startLoginSession(req, res, user);
    res.json({ user: userJson(user), csrfToken });
  });

  router.post('/v1/auth/logout', async (req, res) => {
    const principal = principalOf(res);
    const cookie = sessionCookieValue(req);
    if (cookie) await deleteLoginSession(db, cookie);
    await recordAudit(db, { actor: auditActor(principal), action: 'auth.logout', ...requestOrigin(req) });
    res.setHeader('Set-Cookie', sessionCookie(req, '', 0));
    res.status(204).end();
  });

  /** Ends every login session of the caller, on every device (this one too). */
  router.post('/v1/auth/logout-all', async (req, res) => {
    const principal = principalOf(res);
    if (principal.kind !== 'user')
      throw new CollectorError(
        'forbidden',
        403,
        'an API token has no login sessions; revoke it instead (DELETE /v1/tokens/:id).',
      );
    const sessions = await deleteUserLoginSessions(db, principal.user.id);
    await recordAudit(db, {
      actor: auditActor(principal),
      action: 'auth.logout_all',
      detail: { sessions },
      ...requestOrigin(req),
    });
    res.setHeader('Set-Cookie', sessionCookie(req, '', 0));
    res.json({ sessions });
  });

  /** Changes the caller's own password; every other login session of theirs ends. */
  router.post('/v1/auth/password', jsonBody, async (req, res) => {
    const principal = principalOf(res);
    if (principal.kind !== 'user')
      throw new CollectorError('forbidden', 403, 'only a logged-in user has a password to change.');
    const origin = requestOrigin(req);
    // A stolen cookie must not become a way around the login brakes to guess the password.
    const verdict = throttle.attempt(origin.ip ?? '', principal.user.username);
    if (!verdict.allowed) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
      throw new CollectorError('too_many_attempts', 429, verdict.message);
    }
    const changed = await withRetryAfter(res, () =>
      changePassword(db, {
        userId: principal.user.id,
        currentPassword: bodyString(req.body, 'currentPassword'),
        newPassword: bodyString(req.body, 'newPassword'),
        keepCookie: sessionCookieValue(req),
      }),
    );
    if (!changed) {
      await recordAudit(db, {
        actor: auditActor(principal),
        action: 'auth.login_failed',
        detail: { passwordChange: true },
        ...origin,
      });
      throw new CollectorError('invalid_credentials', 403, 'the current password is wrong.');
    }
    throttle.succeeded(origin.ip ?? '', principal.user.username);
    await recordAudit(db, { actor: auditActor(principal), action: 'auth.password', ...origin });
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

  router.get('/v1/users', async (req, res) => {
    const principal = principalOf(res);
    const projects = resolveProjects(principal, 'admin', queryList(req, 'project'));
    if (projects !== 'all' && projects.length === 0)
      throw new CollectorError('forbidden', 403, 'the user list needs the admin role on a project.');
    const users = await listUsers(db, projects);
    await auditListRead(req, principal, 'user.list', projects, { users: users.length });
    res.json({ users });
  });

  router.post('/v1/users', jsonBody, async (req, res) => {
    const principal = principalOf(res);
    const roles = (req.body as { roles?: unknown }).roles;
    // At least one project: the admin check below runs per project, so an empty object would let
    // any caller (a viewer, a read token) create accounts.
    if (!roles || typeof roles !== 'object' || Array.isArray(roles) || Object.keys(roles).length === 0) {
      throw new CollectorError(
        'bad_request',
        400,
        'body field "roles" must be a non-empty object { project: "admin" | "viewer" }.',
      );
    }
    for (const project of Object.keys(roles)) assertCan(principal, 'admin', project);
    const username = bodyString(req.body, 'username', { max: 64 });
    const allProjectsAdmin = projectsWith(principal, 'admin') === 'all';
    const conflictsKey = principal.kind === 'user' ? principal.user.id : -1;
    const now = Date.now();
    let conflicts = createConflicts.get(conflictsKey);
    if (conflicts && now - conflicts.since >= 3_600_000) conflicts = undefined;
    if (!allProjectsAdmin && conflicts && conflicts.count >= CREATE_CONFLICTS_PER_HOUR) {
      res.setHeader('Retry-After', String(Math.ceil((conflicts.since + 3_600_000 - now) / 1000)));
      throw new CollectorError(
        'too_many_attempts',
        429,
        `${CREATE_CONFLICTS_PER_HOUR} taken usernames tried this hour; try again later or ask an admin of every project.`,
      );
    }
    try {
      const user = await createUser(db, {
        username,
        password: bodyString(req.body, 'password'),
        roles: roles as Record<string, Role>,
      });
      await recordAudit(db, {
        actor: auditActor(principal),
        action: 'user.create',
        detail: { user: user.username, roles },
        ...requestOrigin(req),
      });
      res.status(201).json({ user: userJson(user) });
    } catch (error) {
      // A taken name is the one thing creation cannot hide from a project admin: it is braked per
      // admin and audited for the all-projects admins (no project on the row).
      if (!(error instanceof CollectorError && error.code === 'user_exists') || allProjectsAdmin) throw error;
      createConflicts.set(conflictsKey, { count: (conflicts?.count ?? 0) + 1, since: conflicts?.since ?? now });
      await recordAudit(db, {
        actor: auditActor(principal),
        action: 'user.create_refused',
        detail: { user: username },
        ...requestOrigin(req),
      });
      throw new CollectorError('user_exists', 409, `the username "${username}" cannot be used; pick another.`);
    }
  });

  router.put('/v1/users/:username/roles/:project', jsonBody, async (req, res) => {
    const principal = principalOf(res);
    const project = String(req.params.project);
    assertCan(principal, 'admin', project);
    const role = (req.body as { role?: unknown }).role;
    if (role !== null && role !== 'admin' && role !== 'viewer') {
      throw new CollectorError('bad_request', 400, 'body field "role" must be "admin", "viewer" or null (remove).');
    }
    const username = String(req.params.username);
    const user = await findUserByName(db, username);
    if (!user || !visibleTo(principal, user)) throw userNotFound(username);
    assertMayChangeRole(principal, user, project);
    await setUserRole(db, user.id, project, role);
    await recordAudit(db, {
      actor: auditActor(principal),
      action: 'user.role',
      project,
      detail: { user: user.username, role },
      ...requestOrigin(req),
    });
    res.json({ user: userJson((await findUserByName(db, user.username))!) });
  });

  /**
   * Deletes an account: the caller must be able to change every role it holds (so a project
   * admin deletes only accounts that live in their projects alone), and not be the account.
   */
  router.delete('/v1/users/:username', async (req, res) => {
    const principal = principalOf(res);
    const username = String(req.params.username);
    const user = await findUserByName(db, username);
    if (!user || !visibleTo(principal, user)) throw userNotFound(username);
    if (principal.kind === 'user' && principal.user.id === user.id) {
      throw new CollectorError('bad_request', 400, 'you cannot delete your own account; ask another admin.');
    }
    // Changing a `*` admin takes a `*` admin, who is not the target: an admin of every project remains.
    for (const project of user.roles.keys()) assertMayChangeRole(principal, user, project);
    await deleteUser(db, user.id);
    await recordAuditPerProject(
      db,
      {
        actor: auditActor(principal),
        action: 'user.delete',
        detail: { user: user.username, roles: Object.fromEntries(user.roles) },
        ...requestOrigin(req),
      },
      [...user.roles.keys()].filter((p) => p !== ALL_PROJECTS),
    );
    res.status(204).end();
  });

  router.post('/v1/tokens', jsonBody, async (req, res) => {
    const principal = principalOf(res);
    const project = bodyString(req.body, 'project', { max: 128 });
    assertCan(principal, 'admin', project);
    const operations = (req.body as { operations?: unknown }).operations;
    if (!Array.isArray(operations) || operations.some((op) => !OPERATIONS.includes(op as Operation))) {
      throw new CollectorError(
        'bad_request',
        400,
        `body field "operations" must be an array of ${OPERATIONS.join(', ')}.`,
      );
    }
    const expiresInDays = (req.body as { expiresInDays?: unknown }).expiresInDays;
    if (expiresInDays !== undefined && (typeof expiresInDays !== 'number' || !Number.isFinite(expiresInDays))) {
      throw new CollectorError('bad_request', 400, 'body field "expiresInDays" must be a number of days.');
    }
    const token = await createApiToken(db, {
      name: bodyString(req.body, 'name', { max: 200 }),
      project,
      operations: operations as Operation[],
      createdBy: principal.kind === 'user' ? principal.user.id : null,
      ...(expiresInDays === undefined ? {} : { lifetimeMs: expiresInDays * 86_400_000 }),
      maxLifetimeMs: tokenMaxLifetimeMs,
    });
    await recordAudit(db, {
      actor: auditActor(principal),
      action: 'token.create',
      project,
      detail: { id: token.id, operations, expiresAt: token.expiresAt },
      ...requestOrigin(req),
    });
    res.status(201).json({
      id: token.id,
      name: token.name,
      project,
      operations: [...token.operations],
      expiresAt: token.expiresAt,
      token: token.token,
    });
  });

  router.get('/v1/tokens', async (req, res) => {
    const principal = principalOf(res);
    const projects = resolveProjects(principal, 'admin', queryList(req, 'project'));
    const tokens = await listApiTokens(db, projects);
    await auditListRead(req, principal, 'token.list', projects, { tokens: tokens.length });
    res.json({ tokens });
  });

  router.delete('/v1/tokens/:id', async (req, res) => {
    const principal = principalOf(res);
    const token = await findApiToken(db, String(req.params.id));
    const admin = projectsWith(principal, 'admin');
    if (!token || (admin !== 'all' && !admin.includes(token.project))) {
      throw new CollectorError('token_not_found', 404, 'no such token in a project you administer.');
    }
    await revokeApiToken(db, token.id);
    await recordAudit(db, {
      actor: auditActor(principal),
      action: 'token.revoke',
      project: token.project,
      detail: { id: token.id },
      ...requestOrigin(req),
    });
    res.status(204).end();
  });

  return router;
}
