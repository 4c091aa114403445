import { countUsers, deleteExpiredCredentials, issueSetupToken } from '../access/access-store.js';
import { FailedLoginLog, pruneFailedLogins } from '../access/failed-logins.js';
import type { LoginLimits } from '../access/login-throttle.js';
import { setPasswordHashConcurrency } from '../access/passwords.js';
import { recordAudit } from '../audit/audit-log.js';
import { retentionRules, type Collector, type CollectorPlugin } from '../collector.js';
import type { CollectorConfig } from '../config.js';
import { sweepExpiredSessions } from '../deletion/delete-sessions.js';
import { CLUSTER_SETTLE_MS } from '../cluster/bus.js';
import { DeletionJobs } from '../deletion/jobs.js';
import { CollectorError } from '../errors.js';
import { openIndexDatabase, type IndexDatabase, type IndexDatabaseOptions } from '../index-db/database.js';
import { deleteSessionRows, indexStoredSegment } from '../index-db/sessions-store.js';
import { createSessionsApiRouter } from './api.js';

export interface SessionsPluginOptions {
  /** Where the index lives. @default embedded SQLite at `<data dir>/index.sqlite` */
  index?: IndexDatabaseOptions;
  /** Base URL viewers use, for the setup link. @default the address the collector listens on */
  publicUrl?: string;
  /** Called with the one-time setup link when the index has no users; without it the link is printed to stderr. Never logged. */
  onSetupLink?: (url: string) => void;
  /**
   * Brakes on password guessing: per address and username, and per username from every address.
   * @default DEFAULT_LOGIN_LIMITS (access/login-throttle.ts)
   */
  loginLimits?: LoginLimits;
}

/**
 * The plugin's options from the collector's settings (`REPRISE_INDEX`, `REPRISE_INDEX_PATH`,
 * `REPRISE_DATABASE_URL`, `REPRISE_PUBLIC_URL`: validated and listed in --help with the others).
 */
export function sessionsPluginOptionsFromConfig(config: CollectorConfig): SessionsPluginOptions {
  return {
    index:
      config.index === 'postgres'
        ? { engine: 'postgres', connectionString: config.databaseUrl! }
        : { engine: 'sqlite', path: config.indexPath },
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
  };
}

export interface SessionsPlugin extends CollectorPlugin {
  /** The open index, once `setup` ran. */
  readonly index: IndexDatabase;
  /** Runs the index / key retention sweep now (it also runs every `sweepIntervalMs`). */
  sweep(now?: number): Promise<number>;
  /** Deletions as retryable jobs, once `setup` ran. */
  readonly deletions: DeletionJobs;
}

/**
 * The index, playback API, access control and audit, plugged into a collector: indexes each
 * segment once it is durable, serves the viewer API, sweeps expired sessions out of the index
 * and the key store, and prints a one-time setup link while there are no users.
 */
export function sessionsPlugin(options: SessionsPluginOptions = {}): SessionsPlugin {
  let index: IndexDatabase | undefined;
  let timer: NodeJS.Timeout | undefined;
  let collectorRef: Collector | undefined;
  let jobs: DeletionJobs | undefined;
  let failedLogins: FailedLoginLog | undefined;
  let flushTimer: NodeJS.Timeout | undefined;

  const sweep = async (now = Date.now()) => {
    const collector = collectorRef!;
    const deleted = await sweepExpiredSessions(
      {
        db: index!.db,
        store: collector.store,
        dataKeys: collector.dataKeys,
        dataKeyStore: collector.dataKeyStore,
        remove: async (project, sessionId) => {
          const job = await jobs!.request(project, sessionId, { reason: 'retention', by: 'system:retention' });
          if (job.state !== 'done')
            throw new CollectorError(
              'deletion_pending',
              503,
              `Retention could not finish deleting ${project}/${sessionId} (${job.lastError ?? 'unknown error'}); deletion job ${job.jobId} is retried until it does.`,
            );
          return { project, sessionId, objects: job.objects ?? 0 };
        },
      },
      retentionRules(collector.config),
      now,
    );
    for (const session of deleted) {
      await recordAudit(index!.db, {
        actor: { type: 'system', id: 'retention', name: 'retention sweep' },
        action: 'retention.delete',
        project: session.project,
        sessionId: session.sessionId,
        detail: { objects: session.objects },
      });
    }
    await deleteExpiredCredentials(index!.db, now, collector.config.sessionIdleMinutes * 60_000);
    await failedLogins?.flush();
    await pruneFailedLogins(index!.db, collector.config.loginFailureRetentionDays * 86_400_000, now);
    if (deleted.length > 0)
      collector.logger.info(
        { sessions: deleted.length },
        'retention sweep removed expired sessions from the index and key store',
      );
    return deleted.length;
  };

  return {
    name: 'sessions',
    get index() {
      if (!index) throw new CollectorError('not_ready', 503, 'the sessions plugin has not been set up yet.');
      return index;
    },
    sweep,
    get deletions() {
      if (!jobs) throw new CollectorError('not_ready', 503, 'the sessions plugin has not been set up yet.');
      return jobs;
    },
    async setup(collector) {
      collectorRef = collector;
      const { config, logger } = collector;
      index = await openIndexDatabase(options.index ?? { engine: 'sqlite', path: config.indexPath });
      const db = index.db;
      const engine = index.engine;
      const tombstones = collector.tombstones;
      jobs = new DeletionJobs({
        db,
        store: collector.store,
        dataKeys: collector.dataKeys,
        dataKeyStore: collector.dataKeyStore,
        tombstones,
        holds: (project, sessionId) => collector.writer.holds(project, sessionId),
        // The session's records already stored are then deleted with their log file (and its key)
        // once the writer has released the rest of it, instead of at the age roll.
        afterTombstone: () => collector.log.rollNow?.(),
        afterDelete: () => index?.purgeJournal?.(),
        logger,
        settleMs: collector.cluster ? CLUSTER_SETTLE_MS : 0,
      });
      collector.onSegmentStored(async (segment) => {
        // A deleted session's segment (stored before the writer learnt of the deletion) is not indexed again.
        if (tombstones.has(segment.project, segment.sessionId)) return;
        await indexStoredSegment(db, engine, segment);
        // Deleted while it was being indexed: the deletion may have removed the rows before these.
        if (tombstones.has(segment.project, segment.sessionId))
          await deleteSessionRows(db, segment.project, segment.sessionId);
      });
      const deletion = {
        jobs,
        tombstones,
        projectIds: () => collector.config.projectList.map((project) => project.id),
      };
      // Process-wide: the libuv threads it protects are shared by everything in the process.
      setPasswordHashConcurrency(config.passwordHashConcurrency);
      failedLogins = new FailedLoginLog(db);
      flushTimer = setInterval(
        () =>
          void failedLogins!
            .flush()
            .catch((error) => logger.error({ err: error }, 'writing failed logins to the audit log failed')),
        60_000,
      );
      flushTimer.unref();
      collector.mount(
        '/',
        createSessionsApiRouter({
          db,
          engine,
          store: collector.store,
          dataKeys: collector.dataKeys,
          dataKeyStore: collector.dataKeyStore,
          assets: collector.assets,
          deletion,
          logger,
          loginLimits: options.loginLimits,
          ...(collector.cluster ? { loginShare: collector.cluster } : {}),
          failedLogins,
          sessionIdleMs: config.sessionIdleMinutes * 60_000,
          tokenMaxLifetimeMs: config.tokenMaxDays * 86_400_000,
        }),
      );
      timer = setInterval(
        () => void sweep().catch((error) => logger.error({ err: error }, 'index retention sweep failed')),
        config.sweepIntervalMs,
      );
      timer.unref();
    },
    // The link is made once the collector listens: with port 0 the port is only known then.
    async started({ url }) {
      // Tombstones are loaded by now (collector start): deletions a crash or an outage left pending resume.
      jobs!.start();
      const db = index!.db;
      if ((await countUsers(db)) > 0) return;
      const token = await issueSetupToken(db);
      const link = `${options.publicUrl ?? url}/setup#token=${token}`;
      // The link holds a one-time admin credential: it goes to the embedder, or to the terminal
      // (stderr, plain text), never to the structured log, which is shipped and kept elsewhere.
      if (options.onSetupLink) options.onSetupLink(link);
      else
        process.stderr.write(
          `[@reprise/collector] No users yet. Create the first admin within 24 hours with this one-time link:\n${link}\n`,
        );
      collectorRef!.logger.warn(
        '[@reprise/collector] No users yet: the one-time setup link for the first admin was printed to the terminal (stderr) or handed to onSetupLink, not to this log.',
      );
    },
    async stop() {
      if (timer) clearInterval(timer);
      jobs?.stop();
      if (flushTimer) clearInterval(flushTimer);
      await failedLogins?.flush().catch(() => undefined);
      await index?.close();
    },
  };
}
