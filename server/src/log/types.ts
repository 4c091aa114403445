import type { Batch } from '@reprise/protocol';

/**
 * Identity of a batch for deduplication: a retry keeps all of these. `part` is set only on a
 * batch the recorder split after a 413 (PROTOCOL.md, "Splitting"): each half is its own batch.
 */
export function batchId(
  batch: Pick<Batch, 'project' | 'session' | 'tab' | 'seq'> & { part?: string | undefined },
): string {
  return `${batch.project}/${batch.session}/${batch.tab}/${batch.seq}${batch.part ? `.${batch.part}` : ''}`;
}

/** What ingest appends: the validated, redacted batch, its project id and a digest of the request body. */
export interface LogRecord {
  /** Project id (not the ingest key). */
  project: string;
  /** Epoch ms when the collector received the batch. */
  receivedAt: number;
  /** sha-256 of the request body, base64url, first 22 chars: tells a retry from a conflicting reuse of a seq. */
  digest: string;
  batch: Batch;
  /**
   * The batch's msgpack as the recorder sent it (decompressed), when redaction changed nothing:
   * logs store these bytes instead of packing `batch` again (`src/log/record.ts`). Decoding them
   * gives `batch`. Absent when the server-side redaction masked something: then only the redacted
   * `batch` may be stored.
   */
  wire?: Uint8Array;
  /**
   * The ingest request's `User-Agent` (bounded), for the index's browser / OS. Absent in records
   * written before it was carried, and when the request had none.
   */
  userAgent?: string;
  /**
   * Set on a record read back whose batch no longer validates (changed in the log, or written by
   * a bug): why. The writer stores nothing of it and moves it to the dead letters.
   */
  invalid?: string;
}

/** A record read back from the log, with the position needed to release it. */
export interface LogEntry {
  position: number;
  record: LogRecord;
  /** Encoded size of the record, when the log knows it (segment size accounting). */
  bytes?: number;
}

export type AppendOutcome = 'appended' | 'duplicate';

/**
 * The durable log between ingest and the writer. `append` resolves only when the record would
 * survive `kill -9` (fsync / JetStream ack). Implementations: FileIngestLog (embedded, default),
 * NatsIngestLog (JetStream, several collector nodes).
 */
export interface IngestLog {
  readonly description: string;
  open(): Promise<void>;
  append(record: LogRecord): Promise<AppendOutcome>;
  /**
   * Up to `max` records not yet handed out, waiting at most `waitMs` for the first one. After a
   * restart, records appended but never released are handed out again (at-least-once).
   */
  read(max: number, waitMs: number): Promise<LogEntry[]>;
  /** The writer stored these records: the log may forget them. */
  release(entries: readonly LogEntry[]): Promise<void>;
  /** Records appended but not yet released. */
  lag(): number;
  /**
   * Start a new log file now, so the records released so far can be deleted (with their key) as
   * soon as the rest of the file is: a deletion asks for this. Logs without files leave it out.
   */
  rollNow?(): void;
  close(): Promise<void>;
}
