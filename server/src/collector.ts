import { createServer, type IncomingMessage, type Server } from 'node:http';
import { isAbsolute, join, relative, resolve } from 'node:path';
import express, {
  Router,
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { pino, type Logger } from 'pino';
import type { CollectorConfig } from './config.js';
import { createConfiguredDataKeyStore } from './crypto/data-key-store-factory.js';
import { DataKeyService, ObjectDataKeyStore } from './crypto/data-keys.js';
import { FileKeyring } from './crypto/keyring.js';
import type { DataKeyStore, KeyProvider } from './crypto/types.js';
import { OWN_ORIGINS_SETTING } from './access/middleware.js';
import { agreeOnActiveKey } from './cluster/active-key.js';
import { ClusterBus } from './cluster/bus.js';
import { SharedRateLimits } from './cluster/rate-limits.js';
import { DEFAULT_TOMBSTONE_REFRESH_MS, TombstoneStore } from './deletion/tombstones.js';
import { CollectorError, errorMessage } from './errors.js';
import { AssetStore } from './assets/asset-store.js';
import { createAssetRouter } from './assets/routes.js';
import { IngestActivity } from './ingest/activity.js';
import { DedupeIndex } from './ingest/dedupe.js';
import { freeDiskSpace } from './ingest/disk-space.js';
import {
  createIngestHandler,
  createIngestRouter,
  isIngestPost,
  type IngestHandler,
  type IngestOptions,
} from './ingest/route.js';
import { FileIngestLog } from './log/file-log.js';
import { LogCipher } from './log/cipher.js';
import { natsAccessOf, NatsIngestLog } from './log/nats-log.js';
import { maxLogRecordBytes } from './log/record.js';
import type { IngestLog } from './log/types.js';
import { createMetrics, type CollectorMetrics } from './metrics.js';
import { createOpsRouter } from './ops-routes.js';
import { ProjectRegistry } from './projects.js';
import { FolderObjectStore } from './store/folder-store.js';
import { shredExpiredDataKeys } from './deletion/shred-expired-keys.js';
import { sweepExpiredSegments } from './store/retention.js';
import { S3ObjectStore } from './store/s3-store.js';
import type { ObjectStore, RetentionRule } from './store/types.js';
import { DeadLetters, deadLetterStore } from './writer/dead-letters.js';
import { WriterLedger, type Ledger } from './writer/ledger.js';
import { NatsLedger } from './writer/nats-ledger.js';
import type { SegmentStoredHook } from './segment/types.js';
import { SegmentWriter } from './writer/writer.js';

/**
 * The client's address as Express's `req.ip` reads it (ingest runs ahead of Express): the socket's
 * peer, then X-Forwarded-For from the right for as long as REPRISE_TRUST_PROXY trusts the hop.
 */
function clientAddress(req: IncomingMessage, trust: (address: string, hop: number) => boolean): string | undefined {
  const peer = req.socket.remoteAddress;
  if (peer === undefined) return undefined;
  const header = req.headers['x-forwarded-for'];
  if (!header) return peer;
  const hops = [
    peer,
    ...(Array.isArray(header) ? header.join(',') : header)
      .split(',')
      .map((hop) => hop.trim())
      .reverse(),
  ];
  for (let i = 0; i < hops.length - 1; i++) if (!trust(hops[i]!, i)) return hops[i];
  return hops[hops.length - 1];
}

/**
 * The origins a browser shows when it talks to this collector, for the same-origin check of
 * login and setup: REPRISE_PUBLIC_URL's, or on a loopback address its names there. Undefined
 * for a wildcard listen address without a public URL (any name may reach it: the check falls
 * back to the Host header, and REPRISE_PUBLIC_URL should be set).
 */
function collectorOrigins(publicUrl: string | undefined, host: string, port: number): string[] | undefined {
  if (publicUrl) return [new URL(publicUrl).origin.toLowerCase()];
  const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
  if (!loopback && (host === '0.0.0.0' || host === '::')) return undefined;
  const names = loopback
    ? [host === '::1' ? '[::1]' : host, 'localhost', '127.0.0.1', '[::1]']
    : [host.includes(':') ? `[${host}]` : host];
  return [...new Set(names)].map((name) => `http://${name}:${port}`.toLowerCase());
}

/** Adds behaviour to a collector (index, playback API, audit...). */
export interface CollectorPlugin {
  name: string;
  /** Runs inside createCollector, before start(): subscribe hooks, mount routers. */
  setup(collector: Collector): void | Promise<void>;
  /**
   * Runs at the end of start(), in order, once the collector listens: the bound address is only
   * known here (port 0). A throwing plugin is logged; the collector keeps running.
   */
  started?(address: CollectorAddress): void | Promise<void>;
  /** Runs during stop(), after the writer drained, in reverse order of setup. */
  stop?(): void | Promise<void>;
}

/** Where a started collector listens; `url` has no trailing slash. */
export interface CollectorAddress {
  url: string;
  host: string;
  port: number;
}

export interface CollectorOptions {
  logger?: Logger;
  plugins?: CollectorPlugin[];
  extraRouters?: Array<{ path: string; router: RequestHandler }>;
  onSegmentStored?: SegmentStoredHook[];
  /** Replace a component (tests, a KMS key provider, another store). */
  store?: ObjectStore;
  keyProvider?: KeyProvider;
  dataKeyStore?: DataKeyStore;
  log?: IngestLog;
}

export interface Collector {
  app: Express;
  config: CollectorConfig;
  logger: Logger;
  metrics: CollectorMetrics;
  projects: ProjectRegistry;
  store: ObjectStore;
  keys: KeyProvider;
  dataKeyStore: DataKeyStore;
  dataKeys: DataKeyService;
  /** Page assets (stylesheets, fonts, images), content-addressed per project. */
  assets: AssetStore;
  /** Deleted sessions: refused by ingest, dropped by the writer and the index. */
  tombstones: TombstoneStore;
  /** What collector nodes on one NATS tell each other (undefined with the file log: one node). */
  cluster: ClusterBus | undefined;
  log: IngestLog;
  writer: SegmentWriter;
  onSegmentStored(hook: SegmentStoredHook): () => void;
  /** Serve more routes (before the JSON 404); works before and after start(). */
  mount(path: string, ...handlers: RequestHandler[]): void;
  /** Open the log, start the writer, listen. Resolves with the bound address. */
  start(): Promise<CollectorAddress>;
  /** Stop accepting, drain the log into the store (bounded by shutdownTimeoutMs), close everything. */
  stop(): Promise<void>;
  /** Ready: log open, writer running, store reachable at start. */
  readonly ready: boolean;
}

export function retentionRules(config: CollectorConfig): RetentionRule[] {
  return config.projectList.map((project) => ({
    project: project.id,
    retentionDays: project.retentionDays ?? config.retentionDays,
    ...((project.archiveAfterDays ?? config.archiveAfterDays) !== undefined
      ? { archiveAfterDays: project.archiveAfterDays ?? config.archiveAfterDays }
      : {}),
  }));
}

/**
 * The keyring inside the data folder with real projects configured: one copy or backup of that
 * folder then holds the keys, the wrapped data keys and the objects together, and deleting a
 * session's data keys no longer protects a backup of its objects. Development (the `dev`
 * project only) is left alone.
 */
export function keyringPlacementWarning(
  config: Pick<CollectorConfig, 'keyring' | 'dataDir' | 'devProject'>,
): string | undefined {
  if (config.devProject) return undefined;
  const inside = relative(resolve(config.dataDir), resolve(config.keyring));
  if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
  return `[@reprise/collector] The keyring ${config.keyring} is inside the data folder ${config.dataDir}: a backup or copy of that folder holds the keys with the recordings, so it can decrypt them, deleted sessions included. Keep the keyring apart (REPRISE_KEYRING pointing outside the data folder, a secret store, or a KMS key provider).`;
}

/** Stage 1: where segments go (options.store, S3 or the folder store). */
function createObjectStore(config: CollectorConfig): ObjectStore {
  if (config.store !== 's3') return new FolderObjectStore(config.objectsDir);
  return new S3ObjectStore({
    bucket: config.s3Bucket!,
    region: config.s3Region,
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
    forcePathStyle: config.s3ForcePathStyle,
    prefix: config.s3Prefix,
    createBucket: config.s3CreateBucket,
    archiveStorageClass: config.s3ArchiveClass,
  });
}

/** Stage 2: the key-encryption keys, from REPRISE_KEYRING_JSON or the keyring file (created, loudly, in development). */
async function loadKeyProvider(config: CollectorConfig, logger: Logger): Promise<KeyProvider> {
  if (config.keyringJson) return FileKeyring.fromMaterial(config.keyringJson);
  const loaded = await FileKeyring.load(config.keyring);
  if (loaded.created) {
    // Loud on purpose, on stderr as plain text as well as in the structured log.
    console.error(
      [
        '!'.repeat(80),
        `[@reprise/collector] Created a NEW keyring at ${config.keyring} (mode 0600).`,
        'Every stored session is encrypted under it: lose it and the recordings are gone.',
        'This is for development. In production provision your own key (a KMS, or your',
        'own keyring file from a secret store) and back it up apart from the data.',
        '!'.repeat(80),
      ].join('\n'),
    );
    logger.warn({ keyring: config.keyring }, 'created a new development keyring; production needs its own key');
  }
  if (loaded.permissionWarning) logger.warn(`[@reprise/collector] ${loaded.permissionWarning}`);
  const warning = keyringPlacementWarning(config);
  if (warning) {
    console.error(['!'.repeat(80), warning, '!'.repeat(80)].join('\n'));
    logger.warn({ keyring: config.keyring, dataDir: config.dataDir }, warning);
  }
  return loaded.keyring;
}

/**
 * Stage 3: what several nodes share. Tombstones live beside the wrapped data keys (shared by
 * every node, kept apart from the objects); a custom data key store without an object store under
 * it gets a folder in the data directory. On NATS, the cluster bus carries rate limits, tombstone
 * announcements and the login brake, and the ledger is a JetStream bucket.
 */
function createSharedState(
  config: CollectorConfig,
  deps: { logger: Logger; dataKeyStore: DataKeyStore; keyObjects: ObjectStore | undefined; dedupe: DedupeIndex },
) {
  const { logger, dataKeyStore, dedupe } = deps;
  const cluster =
    config.logBackend === 'nats'
      ? new ClusterBus({ servers: config.natsUrl, nodeId: config.nodeId, access: natsAccessOf(config), logger })
      : undefined;
  const tombstoneObjects =
    deps.keyObjects ??
    (dataKeyStore instanceof ObjectDataKeyStore
      ? dataKeyStore.store
      : new FolderObjectStore(join(config.dataDir, 'tombstones')));
  const tombstones = new TombstoneStore(
    tombstoneObjects,
    cluster ? (tombstone) => cluster.publish('tombstone', tombstone) : undefined,
  );
  cluster?.on('tombstone', (tombstone) => tombstones.learn(tombstone));
  const ledger: Ledger = cluster
    ? new NatsLedger({
        bus: cluster,
        replicas: config.natsReplicas,
        logger,
        onStored: (id, digest) => dedupe.remember(id, digest),
      })
    : new WriterLedger(join(config.dataDir, 'writer', 'ledger.jsonl'), { logger });
  return {
    cluster,
    tombstoneObjects,
    tombstones,
    ledger,
    rateLimits: cluster ? new SharedRateLimits(cluster) : undefined,
  };
}

/** Stage 4: the spool ingest acknowledges into (the embedded log, or JetStream). */
function createIngestLog(
  config: CollectorConfig,
  logger: Logger,
  metrics: CollectorMetrics,
  cipher: LogCipher,
): IngestLog {
  if (config.logBackend === 'nats')
    return new NatsIngestLog({
      servers: config.natsUrl,
      stream: config.natsStream,
      replicas: config.natsReplicas,
      ackWaitMs: config.natsAckWaitMs,
      cipher,
      ...natsAccessOf(config),
      logger,
    });
  return new FileIngestLog({
    dir: join(config.dataDir, 'log'),
    maxFileBytes: config.logFileBytes,
    maxFileAgeMs: config.logFileMaxAgeMs,
    cipher,
    maxRecordBytes: maxLogRecordBytes(config.maxDecompressedBytes),
    logger,
    onWriteRetry: () => metrics.logWriteRetries.inc(),
  });
}

/** Stage 5: ingest's settings, from the configuration and the parts built before. */
function ingestOptionsFor(
  config: CollectorConfig,
  parts: Pick<
    IngestOptions,
    'projects' | 'log' | 'dedupe' | 'metrics' | 'logger' | 'accepting' | 'isDeleted' | 'activity'
  > & {
    app: Express;
    rateLimits: SharedRateLimits | undefined;
    ownLog: boolean;
  },
): IngestOptions {
  const { app, rateLimits, ownLog, ...rest } = parts;
  return {
    ...rest,
    maxBodyBytes: config.maxBodyBytes,
    limits: {
      maxDecompressedBytes: config.maxDecompressedBytes,
      maxEvents: config.maxEvents,
      maxStringLength: config.maxStringLength,
      maxDepth: config.maxDepth,
      maxValues: config.maxValues,
    },
    maxClockSkewMs: config.maxClockSkewMs,
    decodeMemoryBytes: config.decodeMemoryBytes,
    redaction: {
      emails: config.redactEmails,
      cards: config.redactCards,
      ssn: config.redactSsn,
      phones: config.redactPhones,
      dropQueryStrings: config.dropQueryStrings,
      patterns: config.redactPatterns,
    },
    defaultRateLimit: { perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst },
    sessionRateLimit: { perSecond: config.sessionRateLimitPerSecond, burst: config.sessionRateLimitBurst },
    addressRateLimit: { perSecond: config.addressRateLimitPerSecond, burst: config.addressRateLimitBurst },
    ...(rateLimits ? { rateLimiters: rateLimits.limiters } : {}),
    // Express's compiled REPRISE_TRUST_PROXY: the same client address the audit log records.
    clientAddress: (req) => clientAddress(req, app.get('trust proxy fn') as (address: string, hop: number) => boolean),
    // The file log's disk only: a NATS log's disk is the NATS server's to watch.
    ...(config.logBackend === 'file' && ownLog
      ? { freeDiskBytes: freeDiskSpace(config.dataDir), minFreeDiskBytes: config.minFreeDiskBytes }
      : {}),
  };
}

/** Stage 6: the Express app around ingest, ops routes and the extension router, with the JSON 404 and error answers. */
function createApp(
  config: CollectorConfig,
  logger: Logger,
  routes: (app: Express) => {
    ingestOptions: IngestOptions;
    ingest: IngestHandler;
    /** Served right after ingest (the page assets' routes). */
    more: RequestHandler[];
    ops: Parameters<typeof createOpsRouter>[0];
  },
) {
  const app = express();
  app.disable('x-powered-by');
  // API answers are never cached; computing an ETag per 202 is wasted work on the ingest path.
  app.set('etag', false);
  // Only with a proxy configured do X-Forwarded-Proto / -For count (Secure cookies, audit IPs).
  app.set('trust proxy', config.trustProxy);
  const { ingestOptions, ingest, more, ops } = routes(app);
  app.use(createIngestRouter(ingestOptions, ingest));
  for (const router of more) app.use(router);
  app.use(createOpsRouter(ops));
  const extensions = Router();
  app.use(extensions);
  app.use((req, res) => {
    res
      .status(404)
      .json({ error: 'not_found', message: `[@reprise/collector] No route for ${req.method} ${req.path}.` });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = error instanceof CollectorError ? error.status : ((error as { status?: number }).status ?? 500);
    const code = error instanceof CollectorError ? error.code : status === 400 ? 'bad_request' : 'internal_error';
    if (status >= 500) logger.error({ err: error }, 'request failed');
    if (res.headersSent) return;
    res.status(status >= 400 && status < 600 ? status : 500).json({
      error: code,
      message:
        status >= 500 && !(error instanceof CollectorError)
          ? '[@reprise/collector] Internal error; see the collector log.'
          : (error as Error).message,
    });
  });
  return { app, extensions, ingest };
}

/** Retention: the folder store deletes expired segments itself (S3 has lifecycle rules); every store gets its expired sessions' data keys deleted. */
function retentionSweep(
  config: CollectorConfig,
  deps: Pick<Collector, 'store' | 'dataKeyStore' | 'dataKeys' | 'metrics' | 'logger'>,
): () => void {
  const { store, dataKeyStore, dataKeys, metrics, logger } = deps;
  return () =>
    void (async () => {
      const rules = retentionRules(config);
      if (store instanceof FolderObjectStore) await sweepExpiredSegments(store, rules, { logger });
      await shredExpiredDataKeys(dataKeyStore, rules, {
        logger,
        onShred: (project, sessionId) => dataKeys.forget(project, sessionId),
        onDamaged: () => metrics.damagedDataKeys.inc(),
      });
    })().catch((error) => logger.error({ err: error }, 'retention sweep failed'));
}

/** Where recordings live and what seals them: the object store, the key-encryption keys, the data keys. */
async function openStorage(config: CollectorConfig, options: CollectorOptions, logger: Logger) {
  const store = options.store ?? createObjectStore(config);
  const keys = options.keyProvider ?? (await loadKeyProvider(config, logger));
  const configuredKeys = options.dataKeyStore ? undefined : createConfiguredDataKeyStore(config);
  const dataKeyStore = options.dataKeyStore ?? configuredKeys!.dataKeyStore;
  const dataKeys = new DataKeyService(keys, dataKeyStore, {
    onDamagedKey: (where, error) =>
      logger.warn(
        { key: where, error: errorMessage(error) },
        'a data key record cannot be read (torn by a crash, or damaged); new segments of its session use another key',
      ),
  });
  return { store, keys, keysS3: configuredKeys?.s3, keyObjects: configuredKeys?.objects, dataKeyStore, dataKeys };
}

type Storage = Awaited<ReturnType<typeof openStorage>>;

/** The ingest log and the writer that empties it into segments, dead letters beside it. */
function createWritePath(
  config: CollectorConfig,
  options: CollectorOptions,
  storage: Storage,
  deps: { logger: Logger; metrics: CollectorMetrics; dedupe: DedupeIndex; activity: IngestActivity } & ReturnType<
    typeof createSharedState
  >,
) {
  const { logger, metrics, dedupe, activity, cluster, tombstones, ledger } = deps;
  const { store, keys, dataKeyStore, dataKeys } = storage;
  // The log's records are sealed under data keys of their own, in the same key store (rotated
  // with the others), shredded as log files are deleted.
  const log = options.log ?? createIngestLog(config, logger, metrics, new LogCipher(keys, dataKeyStore));
  // Beside the log, encrypted under each session's data key (writer/dead-letters.ts).
  const deadLetterObjects = deadLetterStore(config);
  const writer = new SegmentWriter(
    {
      log,
      store,
      dataKeys,
      dataKeyStore,
      ledger,
      logger,
      metrics,
      deadLetters: new DeadLetters({ store: deadLetterObjects, dataKeys }),
      ingestSaturated: () => activity.saturated,
      onBatchSeen: (id, digest) => dedupe.remember(id, digest),
      isDeleted: (project, sessionId) => tombstones.has(project, sessionId),
      ...(cluster ? { isDeletedShared: (project, sessionId) => tombstones.recorded(project, sessionId) } : {}),
    },
    {
      maxSegmentBytes: config.segmentMaxBytes,
      maxSegmentAgeMs: config.segmentMaxAgeMs,
      maxYieldMs: config.writerYieldMs,
    },
  );
  metrics.setLagSource(() => log.lag());
  metrics.setAnsweringSource(() => activity.answering);
  return { log, writer, deadLetterObjects };
}

/**
 * The public listener (`POST /v1/ingest` straight to its handler, everything else through
 * Express) and, when configured, the metrics listener on a port of its own.
 */
async function listenAll(
  config: CollectorConfig,
  app: Express,
  ingest: IngestHandler,
  ops: Omit<Parameters<typeof createOpsRouter>[0], 'access'>,
): Promise<{ server: Server; metricsServer?: Server; port: number }> {
  const server = await listen(
    createServer((req, res) => {
      if (isIngestPost(req)) void ingest(req, res);
      else app(req, res);
    }),
    config.port,
    config.host,
  );
  // Beacons and keep-alive clients: keep idle sockets a little longer than typical proxies.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : config.port;
  if (config.metricsPort === undefined) return { server, port };
  const metricsApp = express();
  metricsApp.disable('x-powered-by');
  metricsApp.use(createOpsRouter({ ...ops, access: 'open' }));
  return {
    server,
    port,
    metricsServer: await listen(createServer(metricsApp), config.metricsPort, config.metricsHost),
  };
}

/** Close a listener, ending kept-alive connections, once its requests are answered. */
async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  const closing = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closing;
}

/** Plugins' hooks: a failing one is logged, the collector keeps running or stopping. */
async function runPluginHooks(
  plugins: CollectorPlugin[],
  logger: Logger,
  what: string,
  hook: (plugin: CollectorPlugin) => void | Promise<void>,
): Promise<void> {
  for (const plugin of plugins) {
    try {
      await hook(plugin);
    } catch (error) {
      logger.error({ err: error, plugin: plugin.name }, what);
    }
  }
}

export async function createCollector(config: CollectorConfig, options: CollectorOptions = {}): Promise<Collector> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'reprise-collector' } });
  const metrics = createMetrics();
  const projects = new ProjectRegistry(config.projectList);
  const storage = await openStorage(config, options, logger);
  const { store, keys, keysS3, dataKeyStore, dataKeys } = storage;
  const dedupe = new DedupeIndex(config.dedupeCapacity);
  const shared = createSharedState(config, { logger, dataKeyStore, keyObjects: storage.keyObjects, dedupe });
  const { cluster, tombstoneObjects, tombstones, ledger, rateLimits } = shared;
  const activity = new IngestActivity();
  const { log, writer, deadLetterObjects } = createWritePath(config, options, storage, {
    logger,
    metrics,
    dedupe,
    activity,
    ...shared,
  });

  let accepting = false;
  let ready = false;
  let server: Server | undefined;
  let metricsServer: Server | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let tombstoneTimer: NodeJS.Timeout | undefined;

  const assets = new AssetStore({ store, dataKeys });
  const ops = {
    ready: () => ready,
    details: () => ({ log: log.description, store: store.description, lag: log.lag() }),
    metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
  };
  const { app, extensions, ingest } = createApp(config, logger, (app) => {
    const ingestOptions = ingestOptionsFor(config, {
      projects,
      log,
      dedupe,
      metrics,
      logger,
      app,
      rateLimits,
      ownLog: !options.log,
      accepting: () => accepting,
      isDeleted: (project, sessionId) => tombstones.has(project, sessionId),
      activity,
    });
    return {
      ingestOptions,
      ingest: createIngestHandler(ingestOptions),
      more: [
        createAssetRouter({
          assets,
          projects,
          maxAssetBytes: config.assetMaxBytes,
          maxSessionBytes: config.assetSessionMaxBytes,
          rateLimit: { perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst },
          refused: (reason, status) => metrics.refusals.inc({ reason, status: String(status) }),
        }),
      ],
      ops: { ...ops, access: { token: config.metricsToken } },
    };
  });

  /** Stores, keys and the cluster's shared state, in the order each needs the one before. */
  const openShared = async (): Promise<void> => {
    if (store instanceof S3ObjectStore) {
      await store.open();
      await store.applyRetention(retentionRules(config), logger);
    }
    await keysS3?.open();
    // Crypto-shredding deletes the wrapped data keys: on a versioned bucket they would survive.
    await keysS3?.assertUnversioned('the wrapped data keys (REPRISE_KEYS_S3_BUCKET)');
    if (cluster) {
      // Subscribed before the tombstones are loaded, so none announced in between is missed.
      await cluster.open();
      const { previous } = await agreeOnActiveKey(tombstoneObjects, keys, config.nodeId);
      if (previous)
        logger.warn(
          { from: previous, to: keys.activeKeyId },
          "the cluster's active key-encryption key moved to this node's",
        );
      rateLimits!.start();
    }
    // Before the log is read or ingest answers: a restart must refuse what was deleted.
    await tombstones.open();
    tombstoneTimer = setInterval(
      () =>
        void tombstones
          .refresh()
          .catch((error) => logger.warn({ err: error }, "reading other nodes' tombstones failed; trying again")),
      DEFAULT_TOMBSTONE_REFRESH_MS,
    );
    tombstoneTimer.unref();
  };

  const plugins = options.plugins ?? [];
  const collector: Collector = {
    app,
    config,
    logger,
    metrics,
    projects,
    store,
    keys,
    dataKeyStore,
    dataKeys,
    assets,
    tombstones,
    cluster,
    log,
    writer,
    onSegmentStored: (hook) => writer.onSegmentStored(hook),
    mount: (path, ...handlers) => {
      extensions.use(path, ...handlers);
    },
    get ready() {
      return ready;
    },
    async start() {
      await openShared();
      await log.open();
      await ledger.open();
      for (const [id, digest] of ledger.storedEntries()) dedupe.remember(id, digest);
      await writer.start();
      sweepTimer = setInterval(retentionSweep(config, collector), config.sweepIntervalMs);
      sweepTimer.unref();
      const listening = await listenAll(config, app, ingest, ops);
      ({ server, metricsServer } = listening);
      accepting = true;
      ready = true;
      const { port } = listening;
      const address: CollectorAddress = {
        url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
        host: config.host,
        port,
      };
      const ownOrigins = collectorOrigins(config.publicUrl, config.host, port);
      if (ownOrigins) app.set(OWN_ORIGINS_SETTING, ownOrigins);
      await runPluginHooks(plugins, logger, 'plugin started hook failed', (plugin) => plugin.started?.(address));
      return address;
    },
    async stop() {
      accepting = false;
      ready = false;
      if (sweepTimer) clearInterval(sweepTimer);
      if (tombstoneTimer) clearInterval(tombstoneTimer);
      // Stop taking connections now; open ones are ended after the writer has drained.
      const closing = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
      server?.closeIdleConnections();
      const drained = await writer.stop(config.shutdownTimeoutMs);
      if (!drained)
        logger.warn(
          { lag: log.lag() },
          'shutdown: the object store did not take everything in time; the rest stays in the log for the next start',
        );
      await runPluginHooks([...plugins].reverse(), logger, 'plugin stop failed', (plugin) => plugin.stop?.());
      await log.close();
      await ledger.close();
      rateLimits?.stop();
      await cluster?.close();
      await store.close();
      await deadLetterObjects.close();
      await keysS3?.close();
      server?.closeAllConnections();
      await closing;
      await closeServer(metricsServer);
    },
  };
  for (const hook of options.onSegmentStored ?? []) writer.onSegmentStored(hook);
  for (const { path, router } of options.extraRouters ?? []) extensions.use(path, router);
  for (const plugin of plugins) await plugin.setup(collector);
  return collector;
}

function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
