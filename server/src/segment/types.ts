import type { RecordedEvent } from '@reprise/protocol';

/** One batch inside a stored segment. */
export interface SegmentBatch {
  tab: string;
  seq: number;
  /** Split path of a batch the recorder halved after a 413; absent otherwise. */
  part?: string;
  start: number;
  end: number;
  /** Epoch ms when ingest accepted it. */
  receivedAt: number;
  /** `User-Agent` of the request that carried the batch; absent when unknown (older log records). */
  userAgent?: string;
  events: RecordedEvent[];
}

/** What an index needs from a segment without decrypting it again. */
export interface SegmentSummary {
  eventCount: number;
  /** Count per rrweb event type (0..6). */
  eventsByType: Record<number, number>;
  /** Count per Reprise kind (navigation, console, network, error, identify, custom, breaker). */
  eventsByKind: Record<string, number>;
  hasFullSnapshot: boolean;
  /** URLs in order of navigation events and rrweb Meta events, de-duplicated consecutively. */
  urls: string[];
  /** Last `identify` user id in the segment; `null` when identify cleared it; absent when none. */
  userId?: string | null;
  /** Error messages (reprise.error), capped at 50. */
  errors: string[];
  /** Names of custom events (reprise.custom), capped at 200. */
  customEvents: string[];
  tabs: string[];
}

/**
 * Emitted once a segment is durably in the object store (and before the log forgets its
 * batches). Hooks are awaited; a throwing hook is retried with backoff, and after a crash a stored
 * segment whose hooks had not all finished is decrypted and announced again: hooks must be
 * idempotent by (project, sessionId, segment).
 */
export interface StoredSegment {
  project: string;
  sessionId: string;
  /** Segment name, the last path element of `key`; sorts in time order within a session. */
  segment: string;
  /** Object key: `{project}/{yyyy}/{mm}/{dd}/{sessionId}/{segment}`. */
  key: string;
  /** Stored (encrypted) size in bytes. */
  bytes: number;
  /** Size of the plaintext JSON before compression. */
  plainBytes: number;
  /** First and last event timestamps (epoch ms). */
  startTs: number;
  endTs: number;
  /** Id of the data key the object is encrypted with. */
  dataKeyId: string;
  batches: SegmentBatch[];
  summary: SegmentSummary;
  storedAt: number;
}

export type SegmentStoredHook = (segment: StoredSegment) => void | Promise<void>;

/**
 * Assets live in one namespace per project and UTC day, `_assets-{yyyymmdd}`, filed and
 * encrypted exactly like a session of that name. That is what makes retention count them with no
 * extra rule: the folder sweep and S3's lifecycle expire the day folder, and the day's data key is
 * shredded with the sessions of that day. Ingest refuses session ids with this prefix.
 */
export const ASSET_NAMESPACE_PREFIX = '_assets';
