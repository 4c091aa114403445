import { Router } from 'express';
import type { Kysely } from 'kysely';
import { principalOf, requestOrigin } from '../access/middleware.js';
import { principalId, resolveProjects } from '../access/principal.js';
import { CollectorError } from '../errors.js';
import type { IndexSchema } from '../index-db/schema.js';
import { queryList, queryNumber, queryString, queryTime } from '../http/helpers.js';
import { parseAuditCursor, queryAudit, recordAudit } from '../audit/audit-log.js';

/** GET /v1/audit: admins only, limited to the projects they administer (all for a `*` admin). */
export function createAuditRouter(db: Kysely<IndexSchema>): Router {
  const router = Router();
  router.get('/v1/audit', async (req, res) => {
    const principal = principalOf(res);
    const projects = resolveProjects(principal, 'admin', queryList(req, 'project'));
    if (projects !== 'all' && projects.length === 0) {
      throw new CollectorError('forbidden', 403, 'the audit log needs the admin role on a project.');
    }
    const page = await queryAudit(db, {
      projects,
      action: queryString(req, 'action'),
      sessionId: queryString(req, 'session'),
      actorName: queryString(req, 'actor'),
      from: queryTime(req, 'from'),
      to: queryTime(req, 'to'),
      before: parseAuditCursor(queryString(req, 'cursor')),
      limit: queryNumber(req, 'limit', { min: 1 }),
    });
    // Reading the log is itself recorded (after the query, so it does not list itself).
    await recordAudit(db, {
      actor: principalId(principal),
      action: 'audit.view',
      project: projects !== 'all' && projects.length === 1 ? projects[0] : null,
      detail: { projects },
      ...requestOrigin(req),
    });
    res.json(page);
  });
  return router;
}
