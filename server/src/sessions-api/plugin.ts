import { countUsers, deleteExpiredCredentials, issueSetupToken } from '../access/access-store.js';
import type { LoginLimits } from '../access/login-throttle.js';
import { recordAudit } from '../audit/audit-log.js';
import { retentionRules, type Collector, type CollectorPlugin } from '../collector.js';
import type { CollectorConfig } from '../config.js';
import { sweepExpiredSessions } from '../deletion/delete-sessions.js';
import { CollectorError } from '../errors.js';
import { openIndexDatabase, type IndexDatabase, type IndexDatabaseOptions } from '../index-db/database.js';
import { indexStoredSegment } from '../index-db/sessions-store.js';
import { createSessionsApiRouter } from './api.js';

export interface SessionsPluginOptions {
  /** Where the index lives. @default embedded SQLite at `<data dir>/index.sqlite` */
  index?: IndexDatabaseOptions;
  /** Base URL viewers use, for the setup link. @default the address the collector listens on */
  publicUrl?: string;
  /** Called with the one-time setup link when the index has no users (also logged). */
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

  const sweep = async (now = Date.now()) => {
    const collector = collectorRef!;
    const deleted = await sweepExpiredSessions(
      { db: index!.db, store: collector.store, dataKeys: collector.dataKeys, dataKeyStore: collector.dataKeyStore },
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
    await deleteExpiredCredentials(index!.db, now);
    if (deleted.length > 0) collector.logger.info({ sessions: deleted.length }, 'retention sweep removed expired sessions from the index and key store');
    return deleted.length;
  };

  return {
    name: 'sessions',
    get index() {
      if (!index) throw new CollectorError('not_ready', 503, 'the sessions plugin has not been set up yet.');
      return index;
    },
    sweep,
    async setup(collector) {
      collectorRef = collector;
      const { config, logger } = collector;
      index = await openIndexDatabase(options.index ?? { engine: 'sqlite', path: config.indexPath });
      const db = index.db;
      const engine = index.engine;
      collector.onSegmentStored(async (segment) => {
        await indexStoredSegment(db, engine, segment);
      });
      collector.mount('/', createSessionsApiRouter({ db, engine, store: collector.store, dataKeys: collector.dataKeys, dataKeyStore: collector.dataKeyStore, logger, loginLimits: options.loginLimits }));
      timer = setInterval(() => void sweep().catch((error) => logger.error({ err: error }, 'index retention sweep failed')), config.sweepIntervalMs);
      timer.unref();
    },
    // The link is made once the collector listens: with port 0 the port is only known then.
    async started({ url }) {
      const db = index!.db;
      if ((await countUsers(db)) > 0) return;
      const token = await issueSetupToken(db);
      const link = `${options.publicUrl ?? url}/setup#token=${token}`;
      options.onSetupLink?.(link);
      collectorRef!.logger.warn(
        { setupLink: link },
        `[@reprise/collector] No users yet. Create the first admin within 24 hours with this one-time link: ${link}`,
      );
    },
    async stop() {
      if (timer) clearInterval(timer);
      await index?.close();
    },
  };
}
