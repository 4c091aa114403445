import type { RecordedEvent } from '@reprise/protocol';
import type { EncodedFrame } from './encode.js';
import type { OutboxRecord } from './outbox.js';

/** What the engine (worker or main-thread fallback) needs to know, sent once at start. */
export interface EngineConfig {
  project: string;
  /** Full ingest URL, `${endpoint}/v1/ingest`. */
  url: string;
  session: string;
  tab: string;
  /** This page's delivery instance: outbox records are owned by it while the page lives. */
  instance: string;
  maxBatchBytes: number;
  maxOutboxBytes: number;
  online: boolean;
  /** Use an in-memory outbox (tests; browsers without IndexedDB get it automatically). */
  memoryOutbox?: boolean;
}

/** Main thread -> engine. */
export type ToEngine =
  | { type: 'init'; config: EngineConfig }
  | { type: 'events'; events: RecordedEvent[] }
  /**
   * Cut the first `count` buffered events into batch `seq`. `sentByPage`: the page sends it itself
   * with keepalive (hidden or unload). `frames`: the page encoded the batch itself at unload;
   * store exactly these bytes.
   */
  | { type: 'cut'; seq: number; count: number; sentByPage?: boolean; frames?: EncodedFrame[] }
  /** Records an earlier page spooled into localStorage at unload: put them into the outbox. */
  | { type: 'adopt'; records: OutboxRecord[] }
  /** The page's keepalive send of `seq` was acknowledged. */
  | { type: 'delivered'; seq: number }
  | { type: 'online'; online: boolean }
  | { type: 'flush'; id: number }
  | { type: 'discard'; id: number }
  | { type: 'stop'; id: number };

/**
 * Main thread -> worker: events cross as JSON text, which costs the page about a third less than a
 * structured clone of the same objects (the standard workload's events, posted as the page
 * coalesces them, in Chromium: 3.2 against 4.9 ms); the worker parses them on its own thread.
 */
export type ToWorker = ToEngine | { type: 'eventsJson'; json: string };

/** Engine -> main thread. */
export type FromEngine =
  | { type: 'ready' }
  /** The buffer reached maxBatchBytes / MAX_BATCH_EVENTS: cut now. */
  | { type: 'full' }
  /** Batch `seq` as encoded: the page keeps these bytes (not its events) to send at unload until `stored`. */
  | { type: 'encoded'; seq: number; frames: EncodedFrame[] }
  /** These spooled records are durable in the outbox: the page may clear them from localStorage. */
  | { type: 'adopted'; keys: string[] }
  /** Batch `seq` is in the durable outbox, or (when only memory could hold it) sent or dropped: the page may forget its events. */
  | { type: 'stored'; seq: number }
  | { type: 'sent'; seq: number; part?: string; bytes: number }
  | { type: 'done'; id: number }
  | {
      type: 'dropped';
      reason: 'outbox_full' | 'rejected' | 'too_large';
      batches: number;
      bytes: number;
      detail: string;
    }
  /** Becomes a RecorderError('delivery'), which adds the package prefix: none in `message`. */
  | { type: 'warning'; message: string }
  /** Another page shares this (session, tab) stream (the collector answered 409): this page's batches go on as `tab`. */
  | { type: 'retab'; tab: string };
