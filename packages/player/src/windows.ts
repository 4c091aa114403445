import { EventType, toWellFormedEvent, type Emitter, type RecordedEvent } from '@reprise/protocol';
import type { EventStore } from './event-store.js';
import type { SegmentArchive, SegmentLines } from './archive.js';
import type { CanvasFrames } from './canvas.js';
import { formatClock } from './format.js';
import type { FrameIndex } from './frames.js';
import type { InactivityTracker } from './inactivity.js';
import type { RecordingIndex } from './markers.js';
import type { ResourcePolicy } from './resources.js';
import { GapFilter, readSource } from './stream.js';
import type { LoadProgress, PlayerEventMap, PlayerOptions, StreamItem } from './types.js';
import type { UrlTimeline } from './url-timeline.js';

/** The load loop yields to the page after this much work so controls stay responsive. */
const LOAD_SLICE_MS = 12;
/**
 * The same for a window the archive brings back: it is over in a few slices, and the viewer is
 * waiting for its frame (the playback bench: each yield cost ~9 ms, a third of a restore).
 */
const ARCHIVE_SLICE_MS = 50;
/** How soon what has arrived is shown when the stream pauses between segments. */
const STALL_REFRESH_MS = 50;
/**
 * A seek target further than this (recording time) past what the whole-session stream has loaded
 * gets its own window fetched (`?from=&to=`) instead of waiting for the stream to reach it.
 */
const FETCH_WINDOW_BEYOND_MS = 60_000;
/** What a window fetched around a seek target spans past the target. */
const FETCHED_WINDOW_MS = 2 * 60_000;
/**
 * What a window the archive brings back spans past its target: a paused seek needs nothing after
 * it, and playback asks for the next stretch as it goes, at the cost of a few milliseconds.
 */
const ARCHIVED_WINDOW_MS = 30_000;

/** One stream feeding the player: the whole session, or a window fetched around a seek target. */
interface Reader {
  main: boolean;
  gapFilter: GapFilter;
  /** Its first segment's start (epoch ms): it has delivered everything from here on, in order. */
  from: number | undefined;
  /** The current segment's end, from its `segment` record. */
  segmentEnd: number | undefined;
  /** The current segment was delivered by another stream already, or is left out (outside what is kept). */
  duplicate: boolean;
  /** The segment this stream is delivering into the store. */
  segment?: number;
  /** The current segment is outside what the player keeps, and nobody delivers it. */
  leftOut?: boolean;
  abort: AbortController;
  /** Windows only: the moment they were opened for (epoch ms) and where they stop. */
  target?: number;
  until?: number;
  /** The line the current item was parsed from, and the segment being gathered for the archive. */
  line?: string;
  archiving?: SegmentLines;
}

/** What the recording is read into: the whole-session stream fills all of it, windows only the replayable events. */
export interface RecordingParts {
  index: RecordingIndex;
  inactivity: InactivityTracker;
  urls: UrlTimeline;
  frames: FrameIndex;
  store: EventStore;
  resources: ResourcePolicy;
  canvases: CanvasFrames;
  /** Where complete segments are kept compressed, so that what the store frees returns without the network. */
  archive?: SegmentArchive;
}

/** How the loader tells the player what arrived. Each is called synchronously, in stream order. */
export interface LoaderHooks {
  /** A replayable event is in the event store; `main` when the whole-session stream brought it. */
  stored(event: RecordedEvent, main: boolean): void;
  /** Events after a new gap may already be in the replayer's window. */
  staleWindow(): void;
  /** What the timeline and the panels show has changed. */
  changed(): void;
  /** The whole-session stream's progress changed (told before the `progress` event). */
  progress(progress: LoadProgress): void;
  /** A slice of stream items is in: what it made drawable can be shown. */
  batch(): void;
  /** The whole-session stream has ended and everything it brought is in. */
  done(): void;
  /** The whole-session stream failed (not called when the loader was stopped). */
  failed(error: Error): void;
  /** The document the playback URL is relative to. */
  baseURI(): string;
}

/**
 * Reads the recording: the whole-session stream from the start, and, when the viewer seeks far past
 * what it has brought, a window of the recording around the target fetched on its own. Both fill
 * the same event store; the segments they announce tell which stretches are complete. It emits
 * the player's `progress` and `gap` events, and an `error` when a window fails.
 */
export class Loader {
  private readonly abort = new AbortController();
  private readonly main: Reader;
  private readonly windows = new Set<Reader>();
  /** The collector sent segment records: windows can be fetched with `?from=&to=`. */
  private canFetchWindows = false;
  /** Every segment record gave its time span, so what is freed can be told apart and fetched again. */
  private spansKnown = true;
  /** The whole-session stream left segments out of the store (outside `kept`): it is not all in. */
  private leftOut = false;
  /** `keep` was asked to free while a window loaded: it frees when the last window ends. */
  private releaseWhenWindowsEnd = false;
  /** The stretch of the recording the player keeps in memory (epoch ms), once it has said. */
  private kept: { start: number; end: number } | undefined;
  /** The collector's session start (epoch ms), which `from` / `to` count from. */
  private sessionStart: number | undefined;
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  /** The whole session's end (epoch ms), when the stream announced it. Read-only outside. */
  streamEnd: number | undefined;
  /** How far the whole-session stream has come. Read-only outside. */
  progress: LoadProgress = { events: 0, bytes: 0, done: false };

  constructor(
    private readonly options: PlayerOptions,
    private readonly recording: RecordingParts,
    private readonly emitter: Emitter<PlayerEventMap>,
    private readonly hooks: LoaderHooks,
  ) {
    this.main = {
      main: true,
      gapFilter: new GapFilter(),
      from: undefined,
      segmentEnd: undefined,
      duplicate: false,
      abort: this.abort,
    };
  }

  /** A window fetched for a seek is still under way. */
  get fetchingWindows(): boolean {
    return this.windows.size > 0;
  }

  /** Stop every stream; nothing is reported afterwards. */
  stop(): void {
    this.abort.abort();
    if (this.batchTimer) clearTimeout(this.batchTimer);
  }

  /** The player was destroyed. */
  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  async load(): Promise<void> {
    let sliceStart = performance.now();
    try {
      const items = readSource(this.options.source, {
        signal: this.main.abort.signal,
        ...(this.options.response ? { response: this.options.response } : {}),
        ...(this.options.fetchInit ? { fetchInit: this.options.fetchInit } : {}),
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
        ...(this.options.parseLine ? { parseLine: this.options.parseLine } : {}),
        onLine: (line) => (this.main.line = line),
        onProgress: (progress) => {
          this.progress = progress;
          this.hooks.progress(progress);
          this.emitter.emit('progress', { ...progress });
        },
      });
      for await (const item of items) {
        if (this.stopped) return;
        this.handleItem(item, this.main);
        // If the stream now stalls (the server is still reading the next segment), what has
        // arrived is shown anyway.
        this.batchTimer ??= setTimeout(() => {
          this.batchTimer = undefined;
          if (!this.stopped) this.hooks.batch();
        }, STALL_REFRESH_MS);
        if (performance.now() - sliceStart > LOAD_SLICE_MS) {
          this.hooks.batch();
          await new Promise((resolve) => setTimeout(resolve, 0));
          sliceStart = performance.now();
        }
      }
      if (this.stopped) return;
      this.endReader(this.main);
      this.progress = { ...this.progress, done: true, fraction: 1 };
      this.hooks.done();
    } catch (error) {
      if (this.stopped) return;
      this.hooks.failed(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * A window of the recording around a seek target, fetched on its own (`?from=&to=`, PLAYBACK.md)
   * while the whole-session stream is still far from it. It only fills the event store: markers
   * and panels come from the whole-session stream, in order.
   */
  private async loadWindow(reader: Reader, archived?: Response): Promise<void> {
    const source = this.options.source as string | URL;
    const url = new URL(String(source), this.hooks.baseURI());
    const sessionStart = this.sessionStart ?? this.recording.index.start ?? 0;
    url.searchParams.set('from', String(Math.max(0, Math.floor(reader.target! - sessionStart))));
    url.searchParams.set('to', String(Math.max(0, Math.ceil(reader.until! - sessionStart))));
    let sliceStart = performance.now();
    try {
      const items = readSource(url.href, {
        signal: reader.abort.signal,
        ...(archived ? { response: Promise.resolve(archived) } : {}),
        ...(this.options.fetchInit ? { fetchInit: this.options.fetchInit } : {}),
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
        ...(this.options.parseLine ? { parseLine: this.options.parseLine } : {}),
        onLine: (line) => (reader.line = line),
      });
      for await (const item of items) {
        if (this.stopped || reader.abort.signal.aborted) return;
        if (item.kind === 'meta') continue;
        this.handleItem(item, reader);
        if (performance.now() - sliceStart > (archived ? ARCHIVE_SLICE_MS : LOAD_SLICE_MS)) {
          this.hooks.batch();
          await new Promise((resolve) => setTimeout(resolve, 0));
          sliceStart = performance.now();
        }
      }
      this.endReader(reader);
    } catch (error) {
      // A window is an optimisation: the whole-session stream still brings the same moment.
      if (!reader.abort.signal.aborted && !this.stopped) {
        this.emitter.emit(
          'error',
          new Error(
            `[@reprise/player] fetching the part of the recording around ${formatClock(reader.target! - (this.recording.index.start ?? 0))} failed (${String(error)}); waiting for the full stream instead`,
          ),
        );
      }
    } finally {
      this.windows.delete(reader);
      if (this.windows.size === 0 && this.releaseWhenWindowsEnd && this.kept && !this.stopped)
        this.keep(this.kept.start, this.kept.end, true);
      if (!this.stopped) this.hooks.batch();
    }
  }

  /** A stream ended: what its last segment announced is loaded, and a window covers what it asked for. */
  private endReader(reader: Reader): void {
    const { index, store } = this.recording;
    // Its last segment is complete: it may be freed like any other.
    reader.segment = undefined;
    this.archiveSegment(reader);
    // Every segment has come, through this stream or a finished window: the whole recording is in.
    if (reader.main && this.windows.size === 0 && !this.leftOut && index.start !== undefined)
      store.cover(index.start, Math.max(this.streamEnd ?? 0, index.end ?? 0));
    if (reader.from === undefined) return;
    if (reader.segmentEnd !== undefined && !reader.duplicate) store.cover(reader.from, reader.segmentEnd);
    // The whole-session stream ends at the session's end; a window at the last segment it was sent.
    if (reader.main && this.streamEnd !== undefined && !reader.duplicate) store.cover(reader.from, this.streamEnd);
    this.hooks.changed();
  }

  private handleItem(item: StreamItem, reader: Reader): void {
    const { index, store } = this.recording;
    if (item.kind === 'meta') {
      if (item.end !== undefined) this.streamEnd = item.end;
      if (item.start !== undefined) this.sessionStart = item.start;
      return;
    }
    if (item.kind === 'segment') {
      if (reader.main && typeof this.options.source === 'string') this.canFetchWindows = true;
      if (item.start === undefined || item.end === undefined) this.spansKnown = false;
      // The whole-session stream stores only what is near the moment shown; a window brings the rest when needed.
      const leftOut =
        reader.main && this.canRelease && item.start !== undefined && item.end !== undefined && this.kept !== undefined
          ? item.end < this.kept.start || item.start > this.kept.end
          : false;
      // The previous segment is complete up to its announced end.
      const previousEnd = reader.segmentEnd;
      if (reader.from !== undefined && previousEnd !== undefined && !reader.duplicate)
        store.cover(reader.from, previousEnd);
      // After a segment another stream delivers (and covers to its end), this stream's stretch
      // starts at that end: nothing was recorded between two segments. After one left out, it
      // starts afresh.
      if (reader.duplicate) reader.from = reader.leftOut ? undefined : previousEnd;
      // The stretch reaches this segment's start whoever delivers it: otherwise the moments between
      // a segment this stream delivered and one another stream did stayed "not loaded" for good,
      // and a seek there waited forever.
      if (reader.from !== undefined && item.start !== undefined && !leftOut) store.cover(reader.from, item.start);
      if (leftOut) this.leftOut = true;
      reader.leftOut = leftOut;
      reader.duplicate = leftOut || !store.claimSegment(item.index);
      // Another stream delivers this one (maybe still): it covers it, and this stream's own stretch restarts after it.
      if (reader.duplicate) reader.from = undefined;
      else reader.from ??= item.start;
      reader.segment = reader.duplicate ? undefined : item.index;
      if (!reader.duplicate && item.start !== undefined && item.end !== undefined)
        store.noteSegment(item.index, item.start, item.end);
      reader.segmentEnd = item.end;
      this.archiveSegment(reader);
      if (this.recording.archive?.has(item.index) === false && item.start !== undefined && item.end !== undefined)
        reader.archiving = {
          index: item.index,
          start: item.start,
          end: item.end,
          lines: [reader.line!],
          pageLoads: [],
        };
      return;
    }
    if (item.kind === 'gap') {
      this.archiveSegment(reader);
      if (item.segment !== undefined) store.claimSegment(item.segment);
      reader.gapFilter.noteGap();
      // The replayer may hold changes from after the gap that another stream delivered: re-slice at the next draw.
      if (item.start !== undefined && store.addGap(item.start)) this.hooks.staleWindow();
      // A lost segment right after one another stream delivered: the stretch restarts at that one's end.
      if (reader.duplicate) reader.from = reader.leftOut ? undefined : reader.segmentEnd;
      reader.duplicate = false;
      reader.leftOut = false;
      reader.segmentEnd = undefined;
      if (item.end !== undefined) {
        reader.from ??= item.start ?? item.end;
        store.cover(reader.from, item.end);
      }
      if (!reader.main) return;
      const marker = index.addGap(item.segment, item.reason, item);
      this.hooks.changed();
      this.emitter.emit('gap', marker);
      return;
    }
    // A Reprise event is read as its kind's type says: the fields of another type are left out,
    // and an event without one its kind needs is left out as a line that does not parse is.
    const event = toWellFormedEvent(item.event);
    if (!event) return;
    if (reader.archiving) {
      reader.archiving.lines.push(reader.line!);
      if (event.type === EventType.Meta) reader.archiving.pageLoads.push(event.timestamp);
    }
    if (reader.main) {
      index.add(event);
      if (event.type === EventType.Meta) store.noteRecordingMeta(event.timestamp);
      this.hooks.changed();
    }
    if (!reader.gapFilter.accept(event)) return;
    if (reader.main) {
      if (this.recording.inactivity.add(event)) this.hooks.changed();
      this.recording.urls.add(event);
    }
    if (reader.duplicate) return;
    // Parsed from the stream's lines just now, and only read before this: rewritten in place.
    const source = this.options.source;
    const owned = typeof source === 'string' || source instanceof URL;
    const prepared = this.recording.resources.prepare(event, owned);
    const replayable = this.recording.canvases.prepare(prepared, owned || prepared !== event);
    this.recording.frames.add(replayable);
    store.add(replayable, reader.segment);
    reader.from ??= event.timestamp;
    store.cover(reader.from, event.timestamp);
    this.hooks.stored(replayable, reader.main);
  }

  /** The segment a stream was gathering is complete: into the archive. */
  private archiveSegment(reader: Reader): void {
    if (reader.archiving) this.recording.archive?.add(reader.archiving);
    reader.archiving = undefined;
  }

  /** What is freed can be fetched again: windows work and every segment said where it lies. */
  private get canRelease(): boolean {
    return this.canFetchWindows && this.spansKnown;
  }

  /**
   * Keep only `start..end` (epoch ms) of the recording in memory: the whole-session stream stores
   * no segment outside it from now on, and with `release` what is already stored outside it is
   * freed (whole segments, see `EventStore.release`). Its index, markers and panels still cover the whole session.
   */
  keep(start: number, end: number, release: boolean): void {
    this.kept = { start, end };
    // A window still loading may need what lies before its target (its page load): free once it ends.
    this.releaseWhenWindowsEnd = release && this.windows.size > 0;
    if (!release || !this.canRelease || this.windows.size > 0) return;
    const busy = new Set<number>();
    for (const reader of [this.main, ...this.windows]) if (reader.segment !== undefined) busy.add(reader.segment);
    const held = this.recording.store.release(start, end, busy);
    if (!held) return;
    this.leftOut = true;
    // A stream's own stretch never reaches back over what was freed.
    for (const reader of [this.main, ...this.windows])
      if (reader.from !== undefined && reader.from < held.from) reader.from = held.from;
    this.hooks.changed();
  }

  /**
   * Make sure the moment `at` (epoch ms) will load: the whole-session stream brings it soon, a
   * window already asked for holds it, or a new window is fetched around it.
   */
  ensureLoaded(at: number): void {
    const store = this.recording.store;
    if (store.canDraw(at) || !this.canFetchWindows) return;
    const streamed = this.main.from !== undefined ? (store.coveredUntil(this.main.from) ?? this.main.from) : undefined;
    // Ahead of the whole-session stream and close: it brings it soon. Behind it, it was freed or
    // left out: only a window brings it back.
    if (streamed !== undefined && at >= streamed && at - streamed <= FETCH_WINDOW_BEYOND_MS && !this.progress.done)
      return;
    for (const reader of this.windows) {
      if (reader.target! <= at && reader.until! >= at) return;
    }
    // Only the newest window matters: one asked for a moment the viewer has left is dropped, unless
    // it has started delivering a segment (the other streams skip what it claimed).
    for (const reader of this.windows) {
      if (reader.from !== undefined || reader.segmentEnd !== undefined || reader.duplicate) continue;
      reader.abort.abort();
      this.windows.delete(reader);
    }
    const reader: Reader = {
      main: false,
      gapFilter: new GapFilter(),
      from: undefined,
      segmentEnd: undefined,
      duplicate: false,
      abort: new AbortController(),
      target: at,
      until: at + FETCHED_WINDOW_MS,
    };
    this.abort.signal.addEventListener('abort', () => reader.abort.abort(), { once: true });
    this.windows.add(reader);
    // What was freed comes back from the archive when it holds every segment needed; else from the collector.
    const archive = this.recording.archive;
    const plan = archive?.plan(at, at + ARCHIVED_WINDOW_MS);
    if (plan) reader.until = at + ARCHIVED_WINDOW_MS;
    void this.loadWindow(reader, plan && archive!.response(plan, (index) => store.holds(index)));
  }

  /** How much of the stretch growing towards `at` (epoch ms) has loaded: 0 to 0.99. */
  shareLoadedTowards(at: number): number {
    const store = this.recording.store;
    // The loaded stretch that grows towards the target: the one starting last before it.
    let growing: { start: number; end: number } | undefined;
    for (const range of store.coveredRanges()) if (range.start <= at) growing = range;
    for (const reader of this.windows) {
      if (reader.target! <= at && reader.until! >= at && reader.from !== undefined)
        growing = { start: reader.from, end: store.coveredUntil(reader.from) ?? reader.from };
    }
    return growing && at > growing.start
      ? Math.min(0.99, Math.max(0, (growing.end - growing.start) / (at - growing.start)))
      : 0;
  }
}
