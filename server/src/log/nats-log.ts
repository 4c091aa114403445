import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  AckPolicy,
  connect,
  credsAuthenticator,
  DeliverPolicy,
  nanos,
  RetentionPolicy,
  StorageType,
  type Consumer,
  type JsMsg,
  type JetStreamClient,
  type ConnectionOptions,
  type NatsConnection,
} from 'nats';
import type { Logger } from 'pino';
import type { CollectorConfig } from '../config.js';
import { CollectorError, errorMessage } from '../errors.js';
import { isSealedLogRecord, type LogCipher, type LogKey } from './cipher.js';
import { packLogRecord, unpackLogRecord } from './record.js';
import { batchId, type AppendOutcome, type IngestLog, type LogEntry, type LogRecord } from './types.js';

/** How long a message waits before it is offered again when its log key could not be fetched. */
const KEY_RETRY_DELAY_MS = 2_000;
const DAY_MS = 86_400_000;
/**
 * A day's log key is shredded only this long after its day ended and after every message of the
 * day left the stream: room for a publish in flight at midnight and for node clocks a little off.
 */
const KEY_PRUNE_MARGIN_MS = 3_600_000;

export interface NatsLogOptions {
  /** e.g. `nats://127.0.0.1:4222` (comma-separated for a cluster). */
  servers: string;
  /** @default REPRISE_INGEST */
  stream?: string;
  /** Subjects are `{subject}.{project}`. @default reprise.ingest */
  subject?: string;
  /** Durable consumer shared by every collector node's writer. @default reprise-writer */
  consumer?: string;
  /** JetStream's own dedupe window (Nats-Msg-Id = batch id). @default 10 minutes */
  duplicateWindowMs?: number;
  /** Stream replicas (3 in a JetStream cluster for real durability). @default 1 */
  replicas?: number;
  /**
   * How long a message handed to a writer stays invisible to the others. Messages a live writer
   * still holds (an object-store outage) are kept invisible by heartbeats; a crashed writer's
   * messages go to another writer after this. @default 30 s
   */
  ackWaitMs?: number;
  /**
   * Seal every payload before it is published (STORAGE.md, "Encrypted log records"): the stream's
   * files and its replicas hold no batch in clear. Without it payloads go in clear.
   */
  cipher?: LogCipher;
  /**
   * How often this node shreds the stream's log keys of past days that no message in the stream
   * can be sealed under any more (`pruneKeys`). @default 1 hour
   */
  keyPruneIntervalMs?: number;
  /** How the collector proves who it is to nats-server (nats.js ignores `user:pass@` in the URL). */
  auth?: NatsAuth;
  /** TLS to nats-server: the CA that signed its certificate, and a client certificate when it asks for one. */
  tls?: NatsTls;
  logger?: Logger;
}

export interface NatsAuth {
  user?: string;
  pass?: string;
  token?: string;
  /** A `.creds` file (JWT + NKey seed, as `nsc` writes it): decentralised auth and plain NKeys. */
  credsFile?: string;
}

export interface NatsTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** Credentials and TLS for nats-server (README, "Several nodes"). */
export interface NatsAccess {
  auth?: NatsAuth;
  tls?: NatsTls;
}

/** The REPRISE_NATS_* credentials and TLS settings, for every connection a collector makes to NATS. */
export function natsAccessOf(
  config: Pick<
    CollectorConfig,
    'natsUser' | 'natsPassword' | 'natsToken' | 'natsCreds' | 'natsTlsCa' | 'natsTlsCert' | 'natsTlsKey'
  >,
): NatsAccess {
  const auth: NatsAuth = {
    ...(config.natsUser !== undefined ? { user: config.natsUser } : {}),
    ...(config.natsPassword !== undefined ? { pass: config.natsPassword } : {}),
    ...(config.natsToken !== undefined ? { token: config.natsToken } : {}),
    ...(config.natsCreds !== undefined ? { credsFile: config.natsCreds } : {}),
  };
  const tlsSet = config.natsTlsCa !== undefined || config.natsTlsCert !== undefined || config.natsTlsKey !== undefined;
  return {
    auth,
    ...(tlsSet
      ? {
          tls: {
            ...(config.natsTlsCa !== undefined ? { caFile: config.natsTlsCa } : {}),
            ...(config.natsTlsCert !== undefined ? { certFile: config.natsTlsCert } : {}),
            ...(config.natsTlsKey !== undefined ? { keyFile: config.natsTlsKey } : {}),
          },
        }
      : {}),
  };
}

/** A collector's connection to NATS (`servers`: comma-separated), reconnecting for as long as it runs. */
export async function connectNats(servers: string, access: NatsAccess = {}): Promise<NatsConnection> {
  const auth = access.auth ?? {};
  const options: ConnectionOptions = {
    servers: servers.split(','),
    name: 'reprise-collector',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  };
  if (auth.user !== undefined) options.user = auth.user;
  if (auth.pass !== undefined) options.pass = auth.pass;
  if (auth.token !== undefined) options.token = auth.token;
  if (auth.credsFile !== undefined) {
    let creds: Buffer;
    try {
      creds = await readFile(auth.credsFile);
    } catch (error) {
      throw new CollectorError(
        'nats_unavailable',
        503,
        `Cannot read the NATS credentials file ${auth.credsFile} (${errorMessage(error)}); check REPRISE_NATS_CREDS.`,
        { cause: error },
      );
    }
    options.authenticator = credsAuthenticator(creds);
  }
  if (access.tls) {
    options.tls = {
      ...(access.tls.caFile ? { caFile: access.tls.caFile } : {}),
      ...(access.tls.certFile ? { certFile: access.tls.certFile } : {}),
      ...(access.tls.keyFile ? { keyFile: access.tls.keyFile } : {}),
    };
  }
  try {
    return await connect(options);
  } catch (error) {
    throw new CollectorError(
      'nats_unavailable',
      503,
      `Cannot connect to NATS at ${servers} (${errorMessage(error)}). Start nats-server with JetStream enabled, or check REPRISE_NATS_URL, the credentials (REPRISE_NATS_USER / _PASSWORD / _TOKEN / _CREDS) and TLS (REPRISE_NATS_TLS_CA / _CERT / _KEY).`,
      { cause: error },
    );
  }
}

/**
 * NATS JetStream as the log, for several collector nodes: a work-queue stream with file
 * storage; `append` resolves on JetStream's publish ack. Every writer pulls from one durable
 * consumer and acks a message once its segment is stored.
 */
export class NatsIngestLog implements IngestLog {
  readonly description: string;
  private readonly options: Required<Omit<NatsLogOptions, 'logger' | 'cipher' | 'auth' | 'tls'>>;
  private readonly logger: Logger | undefined;
  private readonly cipher: LogCipher | undefined;
  private readonly auth: NatsAuth;
  private readonly tls: NatsTls | undefined;
  /** The key payloads are sealed under, and the UTC day it is for (a new key each day). */
  private sealing: { day: string; name: string; key: Promise<LogKey> } | undefined;
  /** Epoch ms of open(): messages in clear are accepted only from before it. */
  private openedAt = 0;
  private connection: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private consumer: Consumer | undefined;
  private readonly inFlight = new Map<number, JsMsg>();
  private lastLag = 0;
  private lagTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(options: NatsLogOptions) {
    this.options = {
      servers: options.servers,
      stream: options.stream ?? 'REPRISE_INGEST',
      subject: options.subject ?? 'reprise.ingest',
      consumer: options.consumer ?? 'reprise-writer',
      duplicateWindowMs: options.duplicateWindowMs ?? 600_000,
      replicas: options.replicas ?? 1,
      ackWaitMs: options.ackWaitMs ?? 30_000,
      keyPruneIntervalMs: options.keyPruneIntervalMs ?? 3_600_000,
    };
    this.logger = options.logger;
    this.cipher = options.cipher;
    this.auth = options.auth ?? {};
    this.tls = options.tls;
    this.description = `nats:${options.servers} stream ${this.options.stream}`;
  }

  /** Today's sealing key, created (and stored in the key store) on the day's first append. */
  private sealingKey(): Promise<LogKey> {
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    if (this.sealing?.day !== day) {
      const name = `nats-${this.options.stream}-${day}-${randomBytes(4).toString('hex')}`;
      const key = this.cipher!.create(name);
      // A failed creation (key store down) is tried again by the next append.
      key.catch(() => {
        if (this.sealing?.key === key) this.sealing = undefined;
      });
      this.sealing = { day, name, key };
    }
    return this.sealing.key;
  }

  async open(): Promise<void> {
    this.openedAt = Date.now();
    this.connection = await connectNats(this.options.servers, {
      auth: this.auth,
      ...(this.tls ? { tls: this.tls } : {}),
    });
    const manager = await this.connection.jetstreamManager();
    const streamConfig = {
      name: this.options.stream,
      subjects: [`${this.options.subject}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      duplicate_window: nanos(this.options.duplicateWindowMs),
      num_replicas: this.options.replicas,
    };
    try {
      await manager.streams.info(this.options.stream);
    } catch {
      await manager.streams.add(streamConfig);
    }
    const consumerConfig = {
      durable_name: this.options.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.options.ackWaitMs),
      max_ack_pending: 200_000,
    };
    try {
      await manager.consumers.add(this.options.stream, consumerConfig);
    } catch {
      // It exists with other settings (an older collector): bring it in line.
      await manager.consumers.update(this.options.stream, this.options.consumer, {
        ack_wait: consumerConfig.ack_wait,
        max_ack_pending: consumerConfig.max_ack_pending,
      });
    }
    this.js = this.connection.jetstream();
    this.lagTimer = setInterval(() => void this.refreshLag(), 1000);
    this.lagTimer.unref();
    // Keep what this writer holds (open segments, an object-store outage) from being redelivered.
    this.heartbeatTimer = setInterval(
      () => {
        for (const message of this.inFlight.values()) message.working();
      },
      Math.max(500, Math.floor(this.options.ackWaitMs / 3)),
    );
    this.heartbeatTimer.unref();
    if (this.cipher) {
      const prune = () =>
        void this.pruneKeys().catch((error: unknown) =>
          this.logger?.warn({ err: error }, 'nats log: pruning old log keys failed; trying again later'),
        );
      prune();
      this.pruneTimer = setInterval(prune, this.options.keyPruneIntervalMs);
      this.pruneTimer.unref();
    }
  }

  /**
   * Shred this stream's log keys of past days once no message in the stream can be sealed under
   * them: a key of day D seals only what is published on day D (UTC), so it goes when the oldest
   * message in the stream is from after D (or the stream is empty) and D ended more than an hour
   * ago. Every node may run it; shredding a key twice is harmless. Returns the names shredded.
   */
  async pruneKeys(now = Date.now()): Promise<string[]> {
    if (!this.cipher || !this.connection) return [];
    const manager = await this.connection.jetstreamManager();
    const { state } = await manager.streams.info(this.options.stream);
    const oldest = state.messages > 0 ? Date.parse(state.first_ts) : now;
    // An unreadable timestamp keeps every key: a wrong guess here would lose records.
    if (!Number.isFinite(oldest)) return [];
    const before = Math.min(oldest, now) - KEY_PRUNE_MARGIN_MS;
    const ownName = new RegExp(`^nats-${escapeRegExp(this.options.stream)}-(\\d{4})(\\d{2})(\\d{2})-[0-9a-f]{8}$`);
    const shredded: string[] = [];
    for (const name of await this.cipher.names()) {
      const day = ownName.exec(name);
      if (!day) continue;
      const dayEnds = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])) + DAY_MS;
      // The key this node seals with now is kept whatever the clocks say.
      if (!(dayEnds <= before) || name === this.sealing?.name) continue;
      await this.cipher.forget(name);
      shredded.push(name);
    }
    if (shredded.length > 0) this.logger?.info({ keys: shredded }, 'nats log: shredded log keys of past days');
    return shredded;
  }

  private async refreshLag(): Promise<void> {
    try {
      const manager = await this.connection!.jetstreamManager();
      const info = await manager.consumers.info(this.options.stream, this.options.consumer);
      this.lastLag = info.num_pending + info.num_ack_pending;
    } catch (error) {
      this.logger?.debug({ err: error }, 'nats log: consumer info failed');
    }
  }

  async append(record: LogRecord): Promise<AppendOutcome> {
    if (!this.js) throw new CollectorError('log_closed', 503, 'The NATS ingest log is not open; retry shortly.');
    const id = batchId({ ...record.batch, project: record.project, part: (record.batch as { part?: string }).part });
    let payload: Buffer;
    try {
      payload = this.cipher ? this.cipher.seal(packLogRecord(record), await this.sealingKey()) : packLogRecord(record);
    } catch (error) {
      throw new CollectorError(
        'log_write_failed',
        503,
        `Could not create the key that seals the batch for JetStream (${errorMessage(error)}); nothing was acknowledged, retry.`,
        { cause: error },
      );
    }
    try {
      const ack = await this.js.publish(`${this.options.subject}.${record.project}`, payload, {
        msgID: id,
        timeout: 5_000,
      });
      return ack.duplicate ? 'duplicate' : 'appended';
    } catch (error) {
      // The record is the decoded batch, up to the decompressed limit (8 MiB by default), while
      // NATS carries at most its max_payload (1 MiB by default): 413 makes the recorder halve the
      // batch, where 503 would have it resend the same bytes forever.
      if ((error as { code?: unknown }).code === 'MAX_PAYLOAD_EXCEEDED') {
        throw new CollectorError(
          'too_large',
          413,
          `The batch is larger decoded than this collector's NATS server carries in one message (max_payload ${this.connection?.info?.max_payload ?? 'unknown'} bytes); send smaller batches, or raise max_payload in nats-server's config.`,
          { cause: error },
        );
      }
      throw new CollectorError(
        'log_write_failed',
        503,
        `JetStream did not acknowledge the batch (${errorMessage(error)}); nothing was acknowledged, retry.`,
        { cause: error },
      );
    }
  }

  async read(max: number, waitMs: number): Promise<LogEntry[]> {
    if (!this.js) return [];
    this.consumer ??= await this.js.consumers.get(this.options.stream, this.options.consumer);
    const consumer = this.consumer;
    const messages = await consumer.fetch({ max_messages: max, expires: Math.max(1_000, waitMs) });
    const entries: LogEntry[] = [];
    try {
      for await (const message of messages) {
        let record: LogRecord;
        try {
          record = await this.decode(message);
        } catch (error) {
          if (error instanceof CollectorError && error.code === 'log_key_unavailable') {
            // The key store is down: the message is sound. Hand it back for a later read.
            this.logger?.warn({ err: error, seq: message.seq }, 'nats log: a log key could not be fetched; retrying');
            message.nak(KEY_RETRY_DELAY_MS);
            continue;
          }
          // Modified on the stream, forged without the key, or not a valid batch: never stored.
          this.logger?.error(
            { err: error, seq: message.seq, subject: message.subject },
            'nats log: a message that does not authenticate or validate was refused (terminated, not stored)',
          );
          message.term();
          continue;
        }
        this.inFlight.set(message.seq, message);
        entries.push({ position: message.seq, record, bytes: message.data.byteLength });
      }
    } catch (error) {
      // The pull ended with an error after some messages arrived (a reconnect, a server status).
      // Those messages are held here and kept alive by the heartbeat: the writer must get them,
      // or nobody would ever store or release them.
      if (entries.length === 0) throw error;
      this.logger?.warn(
        { err: error, messages: entries.length },
        'nats log: a pull ended early; keeping what it brought',
      );
    }
    return entries;
  }

  private async decode(message: JsMsg): Promise<LogRecord> {
    const data = message.data;
    if (isSealedLogRecord(data)) {
      if (!this.cipher) throw new TypeError('an encrypted message, and no key store to read it with');
      return unpackLogRecord(await this.cipher.open(data));
    }
    // In clear: published by a collector from before encryption, so before this one started
    // (README: upgrade every node at once). A newer message in clear was not sent by a collector.
    if (this.cipher && message.info.timestampNanos / 1e6 >= this.openedAt)
      throw new TypeError('a message in clear on an encrypted stream');
    return unpackLogRecord(data);
  }

  async release(entries: readonly LogEntry[]): Promise<void> {
    for (const entry of entries) {
      const message = this.inFlight.get(entry.position);
      if (!message) continue;
      this.inFlight.delete(entry.position);
      message.ack();
    }
  }

  lag(): number {
    return this.lastLag;
  }

  async close(): Promise<void> {
    if (this.lagTimer) clearInterval(this.lagTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    const connection = this.connection;
    this.connection = undefined;
    this.js = undefined;
    this.consumer = undefined;
    // drain() flushes pending acks before closing.
    await connection?.drain().catch(() => connection.close());
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
