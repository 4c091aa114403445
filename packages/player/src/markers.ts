import {
  detectRageClicks,
  errorTitle,
  EventType,
  IncrementalSource,
  isRepriseEvent,
  toWellFormedEvent,
  MouseInteractions,
  type ClickPoint,
  type ConsoleLevel,
  type NetworkPayload,
  type RageClickOptions,
  type RecordedEvent,
  urlPath,
} from '@reprise/protocol';
import { RecordedDom, type ClickTarget } from './click-targets.js';
import { clip } from './format.js';
import type { Marker } from './types.js';

/** A console call as the console panel lists it. */
export interface ConsoleRow {
  /** ms from the start */
  time: number;
  level: ConsoleLevel;
  text: string;
  trace?: string;
}

/** What the details of a request show beyond its row: the headers and bodies come with the recorder's `network.captureHeaders` / `network.captureBodies`. */
type RequestExtras = Pick<
  NetworkPayload,
  'requestSize' | 'responseSize' | 'requestHeaders' | 'responseHeaders' | 'requestBody' | 'responseBody'
>;

/** A request as the network panel lists it. */
export interface NetworkRow extends RequestExtras {
  /** ms from the start of the recording to the request's start */
  time: number;
  method: string;
  url: string;
  status: number;
  duration: number;
  failed: boolean;
  error?: string;
  initiator: NetworkPayload['initiator'];
  /** The GraphQL operation (`mutation AddToCart`), when the request carried one. */
  operation?: string;
  /** Requests the recorder's rate bound left out just before this one (a page polling in a loop). */
  skipped?: number;
}

/** The payload's optional parts a request's details show, those of the right type only (a recording is input). */
function requestExtras(payload: NetworkPayload): RequestExtras {
  const extras: RequestExtras = {};
  for (const key of ['requestSize', 'responseSize'] as const)
    if (typeof payload[key] === 'number' && Number.isFinite(payload[key])) extras[key] = payload[key];
  for (const key of ['requestHeaders', 'responseHeaders'] as const)
    if (payload[key] && typeof payload[key] === 'object') extras[key] = payload[key];
  for (const key of ['requestBody', 'responseBody'] as const)
    if (typeof payload[key] === 'string') extras[key] = payload[key];
  return extras;
}

const LABEL_LIMIT = 140;

function markerLabel(text: string): string {
  return clip(text, LABEL_LIMIT);
}

/** What the recorder's rate bound left out just before a message (`skipped`), as a line of its own. */
export function notRecorded(skipped: unknown, what: string): string {
  return typeof skipped === 'number' && skipped > 0
    ? `… ${skipped} earlier ${what} not recorded (too many a second)`
    : '';
}

function json(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** `on button "Pay"` when the recording names what was clicked, else `at 120, 45` (recorded viewport pixels). */
function where(target: ClickTarget | undefined, point: { x: number; y: number }): string {
  return target ? `on ${target.text}` : `at ${Math.round(point.x)}, ${Math.round(point.y)}`;
}

/** How long the page may stay unchanged after a click on a button or link before it counts as dead (ms). */
export const DEFAULT_DEAD_CLICK_TIMEOUT = 7_000;
/** Unanswered clicks kept waiting at once, so that each event's work stays bounded. */
const MAX_UNANSWERED_CLICKS = 100;

export interface ClickOptions extends RageClickOptions {
  /** A click on a button or link after which nothing on the page changed for this long is a dead click; 0: none. @default 7000 */
  deadClickTimeout?: number;
}

/** Controls a person clicks for the page to answer; a field or a checkbox may rightly change nothing visible. */
const ANSWERING_CONTROLS = new Set([
  'button',
  'link',
  'menuitem',
  'menuitemcheckbox',
  'menuitemradio',
  'tab',
  'switch',
  'summary',
]);
/** Incremental sources that show the page answering: DOM, scroll, a value, media, styles, a canvas. */
const ANSWER_SOURCES = new Set<number>([
  IncrementalSource.Scroll,
  IncrementalSource.Input,
  IncrementalSource.MediaInteraction,
  IncrementalSource.StyleSheetRule,
  IncrementalSource.CanvasMutation,
  IncrementalSource.StyleDeclaration,
  IncrementalSource.AdoptedStyleSheet,
]);

/** Whether this event shows the page changing (for dead clicks): a page load, a route change, a DOM change, … */
function changesPage(event: RecordedEvent): boolean {
  if (event.type === EventType.FullSnapshot || event.type === EventType.Meta) return true;
  if (event.type === EventType.IncrementalSnapshot) {
    const data = event.data as { source?: number } & Record<string, unknown>;
    if (data?.source === IncrementalSource.Mutation)
      return ['adds', 'removes', 'texts', 'attributes'].some((key) => (data[key] as unknown[] | undefined)?.length);
    return typeof data?.source === 'number' && ANSWER_SOURCES.has(data.source);
  }
  return isRepriseEvent(event, 'navigation');
}

interface RecordedClick extends ClickPoint {
  target?: ClickTarget;
  /** Nothing changed on the page for the dead-click timeout after it. */
  dead?: boolean;
}

/** A marker in absolute time, before the recording's start is subtracted. */
interface PendingMarker extends Omit<Marker, 'time' | 'endTime'> {
  timestamp: number;
  endTimestamp?: number;
}

/**
 * Everything the timeline and panels show, built incrementally from the stream of events:
 * markers (navigation, clicks, rage clicks, errors, console errors, failed requests, custom events,
 * identify, gaps), console rows and network rows. Pure: no DOM, no rrweb.
 */
export class RecordingIndex {
  private startTimestamp: number | undefined;
  private endTimestamp: number | undefined;
  private readonly pending: PendingMarker[] = [];
  /** Clicks in absolute time (epoch ms), with what they landed on when the recording says. */
  private readonly clicks: RecordedClick[] = [];
  /** Clicks on buttons and links the page has not answered yet, in arrival order. */
  private unanswered: RecordedClick[] = [];
  /** The earliest time at which one of them can turn dead, and the newest of their times. */
  private nextDeadline = Infinity;
  private newestUnanswered = -Infinity;
  /** The page as recorded so far, to name what each click landed on. */
  private readonly dom = new RecordedDom();
  private readonly consoleRows: Array<Omit<ConsoleRow, 'time'> & { timestamp: number }> = [];
  private readonly networkRows: Array<Omit<NetworkRow, 'time'> & { timestamp: number }> = [];
  private openGap: PendingMarker | undefined;
  private cachedMarkers: Marker[] | undefined;

  constructor(private readonly clickOptions: ClickOptions = {}) {}

  get start(): number | undefined {
    return this.startTimestamp;
  }

  get end(): number | undefined {
    return this.endTimestamp;
  }

  /** Recording length in ms, so far. */
  get duration(): number {
    return this.startTimestamp === undefined || this.endTimestamp === undefined
      ? 0
      : this.endTimestamp - this.startTimestamp;
  }

  add(recorded: RecordedEvent): void {
    // A Reprise event is read as its kind's type says: what is of another type is left out.
    const wellFormed = toWellFormedEvent(recorded);
    if (!wellFormed) return;
    const event = wellFormed;
    this.startTimestamp = Math.min(this.startTimestamp ?? event.timestamp, event.timestamp);
    this.endTimestamp = Math.max(this.endTimestamp ?? event.timestamp, event.timestamp);
    if (this.openGap) {
      this.openGap.endTimestamp = event.timestamp;
      this.openGap = undefined;
    }
    if (this.unanswered.length > 0) this.settleClicks(event);
    if (event.type === EventType.FullSnapshot) this.dom.add(event);
    if (event.type === EventType.IncrementalSnapshot) {
      this.addIncremental(event);
      return;
    }
    if (!isRepriseEvent(event)) return;
    const at = event.timestamp;
    if (isRepriseEvent(event, 'navigation')) {
      const { url, route, skipped } = event.data.payload;
      const detail = [notRecorded(skipped, 'route changes'), url].filter(Boolean).join('\n');
      this.push({ kind: 'navigation', timestamp: at, label: markerLabel(route ?? urlPath(url)), detail });
    } else if (isRepriseEvent(event, 'error')) {
      const { stack, causes, skipped, component, info, componentStack } = event.data.payload;
      const label = errorTitle(event.data.payload);
      // The stack, then each cause as JavaScript engines print one: "Caused by: TypeError: ...".
      const causeLines = (Array.isArray(causes) ? causes : [])
        .filter((cause) => typeof cause?.message === 'string')
        .map((cause) => `Caused by: ${cause.stack ?? errorTitle(cause)}`);
      // Where a framework caught it: "In UserCard (mounted hook)", then the component stack.
      const place = [component, info && component ? `(${info})` : info].filter(Boolean).join(' ');
      const detail = [
        notRecorded(skipped, 'errors'),
        // The whole message when the label cuts it (a stack usually starts with it, but not always).
        label.length > LABEL_LIMIT && !(typeof stack === 'string' && stack.includes(label)) ? label : '',
        stack ?? '',
        ...causeLines,
        place ? `In ${place}` : '',
        componentStack ?? '',
      ]
        .filter((line) => typeof line === 'string' && line !== '')
        .join('\n');
      this.push({ kind: 'error', timestamp: at, label: markerLabel(label), ...(detail ? { detail } : {}) });
    } else if (isRepriseEvent(event, 'console')) {
      const { level, args, trace, skipped } = event.data.payload;
      const text = args.join(' ');
      const gap = notRecorded(skipped, 'console messages');
      if (gap) this.consoleRows.push({ timestamp: at, level, text: gap });
      this.consoleRows.push({ timestamp: at, level, text, ...(trace ? { trace } : {}) });
      if (level === 'error' || level === 'assert') {
        const label = `console.${level}: ${text}`;
        // The whole message when the label cuts it, then where it was logged from.
        const detail = [label.length > LABEL_LIMIT ? text : '', trace ?? ''].filter(Boolean).join('\n');
        this.push({ kind: 'console-error', timestamp: at, label: markerLabel(label), ...(detail ? { detail } : {}) });
      }
    } else if (isRepriseEvent(event, 'network')) {
      const payload = event.data.payload;
      const failed = payload.status === 0 || payload.status >= 400 || payload.error !== undefined;
      const startTimestamp = Number.isFinite(payload.startTime) ? payload.startTime : at;
      this.networkRows.push({
        timestamp: startTimestamp,
        method: payload.method,
        url: payload.url,
        status: payload.status,
        duration: payload.duration,
        failed,
        initiator: payload.initiator,
        ...(payload.error ? { error: payload.error } : {}),
        ...(payload.operation ? { operation: payload.operation } : {}),
        ...((payload.skipped ?? 0) > 0 ? { skipped: payload.skipped } : {}),
        ...requestExtras(payload),
      });
      if (failed) {
        // A resource can fail with a 200 (a picture that does not decode): its error says more.
        const outcome =
          payload.status === 0 || payload.status < 400 ? (payload.error ?? 'failed') : String(payload.status);
        this.push({
          kind: 'network-error',
          timestamp: startTimestamp,
          label: markerLabel(
            `${payload.method} ${urlPath(payload.url)}${payload.operation ? ` (${payload.operation})` : ''} → ${outcome}`,
          ),
          detail: payload.url,
        });
      }
    } else if (isRepriseEvent(event, 'custom')) {
      const { name, props, skipped } = event.data.payload;
      const detail = [notRecorded(skipped, 'custom events'), json(props)].filter(Boolean).join('\n');
      this.push({ kind: 'custom', timestamp: at, label: markerLabel(name), ...(detail ? { detail } : {}) });
    } else if (isRepriseEvent(event, 'identify')) {
      const { userId, traits } = event.data.payload;
      const detail = json(traits);
      this.push({
        kind: 'identify',
        timestamp: at,
        label: markerLabel(`Identify ${userId ?? '(anonymous)'}`),
        ...(detail ? { detail } : {}),
      });
    }
  }

  /** A segment could not be delivered: it spans from the last event before it to the next one after. */
  addGap(segment: number | undefined, reason: string, range: { start?: number; end?: number } = {}): Marker {
    const lastEvent = this.endTimestamp ?? range.start ?? 0;
    const gap: PendingMarker = {
      kind: 'gap',
      // Never before what has been shown: the replayer keeps the last frame until the next snapshot.
      timestamp: Math.max(lastEvent, range.start ?? lastEvent),
      label: segment === undefined ? 'Missing data' : `Missing data (segment ${segment})`,
      detail: reason,
    };
    // The gap lasts until the next event arrives (the next segment's full snapshot).
    this.openGap = gap;
    // Whether the page answered a click in the missing part is unknown: none counts as dead.
    this.forgetUnanswered();
    this.push(gap);
    return this.toMarker(gap);
  }

  private addIncremental(event: RecordedEvent): void {
    const data = event.data as { source?: number; type?: number; id?: unknown; x?: number; y?: number } | null;
    if (data?.source === IncrementalSource.Mutation) this.dom.add(event);
    if (data?.source !== IncrementalSource.MouseInteraction) return;
    // A click only: a double-click also records its two clicks, and a tap its click after its
    // touchend, so counting those too made every double-click or double tap a rage click.
    if (data.type !== MouseInteractions.Click) return;
    if (typeof data.x !== 'number' || typeof data.y !== 'number') return;
    const target = this.dom.describe(data.id);
    const click: RecordedClick = { time: event.timestamp, x: data.x, y: data.y, ...(target ? { target } : {}) };
    this.clicks.push(click);
    if (this.deadClickTimeout > 0 && ANSWERING_CONTROLS.has(target?.control ?? '') && !target?.leavesPage)
      this.awaitAnswer(click);
    this.cachedMarkers = undefined;
  }

  private awaitAnswer(click: RecordedClick): void {
    // A flood of clicks the page never answers would otherwise make every later event walk them
    // all. Past the cap the oldest stays a plain click: whether it was answered is left unknown,
    // as for a click the recording ends on.
    if (this.unanswered.length >= MAX_UNANSWERED_CLICKS) this.unanswered.shift();
    this.unanswered.push(click);
    this.nextDeadline = Math.min(this.nextDeadline, click.time + this.deadClickTimeout);
    this.newestUnanswered = Math.max(this.newestUnanswered, click.time);
  }

  private forgetUnanswered(): void {
    this.unanswered = [];
    this.nextDeadline = Infinity;
    this.newestUnanswered = -Infinity;
  }

  private get deadClickTimeout(): number {
    return this.clickOptions.deadClickTimeout ?? DEFAULT_DEAD_CLICK_TIMEOUT;
  }

  /**
   * A change of the page answers the clicks before it; an event past a click's timeout with no
   * change before it makes the click dead. A click the recording ends on stays a click: unknown.
   */
  private settleClicks(event: RecordedEvent): void {
    const answers = changesPage(event);
    // Most events settle nothing (before any deadline) or answer everything (a change after the
    // newest click, before any deadline): only the rest walk the list.
    if (answers && event.timestamp >= this.newestUnanswered && event.timestamp <= this.nextDeadline) {
      this.forgetUnanswered();
      return;
    }
    if (!answers && event.timestamp <= this.nextDeadline) return;
    const waiting = this.unanswered;
    this.forgetUnanswered();
    for (const click of waiting) {
      if (event.timestamp > click.time + this.deadClickTimeout) {
        click.dead = true;
        this.cachedMarkers = undefined;
      } else if (!(answers && event.timestamp >= click.time)) this.awaitAnswer(click);
    }
  }

  private push(marker: PendingMarker): void {
    this.pending.push(marker);
    this.cachedMarkers = undefined;
  }

  private toMarker(pending: PendingMarker): Marker {
    const start = this.startTimestamp ?? pending.timestamp;
    const { timestamp, endTimestamp, ...rest } = pending;
    return {
      ...rest,
      time: timestamp - start,
      ...(endTimestamp !== undefined ? { endTime: endTimestamp - start } : {}),
    };
  }

  /** All markers sorted by time, in ms from the start. Rage clicks replace the clicks they are made of. */
  getMarkers(): Marker[] {
    if (this.cachedMarkers && !this.openGap) return this.cachedMarkers;
    const rage = detectRageClicks(this.clicks, this.clickOptions);
    const inRage = new Set(rage.flatMap((cluster) => cluster.indexes));
    const clickMarkers: PendingMarker[] = [];
    this.clicks.forEach((click, index) => {
      if (!inRage.has(index)) {
        clickMarkers.push(
          click.dead
            ? {
                kind: 'dead-click',
                timestamp: click.time,
                label: `Dead click ${where(click.target, click)}`,
                detail: `Nothing on the page changed for ${this.deadClickTimeout / 1000} s after it.`,
              }
            : { kind: 'click', timestamp: click.time, label: `Click ${where(click.target, click)}` },
        );
      }
    });
    for (const cluster of rage) {
      clickMarkers.push({
        kind: 'rage-click',
        timestamp: cluster.start,
        endTimestamp: cluster.end,
        label: `Rage click ×${cluster.count} ${where(this.clicks[cluster.indexes[0]!]?.target, cluster)}`,
      });
    }
    this.cachedMarkers = [...this.pending, ...clickMarkers]
      .map((marker) => this.toMarker(marker))
      .sort((a, b) => a.time - b.time);
    return this.cachedMarkers;
  }

  getConsoleRows(): ConsoleRow[] {
    const start = this.startTimestamp ?? 0;
    return this.consoleRows.map(({ timestamp, ...row }) => ({ ...row, time: timestamp - start }));
  }

  getNetworkRows(): NetworkRow[] {
    const start = this.startTimestamp ?? 0;
    return this.networkRows
      .map(({ timestamp, ...row }) => ({ ...row, time: timestamp - start }))
      .sort((a, b) => a.time - b.time);
  }
}

/** Markers of a whole recording (ms from its first event). */
export function extractMarkers(events: readonly RecordedEvent[], clickOptions: ClickOptions = {}): Marker[] {
  const index = new RecordingIndex(clickOptions);
  for (const event of events) index.add(event);
  return index.getMarkers();
}
