// Consumers type-checking these sources (through the @reprise/source condition) need the `?inline` module type too.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient module declaration has nothing to import
/// <reference path="./css.d.ts" />
import { EventType, type RecordedEvent } from '@reprise/protocol';
import { assertSpeed, createPlayerEmitter } from './api-rules.js';
import { Replayer } from '@rrweb/replay';
import { SegmentArchive } from './archive.js';
import { CanvasFrames } from './canvas.js';
import { h } from './dom.js';
import { EventStore } from './event-store.js';
import { FrameIndex } from './frames.js';
import { HoverFollower } from './hover.js';
import { DEFAULT_INACTIVITY_THRESHOLD, InactivityTracker, periodAt } from './inactivity.js';
import { RecordingIndex } from './markers.js';
import playerCss from './player.css?inline';
import { ResourcePolicy } from './resources.js';
import { DEFAULT_RAGE_MAX_INTERVAL, DEFAULT_RAGE_MIN_CLICKS, DEFAULT_RAGE_RADIUS } from './rage-clicks.js';
import type {
  LoadProgress,
  Marker,
  PlayerEventMap,
  PlayerOptions,
  PlayerState,
  TimeRange,
  UrlAtTime,
} from './types.js';
import { UrlTimeline } from './url-timeline.js';
import { PlayerView } from './view.js';
import { Loader } from './windows.js';

export const DEFAULT_SPEEDS = [1, 2, 4, 8];
/** Skipping an inactive stretch takes about this long on screen, however long the stretch. */
const SKIP_WALL_MS = 800;
const MAX_SKIP_SPEED = 2000;
/** Stretches shorter than this (ms left) are not worth a visible fast-forward. */
const MIN_SKIP_REMAINING = 1000;
/** The panels and markers are rebuilt at most this often while the stream is still arriving. */
const UI_REFRESH_MS = 250;
/**
 * The replayer holds the events from the frame's page load to this far past the current moment
 * (recording time); playback extends it as it goes. rrweb walks every event it holds on a seek.
 */
const WINDOW_AHEAD_MS = 3 * 60_000;
/** Playback extends the replayer's window when it is this close to its end (at 1x). */
const WINDOW_EXTEND_MS = 30_000;
/**
 * PlayerOptions.retainMs's default: ten minutes each side of the moment shown. What lies further
 * comes back from the segment archive when the viewer goes there (the playback bench, 2-hour
 * session: heap 9 MB instead of 31 with everything held, seek p95 216 ms).
 */
const DEFAULT_RETAIN_MS = 10 * 60_000;
/** How often (wall time) playback and loading look for parts of the recording to free. */
const RETAIN_CHECK_MS = 1000;

type RrwebEvent = ConstructorParameters<typeof Replayer>[0][number];

let stylesInjected = false;

/** Insert the player's stylesheet once per document (also done by `new Player` unless `injectStyles: false`). */
export function injectPlayerStyles(doc: Document = document): void {
  if (stylesInjected || doc.querySelector('style[data-reprise-player]')) return;
  stylesInjected = true;
  doc.head.append(h('style', { 'data-reprise-player': '', text: playerCss }));
}

/**
 * A session replay player: rrweb's Replayer fed progressively from an event array, an async
 * iterable or the playback stream, with a timeline of markers, skip-inactivity, speed, fullscreen,
 * a URL bar and console / network / events panels synced with playback.
 */
export class Player {
  /** The player's root element (inside the container given to the constructor). */
  readonly root: HTMLDivElement;
  private readonly emitter = createPlayerEmitter();
  private readonly index: RecordingIndex;
  private readonly inactivity: InactivityTracker;
  private readonly urls = new UrlTimeline();
  private readonly frames = new FrameIndex();
  private readonly store = new EventStore();
  /** Recorded canvas frames, drawn by an rrweb plugin. */
  private readonly canvases = new CanvasFrames();
  private readonly resources: ResourcePolicy;
  private readonly hover = new HoverFollower(() => this.replayer);
  private readonly loader: Loader;
  /** The replayer's events: the page load its first event starts, and its last event's time. */
  private windowBase = 0;
  private windowMeta: number | undefined;
  private windowEnd = -Infinity;
  /** A seek waiting for its part of the recording to load. */
  private pendingSeek: { time: number; play: boolean; resolve: Array<() => void> } | undefined;
  private readonly speeds: number[];
  private replayer: Replayer | undefined;
  private state: PlayerState = 'loading';
  private speed: number;
  private skipInactive: boolean;
  private autoplay: boolean;
  private startAt: number | undefined;
  /** `startAt` beyond what had loaded when the first snapshot arrived. */
  private pendingStart: number | undefined;
  private skipRange: TimeRange | undefined;
  private currentTime = 0;
  private lastTickTime = 0;
  private inactivePeriods: TimeRange[] = [];
  private markers: readonly Marker[] = [];
  private lastUrl: UrlAtTime | undefined;
  private viewport = { width: 0, height: 0 };
  private raf = 0;
  private uiTimer: ReturnType<typeof setTimeout> | undefined;
  private uiDirty = false;
  private destroyed = false;
  /** PlayerOptions.retainMs. */
  private readonly retainMs: number;
  /** When `retainAround` last looked (performance.now()). */
  private lastRetain = -Infinity;
  /** Playback was paused by dragging the timeline and resumes at the drag's final seek. */
  private resumeAfterDrag = false;
  private readonly view: PlayerView;

  constructor(container: HTMLElement, options: PlayerOptions) {
    if (!(container instanceof HTMLElement)) {
      throw new TypeError('[@reprise/player] new Player(element, options) needs a DOM element to render into');
    }
    if (!options || options.source === undefined || options.source === null) {
      throw new TypeError(
        '[@reprise/player] options.source is required: an array of events, an async iterable of events or the playback URL',
      );
    }
    if (options.injectStyles !== false) injectPlayerStyles(container.ownerDocument);
    this.speeds = options.speeds?.length ? [...options.speeds] : DEFAULT_SPEEDS;
    this.speed = options.speed ?? 1;
    this.skipInactive = options.skipInactive ?? true;
    this.autoplay = options.autoplay ?? true;
    this.startAt = options.startAt;
    this.retainMs = options.retainMs ?? DEFAULT_RETAIN_MS;
    this.index = new RecordingIndex({
      minClicks: options.rageClickCount ?? DEFAULT_RAGE_MIN_CLICKS,
      maxInterval: options.rageClickWindow ?? DEFAULT_RAGE_MAX_INTERVAL,
      radius: options.rageClickRadius ?? DEFAULT_RAGE_RADIUS,
    });
    this.resources = new ResourcePolicy({
      resolveUrl: options.resolveUrl,
      originalResources: options.originalResources,
    });
    this.inactivity = new InactivityTracker(options.inactivityThreshold ?? DEFAULT_INACTIVITY_THRESHOLD);
    this.loader = new Loader(
      options,
      {
        index: this.index,
        inactivity: this.inactivity,
        urls: this.urls,
        frames: this.frames,
        store: this.store,
        resources: this.resources,
        canvases: this.canvases,
        // Only a collector stream's segments can be freed and brought back.
        ...(this.retainMs < Infinity && typeof options.source === 'string' ? { archive: new SegmentArchive() } : {}),
      },
      this.emitter,
      {
        stored: (event, main) => this.onStored(event, main),
        staleWindow: () => {
          this.windowMeta = undefined;
        },
        changed: () => {
          this.uiDirty = true;
        },
        progress: (progress) => this.view.paintLoading(progress),
        batch: () => this.afterBatch(),
        done: () => this.onLoaded(),
        failed: (error) => this.fail(error),
        baseURI: () => this.root.ownerDocument.baseURI,
      },
    );

    this.view = new PlayerView(container, options, this.speeds, this, (time) => this.seekPreview(time));
    this.root = this.view.root;
    this.view.paintSpeed(this.speed);
    this.view.paintSkip(this.skipInactive);
    this.view.paintLoading(this.loader.progress);
    void this.loader.load();
  }

  // ---------------------------------------------------------------- public API

  /** Listen to player events; returns the function that removes the listener. */
  on<K extends keyof PlayerEventMap>(name: K, listener: (value: PlayerEventMap[K]) => void): () => void {
    return this.emitter.on(name, listener);
  }

  play(): void {
    if (this.destroyed) return;
    if (!this.replayer) {
      this.autoplay = true;
      return;
    }
    if (this.pendingSeek) {
      this.pendingSeek.play = true;
      return;
    }
    let from = this.currentTime;
    if (this.state === 'ended' || (this.loader.progress.done && from >= this.getDuration() - 1)) from = 0;
    if (!this.store.canDraw(this.absolute(from))) {
      void this.waitForSeek(from, true);
      return;
    }
    this.playFrom(from);
    this.lastTickTime = from;
    this.setState('playing');
    this.startTicking();
  }

  pause(): void {
    if (this.destroyed) return;
    if (!this.replayer) {
      this.autoplay = false;
      return;
    }
    if (this.pendingSeek) this.pendingSeek.play = false;
    if (this.state === 'playing' || this.state === 'buffering') {
      this.endSkip();
      this.replayer.pause();
      this.setCurrentTime(this.clampTime(this.replayerTime()));
    }
    this.stopTicking();
    if (this.state !== 'ended') this.setState('paused');
  }

  togglePlay(): void {
    if (this.state === 'playing' || this.state === 'buffering') this.pause();
    else this.play();
  }

  /**
   * Jump to `time` ms from the start (clamped to the recording). Keeps playing if it was playing.
   * A moment that has not loaded yet shows loading progress until it has (its part of the
   * recording is fetched on its own when the stream is far from it). Resolves once the frame for
   * `time` is on screen, or when a later seek replaces this one.
   */
  seek(time: number): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    const target = this.clampTime(time);
    if (!this.replayer) {
      this.startAt = target;
      return Promise.resolve();
    }
    this.endSkip();
    const resume = this.resumeAfterDrag;
    this.resumeAfterDrag = false;
    const play = resume || this.state === 'playing' || this.state === 'buffering' || (this.pendingSeek?.play ?? false);
    if (!this.store.canDraw(this.absolute(target))) return this.waitForSeek(target, play);
    this.settleSeek();
    this.jump(target, play);
    return Promise.resolve();
  }

  /** Show (or play from) a loaded moment. */
  private jump(target: number, play: boolean): void {
    if (play) {
      this.playFrom(target);
      this.setState('playing');
      this.startTicking();
    } else {
      this.showFrameAt(target);
      if (this.state === 'ended' || this.state === 'buffering') this.setState('paused');
    }
    this.lastTickTime = target;
    this.setCurrentTime(target);
    this.retainAround(true);
  }

  /** A seek to a moment not loaded yet: stop on it, show progress, fetch it, and land when it is in. */
  private waitForSeek(target: number, play: boolean): Promise<void> {
    const previous = this.pendingSeek;
    this.pendingSeek = { time: target, play, resolve: previous?.resolve ?? [] };
    if (this.state === 'playing' || this.state === 'buffering') {
      this.replayer?.pause();
      this.stopTicking();
      this.setState('paused');
    }
    this.lastTickTime = target;
    this.setCurrentTime(target);
    // Before asking: the whole-session stream must not leave the target's part out.
    this.retainAround(true);
    this.loader.ensureLoaded(this.absolute(target));
    this.paintSeekProgress();
    this.emitter.emit('seeking', { time: target, loading: true });
    return new Promise((resolve) => this.pendingSeek!.resolve.push(resolve));
  }

  /** The pending seek (if any) is over: hide its progress and release its waiters. */
  private settleSeek(): void {
    const pending = this.pendingSeek;
    if (!pending) return;
    this.pendingSeek = undefined;
    this.view.paintSeek(undefined);
    this.emitter.emit('seeking', { time: pending.time, loading: false });
    for (const resolve of pending.resolve) resolve();
  }

  /** The moment waited for has loaded: draw it (after settling, so `seeking` listeners see it last). */
  private landPendingSeek(): void {
    const pending = this.pendingSeek;
    if (!pending || !this.replayer || !this.store.canDraw(this.absolute(pending.time))) return;
    this.pendingSeek = undefined;
    this.jump(pending.time, pending.play);
    this.pendingSeek = pending;
    this.settleSeek();
  }

  setSpeed(speed: number): void {
    assertSpeed(speed);
    this.speed = speed;
    if (!this.skipRange) this.replayer?.setConfig({ speed });
    this.view.paintSpeed(speed);
    this.emitter.emit('speed', speed);
  }

  getSpeed(): number {
    return this.speed;
  }

  setSkipInactive(skip: boolean): void {
    this.skipInactive = skip;
    if (!skip) this.endSkip();
    this.view.paintSkip(skip);
  }

  getSkipInactive(): boolean {
    return this.skipInactive;
  }

  /** ms from the start of the recording. */
  getCurrentTime(): number {
    return this.currentTime;
  }

  /** Length of the recording in ms: the whole session when the stream announced it, else what has loaded. */
  getDuration(): number {
    const start = this.index.start;
    if (start !== undefined && this.loader.streamEnd !== undefined && this.loader.streamEnd > start) {
      return Math.max(this.loader.streamEnd - start, this.index.duration);
    }
    return this.index.duration;
  }

  /** Epoch ms of time 0 (the first event), to convert between player time and timestamps. */
  getStartTimestamp(): number | undefined {
    return this.index.start;
  }

  getState(): PlayerState {
    return this.state;
  }

  getMarkers(): readonly Marker[] {
    return this.markers;
  }

  getInactivePeriods(): readonly TimeRange[] {
    return this.inactivePeriods;
  }

  getProgress(): LoadProgress {
    return { ...this.loader.progress };
  }

  /** The page address (and route pattern) at the current moment. */
  getUrl(): UrlAtTime | undefined {
    return this.lastUrl;
  }

  /** The recorded viewport size. */
  getViewport(): { width: number; height: number } {
    return { ...this.viewport };
  }

  /** The iframe holding the replayed page (undefined until the first full snapshot). */
  getIframe(): HTMLIFrameElement | undefined {
    return this.replayer?.iframe;
  }

  async toggleFullscreen(): Promise<void> {
    const doc = this.root.ownerDocument;
    try {
      if (doc.fullscreenElement === this.root) await doc.exitFullscreen();
      else await this.root.requestFullscreen();
    } catch (error) {
      this.emitter.emit(
        'error',
        new Error(`[@reprise/player] fullscreen was refused by the browser: ${String(error)}`),
      );
    }
  }

  /** Stop loading and playing, remove the player's DOM and listeners. The instance is unusable afterwards. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.loader.stop();
    this.stopTicking();
    if (this.uiTimer) clearTimeout(this.uiTimer);
    this.view.destroy();
    try {
      this.replayer?.destroy();
    } catch {
      // rrweb throws when destroyed before its first frame; nothing left to clean then.
    }
    this.replayer = undefined;
    this.root.remove();
    this.emitter.clear();
  }

  // ---------------------------------------------------------------- loading

  /** The whole-session stream has ended: show what it brought, or why there is nothing to show. */
  private onLoaded(): void {
    this.afterBatch();
    this.refreshUi();
    if (!this.replayer) {
      this.fail(
        new Error(
          '[@reprise/player] the recording has no full snapshot, so there is nothing to show; check that the recorder started before the page was captured',
        ),
      );
    } else if (this.state === 'buffering') {
      this.setState('ended');
    }
  }

  /** An event is in the store: the first full snapshot starts the replayer, later ones may join its window. */
  private onStored(event: RecordedEvent, main: boolean): void {
    if (!this.replayer) {
      if (event.type === EventType.FullSnapshot && main) this.createReplayer(event.timestamp);
      return;
    }
    // The replayer's window grows with what arrives right after it, as far as playback needs soon.
    const current = this.absolute(this.currentTime);
    if (
      event.timestamp >= this.windowEnd &&
      event.timestamp - current <= WINDOW_AHEAD_MS &&
      this.store.playable(event) &&
      this.store.isCovered(this.windowEnd, event.timestamp)
    ) {
      this.appendToWindow([event]);
    }
  }

  /** Epoch ms of a player time. */
  private absolute(time: number): number {
    return (this.index.start ?? 0) + time;
  }

  /** The replayer's clock as player time (the replayer counts from its window's first event). */
  private replayerTime(): number {
    if (!this.replayer) return this.currentTime;
    return this.windowBase + this.replayer.getCurrentTime() - (this.index.start ?? 0);
  }

  private appendToWindow(events: readonly RecordedEvent[]): void {
    if (!this.replayer || events.length === 0) return;
    for (const event of events) this.replayer.addEvent(event as unknown as RrwebEvent);
    this.windowEnd = events[events.length - 1]!.timestamp;
  }

  /**
   * Give the replayer the events for a frame at `at` (epoch ms) unless it holds them already: from
   * the page load that frame is rebuilt from, a few minutes ahead.
   */
  private useWindowFor(at: number): void {
    if (!this.replayer) return;
    const meta = this.store.frameStart(at);
    if (meta === this.windowMeta && at <= this.windowEnd) return;
    const events = this.store.window(at, WINDOW_AHEAD_MS);
    if (events.length === 0) return;
    // rrweb keeps its events in its state machine's context; a new Replayer per window would
    // rebuild the iframe and lose the mouse and its settings.
    (this.replayer.service.state.context as { events: RecordedEvent[] }).events = events;
    this.windowMeta = meta;
    this.windowBase = events[0]!.timestamp;
    this.windowEnd = events[events.length - 1]!.timestamp;
  }

  /**
   * Keep in memory only the recording around the moment shown (PlayerOptions.retainMs): the page
   * load its frame is rebuilt from, `retainMs` each side, and what playback needs next. Frees the
   * rest unless a seek is still waiting for its part. At most once a second unless `now`.
   */
  private retainAround(now = false): void {
    const retain = this.retainMs;
    if (!(retain < Infinity) || this.index.start === undefined) return;
    const wall = performance.now();
    if (!now && wall - this.lastRetain < RETAIN_CHECK_MS) return;
    this.lastRetain = wall;
    const current = this.absolute(this.currentTime);
    const rate = Math.max(1, this.replayer?.config.speed ?? 1);
    const frame = this.store.frameStart(current);
    this.loader.keep(
      Math.min(current - retain, frame !== undefined && frame <= current ? frame : current),
      current + Math.max(retain, (WINDOW_AHEAD_MS + WINDOW_EXTEND_MS) * rate),
      this.pendingSeek === undefined,
    );
  }

  /** During playback, keep the replayer's window ahead of the clock. */
  private extendWindow(): void {
    const rate = this.replayer?.config.speed ?? 1;
    const current = this.absolute(this.currentTime);
    if (this.windowEnd - current > WINDOW_EXTEND_MS * Math.max(1, rate)) return;
    const loadedUntil = this.store.coveredUntil(this.windowEnd);
    if (loadedUntil === undefined) return;
    this.appendToWindow(
      this.store.between(this.windowEnd, Math.min(loadedUntil, current + WINDOW_AHEAD_MS * Math.max(1, rate))),
    );
    if (
      loadedUntil < current + WINDOW_AHEAD_MS &&
      (this.loader.streamEnd === undefined || loadedUntil < this.loader.streamEnd)
    )
      this.loader.ensureLoaded(loadedUntil + 1);
  }

  /** After each slice of stream items: resume if playback was waiting for data, refresh the UI soon. */
  private afterBatch(): void {
    if (
      this.pendingStart !== undefined &&
      (this.store.canDraw(this.absolute(this.pendingStart)) || this.loader.progress.done)
    ) {
      this.begin(this.clampTime(this.pendingStart));
    }
    if (this.pendingSeek) {
      if (
        this.loader.progress.done &&
        !this.loader.fetchingWindows &&
        !this.store.canDraw(this.absolute(this.pendingSeek.time))
      ) {
        // Everything that will ever load is in: land on the nearest moment that can be drawn.
        this.pendingSeek.time = this.clampTime(Math.min(this.pendingSeek.time, this.index.duration));
      }
      this.landPendingSeek();
      if (this.pendingSeek) this.paintSeekProgress();
    }
    if (this.state === 'buffering' && this.replayer && this.store.canDraw(this.absolute(this.currentTime + 50))) {
      this.playFrom(this.currentTime);
      this.setState('playing');
      this.startTicking();
    } else if (this.state === 'buffering') {
      this.loader.ensureLoaded(this.absolute(this.currentTime + 50));
    }
    this.retainAround();
    if (this.state !== 'playing') this.view.paintClock(this.currentTime, this.getDuration());
    this.view.paintLoading(this.loader.progress);
    this.scheduleUi();
  }

  private createReplayer(firstSnapshot: number): void {
    const events = this.store.window(firstSnapshot, WINDOW_AHEAD_MS);
    this.windowMeta = this.store.frameStart(firstSnapshot);
    this.windowBase = events[0]?.timestamp ?? firstSnapshot;
    this.windowEnd = events[events.length - 1]?.timestamp ?? firstSnapshot;
    const replayer = new Replayer(events as unknown as RrwebEvent[], {
      root: this.view.frame,
      speed: this.speed,
      skipInactive: false,
      showWarning: false,
      showDebug: false,
      // Replaying focus would move the host page's keyboard focus into the iframe mid-playback
      // and the player's shortcuts would stop working.
      triggerFocus: false,
      // It would let scripts run in the replay document; recorded canvas frames are drawn by the plugin.
      UNSAFE_replayCanvas: false,
      plugins: [
        this.canvases.plugin((id) => {
          const node = this.replayer?.getMirror().getNode(id) as HTMLCanvasElement | null | undefined;
          return node?.nodeName === 'CANVAS' ? node : null;
        }),
      ],
      mouseTail: { duration: 600, lineCap: 'round', lineWidth: 3, strokeStyle: 'rgba(129, 140, 248, 0.65)' },
    });
    this.replayer = replayer;
    replayer.on('resize', (dimension) => {
      const { width, height } = dimension as { width: number; height: number };
      this.viewport = { width, height };
      this.view.setViewport(this.viewport);
      this.emitter.emit('resize', { width, height });
    });
    replayer.on('finish', () => this.onFinish());
    replayer.on('event-cast', (event) => this.hover.track(event as unknown as RecordedEvent));
    // While playing, rrweb scrolls smoothly: hover follows each scroll step, not only the event.
    // A full snapshot rebuilds the document (document.open), which may drop the listener: add it
    // again (the same function, so never twice).
    const followScrolls = () =>
      replayer.iframe.contentWindow?.addEventListener('scroll', this.hover.onScroll, { capture: true, passive: true });
    replayer.on('fullsnapshot-rebuilded', followScrolls);
    followScrolls();
    // The replayed page is a picture, not a page to use: without this, Tab from the player walks
    // into the recorded page's links and buttons, where the player's keys (arrows, Space) are lost.
    replayer.iframe.inert = true;
    replayer.iframe.tabIndex = -1;
    // Draw the first snapshot now. rrweb also draws it from a timer and then skips the first time
    // playback reaches it, assuming the page is still that first frame; after a seek elsewhere it is
    // not, and the changes after the snapshot would be applied to another page's DOM.
    this.showFrameAt(0);
    const meta = events.find((event) => event.type === EventType.Meta)?.data as
      { width?: number; height?: number } | undefined;
    if (meta?.width && meta.height) this.viewport = { width: meta.width, height: meta.height };
    this.view.setViewport(this.viewport);
    this.scheduleUi();
    const start = this.startAt ?? 0;
    this.startAt = undefined;
    // A deep link past what has arrived waits for that part of the recording.
    if (!this.store.canDraw(this.absolute(start)) && !this.loader.progress.done) {
      this.pendingStart = start;
      // The session line has come first: a window can be fetched as soon as the first segment has told how.
      this.loader.ensureLoaded(this.absolute(start));
    } else this.begin(start);
  }

  /** First frame on screen: hide the loading overlay and play (or show) from `start`. */
  private begin(start: number): void {
    this.pendingStart = undefined;
    this.view.showReady();
    this.emitter.emit('ready', { ...this.viewport });
    if (this.autoplay) {
      this.currentTime = start;
      this.play();
    } else {
      this.showFrameAt(start);
      this.setCurrentTime(start);
      this.setState('paused');
    }
  }

  private onFinish(): void {
    if (this.destroyed || this.state !== 'playing') return;
    this.endSkip();
    this.stopTicking();
    const time = this.clampTime(this.replayerTime());
    this.setCurrentTime(time);
    const next = this.store.between(this.windowEnd, this.store.coveredUntil(this.windowEnd) ?? this.windowEnd);
    if (next.length > 0) {
      // The window ended before the loaded recording does (a fast skip outran its extension): go on.
      this.playFrom(time);
      this.startTicking();
      return;
    }
    // Playback caught up with the download: wait for more instead of ending.
    const atEnd =
      this.loader.progress.done &&
      (this.loader.streamEnd === undefined ||
        this.absolute(time) >= Math.min(this.loader.streamEnd, this.index.end ?? Infinity) - 1);
    this.setState(atEnd ? 'ended' : 'buffering');
    if (!atEnd) this.loader.ensureLoaded(this.absolute(time + 50));
  }

  private fail(error: Error): void {
    this.view.showError(error.message);
    this.setState('error');
    this.emitter.emit('error', error);
  }

  // ---------------------------------------------------------------- clock

  private clampTime(time: number): number {
    return Math.min(Math.max(0, Number.isFinite(time) ? time : 0), this.getDuration());
  }

  /**
   * Show the page at `time` (ms) while paused: every event stamped up to and at `time`, and when
   * `time` is a marker's, the DOM changes its action made (a click handler's mutations are recorded
   * a few ms after the click itself).
   */
  private showFrameAt(time: number): void {
    if (!this.replayer) return;
    const start = this.index.start ?? 0;
    let at = start + time;
    if (this.markers.some((marker) => marker.kind !== 'gap' && Math.abs(marker.time - time) < 0.5))
      at = this.frames.effectEnd(at);
    at = this.store.drawableTime(at);
    this.useWindowFor(at);
    this.forgetPlayedPosition();
    // rrweb applies the events stamped before the moment it pauses at: +1 includes those at `at`.
    this.replayer.pause(at - this.windowBase + 1);
  }

  private playFrom(time: number): void {
    if (!this.replayer) return;
    const at = this.store.drawableTime(this.absolute(time));
    this.useWindowFor(at);
    this.forgetPlayedPosition();
    this.replayer.play(Math.max(0, at - this.windowBase));
  }

  /**
   * Make rrweb rebuild the next frame from the nearest full snapshot. Otherwise, seeking forward,
   * it applies only the events after the last one it played, and it dates that event by the first
   * position of a batched mouse move (up to 500 ms before the batch): DOM changes already on screen
   * were applied again, and rrweb then drops the removals it could not apply from the stored event
   * itself, so the old text stayed in every later frame ("12" instead of "2", even after seek(0)).
   */
  private forgetPlayedPosition(): void {
    if (this.replayer) this.replayer.service.state.context.lastPlayedEvent = null;
  }

  private seekPreview(time: number): void {
    if (!this.replayer) return;
    const wasPlaying = this.state === 'playing';
    const target = this.clampTime(time);
    // While scrubbing, a moment not loaded yet keeps the last frame; the final seek waits for it.
    if (this.store.canDraw(this.absolute(target))) this.showFrameAt(target);
    else this.loader.ensureLoaded(this.absolute(target));
    if (wasPlaying) {
      this.stopTicking();
      this.setState('paused');
      // The drag ends with a final seek; playing resumes from there.
      this.resumeAfterDrag = true;
    }
    this.setCurrentTime(target);
  }

  private startTicking(): void {
    if (this.raf) return;
    const tick = () => {
      this.raf = requestAnimationFrame(tick);
      if (!this.replayer || this.state !== 'playing') return;
      const time = this.clampTime(this.replayerTime());
      this.extendWindow();
      this.retainAround();
      this.updateSkip(time);
      this.passMarkers(this.lastTickTime, time);
      this.lastTickTime = time;
      this.setCurrentTime(time);
    };
    this.raf = requestAnimationFrame(tick);
  }

  private stopTicking(): void {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  private passMarkers(from: number, to: number): void {
    // Seeks reset `lastTickTime`, so only what playback (or a fast-forward) went through counts.
    if (to <= from) return;
    for (const marker of this.markers) {
      if (marker.time > from && marker.time <= to) this.emitter.emit('marker', marker);
    }
  }

  /**
   * Skip inactivity: inside an inactive stretch the replayer's clock is sped up so the stretch
   * passes in under a second, then the chosen speed is restored just before activity resumes.
   */
  private updateSkip(time: number): void {
    if (!this.replayer) return;
    if (this.skipRange) {
      const remaining = this.skipRange.end - time;
      const rate = this.replayer.config.speed;
      if (!this.skipInactive || time < this.skipRange.start || remaining <= Math.max(rate * 40, 200)) this.endSkip();
      return;
    }
    if (!this.skipInactive) return;
    const period = periodAt(this.inactivePeriods, time);
    if (!period || period.end - time < MIN_SKIP_REMAINING) return;
    const rate = Math.min(MAX_SKIP_SPEED, Math.max(this.speed * 2, Math.ceil((period.end - time) / SKIP_WALL_MS)));
    this.skipRange = period;
    this.replayer.setConfig({ speed: rate });
    this.view.paintSkipping(period.end - time);
    this.emitter.emit('skip', { skipping: true, range: { ...period } });
  }

  private endSkip(): void {
    if (!this.skipRange) return;
    const range = this.skipRange;
    this.skipRange = undefined;
    this.replayer?.setConfig({ speed: this.speed });
    this.view.paintSkipping(undefined);
    this.emitter.emit('skip', { skipping: false, range });
  }

  private setCurrentTime(time: number): void {
    this.currentTime = time;
    this.view.paintTime(time, this.getDuration());
    this.paintUrl();
    this.paintGap();
    this.emitter.emit('time', time);
  }

  private setState(state: PlayerState): void {
    if (this.state === state) return;
    this.state = state;
    this.view.paintState(state);
    this.emitter.emit('state', state);
  }

  // ---------------------------------------------------------------- painting

  private scheduleUi(): void {
    if (this.uiTimer || !this.uiDirty) return;
    this.uiTimer = setTimeout(
      () => {
        this.uiTimer = undefined;
        this.refreshUi();
      },
      this.markers.length === 0 ? 0 : UI_REFRESH_MS,
    );
  }

  /** Rebuild what depends on the whole recording: markers, shading, panels, duration. */
  private refreshUi(): void {
    if (this.destroyed || !this.uiDirty) return;
    this.uiDirty = false;
    const start = this.index.start ?? 0;
    const end = this.loader.progress.done ? this.index.end : undefined;
    this.inactivePeriods = this.inactivity
      .getPeriods(end)
      .map((period) => ({ start: period.start - start, end: period.end - start }));
    this.markers = this.index.getMarkers();
    const duration = this.getDuration();
    const first = this.index.start ?? 0;
    this.view.paintRecording(
      duration,
      this.store
        .coveredRanges()
        .map((range) => ({ start: Math.max(0, range.start - first), end: Math.min(duration, range.end - first) })),
      this.inactivePeriods,
      {
        consoleRows: this.index.getConsoleRows(),
        networkRows: this.index.getNetworkRows(),
        markers: this.markers,
      },
      this.currentTime,
    );
    this.emitter.emit('markers', this.markers);
  }

  /** How far the part of the recording a pending seek waits for has loaded. */
  private paintSeekProgress(): void {
    const pending = this.pendingSeek;
    if (!pending) return;
    const at = this.absolute(pending.time);
    this.view.paintSeek(pending.time, this.loader.shareLoadedTowards(at));
    this.uiDirty = true;
    this.scheduleUi();
  }

  private paintUrl(): void {
    const start = this.index.start;
    const url = start === undefined ? undefined : this.urls.at(start + this.currentTime);
    if (url?.url === this.lastUrl?.url && url?.route === this.lastUrl?.route) return;
    this.lastUrl = url;
    this.view.paintUrl(url);
    this.emitter.emit('url', url);
  }

  private paintGap(): void {
    const gap = this.markers.find(
      (marker) =>
        marker.kind === 'gap' && this.currentTime >= marker.time && this.currentTime < (marker.endTime ?? Infinity),
    );
    this.view.paintGap(gap);
  }
}
