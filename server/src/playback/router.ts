import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { constants, createGzip } from 'node:zlib';
import { Router, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import { principalOf, requestOrigin } from '../access/middleware.js';
import { locateSession as locateSessionFor } from '../access/locate-session.js';
import { hasAnyAccess, principalId, projectsWith, resolveProjects, type Principal } from '../access/principal.js';
import { recordAudit, recordAuditPerProject, type AuditAction } from '../audit/audit-log.js';
import { findUserSessions } from '../deletion/delete-sessions.js';
import { deletionJobJson, type DeletionJobs } from '../deletion/jobs.js';
import type { Tombstone, TombstoneStore } from '../deletion/tombstones.js';
import { CollectorError } from '../errors.js';
import type { IndexEngine } from '../index-db/database.js';
import type { IndexSchema, SegmentRow, SessionRow } from '../index-db/schema.js';
import { searchSessions, type SessionSearch } from '../index-db/search.js';
import { listCustomEventNames, listSegments } from '../index-db/sessions-store.js';
import { MAX_ERROR_TITLE_LENGTH, MAX_NAME_LENGTH, MAX_URL_LENGTH } from '../index-db/summarize.js';
import type { ReaderDeps } from '../segment/reader.js';
import type { AssetStore } from '../assets/asset-store.js';
import { createAssetResolver } from '../assets/resolve.js';
import { queryBoolean, queryEnum, queryList, queryNumber, queryString, queryTime } from '../http/helpers.js';
import { PLAYBACK_CONTENT_TYPE, PLAYBACK_STREAM_VERSION, playbackRecords } from './event-stream.js';

export interface PlaybackRouterDeps {
  db: Kysely<IndexSchema>;
  engine?: IndexEngine;
  reader: ReaderDeps;
  /** Captured page assets, put back into the events a replay gets. */
  assets?: AssetStore;
  deletion: { jobs: DeletionJobs; tombstones: TombstoneStore; projectIds: () => string[] };
  logger?: { warn: (obj: object, msg: string) => void };
}

export function sessionJson(row: SessionRow) {
  return {
    id: row.session_id,
    project: row.project,
    userId: row.user_id,
    userTraits: row.user_traits ? (JSON.parse(row.user_traits) as Record<string, unknown>) : null,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms,
    activeMs: row.active_ms,
    firstUrl: row.first_url,
    pages: JSON.parse(row.pages) as { url: string; route?: string; at: number }[],
    browser: row.browser,
    os: row.os,
    userAgent: row.user_agent,
    viewport:
      row.viewport_width !== null && row.viewport_height !== null
        ? { width: row.viewport_width, height: row.viewport_height }
        : null,
    counts: {
      events: row.event_count,
      clicks: row.click_count,
      rageClicks: row.rage_click_count,
      errors: row.error_count,
      consoleErrors: row.console_error_count,
      failedRequests: row.failed_request_count,
    },
    segmentCount: row.segment_count,
    bytes: row.byte_size,
  };
}

function segmentJson(row: SegmentRow) {
  return {
    name: row.segment,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    fullSnapshotAt: row.full_snapshot_at,
    events: row.event_count,
    bytes: row.byte_size,
  };
}

/** GET /v1/sessions, /v1/sessions/:id, /events, /export; DELETE /v1/sessions/:id, /v1/users/:userId/sessions. */
export function createPlaybackRouter(deps: PlaybackRouterDeps): Router {
  const { db } = deps;
  const router = Router();
  // The access rule (which projects count, 404 vs 403) lives in access/locate-session.ts.
  const locateSession = (principal: Principal, req: Request, permission: 'read' | 'delete') =>
    locateSessionFor(db, principal, String(req.params.id), { permission, project: queryString(req, 'project') });
  const audit = (
    req: Request,
    principal: Principal,
    action: AuditAction,
    entry: { project?: string | null; sessionId?: string; detail?: Record<string, unknown> },
  ) => recordAudit(db, { actor: principalId(principal), action, ...entry, ...requestOrigin(req) });

  router.get('/v1/sessions', async (req, res) => {
    const principal = principalOf(res);
    const projects = resolveProjects(principal, 'read', queryList(req, 'project'));
    const search: SessionSearch = {
      projects,
      from: queryTime(req, 'from'),
      to: queryTime(req, 'to'),
      userId: queryString(req, 'user', { maxLength: MAX_NAME_LENGTH }),
      url: queryString(req, 'url', { maxLength: MAX_URL_LENGTH }),
      hasError: queryBoolean(req, 'hasError'),
      hasRageClick: queryBoolean(req, 'rageClicks'),
      errorText: queryString(req, 'error', { maxLength: MAX_ERROR_TITLE_LENGTH }),
      customEvent: queryString(req, 'event', { maxLength: MAX_NAME_LENGTH }),
      minDurationMs: queryNumber(req, 'minDuration', { min: 0 }),
      sort: queryEnum(req, 'sort', ['startedAt', 'duration'] as const),
      order: queryEnum(req, 'order', ['asc', 'desc'] as const),
      limit: queryNumber(req, 'limit', { min: 1 }),
      cursor: queryString(req, 'cursor'),
    };
    const page = await searchSessions(db, search, { engine: deps.engine });
    const { projects: _projects, cursor: _cursor, ...filters } = search;
    // A search over several projects is logged once per project (each project's admins see it);
    // over all of a `*` role's projects, once per project it found sessions in.
    await recordAuditPerProject(
      db,
      {
        actor: principalId(principal),
        action: 'session.search',
        detail: { projects, filters: JSON.parse(JSON.stringify(filters)) as object, results: page.sessions.length },
        ...requestOrigin(req),
      },
      projects === 'all' ? page.sessions.map((session) => session.project) : projects,
    );
    res.json({ sessions: page.sessions.map(sessionJson), nextCursor: page.nextCursor });
  });

  router.get('/v1/sessions/:id', async (req, res) => {
    const principal = principalOf(res);
    const session = await locateSession(principal, req, 'read');
    const [segments, customEvents] = await Promise.all([
      listSegments(db, session.project, session.session_id),
      listCustomEventNames(db, session.project, session.session_id),
    ]);
    await audit(req, principal, 'session.view', { project: session.project, sessionId: session.session_id });
    // The distinct errors it threw (at most MAX_ERROR_TITLES), as its search matches them, with when.
    const errors = JSON.parse(session.errors) as { title: string; at: number }[];
    res.json({ ...sessionJson(session), customEvents, errors, segments: segments.map(segmentJson) });
  });

  const streamSession = async (req: Request, res: Response, action: 'session.play' | 'session.export') => {
    const principal = principalOf(res);
    const session = await locateSession(principal, req, 'read');
    const fromMs = action === 'session.play' ? (queryNumber(req, 'from', { min: 0 }) ?? null) : null;
    const toMs = action === 'session.play' ? (queryNumber(req, 'to', { min: 0 }) ?? null) : null;
    if (fromMs !== null && toMs !== null && toMs < fromMs) {
      throw new CollectorError(
        'bad_query',
        400,
        `Query parameter "to" (${toMs}) is before "from" (${fromMs}): ask for a window that ends at or after its start.`,
      );
    }
    const segments = await listSegments(db, session.project, session.session_id);
    await audit(req, principal, action, {
      project: session.project,
      sessionId: session.session_id,
      detail: { ...(fromMs === null ? {} : { from: fromMs }), ...(toMs === null ? {} : { to: toMs }) },
    });

    res.status(200);
    res.setHeader('Content-Type', PLAYBACK_CONTENT_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Reprise-Stream-Version', String(PLAYBACK_STREAM_VERSION));
    if (action === 'session.export') {
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="reprise-${session.project}-${session.session_id}.ndjson"`,
      );
    }
    res.vary('Accept-Encoding');
    // rrweb JSON shrinks 5-10x with gzip; the stream is flushed at each segment boundary so
    // compression never holds back a segment the player could already draw.
    const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip' ? createGzip({ level: 6 }) : undefined;
    if (gzip) {
      res.setHeader('Content-Encoding', 'gzip');
      gzip.pipe(res);
    }
    const sink: Writable = gzip ?? res;
    res.flushHeaders();
    let closed = false;
    // One listener for the whole stream, raced against each wait (a listener per wait would pile up).
    const closing = new Promise<void>((resolve) =>
      res.once('close', () => {
        closed = true;
        gzip?.destroy();
        resolve();
      }),
    );
    const send = async (text: string) => {
      if (!sink.write(text) && !closed) await Promise.race([once(sink, 'drain'), closing]);
      if (gzip && !closed)
        await Promise.race([
          new Promise<void>((resolve) => gzip.flush(constants.Z_SYNC_FLUSH, () => resolve())),
          closing,
        ]);
    };
    const records = playbackRecords(deps.reader, session, segments, {
      fromMs,
      toMs,
      ...(deps.assets
        ? {
            resolveAssets: createAssetResolver(deps.assets, {
              project: session.project,
              startedAt: session.started_at,
              endedAt: session.ended_at,
            }),
          }
        : {}),
      onSkip: (segment, error) =>
        deps.logger?.warn(
          { err: error, project: session.project, sessionId: session.session_id, segment: segment.segment },
          'playback skipped an unreadable segment',
        ),
    });
    // One write per segment: the player gets each segment as soon as it is decrypted.
    let chunk = '';
    for await (const record of records) {
      if (closed) break;
      const isBoundary = 'stream' in record;
      if (isBoundary && chunk !== '') {
        await send(chunk);
        chunk = '';
      }
      chunk += `${JSON.stringify(record)}\n`;
    }
    if (!closed) sink.end(chunk);
  };

  router.get('/v1/sessions/:id/events', (req, res) => streamSession(req, res, 'session.play'));
  router.get('/v1/sessions/:id/export', (req, res) => streamSession(req, res, 'session.export'));

  const actor = (principal: Principal) => {
    const id = principalId(principal);
    return `${id.type}:${id.id}`;
  };
  // 200 with what was deleted when every job finished; 202 while one is still pending (a key
  // store or S3 outage): it is retried until done, and GET /v1/deletions/:id tells its state.
  const answerJobs = (res: Response, jobs: Tombstone[]) => {
    const finished = jobs.every((job) => job.state === 'done');
    res.status(finished ? 200 : 202).json({
      deleted: jobs
        .filter((job) => job.state === 'done')
        .map((job) => ({ project: job.project, sessionId: job.sessionId, objects: job.objects ?? 0 })),
      jobs: jobs.map(deletionJobJson),
    });
  };

  /** The session to delete: in the index, or (not indexed yet) in the writer, the key store or a pending deletion. */
  const locateForDeletion = async (
    principal: Principal,
    req: Request,
  ): Promise<{ project: string; sessionId: string }> => {
    const sessionId = String(req.params.id);
    try {
      const row = await locateSession(principal, req, 'delete');
      return { project: row.project, sessionId: row.session_id };
    } catch (error) {
      if (!(error instanceof CollectorError) || error.status !== 404) throw error;
      // Named project (already checked for delete access): recorded even if nothing arrived yet,
      // so batches still in the log or in flight from an open tab are refused from now on.
      const named = queryString(req, 'project');
      if (named !== undefined) return { project: named, sessionId };
      const allowed = projectsWith(principal, 'delete');
      const found = await deps.deletion.jobs.findUnindexed(
        allowed === 'all' ? deps.deletion.projectIds() : allowed,
        sessionId,
      );
      if (found === undefined) throw error;
      return { project: found, sessionId };
    }
  };

  router.delete('/v1/sessions/:id', async (req, res) => {
    const principal = principalOf(res);
    const session = await locateForDeletion(principal, req);
    // Recorded before acting: a deletion interrupted half way is still on the record.
    await audit(req, principal, 'session.delete', session);
    const job = await deps.deletion.jobs.request(session.project, session.sessionId, {
      reason: 'request',
      by: actor(principal),
    });
    answerJobs(res, [job]);
  });

  router.delete('/v1/users/:userId/sessions', async (req, res) => {
    const principal = principalOf(res);
    const projects = resolveProjects(principal, 'delete', queryList(req, 'project'));
    const userId = String(req.params.userId);
    await audit(req, principal, 'user_sessions.delete', {
      project: projects !== 'all' && projects.length === 1 ? projects[0] : null,
      detail: { userId, projects },
    });
    const jobs: Tombstone[] = [];
    for (const session of await findUserSessions(db, projects, userId)) {
      await audit(req, principal, 'session.delete', { ...session, detail: { userId } });
      jobs.push(
        await deps.deletion.jobs.request(session.project, session.sessionId, {
          reason: 'user_erasure',
          by: actor(principal),
        }),
      );
    }
    answerJobs(res, jobs);
  });

  router.get('/v1/deletions/:jobId', (req, res) => {
    const principal = principalOf(res);
    const job = deps.deletion.tombstones.job(String(req.params.jobId));
    // Another project's job answers like an unknown one (the no-leak rule of locate-session.ts).
    if (!job || !hasAnyAccess(principal, job.project)) {
      throw new CollectorError(
        'deletion_not_found',
        404,
        `no deletion job "${String(req.params.jobId).slice(0, 64)}" in your projects.`,
      );
    }
    res.json(deletionJobJson(job));
  });

  return router;
}
