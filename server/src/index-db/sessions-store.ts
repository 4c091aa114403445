import type { RecordedEvent } from '@reprise/protocol';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { StoredSegment } from '../segment/types.js';
import type { IndexEngine } from './database.js';
import type { IndexSchema, SegmentRow, SessionRow } from './schema.js';
import {
  addCount,
  boundedTraits,
  MAX_ERROR_TITLES,
  MAX_PAGES_PER_SESSION,
  notePageVisit,
  type ErrorSeen,
  parseUserAgent,
  sessionActiveMs,
  summarizeSegment,
  type PageVisit,
} from './summarize.js';

/** A segment's events in time order (a segment may hold batches of several tabs). */
export function segmentEvents(segment: Pick<StoredSegment, 'batches'>): RecordedEvent[] {
  const events = segment.batches.flatMap((batch) => batch.events);
  // Array.prototype.sort is stable: events with equal timestamps keep their recorded order.
  return events.sort((a, b) => a.timestamp - b.timestamp);
}

function segmentUserAgent(segment: StoredSegment): string | null {
  for (const batch of segment.batches) {
    if (batch.userAgent) return batch.userAgent;
  }
  return null;
}

/**
 * Adds a durable segment to the index: its row in `segments` and its summary folded into the
 * session's row. Called only after the object store confirmed the write, so a session is never
 * searchable before its data can be played. Idempotent per segment: a writer that retries after
 * a crash does not count a segment twice.
 */
export async function indexStoredSegment(
  db: Kysely<IndexSchema>,
  engine: IndexEngine,
  info: StoredSegment,
): Promise<{ indexed: boolean }> {
  const now = info.storedAt ?? Date.now();
  const events = segmentEvents(info);
  return db.transaction().execute(async (trx) => {
    // The session row is taken first (and locked on PostgreSQL) so that two nodes indexing two
    // segments of one session fold them one after the other.
    await trx
      .insertInto('sessions')
      .values({
        project: info.project,
        session_id: info.sessionId,
        started_at: Number.MAX_SAFE_INTEGER,
        ended_at: 0,
        duration_ms: 0,
        active_ms: 0,
        pages: '[]',
        search_text: '',
        event_count: 0,
        click_count: 0,
        error_count: 0,
        console_error_count: 0,
        failed_request_count: 0,
        segment_count: 0,
        byte_size: 0,
        user_id: null,
        user_traits: null,
        last_activity_at: null,
        first_url: null,
        user_agent: null,
        browser: null,
        os: null,
        viewport_width: null,
        viewport_height: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['project', 'session_id']).doNothing())
      .execute();
    const session = await trx
      .selectFrom('sessions')
      .selectAll()
      .where('project', '=', info.project)
      .where('session_id', '=', info.sessionId)
      .$if(engine === 'postgres', (qb) => qb.forUpdate())
      .executeTakeFirstOrThrow();

    const summary = summarizeSegment(events, session.last_activity_at);
    const segmentStart = events.length > 0 ? summary.startedAt : info.startTs;
    const segmentEnd = events.length > 0 ? summary.endedAt : info.endTs;
    const inserted = await trx
      .insertInto('segments')
      .values({
        project: info.project,
        session_id: info.sessionId,
        segment: info.segment,
        object_key: info.key,
        started_at: segmentStart,
        ended_at: segmentEnd,
        full_snapshot_at: summary.fullSnapshotAt,
        event_count: summary.eventCount,
        byte_size: info.bytes,
        data_key_id: info.dataKeyId,
        stored_at: now,
      })
      .onConflict((oc) => oc.columns(['project', 'session_id', 'segment']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return { indexed: false };

    const startedAt = Math.min(session.started_at, segmentStart);
    const endedAt = Math.max(session.ended_at, segmentEnd);
    const pages = mergePages(JSON.parse(session.pages) as PageVisit[], summary.pages);
    const errors = mergeErrors(JSON.parse(session.errors) as ErrorSeen[], summary.errorsSeen);
    const firstUrl = pages[0]?.url ?? session.first_url;
    const ua = segmentUserAgent(info) ?? session.user_agent;
    const parsedUa = parseUserAgent(ua);
    const traits =
      summary.userId === null
        ? null
        : summary.traits
          ? JSON.stringify(
              boundedTraits({ ...(session.user_traits ? JSON.parse(session.user_traits) : {}), ...summary.traits }),
            )
          : session.user_traits;

    await trx
      .updateTable('sessions')
      .set({
        started_at: startedAt,
        ended_at: endedAt,
        duration_ms: Math.max(0, endedAt - startedAt),
        active_ms: sessionActiveMs(
          { activeMs: session.active_ms, endedAt: session.ended_at, lastActivityAt: session.last_activity_at },
          summary,
          { endedAt, lastActivityAt: summary.lastActivityAt },
        ),
        last_activity_at: summary.lastActivityAt,
        user_id: summary.userId === undefined ? session.user_id : summary.userId,
        user_traits: traits,
        first_url: firstUrl,
        pages: JSON.stringify(pages),
        search_text: pages
          .flatMap((p) => (p.route ? [p.url, p.route] : [p.url]))
          .join('\n')
          .toLowerCase(),
        errors: JSON.stringify(errors),
        error_text: errors.map((error) => error.title).join('\n'),
        user_agent: ua,
        browser: parsedUa.browser,
        os: parsedUa.os,
        viewport_width: summary.viewport?.width ?? session.viewport_width,
        viewport_height: summary.viewport?.height ?? session.viewport_height,
        event_count: session.event_count + summary.eventCount,
        click_count: session.click_count + summary.clicks,
        rage_click_count: addCount(session.rage_click_count, summary.rageClicks),
        error_count: addCount(session.error_count, summary.errors),
        console_error_count: session.console_error_count + summary.consoleErrors,
        failed_request_count: session.failed_request_count + summary.failedRequests,
        segment_count: session.segment_count + 1,
        byte_size: session.byte_size + info.bytes,
        updated_at: now,
      })
      .where('id', '=', session.id)
      .execute();

    for (const userId of summary.userIds) {
      await trx
        .insertInto('session_users')
        .values({ project: info.project, session_id: info.sessionId, user_id: userId })
        .onConflict((oc) => oc.columns(['project', 'session_id', 'user_id']).doNothing())
        .execute();
    }
    for (const [name, { count, firstAt }] of summary.customEvents) {
      await trx
        .insertInto('session_custom_events')
        .values({ project: info.project, session_id: info.sessionId, name, count, first_at: firstAt })
        .onConflict((oc) =>
          oc.columns(['project', 'session_id', 'name']).doUpdateSet((eb) => ({
            count: eb(eb.ref('session_custom_events.count'), '+', eb.ref('excluded.count')),
            first_at: sql<number>`CASE WHEN excluded.first_at < session_custom_events.first_at
              THEN excluded.first_at ELSE session_custom_events.first_at END`,
          })),
        )
        .execute();
    }
    return { indexed: true };
  });
}

/**
 * The session's errors and the segment's, each title once at its first time (segments may be
 * indexed out of order), in time order, at most `MAX_ERROR_TITLES` (kept as they came: the first
 * ones indexed).
 */
function mergeErrors(existing: ErrorSeen[], added: ErrorSeen[]): ErrorSeen[] {
  const byTitle = new Map(existing.map((error) => [error.title, { ...error }]));
  for (const error of added) {
    const known = byTitle.get(error.title);
    if (known) known.at = Math.min(known.at, error.at);
    else if (byTitle.size < MAX_ERROR_TITLES) byTitle.set(error.title, { ...error });
  }
  return [...byTitle.values()].sort((a, b) => a.at - b.at);
}

/** URL and route text kept per session (and scanned by a substring search). */
const MAX_PAGES_CHARACTERS = 32_768;

function mergePages(existing: PageVisit[], added: PageVisit[]): PageVisit[] {
  const merged = existing.map((page) => ({ ...page }));
  const byUrl = new Map(merged.map((page) => [page.url, page]));
  const size = (page: PageVisit) => page.url.length + (page.route?.length ?? 0);
  let characters = merged.reduce((n, page) => n + size(page), 0);
  for (const page of added) {
    const known = byUrl.get(page.url);
    if (!known && (merged.length >= MAX_PAGES_PER_SESSION || characters + size(page) > MAX_PAGES_CHARACTERS)) break;
    const routeBefore = known?.route;
    const fresh = notePageVisit(byUrl, { ...page }, MAX_PAGES_CHARACTERS - characters);
    if (fresh) merged.push(fresh);
    characters += fresh ? size(fresh) : (known!.route?.length ?? 0) - (routeBefore?.length ?? 0);
  }
  // Segments may be indexed out of order after a retry: keep visit order by time.
  return merged.sort((a, b) => a.at - b.at);
}

/** Every project holding a live session with this id (ids are chosen by browsers, so not unique). */
export async function findSessionsById(db: Kysely<IndexSchema>, sessionId: string): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('status', '=', 'active')
    .execute();
}

export async function getSession(
  db: Kysely<IndexSchema>,
  project: string,
  sessionId: string,
): Promise<SessionRow | undefined> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('project', '=', project)
    .where('session_id', '=', sessionId)
    .where('status', '=', 'active')
    .executeTakeFirst();
}

export async function listSegments(
  db: Kysely<IndexSchema> | Transaction<IndexSchema>,
  project: string,
  sessionId: string,
): Promise<SegmentRow[]> {
  return db
    .selectFrom('segments')
    .selectAll()
    .where('project', '=', project)
    .where('session_id', '=', sessionId)
    .orderBy('segment', 'asc')
    .execute();
}

export async function listCustomEventNames(
  db: Kysely<IndexSchema>,
  project: string,
  sessionId: string,
): Promise<{ name: string; count: number; firstAt: number }[]> {
  const rows = await db
    .selectFrom('session_custom_events')
    .select(['name', 'count', 'first_at'])
    .where('project', '=', project)
    .where('session_id', '=', sessionId)
    .orderBy('first_at', 'asc')
    .execute();
  return rows.map((r) => ({ name: r.name, count: r.count, firstAt: r.first_at }));
}

/** Hides a session from search and playback while its keys and objects are being removed. */
export async function markSessionDeleting(db: Kysely<IndexSchema>, project: string, sessionId: string) {
  await db
    .updateTable('sessions')
    .set({ status: 'deleting', updated_at: Date.now() })
    .where('project', '=', project)
    .where('session_id', '=', sessionId)
    .execute();
}

export async function deleteSessionRows(db: Kysely<IndexSchema>, project: string, sessionId: string) {
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('session_custom_events')
      .where('project', '=', project)
      .where('session_id', '=', sessionId)
      .execute();
    await trx.deleteFrom('session_users').where('project', '=', project).where('session_id', '=', sessionId).execute();
    await trx.deleteFrom('segments').where('project', '=', project).where('session_id', '=', sessionId).execute();
    await trx.deleteFrom('sessions').where('project', '=', project).where('session_id', '=', sessionId).execute();
  });
}
