import type { Kysely } from 'kysely';
import { CollectorError } from '../errors.js';
import type { IndexSchema } from '../index-db/schema.js';

/**
 * The audit log: who did what to which session, when, from where. Append-only (the database
 * refuses UPDATE and DELETE on the table, see migration 0002). Written before the answer is
 * sent, so a view that was served is a view that was recorded.
 */
export type AuditAction =
  | 'session.search'
  | 'session.view'
  | 'session.play'
  | 'session.export'
  | 'session.delete'
  | 'user_sessions.delete'
  | 'retention.delete'
  | 'audit.view'
  | 'auth.login'
  | 'auth.login_failed'
  | 'auth.logout'
  | 'auth.logout_all'
  | 'auth.password'
  | 'auth.setup'
  | 'user.list'
  | 'user.create'
  | 'user.create_refused'
  | 'user.role'
  | 'user.delete'
  | 'token.list'
  | 'token.create'
  | 'token.revoke'
  | 'project.list'
  | 'keys.rotate';

export interface AuditEntryInput {
  actor: { type: 'user' | 'token' | 'system'; id: string; name: string };
  action: AuditAction;
  project?: string | null;
  sessionId?: string | null;
  detail?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
  at?: number;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: { type: string; id: string; name: string };
  action: string;
  project: string | null;
  sessionId: string | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
}

export async function recordAudit(db: Kysely<IndexSchema>, entry: AuditEntryInput): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: entry.at ?? Date.now(),
      actor_type: entry.actor.type,
      actor_id: entry.actor.id,
      actor_name: entry.actor.name,
      action: entry.action,
      project: entry.project ?? null,
      session_id: entry.sessionId ?? null,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
      ip: entry.ip ?? null,
      user_agent: entry.userAgent ?? null,
    })
    .execute();
}

/**
 * One entry per project an action touched, so each project's admins see it in their log (they
 * see only rows of their projects). With no project (nothing matched, or nothing to name), one
 * row without a project, which only all-projects admins see.
 */
export async function recordAuditPerProject(
  db: Kysely<IndexSchema>,
  entry: Omit<AuditEntryInput, 'project'>,
  projects: Iterable<string>,
): Promise<void> {
  const distinct = [...new Set(projects)];
  if (distinct.length === 0) return recordAudit(db, { ...entry, project: null });
  const at = entry.at ?? Date.now();
  for (const project of distinct) await recordAudit(db, { ...entry, at, project });
}

export interface AuditQuery {
  /** Projects whose entries to return; `all` also returns entries with no project (logins...). */
  projects: readonly string[] | 'all';
  action?: string;
  sessionId?: string;
  actorName?: string;
  from?: number;
  to?: number;
  /** Entries with an id below this one (the `nextCursor` of the previous page). */
  before?: number;
  limit?: number;
}

/**
 * Newest first, paginated by id. The id alone is the order and the cursor: it is unique, so the
 * order is strict and a page boundary cannot split entries written in the same millisecond (a
 * cursor on `at` would skip or repeat them), and it follows write order even if the clock steps
 * back. `at` is what people read; it is not the key.
 */
export async function queryAudit(
  db: Kysely<IndexSchema>,
  query: AuditQuery,
): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 100)), 1000);
  if (query.projects !== 'all' && query.projects.length === 0) return { entries: [], nextCursor: null };
  let q = db.selectFrom('audit_log').selectAll();
  if (query.projects !== 'all') q = q.where('project', 'in', [...query.projects]);
  if (query.action) q = q.where('action', '=', query.action);
  if (query.sessionId) q = q.where('session_id', '=', query.sessionId);
  if (query.actorName) q = q.where('actor_name', '=', query.actorName);
  if (query.from !== undefined) q = q.where('at', '>=', query.from);
  if (query.to !== undefined) q = q.where('at', '<', query.to);
  if (query.before !== undefined) q = q.where('id', '<', query.before);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  return {
    entries: page.map((r) => ({
      id: Number(r.id),
      at: r.at,
      actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name },
      action: r.action,
      project: r.project,
      sessionId: r.session_id,
      detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
      ip: r.ip,
      userAgent: r.user_agent,
    })),
    nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
  };
}

export function parseAuditCursor(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new CollectorError('bad_cursor', 400, 'cursor: pass back the nextCursor of the previous page.');
  return id;
}
