import type { RecordedEvent } from '@reprise/protocol';
import { CollectorError, errorMessage } from '../errors.js';
import type { SegmentRow, SessionRow } from '../index-db/schema.js';
import { collectUnseenBatches, readStoredSegment, type ReaderDeps } from '../segment/reader.js';

/**
 * The playback stream (PLAYBACK.md): NDJSON, one JSON value per line. Lines with a `stream`
 * field are Reprise's records; every other line is one rrweb event, in playback order. Segments
 * are read, decrypted and sent one at a time, so the first frame reaches the player while later
 * segments are still being read.
 */
export const PLAYBACK_STREAM_VERSION = 1;
export const PLAYBACK_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

export type SkipReason = 'missing' | 'corrupt' | 'unreadable';

export type StreamRecord =
  | {
      stream: 'session';
      version: number;
      id: string;
      project: string;
      startedAt: number;
      endedAt: number;
      segments: number;
      /** Index of the first segment sent (0 unless `from` was given). */
      startSegment: number;
      /** The requested `from`, milliseconds after `startedAt`, or null. */
      from: number | null;
      /** The requested `to`, milliseconds after `startedAt`, or null (to the end). */
      to: number | null;
      /** Index of the last segment the stream will send (the last one unless `to` was given). */
      endSegment: number;
    }
  | { stream: 'segment'; index: number; name: string; startedAt: number; endedAt: number; events: number }
  | {
      stream: 'skipped';
      index: number;
      name: string;
      startedAt: number;
      endedAt: number;
      reason: SkipReason;
      message: string;
    }
  | { stream: 'end'; segments: number; delivered: number; skipped: number; events: number };

/**
 * The segment to start at for a moment `fromMs` after the session start: the last segment whose
 * first full snapshot is at or before that moment (a replayer needs a full snapshot to build the
 * page), or the first segment.
 */
export function startSegmentIndex(
  session: Pick<SessionRow, 'started_at'>,
  segments: readonly SegmentRow[],
  fromMs: number | null,
): number {
  if (fromMs === null) return 0;
  const target = session.started_at + fromMs;
  let index = 0;
  segments.forEach((segment, i) => {
    if (segment.full_snapshot_at !== null && segment.full_snapshot_at <= target) index = i;
  });
  return index;
}

function skipReason(error: unknown): SkipReason {
  if (error instanceof CollectorError) {
    if (error.code === 'segment_not_found') return 'missing';
    if (error.code === 'data_key_missing') return 'unreadable';
  }
  return 'corrupt';
}

/**
 * The last segment to send for a window ending `toMs` after the session start: the last segment
 * that starts at or before that moment (it holds the moment itself), never before `first`.
 */
export function endSegmentIndex(
  session: Pick<SessionRow, 'started_at'>,
  segments: readonly SegmentRow[],
  first: number,
  toMs: number | null,
): number {
  if (toMs === null) return segments.length - 1;
  const target = session.started_at + toMs;
  let index = first;
  for (let i = first; i < segments.length; i++) {
    if (segments[i]!.started_at <= target) index = i;
    else break;
  }
  return Math.min(index, segments.length - 1);
}

/** Yields the stream's records and events; a segment that cannot be read becomes a `skipped` record. */
export async function* playbackRecords(
  deps: ReaderDeps,
  session: SessionRow,
  segments: readonly SegmentRow[],
  options: {
    fromMs?: number | null;
    toMs?: number | null;
    onSkip?: (segment: SegmentRow, error: unknown) => void;
    /** Rewrites a segment's events before they are sent (captured assets put back). */
    resolveAssets?: (events: RecordedEvent[]) => Promise<void>;
  } = {},
): AsyncGenerator<StreamRecord | RecordedEvent> {
  const fromMs = options.fromMs ?? null;
  const toMs = options.toMs ?? null;
  const first = startSegmentIndex(session, segments, fromMs);
  const last = endSegmentIndex(session, segments, first, toMs);
  yield {
    stream: 'session',
    version: PLAYBACK_STREAM_VERSION,
    id: session.session_id,
    project: session.project,
    startedAt: session.started_at,
    endedAt: session.ended_at,
    segments: segments.length,
    startSegment: first,
    from: fromMs,
    to: toMs,
    endSegment: last,
  };
  const seenBatches = new Set<string>();
  let delivered = 0;
  let skipped = 0;
  let eventCount = 0;
  for (let index = first; index <= last; index++) {
    const segment = segments[index]!;
    const where = { index, name: segment.segment, startedAt: segment.started_at, endedAt: segment.ended_at };
    let events: RecordedEvent[];
    try {
      // The index row names the object: a wrong row (damage, a bug, a hand edit) must not play
      // another session's segment, which would decrypt fine under its own key and path.
      const owner = { project: session.project, sessionId: session.session_id, segment: segment.segment };
      const { payload } = await readStoredSegment(deps, segment.object_key, owner);
      events = collectUnseenBatches(payload, owner, seenBatches).sort((a, b) => a.timestamp - b.timestamp);
      await options.resolveAssets?.(events);
    } catch (error) {
      skipped++;
      options.onSkip?.(segment, error);
      yield { stream: 'skipped', ...where, reason: skipReason(error), message: errorMessage(error) };
      continue;
    }
    delivered++;
    eventCount += events.length;
    yield { stream: 'segment', ...where, events: events.length };
    yield* events;
  }
  yield { stream: 'end', segments: segments.length, delivered, skipped, events: eventCount };
}
