import {
  AckPolicy,
  connect,
  DeliverPolicy,
  nanos,
  RetentionPolicy,
  StorageType,
  type Consumer,
  type JsMsg,
  type JetStreamClient,
  type NatsConnection,
} from 'nats';
import type { Logger } from 'pino';
import { CollectorError, errorMessage } from '../errors.js';
import { packLogRecord, unpackLogRecord } from './record.js';
import { batchId, type AppendOutcome, type IngestLog, type LogEntry, type LogRecord } from './types.js';

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
  logger?: Logger;
}

/** A collector's connection to NATS (`servers`: comma-separated), reconnecting for as long as it runs. */
export async function connectNats(servers: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers: servers.split(','),
      name: 'reprise-collector',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
  } catch (error) {
    throw new CollectorError(
      'nats_unavailable',
      503,
      `Cannot connect to NATS at ${servers} (${errorMessage(error)}). Start nats-server with JetStream enabled or check REPRISE_NATS_URL.`,
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
  private readonly options: Required<Omit<NatsLogOptions, 'logger'>>;
  private readonly logger: Logger | undefined;
  private connection: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private consumer: Consumer | undefined;
  private readonly inFlight = new Map<number, JsMsg>();
  private lastLag = 0;
  private lagTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(options: NatsLogOptions) {
    this.options = {
      servers: options.servers,
      stream: options.stream ?? 'REPRISE_INGEST',
      subject: options.subject ?? 'reprise.ingest',
      consumer: options.consumer ?? 'reprise-writer',
      duplicateWindowMs: options.duplicateWindowMs ?? 600_000,
      replicas: options.replicas ?? 1,
      ackWaitMs: options.ackWaitMs ?? 30_000,
    };
    this.logger = options.logger;
    this.description = `nats:${options.servers} stream ${this.options.stream}`;
  }

  async open(): Promise<void> {
    this.connection = await connectNats(this.options.servers);
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
    try {
      const ack = await this.js.publish(`${this.options.subject}.${record.project}`, packLogRecord(record), {
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
    for await (const message of messages) {
      let record: LogRecord;
      try {
        record = unpackLogRecord(message.data);
      } catch (error) {
        this.logger?.error({ err: error, seq: message.seq }, 'nats log: undecodable message terminated');
        message.term();
        continue;
      }
      this.inFlight.set(message.seq, message);
      entries.push({ position: message.seq, record, bytes: message.data.byteLength });
    }
    return entries;
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
    const connection = this.connection;
    this.connection = undefined;
    this.js = undefined;
    this.consumer = undefined;
    // drain() flushes pending acks before closing.
    await connection?.drain().catch(() => connection.close());
  }
}
