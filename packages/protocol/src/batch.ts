import type { RecordedEvent } from './events.js';

/**
 * The protocol's major version. A collector refuses a batch whose `v` it does not know with a 400;
 * see PROTOCOL.md for the versioning rule.
 */
export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [PROTOCOL_VERSION];

/** One unit of delivery: a slice of one tab's recording, numbered within its session. */
export interface Batch {
  /** Protocol major version. */
  v: number;
  /** Project key (public, write-only ingest key). */
  project: string;
  /** Session id, shared by every tab of one visit. */
  session: string;
  /** Per-session sequence number, from 0; a retried batch keeps its seq. */
  seq: number;
  /** Tab id: one session may be recorded from several tabs. */
  tab: string;
  /** Epoch ms of the first event. */
  start: number;
  /** Epoch ms of the last event. */
  end: number;
  events: RecordedEvent[];
  /**
   * Present only on a batch split after the fact (a 413, or a frame too large for a keepalive
   * request): the halving path, `0` = first half, `1` = second half, `10` = first half of the
   * second half. Parts of one seq sort by this string in event order; (session, tab, seq, part)
   * identifies a stored batch. See PROTOCOL.md, "Splitting".
   */
  part?: string;
}

/** Longest split path: 2^16 parts of one batch is far past any real split. */
export const MAX_PART_LENGTH = 16;

/** Events' first and last timestamps, as a batch's `start` and `end`. */
export function batchBounds(events: readonly RecordedEvent[]): { start: number; end: number } {
  const start = events[0]?.timestamp ?? 0;
  return { start, end: Math.max(start, events.at(-1)?.timestamp ?? start) };
}

/**
 * Halve a batch that a collector refused as too large (413) or that compresses past what one
 * request may carry. Both halves keep the seq and extend the `part` path, so the collector stores
 * them once each and in order, and no other batch is renumbered.
 */
export function splitBatch(batch: Batch): [Batch, Batch] {
  const path = batch.part ?? '';
  if (batch.events.length < 2 || path.length >= MAX_PART_LENGTH) {
    throw new Error(
      `[@reprise/protocol] Batch seq ${batch.seq} cannot be split further (${batch.events.length} event(s), part "${path}"): one event is larger than the collector accepts.`,
    );
  }
  const middle = Math.ceil(batch.events.length / 2);
  const half = (events: RecordedEvent[], bit: '0' | '1'): Batch => ({
    ...batch,
    ...batchBounds(events),
    events,
    part: path + bit,
  });
  return [half(batch.events.slice(0, middle), '0'), half(batch.events.slice(middle), '1')];
}
