import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { CollectorError } from '../errors.js';
import type { IndexSchema, Role } from '../index-db/schema.js';
import {
  decoyPasswordHash,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from './passwords.js';

/** Users, roles, API tokens, login sessions and setup tokens, all in the index database. */

export type Operation = 'read' | 'delete';
export const OPERATIONS: readonly Operation[] = ['read', 'delete'];
export const ROLES: readonly Role[] = ['admin', 'viewer'];
/** A role on `*` applies to every project. */
export const ALL_PROJECTS = '*';

export const LOGIN_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
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
    throw new CollectorError('bad_project', 400, `project "${project.slice(0, 40)}" may hold only letters, digits, "_" and "-" (or be "*").`);
  }
}

export async function countUsers(db: Kysely<IndexSchema>): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

interface NewUser {
  username: string;
  password: string;
  roles: Record<string, Role>;
}

function validateNewUser(input: NewUser): void {
  if (!USERNAME.test(input.username)) {
    throw new CollectorError('bad_username', 400, 'username: 1-64 letters, digits or "_.@-".');
  }
  if (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > MAX_PASSWORD_LENGTH) {
    throw new CollectorError('weak_password', 400, `password: at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  for (const [project, role] of Object.entries(input.roles)) {
    assertValidProject(project);
    if (!ROLES.includes(role)) throw new CollectorError('bad_role', 400, `role "${String(role)}" is not one of ${ROLES.join(', ')}.`);
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
  const user = await db.selectFrom('users').select(['id', 'username']).where('username', '=', username).executeTakeFirst();
  return user ? loadIdentity(db, user) : undefined;
}

/** The user when the password matches; the same work is done for unknown usernames. */
export async function authenticatePassword(
  db: Kysely<IndexSchema>,
  username: string,
  password: string,
): Promise<UserIdentity | undefined> {
  if (password.length > MAX_PASSWORD_LENGTH) return undefined;
  const user = await db.selectFrom('users').select(['id', 'username', 'password_hash']).where('username', '=', username).executeTakeFirst();
  const ok = await verifyPassword(password, user?.password_hash ?? (await decoyPasswordHash()));
  return user && ok ? loadIdentity(db, user) : undefined;
}

// ---- login sessions (cookie) ----

export async function createLoginSession(db: Kysely<IndexSchema>, userId: number, now = Date.now()) {
  const cookieValue = randomSecret();
  const csrfToken = randomSecret();
  await db
    .insertInto('login_sessions')
    .values({ id_hash: sha256(cookieValue), user_id: userId, csrf_token: csrfToken, created_at: now, expires_at: now + LOGIN_SESSION_TTL_MS })
    .execute();
  return { cookieValue, csrfToken, expiresAt: now + LOGIN_SESSION_TTL_MS };
}

export async function findLoginSession(db: Kysely<IndexSchema>, cookieValue: string, now = Date.now()) {
  const row = await db
    .selectFrom('login_sessions as ls')
    .innerJoin('users as u', 'u.id', 'ls.user_id')
    .select(['ls.csrf_token', 'ls.expires_at', 'u.id', 'u.username'])
    .where('ls.id_hash', '=', sha256(cookieValue))
    .executeTakeFirst();
  if (!row || row.expires_at <= now) return undefined;
  return { user: await loadIdentity(db, row), csrfToken: row.csrf_token };
}

/** Forgets expired login sessions and setup tokens (run by the plugin's periodic sweep). */
export async function deleteExpiredCredentials(db: Kysely<IndexSchema>, now = Date.now()): Promise<void> {
  await db.deleteFrom('login_sessions').where('expires_at', '<=', now).execute();
  await db.deleteFrom('setup_tokens').where('expires_at', '<=', now).execute();
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
}

const TOKEN_FORMAT = /^rpt_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

/** Creates a token; the returned `token` is shown once, only its hash is stored. */
export async function createApiToken(
  db: Kysely<IndexSchema>,
  input: { name: string; project: string; operations: Operation[]; createdBy: number | null },
): Promise<ApiTokenIdentity & { token: string }> {
  assertValidProject(input.project);
  if (input.project === ALL_PROJECTS) throw new CollectorError('bad_project', 400, 'an API token is scoped to one project, not "*".');
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
      created_at: Date.now(),
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
  return { id, name: input.name, project: input.project, operations: new Set(input.operations), token: `rpt_${id}_${secret}` };
}

export async function verifyApiToken(db: Kysely<IndexSchema>, token: string, now = Date.now()): Promise<ApiTokenIdentity | undefined> {
  const match = TOKEN_FORMAT.exec(token);
  if (!match) return undefined;
  const [, id, secret] = match as unknown as [string, string, string];
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  const expected = Buffer.from(row.secret_hash, 'hex');
  const actual = Buffer.from(sha256(secret), 'hex');
  if (!timingSafeEqual(expected, actual)) return undefined;
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
  return { id, name: row.name, project: row.project, operations: new Set(row.operations.split(',') as Operation[]) };
}

export async function listApiTokens(db: Kysely<IndexSchema>, projects: readonly string[] | 'all') {
  let query = db.selectFrom('api_tokens').select(['id', 'name', 'project', 'operations', 'created_at', 'revoked_at', 'last_used_at']);
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
  }));
}

export async function findApiToken(db: Kysely<IndexSchema>, id: string) {
  return db.selectFrom('api_tokens').select(['id', 'project', 'revoked_at']).where('id', '=', id).executeTakeFirst();
}

export async function revokeApiToken(db: Kysely<IndexSchema>, id: string, now = Date.now()) {
  await db.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
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
    await trx.insertInto('setup_tokens').values({ token_hash: sha256(token), created_at: now, expires_at: now + SETUP_TOKEN_TTL_MS, used_at: null }).execute();
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
    new CollectorError('setup_token_invalid', 403, 'this setup link is used, expired or replaced; restart the collector with no users to get a new one.');
  const row = await db.selectFrom('setup_tokens').selectAll().where('token_hash', '=', sha256(input.token)).executeTakeFirst();
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
    const users = await trx.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    if (Number(burned.numUpdatedRows) !== 1 || Number(users.n) > 0) throw invalid();
    return insertUser(trx, user, passwordHash);
  });
}
