import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventType } from '@reprise/protocol';
import type { Logger } from 'pino';
import { CollectorError, errorMessage } from '../errors.js';
import type { DataKeyService } from '../crypto/data-keys.js';
import { encryptSegment, PayloadEncoding } from '../segment/envelope.js';
import type { DataKeyStore } from '../crypto/types.js';
import { batchId, type IngestLog, type LogEntry, type LogRecord } from '../log/types.js';
import type { CollectorMetrics } from '../metrics.js';
import { readStoredSegment } from '../segment/reader.js';
import { parseSegmentObjectKey, segmentName, segmentObjectKey } from '../store/keys.js';
import type { ObjectStore } from '../store/types.js';
import type { DeadLetters } from './dead-letters.js';
import type { Ledger, LedgerIntent } from './ledger.js';
import { compressSegmentPayload, serializeSegmentPayload } from '../segment/payload.js';
import { summarizeBatches } from './summary.js';
import type { SegmentBatch, SegmentStoredHook, StoredSegment } from '../segment/types.js';

export interface WriterOptions {
  /** Cut a segment once its batches hold this many bytes (log record size). @default 1 MiB */
  maxSegmentBytes: number;
  /** Cut a segment this long after its first batch arrived. @default 10 s */
  maxSegmentAgeMs: number;
  /** Segments being stored at once. @default 16 */
  maxInFlight: number;
  /** Stop reading the log while this many bytes wait in open or unstored segments. @default 64 MiB */
  maxBufferedBytes: number;
  /**
   * Attempts at each `onSegmentStored` hook (the index) before the segment counts as failed: its
   * object is deleted and its batches are tried alone, then dead-lettered. About 30 s at the
   * default, so an index that is down longer dead-letters segments (retry them once it is back).
   * @default 10
   */
  maxHookAttempts: number;
  /** How often the writer looks for dead letters an operator asked to retry. @default 5 s */
  deadLetterPollMs: number;
  /**
   * While a step keeps failing (an object store that is down), one warning per this interval says
   * so with how long it has been failing; the attempts between them are logged at debug.
   * @default 30 s
   */
  retryWarnIntervalMs: number;
  /**
   * Ingest first: while ingest is saturated (`ingestSaturated`), the writer leaves the log unread
   * (its records are durable there) and reads once ingest eases; if ingest stays saturated this
   * long, the writer reads until it has caught up with the log before it gives way again. A burst
   * is acknowledged at ingest's own pace and stored after it. 0: never give way.
   * @default 5 s
   */
  maxYieldMs: number;
}

export const DEFAULT_WRITER_OPTIONS: WriterOptions = {
  maxSegmentBytes: 1024 * 1024,
  maxSegmentAgeMs: 10_000,
  maxInFlight: 16,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxHookAttempts: 10,
  deadLetterPollMs: 5_000,
  retryWarnIntervalMs: 30_000,
  maxYieldMs: 5_000,
};

/** A segment whose index hook kept failing: its object was taken back out of the store. */
class HookFailure extends Error {
  override readonly name = 'HookFailure';
}

interface OpenSegment {
  project: string;
  sessionId: string;
  batches: SegmentBatch[];
  entries: LogEntry[];
  ids: Array<[string, string]>;
  bytes: number;
  openedAt: number;
}

const RETRY_BASE_MS = 200;
/** What reading a segment left by a crash can answer that no retry changes. */
const UNUSABLE_SEGMENT = new Set(['segment_corrupt', 'segment_tampered', 'data_key_missing']);
const RETRY_MAX_MS = 5_000;
/** Records the writer asks the log for at once: small, since decoding them is synchronous work. */
const READ_SIZE = 64;
/** How often a writer that gives way to ingest looks again. */
const YIELD_POLL_MS = 20;

/**
 * Drains the ingest log into the object store: groups each session's batches into segments
 * (a new segment at every full snapshot, and by size and age), compresses, encrypts with the
 * session's data key, stores, announces (onSegmentStored), and only then releases the log records.
 * Store and hook failures are retried with capped backoff for as long as it takes; the log keeps
 * everything meanwhile, so ingest is unaffected by an object-store outage.
 */
export class SegmentWriter {
  private readonly options: WriterOptions;
  private readonly hooks = new Set<SegmentStoredHook>();
  private readonly open = new Map<string, OpenSegment>();
  /** Batch id -> log position of batches in open or unstored segments. */
  private readonly pending = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private bufferedBytes = 0;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private abandon = false;
  /** Other nodes' intents being resolved here, by object key (`adopt`). */
  private readonly adopting = new Map<string, Promise<void>>();
  /** Chain that runs segments' synchronous steps one at a time (see `oneAtATime`). */
  private syncChain: Promise<void> = Promise.resolve();
  /** Chain that runs segments' compression one at a time (see `compressOneAtATime`). */
  private compressChain: Promise<unknown> = Promise.resolve();
  /** When the current stretch of giving way to ingest began (`givesWayToIngest`). */
  private yieldingSince: number | undefined;
  /** After a full stretch: read without giving way until a read finds the log's end. */
  private catchingUp = false;

  constructor(
    private readonly deps: {
      log: IngestLog;
      store: ObjectStore;
      dataKeys: DataKeyService;
      dataKeyStore: DataKeyStore;
      ledger: Ledger;
      logger: Logger;
      metrics: CollectorMetrics;
      /** True while ingest is saturated (ingest/activity.ts): the writer gives way (`maxYieldMs`). */
      ingestSaturated?: () => boolean;
      /** Ack-time dedupe, told about every batch the writer sees so a restart keeps refusing replays. */
      onBatchSeen?: (id: string, digest: string) => void;
      /**
       * True for a deleted session (a tombstone): its records are released unstored, also those
       * read back after a restart, and a segment that was being stored when it was deleted is
       * removed again with any data key made for it.
       */
      isDeleted?: (project: string, sessionId: string) => boolean;
      /**
       * With several nodes: whether the shared tombstone store holds a tombstone for the session,
       * read after each segment is stored. A deletion stores its tombstone before it lists the
       * session's objects, so either this read sees the tombstone or that listing sees the segment:
       * no timing between nodes is assumed (a node may hear the announcement late).
       */
      isDeletedShared?: (project: string, sessionId: string) => Promise<boolean>;
      /**
       * Where records go that cannot be stored even alone. Without it such a record stays in the
       * log (tests of the writer alone); the collector always gives one.
       */
      deadLetters?: DeadLetters;
    },
    options: Partial<WriterOptions> = {},
  ) {
    this.options = { ...DEFAULT_WRITER_OPTIONS, ...options };
  }

  onSegmentStored(hook: SegmentStoredHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /** Resolve what a crash left unknown, then start draining the log. */
  async start(): Promise<void> {
    for (const intent of this.deps.ledger.unresolvedIntents()) await this.recover(intent);
    this.loop = this.run();
  }

  /**
   * A batch another node put into an object and died before recording it (its messages came here):
   * resolve that node's intent as a restart would (announce the object if it exists, else void the
   * intent), then take the batch again: stored, or free to store.
   */
  private async adopt(intent: LedgerIntent, entry: LogEntry): Promise<void> {
    let resolving = this.adopting.get(intent.key);
    if (!resolving) {
      resolving = this.recover(intent).finally(() => this.adopting.delete(intent.key));
      this.adopting.set(intent.key, resolving);
    }
    await resolving;
    this.accept(entry);
  }

  private async recover(intent: LedgerIntent): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!(await this.deps.store.exists(intent.key))) {
          await this.deps.ledger.void(intent);
          return;
        }
        const { header, payload } = await readStoredSegment(
          { store: this.deps.store, dataKeys: this.deps.dataKeys, dataKeyStore: this.deps.dataKeyStore },
          intent.key,
        );
        const object = await this.deps.store.get(intent.key);
        await this.announce(this.describe(intent.key, payload.batches, header.dataKeyId, object?.byteLength ?? 0, 0));
        await this.deps.ledger.done(intent);
        this.deps.logger.info({ key: intent.key }, 'writer: recovered a segment stored before a crash');
        return;
      } catch (error) {
        let failure = error;
        if (error instanceof CollectorError && UNUSABLE_SEGMENT.has(error.code)) {
          // Never a stored copy to keep: a write torn by the crash, or one whose session was
          // deleted (key shredded). Its batches are still in the log, since the intent was never
          // resolved, so they are stored again (or dropped, for a deleted session).
          this.deps.logger.warn(
            { err: error, key: intent.key },
            'writer: removing an unusable segment left by a crash',
          );
          try {
            await this.deps.store.delete(intent.key);
            await this.deps.ledger.void(intent);
            return;
          } catch (cleanup) {
            failure = cleanup;
          }
        }
        this.deps.metrics.storeErrors.inc({ operation: 'recover' });
        this.deps.logger.warn({ err: failure, key: intent.key }, 'writer: recovery check failed; retrying');
        await sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt));
      }
    }
  }

  private async run(): Promise<void> {
    let deadLettersAt = 0;
    while (true) {
      if (this.abandon) return;
      if (this.deps.deadLetters && !this.stopping && Date.now() - deadLettersAt >= this.options.deadLetterPollMs) {
        deadLettersAt = Date.now();
        await this.retryDeadLetters();
      }
      if (this.inFlight.size >= this.options.maxInFlight || this.bufferedBytes >= this.options.maxBufferedBytes) {
        // Memory full of open segments (many sessions at once): store the oldest now rather
        // than wait for their age, so reading the log can resume.
        for (const segment of this.open.values()) {
          if (this.inFlight.size >= this.options.maxInFlight) break;
          this.cut(segment);
        }
        await Promise.race([...this.inFlight, sleep(100)]);
        this.cutExpired(Date.now());
        continue;
      }
      if (this.givesWayToIngest(Date.now())) {
        await sleep(YIELD_POLL_MS);
        continue;
      }
      // Small reads: decoding records is synchronous work on the event loop that ingest shares.
      let entries: LogEntry[];
      try {
        entries = await this.deps.log.read(READ_SIZE, this.stopping ? 0 : 200);
      } catch (error) {
        // NATS reconnecting, a read error: the records stay in the log; try again shortly.
        this.deps.metrics.storeErrors.inc({ operation: 'log_read' });
        this.deps.logger.warn({ error: errorMessage(error) }, 'writer: reading the ingest log failed; retrying');
        await sleep(500);
        if (this.stopping) return;
        continue;
      }
      if (entries.length < READ_SIZE) this.catchingUp = false;
      for (const entry of entries) this.accept(entry);
      if (entries.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      this.cutExpired(Date.now());
      if (this.stopping && entries.length === 0) {
        for (const segment of [...this.open.values()]) this.cut(segment);
        while (this.inFlight.size > 0 && !this.abandon) await Promise.race([...this.inFlight]);
        return;
      }
    }
  }

  /**
   * Whether to leave the log unread for now (`maxYieldMs`): the writer's work (decoding records,
   * serializing and storing segments) shares the event loop with ingest, and under a burst it took
   * about a third of it (test/bench/README.md).
   */
  private givesWayToIngest(now: number): boolean {
    if (this.stopping || this.catchingUp || this.options.maxYieldMs <= 0 || !this.deps.ingestSaturated?.()) {
      this.yieldingSince = undefined;
      return false;
    }
    this.yieldingSince ??= now;
    if (now - this.yieldingSince < this.options.maxYieldMs) return true;
    this.yieldingSince = undefined;
    this.catchingUp = true;
    return false;
  }

  private accept(entry: LogEntry): void {
    const { record } = entry;
    const batch = record.batch;
    const part = (batch as { part?: string }).part;
    const id = batchId({ project: record.project, session: batch.session, tab: batch.tab, seq: batch.seq, part });
    this.deps.onBatchSeen?.(id, record.digest);
    if (this.deps.isDeleted?.(record.project, batch.session)) {
      this.deps.metrics.writerDropped.inc();
      void this.deps.log.release([entry]);
      return;
    }
    if (record.invalid !== undefined) {
      this.deadLetter(entry, record.invalid, { project: record.project, sessionId: batch.session, batches: 1 });
      return;
    }
    const pendingAt = this.pending.get(id);
    if (pendingAt !== undefined) {
      // A redelivery of the very record we hold (NATS) must not be released before it is stored.
      if (pendingAt !== entry.position) void this.deps.log.release([entry]);
      this.deps.metrics.writerDuplicates.inc();
      return;
    }
    if (this.deps.ledger.isStored(id)) {
      this.deps.metrics.writerDuplicates.inc();
      void this.deps.log.release([entry]);
      return;
    }
    const foreign = this.deps.ledger.foreignIntentHolding?.(id);
    if (foreign) {
      void this.adopt(foreign, entry);
      return;
    }
    const sessionKey = `${record.project}/${batch.session}`;
    const size = estimateBytes(entry);
    let segment = this.open.get(sessionKey);
    const startsWithSnapshot = batch.events.some((event) => event.type === EventType.FullSnapshot);
    if (segment && (startsWithSnapshot || segment.bytes + size > this.options.maxSegmentBytes)) {
      this.cut(segment);
      segment = undefined;
    }
    if (!segment) {
      segment = {
        project: record.project,
        sessionId: batch.session,
        batches: [],
        entries: [],
        ids: [],
        bytes: 0,
        openedAt: Date.now(),
      };
      this.open.set(sessionKey, segment);
      this.deps.metrics.openSegments.inc();
    }
    segment.batches.push(segmentBatchOf(record, part));
    segment.entries.push(entry);
    segment.ids.push([id, record.digest]);
    segment.bytes += size;
    this.bufferedBytes += size;
    this.pending.set(id, entry.position);
    if (segment.bytes >= this.options.maxSegmentBytes) this.cut(segment);
  }

  private cutExpired(now: number): void {
    for (const segment of [...this.open.values()]) {
      if (now - segment.openedAt >= this.options.maxSegmentAgeMs) this.cut(segment);
    }
  }

  private cut(segment: OpenSegment): void {
    this.open.delete(`${segment.project}/${segment.sessionId}`);
    let failure: unknown;
    const task = this.store(segment)
      .catch((error: unknown) => {
        failure = error;
      })
      .finally(() => {
        this.inFlight.delete(task);
        this.bufferedBytes -= segment.bytes;
        for (const [id] of segment.ids) this.pending.delete(id);
        this.deps.metrics.openSegments.dec();
        // After the bookkeeping above: salvage puts the same batch ids in flight again.
        if (failure !== undefined) this.salvage(segment, failure);
      });
    this.inFlight.add(task);
  }

  /**
   * A segment that could not be stored (an encoding or encryption failure, a key the store
   * refuses, an index hook that kept failing): its batches are tried once more each alone, so
   * one bad batch does not take its neighbours down; a batch that fails alone too is moved to
   * the dead letters and released. Nothing stays in the log to pin its cursor or a slot, and
   * nothing is ever stored in plaintext.
   */
  private salvage(segment: OpenSegment, error: unknown): void {
    this.deps.metrics.storeErrors.inc({ operation: 'segment' });
    const context = {
      project: segment.project,
      sessionId: segment.sessionId,
      batches: segment.batches.length,
      error: errorMessage(error),
    };
    if (segment.entries.length > 1) {
      this.deps.logger.warn(context, 'writer: could not store a segment; trying its batches one by one');
      for (let i = 0; i < segment.entries.length; i++) {
        const single: OpenSegment = {
          ...segment,
          batches: [segment.batches[i]!],
          entries: [segment.entries[i]!],
          ids: [segment.ids[i]!],
          bytes: estimateBytes(segment.entries[i]!),
        };
        this.bufferedBytes += single.bytes;
        this.pending.set(single.ids[0]![0], single.entries[0]!.position);
        this.deps.metrics.openSegments.inc();
        this.cut(single);
      }
      return;
    }
    const entry = segment.entries[0];
    if (!entry) {
      this.deps.logger.error(context, 'writer: could not store a batch; it stays in the log until restart');
      return;
    }
    this.deadLetter(entry, errorMessage(error), context);
  }

  /** Move one record to the dead letters, then release it from the log. */
  private deadLetter(
    entry: LogEntry,
    reason: string,
    context: { project: string; sessionId: string; batches: number; error?: string },
  ): void {
    if (!this.deps.deadLetters) {
      this.deps.logger.error(context, 'writer: could not store a batch; it stays in the log until restart');
      return;
    }
    const deadLetters = this.deps.deadLetters;
    const task = (async () => {
      const kept = await this.retry('dead_letter', { project: context.project, sessionId: context.sessionId }, () =>
        deadLetters.put(entry.record, reason),
      );
      if (kept === undefined) return;
      this.deps.metrics.deadLetters.inc({ project: context.project });
      this.deps.logger.error(
        { ...context, deadLetter: kept },
        'writer: a batch could not be stored even alone; moved to the dead letters (reprise-collector dead-letters list)',
      );
      await this.deps.log.release([entry]);
    })().finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /** Store again the dead letters an operator asked to retry (`reprise-collector dead-letters retry`). */
  private async retryDeadLetters(): Promise<void> {
    const deadLetters = this.deps.deadLetters!;
    try {
      for await (const key of deadLetters.retryRequested()) {
        const record = await deadLetters.read(key);
        if (record.invalid !== undefined) {
          // Read back, it still does not validate: nothing the store could do changes that.
          await deadLetters.retryFailed(key, record.invalid);
          this.deps.logger.warn(
            { deadLetter: key, error: record.invalid },
            'writer: a retried dead letter still does not validate; it stays a dead letter',
          );
          continue;
        }
        const { batch } = record;
        const part = (batch as { part?: string }).part;
        const id = batchId({ project: record.project, session: batch.session, tab: batch.tab, seq: batch.seq, part });
        const segment: OpenSegment = {
          project: record.project,
          sessionId: batch.session,
          batches: [segmentBatchOf(record, part)],
          entries: [],
          ids: [[id, record.digest]],
          bytes: 0,
          openedAt: Date.now(),
        };
        try {
          await this.store(segment);
          await deadLetters.remove(key);
          this.deps.logger.info({ deadLetter: key }, 'writer: a retried dead letter is stored');
        } catch (error) {
          await deadLetters.retryFailed(key, errorMessage(error));
          this.deps.logger.warn(
            { deadLetter: key, error: errorMessage(error) },
            'writer: a retried dead letter failed again; it stays a dead letter',
          );
        }
      }
    } catch (error) {
      this.deps.logger.warn(
        { error: errorMessage(error) },
        'writer: could not look at the dead letters; trying again later',
      );
    }
  }

  private describe(
    key: string,
    batches: SegmentBatch[],
    dataKeyId: string,
    bytes: number,
    plainBytes: number,
  ): StoredSegment {
    const location = parseSegmentObjectKey(key)!;
    let startTs = Number.POSITIVE_INFINITY;
    let endTs = 0;
    for (const batch of batches) {
      for (const event of batch.events) {
        if (event.timestamp < startTs) startTs = event.timestamp;
        if (event.timestamp > endTs) endTs = event.timestamp;
      }
    }
    return {
      project: location.project,
      sessionId: location.sessionId,
      segment: location.segment,
      key,
      bytes,
      plainBytes,
      startTs: Number.isFinite(startTs) ? startTs : 0,
      endTs,
      dataKeyId,
      batches,
      summary: summarizeBatches(batches),
      storedAt: Date.now(),
    };
  }

  /**
   * Retry `step` with capped exponential backoff until it succeeds or shutdown gives up; with
   * `maxAttempts`, the last failure is thrown instead.
   */
  private async retry<T>(
    operation: string,
    context: Record<string, unknown>,
    step: () => Promise<T>,
    maxAttempts = Number.POSITIVE_INFINITY,
  ): Promise<T | undefined> {
    const failingSince = Date.now();
    let warnedAt = Number.NEGATIVE_INFINITY;
    for (let attempt = 0; ; attempt++) {
      if (this.abandon) return undefined;
      try {
        const result = await step();
        if (attempt > 0) {
          this.deps.logger.info(
            { ...context, attempts: attempt + 1, failedForMs: Date.now() - failingSince },
            `writer: ${operation} succeeded after failing`,
          );
        }
        return result;
      } catch (error) {
        if (operation === 'hook') this.deps.metrics.hookErrors.inc();
        else this.deps.metrics.storeErrors.inc({ operation });
        if (attempt + 1 >= maxAttempts) throw error;
        // Time-based, not per attempt: an outage of minutes stays visible without flooding the log.
        const now = Date.now();
        const warn = now - warnedAt >= this.options.retryWarnIntervalMs;
        if (warn) warnedAt = now;
        this.deps.logger[warn ? 'warn' : 'debug'](
          { ...context, attempt, failingForMs: now - failingSince, error: errorMessage(error) },
          `writer: ${operation} failed; retrying`,
        );
        await sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempt, 10)));
      }
    }
  }

  private async store(segment: OpenSegment): Promise<void> {
    const context = { project: segment.project, sessionId: segment.sessionId };
    // Deleted while its segment was open: a data key made now would outlive the deletion.
    if (this.deps.isDeleted?.(segment.project, segment.sessionId)) return this.drop(segment);
    const startTs = Math.min(...segment.batches.map((batch) => batch.start));
    const name = segmentName(startTs, randomBytes(4).toString('hex'));
    const dataKey = await this.retry('data_key', context, () => this.deps.dataKeys.forWriting(context));
    if (!dataKey) return;
    const key = segmentObjectKey({ ...context, segment: name, at: dataKey.createdAt });
    const location = { ...context, segment: name };
    const plain = await this.oneAtATime(() => serializeSegmentPayload(location, segment.batches));
    const compressed = await this.compressOneAtATime(() => compressSegmentPayload(plain));
    // Encryption failing is a bug or a bad key, never a reason to store plaintext: it throws.
    const sealed = await this.oneAtATime(() =>
      encryptSegment(compressed, dataKey, location, PayloadEncoding.deflateMsgpack),
    );
    const intent: LedgerIntent = { key, ids: segment.ids };
    const noted = await this.retry('ledger', { key }, async () => {
      await this.deps.ledger.intent(intent);
      return true;
    });
    if (!noted) return;
    const stopTimer = this.deps.metrics.storeLatency.startTimer();
    const stored = await this.retry('put', { key }, async () => {
      await this.deps.store.put(key, sealed, { contentType: 'application/vnd.reprise.segment' });
      return true;
    });
    if (!stored) return;
    stopTimer();
    const deletedMeanwhile =
      this.deps.isDeleted?.(segment.project, segment.sessionId) ||
      (this.deps.isDeletedShared &&
        (await this.retry('tombstone', { key }, () => this.deps.isDeletedShared!(segment.project, segment.sessionId))));
    if (this.abandon) return;
    if (deletedMeanwhile) {
      // Deleted while this segment was being stored: the deletion may have listed the session's
      // keys and objects before this one existed, so take them away here.
      const removed = await this.retry('delete', { key }, async () => {
        await this.deps.store.delete(key);
        await this.deps.dataKeys.shred(segment.project, segment.sessionId);
        return true;
      });
      if (!removed) return;
      await this.deps.ledger
        .done(intent)
        .catch((error) =>
          this.deps.logger.warn({ err: error, key }, 'writer: could not note a removed segment in the ledger'),
        );
      return this.drop(segment);
    }
    this.deps.metrics.segments.inc({ project: segment.project });
    this.deps.metrics.segmentBytes.inc({ project: segment.project }, sealed.byteLength);
    const described = await this.oneAtATime(() =>
      this.describe(key, segment.batches, dataKey.id, sealed.byteLength, plain.byteLength),
    );
    let announced: boolean;
    try {
      announced = await this.announce(described, this.options.maxHookAttempts);
    } catch (error) {
      // The index keeps refusing this segment: take the object back out (a stored segment the
      // index never heard of would play back beside its retry) and let salvage handle its batches.
      await this.retry('delete', { key }, () => this.deps.store.delete(key));
      await this.deps.ledger.void(intent).catch(() => undefined);
      throw new HookFailure(
        `the index refused the segment ${this.options.maxHookAttempts} times: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    if (!announced) return;
    await this.deps.log.release(segment.entries);
    await this.deps.ledger
      .done(intent)
      .catch((error) =>
        this.deps.logger.warn({ err: error, key }, 'writer: could not note a stored segment in the ledger'),
      );
  }

  /** Release a deleted session's records without storing them. */
  private async drop(segment: OpenSegment): Promise<void> {
    this.deps.metrics.writerDropped.inc(segment.entries.length);
    await this.deps.log.release(segment.entries);
  }

  /** Whether a session has batches in an open or unstored segment here (a deletion looks for it). */
  holds(project: string, sessionId: string): boolean {
    if (this.open.has(`${project}/${sessionId}`)) return true;
    const prefix = `${project}/${sessionId}/`;
    for (const id of this.pending.keys()) if (id.startsWith(prefix)) return true;
    return false;
  }

  /**
   * Run a synchronous step (JSON of a segment, AES-GCM) after the previous one and after a turn
   * of the event loop: when many segments are cut at once (all reaching their age together),
   * ingest acknowledgements get through between them instead of waiting for all of them.
   */
  private async oneAtATime<T>(step: () => T): Promise<T> {
    const previous = this.syncChain;
    let release!: () => void;
    this.syncChain = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      return step();
    } finally {
      release();
    }
  }

  /**
   * Compress one segment at a time. gzip runs on libuv's pool (16 threads in the CLI): when many
   * segments were cut together (all reaching their age at once), up to 16 compressions took every
   * core of the machine at once, and ingest's acks (one thread) waited for CPU behind them; the
   * p99 of a steady 1,000 batches/s rose to ~200 ms while the event loop itself never stalled.
   * One at a time, compression (~4-6 ms per MiB) still keeps far ahead of ingest.
   */
  private compressOneAtATime(step: () => Promise<Buffer>): Promise<Buffer> {
    const next = this.compressChain.then(step, step);
    this.compressChain = next.catch(() => undefined);
    return next;
  }

  private async announce(stored: StoredSegment, maxAttempts = Number.POSITIVE_INFINITY): Promise<boolean> {
    for (const hook of [...this.hooks]) {
      const ok = await this.retry(
        'hook',
        { key: stored.key },
        async () => {
          await hook(stored);
          return true;
        },
        maxAttempts,
      );
      if (!ok) return false;
    }
    return true;
  }

  /** Cut every open segment now and wait until all are stored (tests, admin "flush"). */
  async flush(): Promise<void> {
    for (const segment of [...this.open.values()]) this.cut(segment);
    while (this.inFlight.size > 0) await Promise.race([...this.inFlight]);
  }

  get openSegmentCount(): number {
    return this.open.size + this.inFlight.size;
  }

  /**
   * Graceful stop: read the log to its end, store everything, then return. After `timeoutMs`
   * (object store down) it gives up; unstored records stay in the log for the next start.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    if (!this.loop) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.loop.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) {
      this.abandon = true;
      await this.loop;
      await Promise.allSettled([...this.inFlight]);
    }
    return drained;
  }
}

/** A log record's batch as a segment holds it: the write path and the dead-letter retry build it alike. */
function segmentBatchOf(record: LogRecord, part: string | undefined): SegmentBatch {
  const { batch } = record;
  return {
    tab: batch.tab,
    seq: batch.seq,
    ...(part ? { part } : {}),
    start: batch.start,
    end: batch.end,
    receivedAt: record.receivedAt,
    ...(record.userAgent ? { userAgent: record.userAgent } : {}),
    events: batch.events,
  };
}

function estimateBytes(entry: LogEntry): number {
  return entry.bytes ?? JSON.stringify(entry.record.batch.events).length;
}
