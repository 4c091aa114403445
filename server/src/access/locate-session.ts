import type { Kysely } from 'kysely';
import { CollectorError } from '../errors.js';
import type { IndexSchema, SessionRow } from '../index-db/schema.js';
import { findSessionsById } from '../index-db/sessions-store.js';
import { assertCan, can, hasAnyAccess, type Permission, type Principal } from './principal.js';

/**
 * The session a caller may act on with `permission` (read for metadata / playback / export,
 * delete for `DELETE /v1/sessions/:id`).
 *
 * The no-leak rule: session ids are chosen by browsers, so one id can exist in several projects,
 * and a caller must not learn whether an id exists in a project that is not theirs. "Theirs"
 * means any access at all: a role, or an API token scoped to the project whatever its
 * operations. So:
 *  - not in any of the caller's projects (elsewhere or nowhere): 404, the same answer either way;
 *  - in one of them, with `permission` there: that session;
 *  - in one of them, without `permission`: 403 naming that project. This tells the caller the
 *    id exists in a project they already belong to, nothing about any other; a delete-only token
 *    learns no more than deleting would tell it.
 * A delete-only token therefore deletes its project's sessions although it cannot read them.
 * `project` (the `?project=` parameter) must be a project where the caller holds `permission`.
 */
export async function locateSession(
  db: Kysely<IndexSchema>,
  principal: Principal,
  sessionId: string,
  options: { permission: Permission; project?: string },
): Promise<SessionRow> {
  const { permission, project } = options;
  if (project !== undefined) assertCan(principal, permission, project);
  const rows = (await findSessionsById(db, sessionId)).filter(
    (row) => hasAnyAccess(principal, row.project) && (project === undefined || row.project === project),
  );
  const row = rows.find((r) => can(principal, permission, r.project));
  if (row) return row;
  if (rows.length > 0)
    throw new CollectorError('forbidden', 403, `you have no ${permission} access to project "${rows[0]!.project}".`);
  throw new CollectorError('session_not_found', 404, `no session "${sessionId.slice(0, 128)}" in your projects.`);
}
