import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { CollectorError } from '../errors.js';
import type { IndexSchema, Role } from '../index-db/schema.js';
import {
  decoyPasswordHash,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  needsRehash,
  verifyPassword,
} from './passwords.js';

/** Users, roles, API tokens, login sessions and setup tokens, all in the index database. */

export type Operation = 'read' | 'delete';
export const OPERATIONS: readonly Operation[] = ['read', 'delete'];
export const ROLES: readonly Role[] = ['admin', 'viewer'];
/** A role on `*` applies to every project. */
export const ALL_PROJECTS = '*';

export const LOGIN_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** A login session ends after this long without a request. @default 30 minutes */
export const DEFAULT_SESSION_IDLE_MS = 30 * 60 * 1000;
/** Longest lifetime an API token may be given. @default 365 days */
export const DEFAULT_TOKEN_MAX_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000;
/** Lifetime of a token created without `expiresInDays`. @default 90 days (capped by the maximum) */
export const DEFAULT_TOKEN_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;
/** `last_seen_at` is written at most this often per session: a page of requests costs one write. */
const TOUCH_EVERY_MS = 60 * 1000;
export const SETUP_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;
const PROJECT = /^(\*|[A-Za-z0-9_-]{1,128})$/;

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const randomSecret = () => randomBytes(32).toString('base64url');

export interface UserIdentity {
  id: number;
  username: string;
  /** Role per project; the key `*` means every project. */
  roles: Map<string, Role>;
}

export function assertValidProject(project: string): void {
  if (!PROJECT.test(project)) {
    throw new CollectorError(
      'bad_project',
      400,
      `project "${project.slice(0, 40)}" may hold only letters, digits, "_" and "-" (or be "*").`,
    );
  }
}

export async function countUsers(db: Kysely<IndexSchema>): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

interface NewUser {
  username: string;
  password: string;
  roles: Record<string, Role>;
}

function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new CollectorError(
      'weak_password',
      400,
      `password: ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`,
    );
  }
}

function validateNewUser(input: NewUser): void {
  if (!USERNAME.test(input.username)) {
    throw new CollectorError('bad_username', 400, 'username: 1-64 letters, digits or "_.@-".');
  }
  validatePassword(input.password);
  for (const [project, role] of Object.entries(input.roles)) {
    assertValidProject(project);
    if (!ROLES.includes(role))
      throw new CollectorError('bad_role', 400, `role "${String(role)}" is not one of ${ROLES.join(', ')}.`);
  }
}

async function insertUser(trx: Transaction<IndexSchema>, input: NewUser, passwordHash: string): Promise<UserIdentity> {
  const existing = await trx.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst();
  if (existing) throw new CollectorError('user_exists', 409, `user "${input.username}" already exists.`);
  const { id } = await trx
    .insertInto('users')
    .values({ username: input.username, password_hash: passwordHash, created_at: Date.now() })
    .returning('id')
    .executeTakeFirstOrThrow();
  const userId = Number(id);
  for (const [project, role] of Object.entries(input.roles)) {
    await trx.insertInto('user_roles').values({ user_id: userId, project, role }).execute();
  }
  return { id: userId, username: input.username, roles: new Map(Object.entries(input.roles)) };
}

export async function createUser(db: Kysely<IndexSchema>, input: NewUser): Promise<UserIdentity> {
  validateNewUser(input);
  const passwordHash = await hashPassword(input.password);
  return db.transaction().execute((trx) => insertUser(trx, input, passwordHash));
}

export async function setUserRole(db: Kysely<IndexSchema>, userId: number, project: string, role: Role | null) {
  assertValidProject(project);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('user_roles').where('user_id', '=', userId).where('project', '=', project).execute();
    if (role) await trx.insertInto('user_roles').values({ user_id: userId, project, role }).execute();
  });
}

async function loadIdentity(db: Kysely<IndexSchema>, user: { id: number; username: string }): Promise<UserIdentity> {
  const roles = await db.selectFrom('user_roles').select(['project', 'role']).where('user_id', '=', user.id).execute();
  return { id: Number(user.id), username: user.username, roles: new Map(roles.map((r) => [r.project, r.role])) };
}

export async function findUserByName(db: Kysely<IndexSchema>, username: string): Promise<UserIdentity | undefined> {
  const user = await db
    .selectFrom('users')
    .select(['id', 'username'])
    .where('username', '=', username)
    .executeTakeFirst();
  return user ? loadIdentity(db, user) : undefined;
}

export type PasswordCheck = { ok: true; user: UserIdentity } | { ok: false; knownUser: boolean };

/**
 * The user when the password matches; the same work is done for unknown usernames. A hash made
 * at a lower cost than today's is replaced on the way (the password is at hand only now).
 */
export async function authenticatePassword(
  db: Kysely<IndexSchema>,
  username: string,
  password: string,
): Promise<PasswordCheck> {
  if (password.length > MAX_PASSWORD_LENGTH) return { ok: false, knownUser: false };
  const user = await db
    .selectFrom('users')
    .select(['id', 'username', 'password_hash'])
    .where('username', '=', username)
    .executeTakeFirst();
  const ok = await verifyPassword(password, user?.password_hash ?? (await decoyPasswordHash()));
  if (!user || !ok) return { ok: false, knownUser: user !== undefined };
  if (needsRehash(user.password_hash)) {
    const upgraded = await hashPassword(password);
    // Only if unchanged meanwhile: a concurrent password change must win.
    await db
      .updateTable('users')
      .set({ password_hash: upgraded })
      .where('id', '=', user.id)
      .where('password_hash', '=', user.password_hash)
      .execute();
  }
  return { ok: true, user: await loadIdentity(db, user) };
}

/**
 * Replaces a user's password after checking the current one, and ends every other login session
 * of theirs (a stolen cookie dies with the old password).
 */
export async function changePassword(
  db: Kysely<IndexSchema>,
  input: { userId: number; currentPassword: string; newPassword: string; keepCookie?: string },
): Promise<boolean> {
  validatePassword(input.newPassword);
  const row = await db.selectFrom('users').select(['password_hash']).where('id', '=', input.userId).executeTakeFirst();
  if (
    !row ||
    input.currentPassword.length > MAX_PASSWORD_LENGTH ||
    !(await verifyPassword(input.currentPassword, row.password_hash))
  )
    return false;
  const passwordHash = await hashPassword(input.newPassword);
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', input.userId).execute();
    let others = trx.deleteFrom('login_sessions').where('user_id', '=', input.userId);
    if (input.keepCookie) others = others.where('id_hash', '<>', sha256(input.keepCookie));
    await others.execute();
  });
  return true;
}

/** Removes a user with their roles and login sessions; their API tokens stay (they belong to projects). */
export async function deleteUser(db: Kysely<IndexSchema>, userId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('login_sessions').where('user_id', '=', userId).execute();
    await trx.deleteFrom('user_roles').where('user_id', '=', userId).execute();
    await trx.deleteFrom('users').where('id', '=', userId).execute();
  });
}

/**
 * Users with a role on one of `projects` or on `*` (every user for `all`), each with only those
 * roles: a project admin sees who can reach their projects and nothing of the others.
 */
export async function listUsers(db: Kysely<IndexSchema>, projects: readonly string[] | 'all') {
  let query = db
    .selectFrom('users as u')
    .leftJoin('user_roles as r', 'r.user_id', 'u.id')
    .select(['u.id', 'u.username', 'u.created_at', 'r.project', 'r.role']);
  if (projects !== 'all') {
    if (projects.length === 0) return [];
    query = query.where('r.project', 'in', [...projects, ALL_PROJECTS]);
  }
  const rows = await query.orderBy('u.username').execute();
  const users = new Map<number, { id: number; username: string; createdAt: number; roles: Record<string, Role> }>();
  for (const row of rows) {
    const id = Number(row.id);
    const user = users.get(id) ?? { id, username: row.username, createdAt: row.created_at, roles: {} };
    if (row.project && row.role) user.roles[row.project] = row.role;
    users.set(id, user);
  }
  return [...users.values()];
}

// ---- login sessions (cookie) ----

export async function createLoginSession(db: Kysely<IndexSchema>, userId: number, now = Date.now()) {
  const cookieValue = randomSecret();
  const csrfToken = randomSecret();
  await db
    .insertInto('login_sessions')
    .values({
      id_hash: sha256(cookieValue),
      user_id: userId,
      csrf_token: csrfToken,
      created_at: now,
      expires_at: now + LOGIN_SESSION_TTL_MS,
      last_seen_at: now,
    })
    .execute();
  return { cookieValue, csrfToken, expiresAt: now + LOGIN_SESSION_TTL_MS };
}

/** The session behind a cookie, unless expired or idle for `idleMs`; a hit counts as activity. */
export async function findLoginSession(
  db: Kysely<IndexSchema>,
  cookieValue: string,
  options: { idleMs?: number; now?: number } = {},
) {
  const now = options.now ?? Date.now();
  const idleMs = options.idleMs ?? DEFAULT_SESSION_IDLE_MS;
  const idHash = sha256(cookieValue);
  const row = await db
    .selectFrom('login_sessions as ls')
    .innerJoin('users as u', 'u.id', 'ls.user_id')
    .select(['ls.csrf_token', 'ls.expires_at', 'ls.created_at', 'ls.last_seen_at', 'u.id', 'u.username'])
    .where('ls.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row || row.expires_at <= now) return undefined;
  const lastSeen = row.last_seen_at ?? row.created_at;
  if (now - lastSeen >= idleMs) {
    await db.deleteFrom('login_sessions').where('id_hash', '=', idHash).execute();
    return undefined;
  }
  if (now - lastSeen >= TOUCH_EVERY_MS)
    await db.updateTable('login_sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
  return { user: await loadIdentity(db, row), csrfToken: row.csrf_token };
}

/** Forgets expired or idle login sessions and setup tokens (run by the plugin's periodic sweep). */
export async function deleteExpiredCredentials(
  db: Kysely<IndexSchema>,
  now = Date.now(),
  idleMs = DEFAULT_SESSION_IDLE_MS,
): Promise<void> {
  await db.deleteFrom('login_sessions').where('expires_at', '<=', now).execute();
  await db
    .deleteFrom('login_sessions')
    .where('last_seen_at', '<=', now - idleMs)
    .execute();
  await db.deleteFrom('setup_tokens').where('expires_at', '<=', now).execute();
}

/** Log out everywhere: ends every login session of the user. Returns how many there were. */
export async function deleteUserLoginSessions(db: Kysely<IndexSchema>, userId: number): Promise<number> {
  const result = await db.deleteFrom('login_sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteLoginSession(db: Kysely<IndexSchema>, cookieValue: string) {
  await db.deleteFrom('login_sessions').where('id_hash', '=', sha256(cookieValue)).execute();
}

// ---- API tokens ----

export interface ApiTokenIdentity {
  id: string;
  name: string;
  project: string;
  operations: Set<Operation>;
  expiresAt: number;
}

const TOKEN_FORMAT = /^rpt_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

/** Creates a token; the returned `token` is shown once, only its hash is stored. */
export async function createApiToken(
  db: Kysely<IndexSchema>,
  input: {
    name: string;
    project: string;
    operations: Operation[];
    createdBy: number | null;
    lifetimeMs?: number;
    maxLifetimeMs?: number;
  },
  now = Date.now(),
): Promise<ApiTokenIdentity & { token: string }> {
  const maxLifetimeMs = input.maxLifetimeMs ?? DEFAULT_TOKEN_MAX_LIFETIME_MS;
  const lifetimeMs = input.lifetimeMs ?? Math.min(DEFAULT_TOKEN_LIFETIME_MS, maxLifetimeMs);
  if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0 || lifetimeMs > maxLifetimeMs) {
    throw new CollectorError(
      'bad_expiry',
      400,
      `expiresInDays: more than 0 and at most ${Math.floor(maxLifetimeMs / 86_400_000)} (this collector's maximum token lifetime).`,
    );
  }
  const expiresAt = now + lifetimeMs;
  assertValidProject(input.project);
  if (input.project === ALL_PROJECTS)
    throw new CollectorError('bad_project', 400, 'an API token is scoped to one project, not "*".');
  if (input.operations.length === 0 || input.operations.some((op) => !OPERATIONS.includes(op))) {
    throw new CollectorError('bad_operations', 400, `operations: one or more of ${OPERATIONS.join(', ')}.`);
  }
  const id = randomBytes(8).toString('hex');
  const secret = randomSecret();
  await db
    .insertInto('api_tokens')
    .values({
      id,
      name: input.name.slice(0, 200),
      secret_hash: sha256(secret),
      project: input.project,
      operations: [...new Set(input.operations)].join(','),
      created_by: input.createdBy,
      created_at: now,
      revoked_at: null,
      last_used_at: null,
      expires_at: expiresAt,
    })
    .execute();
  return {
    id,
    name: input.name,
    project: input.project,
    operations: new Set(input.operations),
    expiresAt,
    token: `rpt_${id}_${secret}`,
  };
}

export async function verifyApiToken(
  db: Kysely<IndexSchema>,
  token: string,
  now = Date.now(),
): Promise<ApiTokenIdentity | undefined> {
  const match = TOKEN_FORMAT.exec(token);
  if (!match) return undefined;
  const [, id, secret] = match as unknown as [string, string, string];
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return undefined;
  const expected = Buffer.from(row.secret_hash, 'hex');
  const actual = Buffer.from(sha256(secret), 'hex');
  if (!timingSafeEqual(expected, actual)) return undefined;
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
  return {
    id,
    name: row.name,
    project: row.project,
    operations: new Set(row.operations.split(',') as Operation[]),
    expiresAt: row.expires_at ?? Number.MAX_SAFE_INTEGER,
  };
}

export async function listApiTokens(db: Kysely<IndexSchema>, projects: readonly string[] | 'all') {
  let query = db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'project', 'operations', 'created_at', 'revoked_at', 'last_used_at', 'expires_at']);
  if (projects !== 'all') {
    if (projects.length === 0) return [];
    query = query.where('project', 'in', [...projects]);
  }
  const rows = await query.orderBy('created_at', 'desc').execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    project: r.project,
    operations: r.operations.split(','),
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
  }));
}

export async function findApiToken(db: Kysely<IndexSchema>, id: string) {
  return db.selectFrom('api_tokens').select(['id', 'project', 'revoked_at']).where('id', '=', id).executeTakeFirst();
}

export async function revokeApiToken(db: Kysely<IndexSchema>, id: string, now = Date.now()) {
  await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

// ---- first-start setup ----

/**
 * A one-time setup token, valid while there are no users. Each start without users issues a
 * fresh one and voids the previous ones, so a link found in an old log is worthless.
 */
export async function issueSetupToken(db: Kysely<IndexSchema>, now = Date.now()): Promise<string> {
  const token = randomSecret();
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('setup_tokens').set({ used_at: now }).where('used_at', 'is', null).execute();
    await trx
      .insertInto('setup_tokens')
      .values({ token_hash: sha256(token), created_at: now, expires_at: now + SETUP_TOKEN_TTL_MS, used_at: null })
      .execute();
  });
  return token;
}

/**
 * Creates the first admin (role admin on `*`) and burns the token, in one transaction; refuses
 * once any user exists. Input is checked first, so a rejected password does not burn the link.
 */
export async function completeSetup(
  db: Kysely<IndexSchema>,
  input: { token: string; username: string; password: string },
  now = Date.now(),
): Promise<UserIdentity> {
  const user: NewUser = { username: input.username, password: input.password, roles: { [ALL_PROJECTS]: 'admin' } };
  const invalid = () =>
    new CollectorError(
      'setup_token_invalid',
      403,
      'this setup link is used, expired or replaced; restart the collector with no users to get a new one.',
    );
  const row = await db
    .selectFrom('setup_tokens')
    .selectAll()
    .where('token_hash', '=', sha256(input.token))
    .executeTakeFirst();
  if (!row || row.used_at !== null || row.expires_at <= now) throw invalid();
  validateNewUser(user);
  const passwordHash = await hashPassword(user.password);
  return db.transaction().execute(async (trx) => {
    const burned = await trx
      .updateTable('setup_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', row.token_hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    const users = await trx
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(burned.numUpdatedRows) !== 1 || Number(users.n) > 0) throw invalid();
    return insertUser(trx, user, passwordHash);
  });
}
