import {
  EventType,
  isRepriseEvent,
  type JsonValue,
  type RecordedEvent,
} from '@reprise/protocol';

/**
 * Turns one segment's events (rrweb + `reprise.*`) into what the index keeps about it. Pure and
 * incremental: a session's row is the fold of its segments' summaries (see `mergeIntoSession`).
 */

/** rrweb's IncrementalSource values that mean a person did something. */
const USER_ACTIVITY_SOURCES = new Set([
  1, // MouseMove
  2, // MouseInteraction
  3, // Scroll
  4, // ViewportResize
  5, // Input
  6, // TouchMove
  7, // MediaInteraction
  12, // Drag
  14, // Selection
]);
const INCREMENTAL_MOUSE_INTERACTION = 2;
const INCREMENTAL_VIEWPORT_RESIZE = 4;
const MOUSE_INTERACTION_CLICK = 2;

/**
 * Gaps between two interactions longer than this count as idle, not active time. The same
 * threshold rrweb's replayer uses to skip inactive periods, so "active time" matches what a
 * viewer sees when skipping idle.
 */
export const INACTIVITY_THRESHOLD_MS = 10_000;
/** Pages kept per session: enough for any real visit, bounded against a runaway router loop. */
export const MAX_PAGES_PER_SESSION = 200;
/** Distinct custom event names kept per session, for the same reason. */
export const MAX_CUSTOM_EVENT_NAMES = 200;
const MAX_NAME_LENGTH = 200;
const MAX_URL_LENGTH = 2_000;

export interface PageVisit {
  url: string;
  route?: string;
  at: number;
}

export interface SegmentSummary {
  startedAt: number;
  endedAt: number;
  eventCount: number;
  /** Timestamp of the segment's first full snapshot: where playback can start. */
  fullSnapshotAt: number | null;
  clicks: number;
  errors: number;
  consoleErrors: number;
  failedRequests: number;
  /** `undefined` when the segment has no `identify`; `null` when it un-identified the user. */
  userId: string | null | undefined;
  traits: Record<string, JsonValue> | undefined;
  pages: PageVisit[];
  viewport: { width: number; height: number } | undefined;
  customEvents: Map<string, { count: number; firstAt: number }>;
  /** Active milliseconds inside this segment, continuing from `previousActivityAt`. */
  activeMs: number;
  lastActivityAt: number | null;
}

export function summariseSegment(
  events: readonly RecordedEvent[],
  previousActivityAt: number | null = null,
): SegmentSummary {
  const summary: SegmentSummary = {
    startedAt: Number.POSITIVE_INFINITY,
    endedAt: Number.NEGATIVE_INFINITY,
    eventCount: events.length,
    fullSnapshotAt: null,
    clicks: 0,
    errors: 0,
    consoleErrors: 0,
    failedRequests: 0,
    userId: undefined,
    traits: undefined,
    pages: [],
    viewport: undefined,
    customEvents: new Map(),
    activeMs: 0,
    lastActivityAt: previousActivityAt,
  };
  const seenUrls = new Set<string>();
  const addPage = (url: unknown, route: unknown, at: number) => {
    if (typeof url !== 'string' || url === '') return;
    const page: PageVisit = { url: url.slice(0, MAX_URL_LENGTH), at };
    if (typeof route === 'string' && route !== '') page.route = route.slice(0, MAX_URL_LENGTH);
    const key = `${page.url}\n${page.route ?? ''}`;
    if (seenUrls.has(key)) return;
    seenUrls.add(key);
    summary.pages.push(page);
  };

  for (const event of events) {
    const at = event.timestamp;
    if (typeof at !== 'number' || !Number.isFinite(at)) continue;
    if (at < summary.startedAt) summary.startedAt = at;
    if (at > summary.endedAt) summary.endedAt = at;
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
        if (source === INCREMENTAL_MOUSE_INTERACTION && data.type === MOUSE_INTERACTION_CLICK) summary.clicks++;
        if (source === INCREMENTAL_VIEWPORT_RESIZE && typeof data.width === 'number' && typeof data.height === 'number') {
          summary.viewport = { width: data.width, height: data.height };
        }
        if (USER_ACTIVITY_SOURCES.has(source)) {
          const last = summary.lastActivityAt;
          if (last !== null && at > last) {
            const gap = at - last;
            if (gap <= INACTIVITY_THRESHOLD_MS) summary.activeMs += gap;
          }
          if (last === null || at > last) summary.lastActivityAt = at;
        }
        break;
      }
      case EventType.Custom:
        summariseRepriseEvent(event, at, summary, addPage);
        break;
      default:
        break;
    }
  }
  if (summary.startedAt === Number.POSITIVE_INFINITY) {
    summary.startedAt = 0;
    summary.endedAt = 0;
  }
  return summary;
}

function summariseRepriseEvent(
  event: RecordedEvent,
  at: number,
  summary: SegmentSummary,
  addPage: (url: unknown, route: unknown, at: number) => void,
) {
  // The index must never stop the writer: a malformed payload is skipped, not thrown on.
  const payload = (event.data as { payload?: unknown } | null)?.payload;
  if (payload === null || typeof payload !== 'object') return;
  if (isRepriseEvent(event, 'navigation')) {
    addPage(event.data.payload.url, event.data.payload.route, at);
  } else if (isRepriseEvent(event, 'error')) {
    summary.errors++;
  } else if (isRepriseEvent(event, 'console')) {
    const level = event.data.payload.level;
    if (level === 'error' || level === 'assert') summary.consoleErrors++;
  } else if (isRepriseEvent(event, 'network')) {
    const status = event.data.payload.status;
    if (typeof status === 'number' && (status === 0 || status >= 400)) summary.failedRequests++;
  } else if (isRepriseEvent(event, 'identify')) {
    const { userId, traits } = event.data.payload;
    summary.userId = typeof userId === 'string' && userId !== '' ? userId.slice(0, MAX_NAME_LENGTH) : null;
    if (traits && typeof traits === 'object' && !Array.isArray(traits)) summary.traits = boundedTraits({ ...summary.traits, ...traits });
  } else if (isRepriseEvent(event, 'custom')) {
    const name = event.data.payload.name;
    if (typeof name !== 'string' || name === '') return;
    const key = name.slice(0, MAX_NAME_LENGTH);
    const seen = summary.customEvents.get(key);
    if (seen) seen.count++;
    else if (summary.customEvents.size < MAX_CUSTOM_EVENT_NAMES) summary.customEvents.set(key, { count: 1, firstAt: at });
  }
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
