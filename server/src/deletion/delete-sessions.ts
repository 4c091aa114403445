import type { Kysely } from 'kysely';
import type { DataKeyService } from '../crypto/data-keys.js';
import type { DataKeyStore } from '../crypto/types.js';
import type { IndexSchema } from '../index-db/schema.js';
import { deleteSessionRows, listSegments, markSessionDeleting } from '../index-db/sessions-store.js';
import { parseSegmentObjectKey } from '../store/keys.js';
import type { ObjectStore, RetentionRule } from '../store/types.js';

export interface DeletionDeps {
  db: Kysely<IndexSchema>;
  store: ObjectStore;
  dataKeys: Pick<DataKeyService, 'shred'>;
  /** When given, objects are also found from the data keys' days (segments stored, not yet indexed). */
  dataKeyStore?: Pick<DataKeyStore, 'listSession'>;
}

export interface DeletedSession {
  project: string;
  sessionId: string;
  objects: number;
}

/** The UTC day (`YYYY-MM-DD`) of an epoch time: the day folder a segment is filed under. */
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const DAY_MS = 86_400_000;
/** A job retried for longer than this looks at no more days past its request (a year and a month). */
const MAX_DAYS_SINCE_REQUEST = 400;

/**
 * The days a session's segments are filed under, as far as the index and the data keys tell:
 * the index's object keys, and the data keys' creation days (the writer files a segment under its
 * key's day, so a segment stored but not yet indexed is found too).
 */
export async function sessionDays(
  deps: Pick<DeletionDeps, 'db' | 'dataKeyStore'>,
  project: string,
  sessionId: string,
): Promise<string[]> {
  const days = new Set<string>();
  for (const segment of await listSegments(deps.db, project, sessionId)) {
    const location = parseSegmentObjectKey(segment.object_key);
    if (location) days.add(location.day);
  }
  for (const dataKey of (await deps.dataKeyStore?.listSession(project, sessionId)) ?? [])
    days.add(dayOf(new Date(dataKey.createdAt).getTime()));
  return [...days].sort();
}

/** Where else to look, beyond what the index and the keys say now (a deletion job's record). */
export interface KnownSessionDays {
  /** Days found before the deletion was announced (`sessionDays`), when nobody had removed anything yet. */
  days?: readonly string[];
  /** From this time's day to today: where any key made since, and so its segments, can be filed. */
  since?: number;
}

/**
 * Deletes a session for real, in the order that keeps it unreadable at every step:
 *  1. hide it from search and playback,
 *  2. shred its data keys: from here on no copy of its objects (backups included) decrypts,
 *  3. delete its objects,
 *  4. delete its index rows.
 * A failure after step 2 leaves a hidden, undecryptable session that running this again finishes.
 * The day folders to look in are read before the keys go; with several nodes, others may already
 * have removed keys or rows (a writer that found the tombstone, the index hook), so a job also
 * brings the days it found before anyone knew of the deletion (`known`).
 */
export async function deleteSession(
  deps: DeletionDeps,
  project: string,
  sessionId: string,
  known: KnownSessionDays = {},
): Promise<DeletedSession> {
  await markSessionDeleting(deps.db, project, sessionId);
  const segments = await listSegments(deps.db, project, sessionId);
  const keys = new Set(segments.map((s) => s.object_key));
  const days = new Set([...(known.days ?? []), ...(await sessionDays(deps, project, sessionId))]);
  if (known.since !== undefined) {
    const today = dayOf(Date.now());
    for (let at = known.since, n = 0; n <= MAX_DAYS_SINCE_REQUEST; at += DAY_MS, n++) {
      days.add(dayOf(at));
      if (dayOf(at) >= today) break;
    }
  }
  await deps.dataKeys.shred(project, sessionId);

  for (const day of days) {
    for await (const object of deps.store.list(`${project}/${day.replaceAll('-', '/')}/${sessionId}/`))
      keys.add(object.key);
  }
  for (const key of keys) await deps.store.delete(key);
  await deleteSessionRows(deps.db, project, sessionId);
  return { project, sessionId, objects: keys.size };
}

/**
 * Right to erasure: every session of one end user in the given projects, found by every id a
 * session was identified with (`session_users`), not only its latest one. The user id is exempt
 * from pattern redaction (PROTOCOL.md, "Redaction"), so an e-mail address used as the id is
 * found as it was given.
 */
export async function findUserSessions(
  db: Kysely<IndexSchema>,
  projects: readonly string[] | 'all',
  userId: string,
): Promise<{ project: string; sessionId: string }[]> {
  if (projects !== 'all' && projects.length === 0) return [];
  let query = db.selectFrom('session_users').select(['project', 'session_id']).where('user_id', '=', userId);
  if (projects !== 'all') query = query.where('project', 'in', [...projects]);
  const rows = await query.orderBy('project').orderBy('session_id').execute();
  return rows.map((row) => ({ project: row.project, sessionId: row.session_id }));
}

/** Right to erasure, carried out at once (no tombstones: the API goes through `DeletionJobs`). */
export async function deleteUserSessions(
  deps: DeletionDeps,
  projects: readonly string[] | 'all',
  userId: string,
  beforeEach?: (session: { project: string; sessionId: string }) => Promise<void>,
): Promise<DeletedSession[]> {
  const deleted: DeletedSession[] = [];
  for (const session of await findUserSessions(deps.db, projects, userId)) {
    await beforeEach?.(session);
    deleted.push(await deleteSession(deps, session.project, session.sessionId));
  }
  return deleted;
}

/**
 * Retention for the index and the keys: sessions filed under a day older than the project's
 * retention go the same way as a deletion (keys, objects, rows). The day is the object keys'
 * day folder, the same one the object store's own retention (folder sweep, S3 lifecycle) uses,
 * so index, keys and objects expire together.
 */
export async function sweepExpiredSessions(
  deps: DeletionDeps & {
    /** How one expired session goes (the plugin records a tombstone first). @default deleteSession */
    remove?: (project: string, sessionId: string) => Promise<DeletedSession>;
  },
  rules: readonly RetentionRule[],
  now = Date.now(),
): Promise<DeletedSession[]> {
  const remove = deps.remove ?? ((project: string, sessionId: string) => deleteSession(deps, project, sessionId));
  const deleted: DeletedSession[] = [];
  for (const rule of rules) {
    const cutoffMs = now - rule.retentionDays * DAY_MS;
    const cutoffDay = new Date(cutoffMs).toISOString().slice(0, 10);
    // Browser clocks may be off: look a day past the cutoff, then decide by the object keys' day.
    const candidates = await deps.db
      .selectFrom('sessions')
      .select(['session_id', 'started_at'])
      .where('project', '=', rule.project)
      .where('started_at', '<', cutoffMs + DAY_MS)
      .execute();
    for (const candidate of candidates) {
      const segments = await listSegments(deps.db, rule.project, candidate.session_id);
      const days = segments
        .map((s) => parseSegmentObjectKey(s.object_key)?.day)
        .filter((d): d is string => d !== undefined);
      const expired = days.length > 0 ? days.every((day) => day < cutoffDay) : candidate.started_at < cutoffMs;
      if (expired) deleted.push(await remove(rule.project, candidate.session_id));
    }
  }
  return deleted;
}
