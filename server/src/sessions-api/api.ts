import { Router } from 'express';
import type { Kysely } from 'kysely';
import { authenticate } from '../access/middleware.js';
import type { FailedLoginLog } from '../access/failed-logins.js';
import type { LoginLimits, LoginShare } from '../access/login-throttle.js';
import { createAccessRouter } from '../access/router.js';
import { createAuditRouter } from './audit-router.js';
import type { AssetStore } from '../assets/asset-store.js';
import type { DataKeyService } from '../crypto/data-keys.js';
import type { DataKeyStore } from '../crypto/types.js';
import type { DeletionJobs } from '../deletion/jobs.js';
import type { TombstoneStore } from '../deletion/tombstones.js';
import type { IndexEngine } from '../index-db/database.js';
import type { IndexSchema } from '../index-db/schema.js';
import { createPlaybackRouter } from '../playback/router.js';
import type { ObjectStore } from '../store/types.js';
import { apiErrorHandler } from '../http/helpers.js';

export interface SessionsApiDeps {
  db: Kysely<IndexSchema>;
  engine?: IndexEngine;
  store: ObjectStore;
  dataKeys: DataKeyService;
  dataKeyStore: DataKeyStore;
  /** Deletion jobs and the tombstones they keep; `projectIds` lists every configured project. */
  deletion: { jobs: DeletionJobs; tombstones: TombstoneStore; projectIds: () => string[] };
  /** Captured page assets, put back into the events a replay gets. */
  assets?: AssetStore;
  logger?: { warn: (obj: object, msg: string) => void; error: (obj: object, msg: string) => void };
  /** Brakes on password guessing (defaults in `access/login-throttle.ts`). */
  loginLimits?: LoginLimits;
  loginShare?: LoginShare;
  /** Aggregates failed logins for unknown usernames before they reach the audit log. */
  failedLogins?: FailedLoginLog;
  /** A login session ends after this long without a request. @default 30 minutes */
  sessionIdleMs?: number;
  /** Longest lifetime a new API token may have. @default 365 days */
  tokenMaxLifetimeMs?: number;
}

/**
 * Everything a viewer talks to: login and setup, users and tokens, session search, metadata,
 * playback stream, export, deletion and the audit log. One router, mounted at `/`.
 */
export function createSessionsApiRouter(deps: SessionsApiDeps): Router {
  const router = Router();
  const reader = { store: deps.store, dataKeys: deps.dataKeys, dataKeyStore: deps.dataKeyStore };
  // Only this API's paths: a request for another extension never meets these credential checks.
  const paths = ['/v1/auth', '/v1/sessions', '/v1/users', '/v1/tokens', '/v1/audit', '/v1/deletions'];
  // Recordings, audit entries and tokens must not linger in browser or proxy caches.
  router.use(paths, (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(paths, authenticate(deps.db, { sessionIdleMs: deps.sessionIdleMs }));
  router.use(
    createAccessRouter(deps.db, {
      loginLimits: deps.loginLimits,
      ...(deps.loginShare ? { loginShare: deps.loginShare } : {}),
      failedLogins: deps.failedLogins,
      tokenMaxLifetimeMs: deps.tokenMaxLifetimeMs,
    }),
  );
  router.use(
    createPlaybackRouter({
      db: deps.db,
      engine: deps.engine,
      reader,
      ...(deps.assets ? { assets: deps.assets } : {}),
      deletion: deps.deletion,
      logger: deps.logger,
    }),
  );
  router.use(createAuditRouter(deps.db));
  router.use(apiErrorHandler(deps.logger));
  return router;
}
