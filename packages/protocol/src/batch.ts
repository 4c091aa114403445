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
}
