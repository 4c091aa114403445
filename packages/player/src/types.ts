import type { RecordedEvent } from '@reprise/protocol';
import type { ResolveUrl } from './resources.js';

/** Where a recording comes from: all events at once, an async stream of events, or the playback URL. */
export type PlayerSource = readonly RecordedEvent[] | AsyncIterable<RecordedEvent | StreamItem> | string | URL;

/** How the player fetches a URL source and its windows: the browser's `fetch` unless given (PlayerOptions.fetch). */
export type PlayerFetch = (url: string, init: RequestInit) => Promise<Response>;

/** One item of the playback stream after parsing: an event, or a segment the server could not deliver. */
export type StreamItem =
  | { kind: 'event'; event: RecordedEvent }
  /** `start` / `end`: the lost segment's time range (epoch ms) when the server knows it. */
  | { kind: 'gap'; segment?: number; reason: string; start?: number; end?: number }
  /** The whole session's bounds (epoch ms), so the timeline has its full length while loading. */
  | { kind: 'meta'; start?: number; end?: number }
  /**
   * A stored segment starts (the collector's `segment` record): its events follow. With these the
   * player can fetch a window around a seek target (`?from=&to=`) and keep each segment once.
   */
  | { kind: 'segment'; index: number; start?: number; end?: number };

export type MarkerKind =
  | 'navigation'
  | 'click'
  | 'rage-click'
  | 'dead-click'
  | 'error'
  | 'console-error'
  | 'network-error'
  | 'custom'
  | 'identify'
  | 'gap';

export interface Marker {
  kind: MarkerKind;
  /** Milliseconds from the start of the recording. */
  time: number;
  /** Short text for the timeline tooltip and the events list. */
  label: string;
  /** Longer text (URL, stack, props), when there is one. */
  detail?: string;
  /** For spans (rage clicks, gaps): where the span ends, ms from the start. */
  endTime?: number;
}

export interface TimeRange {
  /** ms from the start of the recording */
  start: number;
  end: number;
}

export type PlayerState = 'loading' | 'paused' | 'playing' | 'buffering' | 'ended' | 'error';

export interface LoadProgress {
  /** Events received so far. */
  events: number;
  /** Bytes read so far (URL sources only). */
  bytes: number;
  /**
   * The body's length, when the server's Content-Length counts the bytes read: absent for a
   * compressed response (its length counts compressed bytes), a chunked one, or a cross-origin
   * one that hides its Content-Encoding.
   */
  totalBytes?: number;
  /**
   * 0..1 when the total is known: bytes read of `totalBytes`, else the time covered so far of the
   * session's length announced by the stream (the collector's `session` line); undefined while
   * unknown (indeterminate). Never decreases; below 1 until `done`.
   */
  fraction?: number;
  done: boolean;
}

export interface UrlAtTime {
  url: string;
  route?: string;
}

export interface SkipInfo {
  skipping: boolean;
  /** The inactive stretch being skipped (ms from start). */
  range?: TimeRange;
}

export interface PlayerEventMap {
  /** Current time in ms from the start; fires on every frame while playing and after seeks. */
  time: number;
  state: PlayerState;
  /** Playback reached a marker (fires once per marker passed while playing). */
  marker: Marker;
  /** The marker list changed (more of the recording arrived). */
  markers: readonly Marker[];
  progress: LoadProgress;
  speed: number;
  skip: SkipInfo;
  url: UrlAtTime | undefined;
  /** The first full snapshot is on screen. */
  ready: { width: number; height: number };
  /** The recorded viewport size changed. */
  resize: { width: number; height: number };
  gap: Marker;
  /**
   * A seek's target is not loaded yet: `loading` is true while its part of the recording is being
   * fetched (the player shows progress meanwhile), false once the frame is on screen.
   */
  seeking: { time: number; loading: boolean };
  error: Error;
}

export type PlayerEventName = keyof PlayerEventMap;

export interface PlayerOptions {
  source: PlayerSource;
  /** Start playing as soon as the first full snapshot is in. @default true */
  autoplay?: boolean;
  /** @default 1 */
  speed?: number;
  /** Fast-forward through inactive stretches. @default true */
  skipInactive?: boolean;
  /**
   * A stretch with no user input longer than this (ms) counts as inactive. The default is the
   * protocol's `INACTIVITY_THRESHOLD_MS`, which the collector also uses for a session's active time.
   * @default 5000
   */
  inactivityThreshold?: number;
  /** Speeds offered in the controls. @default [1, 2, 4, 8] */
  speeds?: number[];
  /** Show the console / network / events panels. @default true */
  panels?: boolean;
  /** Never scale the recorded viewport above this factor. @default 1 */
  maxScale?: number;
  /** Insert the player's stylesheet into the document once. @default true */
  injectStyles?: boolean;
  /** Passed to `fetch` for URL sources (credentials, headers). */
  fetchInit?: RequestInit;
  /**
   * Fetches the URL source and its windows (`?from=&to=`) instead of the browser's `fetch`: to
   * add a header, or to have another document make the request (a player in a sandboxed frame,
   * `FramedPlayer`).
   */
  fetch?: PlayerFetch;
  /**
   * The answer to a request for the URL `source` that the page started already (beside its other
   * requests, so the first frame does not wait for them): the player reads it instead of asking
   * again; when it resolves to undefined, the player fetches `source` itself. Windows around seek
   * targets are still fetched from `source`.
   */
  response?: Promise<Response | undefined>;
  /** Parse a playback-stream line into stream items; replace when the server's format differs. */
  parseLine?: (line: string) => StreamItem | null;
  /** Rage click: at least this many clicks ... @default 3 */
  rageClickCount?: number;
  /** ... within this many ms ... @default 1000 */
  rageClickWindow?: number;
  /** ... within this many CSS pixels of each other. @default 40 */
  rageClickRadius?: number;
  /** Dead click: a click on a button or link after which nothing on the page changed for this many ms; 0: none. @default 7000 */
  deadClickTimeout?: number;
  /** Open on this moment (ms from the start) once it has loaded. */
  startAt?: number;
  /**
   * Maps a URL the replayed page would load (image, stylesheet, font, media, CSS `url()`) to the
   * URL to load instead, such as a captured asset served by the collector. Return undefined or
   * null for URLs it does not know; `originalResources` decides about those.
   */
  resolveUrl?: ResolveUrl;
  /**
   * Let the viewer's browser fetch recorded URLs that `resolveUrl` does not map, from the sites
   * they were recorded on: those sites then learn the viewer's address and when they watched, and
   * the viewer's cookies for them may be sent. Off by default: such resources are left out of the
   * replay (an image without its picture, a font falling back).
   * @default false
   */
  originalResources?: boolean;
  /**
   * How much of the recording, each side of the moment shown, the player keeps in memory as
   * events (ms of recording time). What lies further away is freed, and kept only as its stream
   * text, gzip-compressed by the browser (about a twentieth of the events' size); it is parsed
   * again when the viewer goes there, or fetched again (`?from=&to=`) when it never arrived whole.
   * So a long session takes no more memory than a short one. The page load the current frame is
   * rebuilt from, and what playback needs next, are always kept. Applies to a URL source whose
   * server announces segments (the collector's playback stream); `Infinity` keeps everything.
   * @default 600000 (ten minutes)
   */
  retainMs?: number;
}
