import { sql, type Kysely } from 'kysely';
import type { IndexSchema, SessionRow } from './schema.js';

export type SessionSortField = 'startedAt' | 'duration';
export type SortOrder = 'asc' | 'desc';

/**
 * What a viewer can filter and sort sessions by: `GET /v1/sessions`'s query parameters, parsed.
 * The admin UI's `SessionSearchParams` (admin/src/api.ts) is this type plus the project it
 * picked, so a filter added here is a filter the UI's compiler knows about.
 */
export interface SessionSearchFilters {
  /** Sessions that started at or after this epoch ms. */
  from?: number;
  /** Sessions that started before this epoch ms. */
  to?: number;
  userId?: string;
  /** Case-insensitive substring of any URL or route the session visited. */
  url?: string;
  hasError?: boolean;
  /** Only sessions with (true) or without (false) a rage click: clicks again and again on one spot. */
  hasRageClick?: boolean;
  /** Case-insensitive substring of the title of an error the session threw (`cart is undefined`). */
  errorText?: string;
  customEvent?: string;
  minDurationMs?: number;
  sort?: SessionSortField;
  order?: SortOrder;
  /** @default 50, at most 500 */
  limit?: number;
  cursor?: string;
}

export interface SessionSearch extends SessionSearchFilters {
  /** Projects to search in: the caller's readable projects, already checked. `all` for `*` admins. */
  projects: readonly string[] | 'all';
}

/** How the caller's engine can speed up a URL substring search. */
export interface SearchEngineHints {
  engine?: 'sqlite' | 'postgres';
}

export interface SessionSearchPage {
  sessions: SessionRow[];
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

export const DEFAULT_SEARCH_LIMIT = 50;
export const MAX_SEARCH_LIMIT = 500;

const SORT_COLUMNS = { startedAt: 'started_at', duration: 'duration_ms' } as const;

export class InvalidCursorError extends Error {
  readonly status = 400;
  constructor() {
    super('[@reprise/collector] invalid cursor: pass back the nextCursor of a search with the same sort and order');
    this.name = 'InvalidCursorError';
  }
}

interface CursorState {
  s: SessionSortField;
  o: SortOrder;
  v: number;
  i: number;
}

function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decodeCursor(cursor: string, sort: SessionSortField, order: SortOrder): CursorState {
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const c = state as Partial<CursorState> | null;
  if (!c || c.s !== sort || c.o !== order || !Number.isFinite(c.v) || !Number.isInteger(c.i)) {
    throw new InvalidCursorError();
  }
  return c as CursorState;
}

/** Escapes LIKE wildcards so a searched `%` or `_` means itself. */
export function likePattern(substring: string): string {
  return `%${substring.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/**
 * Keyset-paginated session search. Sorting by (column, id) and resuming strictly after the last
 * row's pair keeps pages stable while new sessions arrive, and each page costs the same however
 * deep the reader scrolls.
 */
/**
 * Sessions that may contain `term`, from SQLite's trigram index, when the term is rare enough
 * for the list to pay off. A common term returns `undefined`: scanning in sort order then finds
 * a page of matches within the first rows, faster than collecting thousands of ids.
 */
export const RARE_TERM_LIMIT = 2_000;
async function urlCandidates(db: Kysely<IndexSchema>, term: string): Promise<number[] | undefined> {
  // The trigram index answers terms of three or more characters.
  if ([...term].length < 3) return undefined;
  const phrase = `"${term.toLowerCase().replaceAll('"', '""')}"`;
  const { rows } = await sql<{
    rowid: number;
  }>`SELECT rowid FROM sessions_search WHERE sessions_search MATCH ${phrase} LIMIT ${RARE_TERM_LIMIT}`.execute(db);
  return rows.length < RARE_TERM_LIMIT ? rows.map((r) => Number(r.rowid)) : undefined;
}

export async function searchSessions(
  db: Kysely<IndexSchema>,
  search: SessionSearch,
  hints: SearchEngineHints = {},
): Promise<SessionSearchPage> {
  const sort = search.sort ?? 'startedAt';
  const order = search.order ?? 'desc';
  const limit = Math.min(Math.max(1, Math.trunc(search.limit ?? DEFAULT_SEARCH_LIMIT)), MAX_SEARCH_LIMIT);
  const column = SORT_COLUMNS[sort];
  const cursor = search.cursor ? decodeCursor(search.cursor, sort, order) : undefined;
  if (search.projects !== 'all' && search.projects.length === 0) return { sessions: [], nextCursor: null };

  let query = db.selectFrom('sessions as s').selectAll('s').where('s.status', '=', 'active');
  if (search.projects !== 'all') {
    query =
      search.projects.length === 1
        ? query.where('s.project', '=', search.projects[0]!)
        : query.where('s.project', 'in', [...search.projects]);
  }
  if (search.from !== undefined) query = query.where('s.started_at', '>=', search.from);
  if (search.to !== undefined) query = query.where('s.started_at', '<', search.to);
  if (search.userId !== undefined) query = query.where('s.user_id', '=', search.userId);
  if (search.minDurationMs !== undefined) query = query.where('s.duration_ms', '>=', search.minDurationMs);
  if (search.hasError === true) query = query.where('s.error_count', '>', 0);
  if (search.hasError === false) query = query.where('s.error_count', '=', 0);
  if (search.hasRageClick === true) query = query.where('s.rage_click_count', '>', 0);
  if (search.hasRageClick === false) query = query.where('s.rage_click_count', '=', 0);
  if (search.url !== undefined && search.url !== '') {
    const candidates = hints.engine === 'sqlite' ? await urlCandidates(db, search.url) : undefined;
    if (candidates?.length === 0) return { sessions: [], nextCursor: null };
    if (candidates) query = query.where('s.id', 'in', candidates);
    // Always checked: the exact, case-insensitive substring (trigrams only narrow the candidates).
    query = query.where(sql<boolean>`s.search_text LIKE ${likePattern(search.url)} ESCAPE '\\'`);
  }
  if (search.errorText !== undefined && search.errorText !== '') {
    // Only sessions with errors have a text to scan.
    query = query
      .where('s.error_count', '>', 0)
      .where(sql<boolean>`lower(s.error_text) LIKE ${likePattern(search.errorText)} ESCAPE '\\'`);
  }
  if (search.customEvent !== undefined) {
    const name = search.customEvent;
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('session_custom_events as ce')
          .select(sql.lit(1).as('one'))
          .whereRef('ce.project', '=', 's.project')
          .whereRef('ce.session_id', '=', 's.session_id')
          .where('ce.name', '=', name),
      ),
    );
  }
  if (cursor) {
    const cmp = order === 'desc' ? '<' : '>';
    query = query.where((eb) =>
      eb.or([eb(`s.${column}`, cmp, cursor.v), eb.and([eb(`s.${column}`, '=', cursor.v), eb('s.id', cmp, cursor.i)])]),
    );
  }
  const rows = await query
    .orderBy(`s.${column}`, order)
    .orderBy('s.id', order)
    .limit(limit + 1)
    .execute();

  const hasMore = rows.length > limit;
  const sessions = hasMore ? rows.slice(0, limit) : rows;
  const last = sessions[sessions.length - 1];
  const nextCursor = hasMore && last ? encodeCursor({ s: sort, o: order, v: last[column], i: last.id }) : null;
  return { sessions, nextCursor };
}
