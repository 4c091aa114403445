import {
  detectRageClicks,
  errorTitle,
  EventType,
  INACTIVITY_THRESHOLD_MS,
  IncrementalSource,
  isRepriseEvent,
  isUserActivity,
  MouseInteractions,
  type ClickPoint,
  type JsonValue,
  type RecordedEvent,
} from '@reprise/protocol';

/**
 * Turns one segment's events (rrweb + `reprise.*`) into what the index keeps about it. Pure and
 * incremental: a session's row is the fold of its segments' summaries (`indexStoredSegment` in sessions-store.ts).
 *
 * Active time is the player's notion, with the protocol's `isUserActivity` and
 * `INACTIVITY_THRESHOLD_MS`: the session's first event starts the clock, each gap between two
 * activities counts when it is no longer than the threshold, and so does the stretch from the
 * last activity to the end (`activeTail`). So `durationMs - activeMs` is exactly the time the
 * player shades as inactive and skips.
 */

/** The idle threshold, re-exported for the index's readers: one value, in `@reprise/protocol`. */
export { INACTIVITY_THRESHOLD_MS };
/** Pages kept per session: enough for any real visit, bounded against a runaway router loop. */
export const MAX_PAGES_PER_SESSION = 200;
/** Distinct custom event names kept per session, for the same reason. */
export const MAX_CUSTOM_EVENT_NAMES = 200;
/** Distinct error titles kept per segment and per session, each cut to `MAX_ERROR_TITLE_LENGTH` characters. */
export const MAX_ERROR_TITLES = 50;
export const MAX_ERROR_TITLE_LENGTH = 300;
/** The largest count a session row holds (PostgreSQL `integer`): a count stops there rather than overflow. */
export const MAX_INDEXED_COUNT = 2_147_483_647;

/** `count + more`, stopping at `MAX_INDEXED_COUNT`: a hostile `skipped` must not fail the row's update. */
export function addCount(count: number, more: number): number {
  return Math.min(MAX_INDEXED_COUNT, count + more);
}

/** An error as one line of text to search by: the protocol's `errorTitle` of its message's first line, bounded. */
function searchableErrorTitle({ name, message }: { name?: unknown; message?: unknown }): string {
  if (typeof message !== 'string') return '';
  return errorTitle({ name, message: message.split('\n', 1)[0]!.trim() }).slice(0, MAX_ERROR_TITLE_LENGTH);
}
/** The errors the recorder's rate bound left out before this one (`skipped`); anything but a count is none. */
function leftOutBefore(skipped: unknown): number {
  return typeof skipped === 'number' && Number.isSafeInteger(skipped) && skipped > 0 ? skipped : 0;
}
/** A user id or a custom event's name is indexed up to this many characters. */
export const MAX_NAME_LENGTH = 200;
/** A page's URL or route is indexed up to this many characters. */
export const MAX_URL_LENGTH = 2_000;

/** An error a session threw, as one line to list and search (`TypeError: x is undefined`), and when first. */
export interface ErrorSeen {
  title: string;
  at: number;
}

export interface PageVisit {
  url: string;
  route?: string;
  at: number;
}

/**
 * A page visited, into `byUrl` (its list's entries by URL, which it edits in place): one entry per
 * URL, at its first visit. A router's marker for a URL already listed without a route (the page
 * load's own entry, which the router marks again a moment later) fills in the route instead of
 * listing the URL twice. Returns the entry to add, if the URL is new; `routeRoom` is how many
 * characters a filled-in route may take.
 */
export function notePageVisit(
  byUrl: Map<string, PageVisit>,
  page: PageVisit,
  routeRoom = Number.POSITIVE_INFINITY,
): PageVisit | undefined {
  const known = byUrl.get(page.url);
  if (!known) {
    byUrl.set(page.url, page);
    return page;
  }
  // Segments may be indexed out of order after a retry: the first visit is the earliest.
  known.at = Math.min(known.at, page.at);
  if (page.route && !known.route && page.route.length <= routeRoom) known.route = page.route;
  return undefined;
}

/**
 * What the index keeps of one segment. Not the writer's `SegmentSummary` (segment/types.ts), which
 * is the public hook's account of a stored segment: this one holds what the session row folds.
 */
export interface IndexedSegmentSummary {
  startedAt: number;
  endedAt: number;
  eventCount: number;
  /** Timestamp of the segment's first full snapshot: where playback can start. */
  fullSnapshotAt: number | null;
  clicks: number;
  /** Runs of fast clicks on one spot (the player's rage clicks), within this segment. */
  rageClicks: number;
  errors: number;
  consoleErrors: number;
  failedRequests: number;
  /** `undefined` when the segment has no `identify`; `null` when it un-identified the user. */
  userId: string | null | undefined;
  /** Every user id the segment identified the session with, in order: erasure by id finds them all. */
  userIds: string[];
  traits: Record<string, JsonValue> | undefined;
  pages: PageVisit[];
  viewport: { width: number; height: number } | undefined;
  customEvents: Map<string, { count: number; firstAt: number }>;
  /** Distinct errors, in the order first thrown. */
  errorsSeen: ErrorSeen[];
  /** Active milliseconds inside this segment, continuing from `previousActivityAt`. */
  activeMs: number;
  lastActivityAt: number | null;
}

export function summarizeSegment(
  events: readonly RecordedEvent[],
  previousActivityAt: number | null = null,
): IndexedSegmentSummary {
  const summary: IndexedSegmentSummary = {
    startedAt: Number.POSITIVE_INFINITY,
    endedAt: Number.NEGATIVE_INFINITY,
    eventCount: events.length,
    fullSnapshotAt: null,
    clicks: 0,
    rageClicks: 0,
    errors: 0,
    consoleErrors: 0,
    failedRequests: 0,
    userId: undefined,
    userIds: [],
    traits: undefined,
    pages: [],
    viewport: undefined,
    customEvents: new Map(),
    errorsSeen: [],
    activeMs: 0,
    lastActivityAt: previousActivityAt,
  };
  const pagesByUrl = new Map<string, PageVisit>();
  const clickPoints: ClickPoint[] = [];
  const addPage = (url: unknown, route: unknown, at: number) => {
    if (typeof url !== 'string' || url === '') return;
    const page: PageVisit = { url: url.slice(0, MAX_URL_LENGTH), at };
    if (typeof route === 'string' && route !== '') page.route = route.slice(0, MAX_URL_LENGTH);
    const added = notePageVisit(pagesByUrl, page);
    if (added) summary.pages.push(added);
  };

  for (const event of events) {
    const at = event.timestamp;
    if (typeof at !== 'number' || !Number.isFinite(at)) continue;
    if (at < summary.startedAt) summary.startedAt = at;
    if (at > summary.endedAt) summary.endedAt = at;
    const last = summary.lastActivityAt;
    if (last === null) {
      summary.lastActivityAt = at; // the session's first event, whatever it is, starts the clock
    } else if (isUserActivity(event) && at > last) {
      if (at - last <= INACTIVITY_THRESHOLD_MS) summary.activeMs += at - last;
      summary.lastActivityAt = at;
    }
    const data = (event.data ?? {}) as Record<string, unknown>;

    switch (event.type) {
      case EventType.Meta:
        addPage(data.href, undefined, at);
        if (typeof data.width === 'number' && typeof data.height === 'number') {
          summary.viewport = { width: data.width, height: data.height };
        }
        break;
      case EventType.FullSnapshot:
        if (summary.fullSnapshotAt === null) summary.fullSnapshotAt = at;
        break;
      case EventType.IncrementalSnapshot: {
        const source = data.source as number;
        if (source === IncrementalSource.MouseInteraction && data.type === MouseInteractions.Click) {
          summary.clicks++;
          if (typeof data.x === 'number' && typeof data.y === 'number')
            clickPoints.push({ time: at, x: data.x, y: data.y });
        }
        if (
          source === IncrementalSource.ViewportResize &&
          typeof data.width === 'number' &&
          typeof data.height === 'number'
        ) {
          summary.viewport = { width: data.width, height: data.height };
        }
        break;
      }
      case EventType.Custom:
        summarizeRepriseEvent(event, at, summary, addPage);
        break;
      default:
        break;
    }
  }
  // A run split across two segments counts in neither unless each part is a run of its own.
  summary.rageClicks = detectRageClicks(clickPoints).length;
  if (summary.startedAt === Number.POSITIVE_INFINITY) {
    summary.startedAt = 0;
    summary.endedAt = 0;
  }
  return summary;
}

function summarizeRepriseEvent(
  event: RecordedEvent,
  at: number,
  summary: IndexedSegmentSummary,
  addPage: (url: unknown, route: unknown, at: number) => void,
) {
  // The index must never stop the writer: a malformed payload is skipped, not thrown on.
  const payload = (event.data as { payload?: unknown } | null)?.payload;
  if (payload === null || typeof payload !== 'object') return;
  if (isRepriseEvent(event, 'navigation')) {
    addPage(event.data.payload.url, event.data.payload.route, at);
  } else if (isRepriseEvent(event, 'error')) {
    // Errors left out by the rate bound happened all the same (console messages and requests
    // share their bounds across levels and outcomes, so theirs cannot be told apart).
    summary.errors = addCount(summary.errors, 1 + leftOutBefore(event.data.payload.skipped));
    const title = searchableErrorTitle(event.data.payload);
    if (
      title &&
      summary.errorsSeen.length < MAX_ERROR_TITLES &&
      !summary.errorsSeen.some((seen) => seen.title === title)
    )
      summary.errorsSeen.push({ title, at });
  } else if (isRepriseEvent(event, 'console')) {
    const level = event.data.payload.level;
    if (level === 'error' || level === 'assert') summary.consoleErrors++;
  } else if (isRepriseEvent(event, 'network')) {
    const { status, error } = event.data.payload;
    if ((typeof status === 'number' && (status === 0 || status >= 400)) || typeof error === 'string')
      summary.failedRequests++;
  } else if (isRepriseEvent(event, 'identify')) {
    const { userId, traits } = event.data.payload;
    summary.userId = typeof userId === 'string' && userId !== '' ? userId.slice(0, MAX_NAME_LENGTH) : null;
    if (summary.userId !== null && !summary.userIds.includes(summary.userId)) summary.userIds.push(summary.userId);
    if (traits && typeof traits === 'object' && !Array.isArray(traits))
      summary.traits = boundedTraits({ ...summary.traits, ...traits });
  } else if (isRepriseEvent(event, 'custom')) {
    const name = event.data.payload.name;
    if (typeof name !== 'string' || name === '') return;
    const key = name.slice(0, MAX_NAME_LENGTH);
    const seen = summary.customEvents.get(key);
    if (seen) seen.count++;
    else if (summary.customEvents.size < MAX_CUSTOM_EVENT_NAMES)
      summary.customEvents.set(key, { count: 1, firstAt: at });
  }
}

/**
 * The stretch from the last activity to the session's end, when it is short enough to count as
 * active (a longer one is the idle tail the player skips). Not part of `activeMs` of a segment:
 * the end moves as segments arrive, so the index adds it when it folds (`sessionActiveMs`).
 */
export function activeTail(endedAt: number, lastActivityAt: number | null): number {
  if (lastActivityAt === null) return 0;
  const tail = endedAt - lastActivityAt;
  return tail > 0 && tail <= INACTIVITY_THRESHOLD_MS ? tail : 0;
}

/**
 * A session's active time after folding in one more segment: the stored value less its old
 * tail, plus the segment's active time, plus the new tail.
 */
export function sessionActiveMs(
  before: { activeMs: number; endedAt: number; lastActivityAt: number | null },
  segment: { activeMs: number },
  after: { endedAt: number; lastActivityAt: number | null },
): number {
  const between = Math.max(0, before.activeMs - activeTail(before.endedAt, before.lastActivityAt));
  return between + segment.activeMs + activeTail(after.endedAt, after.lastActivityAt);
}

/** Traits kept per session, as JSON: what a viewer reads, not a place to store blobs. */
export const MAX_TRAITS_JSON_LENGTH = 16_384;

/** Keeps traits in insertion order while their JSON fits, and says when some were left out. */
export function boundedTraits(traits: Record<string, JsonValue>): Record<string, JsonValue> {
  if (JSON.stringify(traits).length <= MAX_TRAITS_JSON_LENGTH) return traits;
  const kept: Record<string, JsonValue> = { _truncated: true };
  let length = JSON.stringify(kept).length;
  for (const [key, value] of Object.entries(traits)) {
    const entry = JSON.stringify({ [key]: value }).length;
    if (length + entry > MAX_TRAITS_JSON_LENGTH) continue;
    kept[key] = value;
    length += entry;
  }
  return kept;
}

export interface ParsedUserAgent {
  browser: string | null;
  os: string | null;
}

/**
 * Just enough of a user-agent parser to label and filter sessions by browser family and OS; the
 * raw string is kept next to it for anything finer.
 */
export function parseUserAgent(userAgent: string | undefined | null): ParsedUserAgent {
  if (!userAgent) return { browser: null, os: null };
  const ua = userAgent;
  const version = (re: RegExp) => ua.match(re)?.[1]?.split('.')[0];
  let browser: string | null = null;
  const edge = version(/Edg(?:e|A|iOS)?\/([\d.]+)/);
  const opera = version(/OPR\/([\d.]+)/);
  const firefox = version(/(?:Firefox|FxiOS)\/([\d.]+)/);
  const chrome = version(/(?:Chrome|Chromium|CriOS)\/([\d.]+)/);
  const safari = version(/Version\/([\d.]+).*Safari\//);
  if (edge) browser = `Edge ${edge}`;
  else if (opera) browser = `Opera ${opera}`;
  else if (firefox) browser = `Firefox ${firefox}`;
  else if (chrome) browser = `${/HeadlessChrome/.test(ua) ? 'Headless Chrome' : 'Chrome'} ${chrome}`;
  else if (safari) browser = `Safari ${safari}`;

  let os: string | null = null;
  if (/iPhone|iPad|iPod/.test(ua)) os = 'iOS';
  else if (/Android/.test(ua)) os = 'Android';
  else if (/CrOS/.test(ua)) os = 'ChromeOS';
  else if (/Windows/.test(ua)) os = 'Windows';
  else if (/Mac OS X|Macintosh/.test(ua)) os = 'macOS';
  else if (/Linux/.test(ua)) os = 'Linux';
  return { browser, os };
}
