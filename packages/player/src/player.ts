// Consumers type-checking these sources (through the @reprise/source condition) need the `?inline` module type too.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient module declaration has nothing to import
/// <reference path="./css.d.ts" />
import { createEmitter, EventType, type RecordedEvent } from '@reprise/protocol';
import { Replayer } from '@rrweb/replay';
import { h, icon, setIcon } from './dom.js';
import { EventStore } from './event-store.js';
import { formatClock, formatDuration } from './format.js';
import { FrameIndex } from './frames.js';
import { DEFAULT_INACTIVITY_THRESHOLD, InactivityTracker, periodAt } from './inactivity.js';
import { RecordingIndex } from './markers.js';
import { Panels } from './panels.js';
import playerCss from './player.css?inline';
import { ResourcePolicy } from './resources.js';
import { DEFAULT_RAGE_MAX_INTERVAL, DEFAULT_RAGE_MIN_CLICKS, DEFAULT_RAGE_RADIUS } from './rage-clicks.js';
import { GapFilter, readSource } from './stream.js';
import { Timeline } from './timeline.js';
import type {
  LoadProgress,
  Marker,
  PlayerEventMap,
  PlayerOptions,
  PlayerSource,
  PlayerState,
  StreamItem,
  TimeRange,
  UrlAtTime,
} from './types.js';
import { UrlTimeline } from './url-timeline.js';

export const DEFAULT_SPEEDS = [1, 2, 4, 8];
/** Jump of the arrow keys, in ms of recording. */
const ARROW_STEP = 5000;
const ARROW_STEP_FINE = 1000;
/** Skipping an inactive stretch takes about this long on screen, however long the stretch. */
const SKIP_WALL_MS = 800;
const MAX_SKIP_SPEED = 2000;
/** Stretches shorter than this (ms left) are not worth a visible fast-forward. */
const MIN_SKIP_REMAINING = 1000;
/** The panels and markers are rebuilt at most this often while the stream is still arriving. */
const UI_REFRESH_MS = 250;
/** The load loop yields to the page after this much work so controls stay responsive. */
const LOAD_SLICE_MS = 12;
/** How soon what has arrived is shown when the stream pauses between segments. */
const STALL_REFRESH_MS = 50;
/**
 * rrweb's incremental sources that move the page under a still pointer: mutation, scroll, viewport
 * resize, style rules, style declarations (1 and 2, mouse moves and interactions, move the pointer).
 */
const HOVER_LAYOUT_SOURCES = new Set([0, 3, 4, 8, 13]);
/**
 * The replayer holds the events from the frame's page load to this far past the current moment
 * (recording time); playback extends it as it goes. rrweb walks every event it holds on a seek.
 */
const WINDOW_AHEAD_MS = 3 * 60_000;
/** Playback extends the replayer's window when it is this close to its end (at 1x). */
const WINDOW_EXTEND_MS = 30_000;
/**
 * A seek target further than this (recording time) past what the whole-session stream has loaded
 * gets its own window fetched (`?from=&to=`) instead of waiting for the stream to reach it.
 */
const FETCH_WINDOW_BEYOND_MS = 60_000;
/** What a window fetched around a seek target spans past the target. */
const FETCHED_WINDOW_MS = 2 * 60_000;

/** One stream feeding the player: the whole session, or a window fetched around a seek target. */
interface Reader {
  main: boolean;
  gapFilter: GapFilter;
  /** Its first segment's start (epoch ms): it has delivered everything from here on, in order. */
  from: number | undefined;
  /** The current segment's end, from its `segment` record. */
  segmentEnd: number | undefined;
  /** The current segment was delivered by another stream already. */
  duplicate: boolean;
  abort: AbortController;
  /** Windows only: the moment they were opened for (epoch ms) and where they stop. */
  target?: number;
  until?: number;
}

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
  private readonly emitter = createEmitter<PlayerEventMap>((error, name) =>
    // One failing listener must not stop playback or the other listeners.
    console.error('[@reprise/player] a listener for', name, 'threw:', error),
  );
  private readonly index: RecordingIndex;
  private readonly inactivity: InactivityTracker;
  private readonly urls = new UrlTimeline();
  private readonly frames = new FrameIndex();
  private readonly store = new EventStore();
  private readonly resources: ResourcePolicy;
  /** The replayed pointer's last position in the page's viewport, for matching hover after layout changes. */
  private pointer: { x: number; y: number } | undefined;
  private hoverQueued = false;
  private readonly onFrameScroll = () => this.queueHover();
  private readonly main: Reader;
  private readonly windows = new Set<Reader>();
  /** The collector sent segment records: windows can be fetched with `?from=&to=`. */
  private canFetchWindows = false;
  /** The collector's session start (epoch ms), which `from` / `to` count from. */
  private sessionStart: number | undefined;
  /** The replayer's events: the page load its first event starts, and its last event's time. */
  private windowBase = 0;
  private windowMeta: number | undefined;
  private windowEnd = -Infinity;
  /** A seek waiting for its part of the recording to load. */
  private pendingSeek: { time: number; play: boolean; resolve: Array<() => void> } | undefined;
  private readonly abort = new AbortController();
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
  private progress: LoadProgress = { events: 0, bytes: 0, done: false };
  private streamEnd: number | undefined;
  private lastUrl: UrlAtTime | undefined;
  private viewport = { width: 0, height: 0 };
  private raf = 0;
  private uiTimer: ReturnType<typeof setTimeout> | undefined;
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private uiDirty = false;
  private destroyed = false;
  /** Playback was paused by dragging the timeline and resumes at the drag's final seek. */
  private resumeAfterDrag = false;
  private resizeObserver: ResizeObserver | undefined;
  private readonly cleanups: Array<() => void> = [];

  // UI parts
  private readonly stage: HTMLDivElement;
  private readonly frame: HTMLDivElement;
  private readonly timeline: Timeline;
  private readonly panels: Panels | undefined;
  private readonly playButton: HTMLButtonElement;
  private readonly clock: HTMLSpanElement;
  private readonly speedButtons = new Map<number, HTMLButtonElement>();
  private readonly skipToggle: HTMLButtonElement;
  private readonly fullscreenButton: HTMLButtonElement;
  private readonly urlRoute: HTMLSpanElement;
  private readonly urlText: HTMLSpanElement;
  private readonly viewportLabel: HTMLSpanElement;
  private readonly loadingLabel: HTMLSpanElement;
  private readonly overlay: HTMLDivElement;
  private readonly seekOverlay: HTMLDivElement;
  private readonly seekLabel: HTMLSpanElement;
  private readonly skipIndicator: HTMLDivElement;
  private readonly gapBanner: HTMLDivElement;
  private readonly announcer: HTMLDivElement;

  constructor(
    private readonly container: HTMLElement,
    private readonly options: PlayerOptions,
  ) {
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
    this.main = {
      main: true,
      gapFilter: new GapFilter(),
      from: undefined,
      segmentEnd: undefined,
      duplicate: false,
      abort: this.abort,
    };

    // --- stage: the replayed page, scaled to fit
    this.frame = h('div', { class: 'rp-frame' });
    this.overlay = h(
      'div',
      { class: 'rp-overlay', role: 'status' },
      h('span', { class: 'rp-spinner', 'aria-hidden': 'true' }),
      h('span', { text: 'Loading recording…' }),
    );
    this.seekLabel = h('span', { class: 'rp-seek-label' });
    this.seekOverlay = h(
      'div',
      { class: 'rp-seek-overlay', role: 'status', hidden: true },
      h('span', { class: 'rp-spinner', 'aria-hidden': 'true' }),
      this.seekLabel,
    );
    this.skipIndicator = h('div', { class: 'rp-skip-indicator', role: 'status', hidden: true });
    this.gapBanner = h('div', { class: 'rp-gap-banner', role: 'status', hidden: true });
    this.stage = h(
      'div',
      { class: 'rp-stage' },
      this.frame,
      this.overlay,
      this.seekOverlay,
      this.skipIndicator,
      this.gapBanner,
    );
    this.stage.addEventListener('click', () => this.togglePlay());

    // --- URL bar
    this.urlRoute = h('span', { class: 'rp-url-route', hidden: true });
    this.urlText = h('span', { class: 'rp-url-text', text: '' });
    this.viewportLabel = h('span', { class: 'rp-viewport', title: 'Recorded viewport size and current zoom' });
    const urlBar = h(
      'div',
      { class: 'rp-urlbar', 'aria-label': 'Page address at this moment' },
      h('span', { class: 'rp-url-dots', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')),
      h('div', { class: 'rp-url-field' }, this.urlRoute, this.urlText),
      this.viewportLabel,
    );

    // --- timeline and controls
    this.timeline = new Timeline({
      seek: (time, final) => {
        if (final) this.seek(time);
        else this.seekPreview(time);
      },
      markerClick: (marker) => this.seek(marker.time),
    });
    this.playButton = h(
      'button',
      { type: 'button', class: 'rp-button rp-play', 'aria-label': 'Play', title: 'Play (Space)' },
      icon('play'),
    );
    this.playButton.addEventListener('click', () => this.togglePlay());
    this.clock = h('span', { class: 'rp-clock', 'aria-live': 'off', text: '0:00 / 0:00' });
    const speedGroup = h('div', { class: 'rp-speeds', role: 'group', 'aria-label': 'Playback speed' });
    this.speeds.forEach((speed) => {
      const button = h('button', {
        type: 'button',
        class: 'rp-chip',
        'aria-pressed': 'false',
        'aria-label': `Speed ${speed}×`,
        title: `Speed ${speed}×`,
        'data-speed': speed,
        text: `${speed}×`,
      });
      button.addEventListener('click', () => this.setSpeed(speed));
      this.speedButtons.set(speed, button);
      speedGroup.append(button);
    });
    this.skipToggle = h(
      'button',
      { type: 'button', class: 'rp-toggle', role: 'switch', 'aria-checked': 'true', title: 'Skip inactivity (S)' },
      h('span', { class: 'rp-switch', 'aria-hidden': 'true' }),
      h('span', { text: 'Skip inactivity' }),
    );
    this.skipToggle.addEventListener('click', () => this.setSkipInactive(!this.skipInactive));
    this.loadingLabel = h('span', { class: 'rp-loading', role: 'status' });
    this.fullscreenButton = h(
      'button',
      { type: 'button', class: 'rp-button', 'aria-label': 'Fullscreen', title: 'Fullscreen (F)' },
      icon('fullscreen'),
    );
    this.fullscreenButton.addEventListener('click', () => void this.toggleFullscreen());
    const controls = h(
      'div',
      { class: 'rp-controls' },
      this.playButton,
      this.clock,
      speedGroup,
      this.skipToggle,
      h('span', { class: 'rp-spacer' }),
      this.loadingLabel,
      this.fullscreenButton,
    );

    this.announcer = h('div', { class: 'rp-sr-only', 'aria-live': 'polite' });
    const main = h('div', { class: 'rp-main' }, urlBar, this.stage, this.timeline.element, controls);
    const layout = h('div', { class: 'rp-layout' }, main);
    this.root = h(
      'div',
      {
        class: 'rp-player',
        tabindex: 0,
        role: 'region',
        'aria-label': 'Session replay',
        'aria-keyshortcuts': 'Space ArrowLeft ArrowRight 1 2 4 8 S F',
      },
      layout,
    );
    if (options.panels !== false) {
      this.panels = new Panels((time) => this.seek(time));
      layout.append(this.panels.element);
    } else {
      this.root.classList.add('rp-no-panels');
    }
    this.root.append(this.announcer);
    this.root.addEventListener('keydown', (event) => this.onKey(event));
    // A click on the replay or the timeline gives the player the keyboard, so shortcuts work at once.
    this.root.addEventListener('pointerdown', (event) => {
      const target = event.target as Element;
      if (!target.closest('button, select, input, textarea, [tabindex]:not(.rp-player)'))
        this.root.focus({ preventScroll: true });
    });
    const onFullscreen = () => {
      const active = this.root.ownerDocument.fullscreenElement === this.root;
      setIcon(this.fullscreenButton, active ? 'exitFullscreen' : 'fullscreen');
      this.fullscreenButton.setAttribute('aria-label', active ? 'Exit fullscreen' : 'Fullscreen');
    };
    this.root.ownerDocument.addEventListener('fullscreenchange', onFullscreen);
    this.cleanups.push(() => this.root.ownerDocument.removeEventListener('fullscreenchange', onFullscreen));
    container.append(this.root);

    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver(() => {
        this.fit();
        this.timeline.relayout();
      });
      this.resizeObserver.observe(this.stage);
    }
    this.paintSpeed();
    this.paintSkip();
    this.paintLoading();
    void this.load(options.source);
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
    if (this.state === 'ended' || (this.progress.done && from >= this.getDuration() - 1)) from = 0;
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
    this.ensureLoaded(this.absolute(target));
    this.root.classList.add('rp-seeking');
    this.paintSeekProgress();
    this.emitter.emit('seeking', { time: target, loading: true });
    return new Promise((resolve) => this.pendingSeek!.resolve.push(resolve));
  }

  /** The pending seek (if any) is over: hide its progress and release its waiters. */
  private settleSeek(): void {
    const pending = this.pendingSeek;
    if (!pending) return;
    this.pendingSeek = undefined;
    this.root.classList.remove('rp-seeking');
    this.seekOverlay.hidden = true;
    this.timeline.setPending(undefined);
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
    if (!Number.isFinite(speed) || speed <= 0) {
      throw new RangeError(
        `[@reprise/player] setSpeed(${speed}): the speed must be a positive number such as 1, 2, 4 or 8`,
      );
    }
    this.speed = speed;
    if (!this.skipRange) this.replayer?.setConfig({ speed });
    this.paintSpeed();
    this.emitter.emit('speed', speed);
  }

  getSpeed(): number {
    return this.speed;
  }

  setSkipInactive(skip: boolean): void {
    this.skipInactive = skip;
    if (!skip) this.endSkip();
    this.paintSkip();
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
    if (start !== undefined && this.streamEnd !== undefined && this.streamEnd > start) {
      return Math.max(this.streamEnd - start, this.index.duration);
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
    return { ...this.progress };
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
    this.abort.abort();
    this.stopTicking();
    if (this.uiTimer) clearTimeout(this.uiTimer);
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.resizeObserver?.disconnect();
    this.panels?.destroy();
    for (const cleanup of this.cleanups) cleanup();
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

  private async load(source: PlayerSource): Promise<void> {
    let sliceStart = performance.now();
    try {
      const items = readSource(source, {
        signal: this.main.abort.signal,
        ...(this.options.response ? { response: this.options.response } : {}),
        ...(this.options.fetchInit ? { fetchInit: this.options.fetchInit } : {}),
        ...(this.options.parseLine ? { parseLine: this.options.parseLine } : {}),
        onProgress: (progress) => {
          this.progress = progress;
          this.paintLoading();
          this.emitter.emit('progress', { ...progress });
        },
      });
      for await (const item of items) {
        if (this.destroyed) return;
        this.handleItem(item, this.main);
        // If the stream now stalls (the server is still reading the next segment), what has
        // arrived is shown anyway.
        this.batchTimer ??= setTimeout(() => {
          this.batchTimer = undefined;
          if (!this.destroyed) this.afterBatch();
        }, STALL_REFRESH_MS);
        if (performance.now() - sliceStart > LOAD_SLICE_MS) {
          this.afterBatch();
          await new Promise((resolve) => setTimeout(resolve, 0));
          sliceStart = performance.now();
        }
      }
      if (this.destroyed) return;
      this.endReader(this.main);
      this.progress = { ...this.progress, done: true, fraction: 1 };
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
    } catch (error) {
      if (this.destroyed || this.abort.signal.aborted) return;
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * A window of the recording around a seek target, fetched on its own (`?from=&to=`, PLAYBACK.md)
   * while the whole-session stream is still far from it. It only fills the event store: markers
   * and panels come from the whole-session stream, in order.
   */
  private async loadWindow(reader: Reader): Promise<void> {
    const source = this.options.source as string | URL;
    const url = new URL(String(source), this.root.ownerDocument.baseURI);
    const sessionStart = this.sessionStart ?? this.index.start ?? 0;
    url.searchParams.set('from', String(Math.max(0, Math.floor(reader.target! - sessionStart))));
    url.searchParams.set('to', String(Math.max(0, Math.ceil(reader.until! - sessionStart))));
    let sliceStart = performance.now();
    try {
      const items = readSource(url.href, {
        signal: reader.abort.signal,
        ...(this.options.fetchInit ? { fetchInit: this.options.fetchInit } : {}),
        ...(this.options.parseLine ? { parseLine: this.options.parseLine } : {}),
      });
      for await (const item of items) {
        if (this.destroyed || reader.abort.signal.aborted) return;
        if (item.kind === 'meta') continue;
        this.handleItem(item, reader);
        if (performance.now() - sliceStart > LOAD_SLICE_MS) {
          this.afterBatch();
          await new Promise((resolve) => setTimeout(resolve, 0));
          sliceStart = performance.now();
        }
      }
      this.endReader(reader);
    } catch (error) {
      // A window is an optimisation: the whole-session stream still brings the same moment.
      if (!reader.abort.signal.aborted && !this.destroyed) {
        this.emitter.emit(
          'error',
          new Error(
            `[@reprise/player] fetching the part of the recording around ${formatClock(reader.target! - (this.index.start ?? 0))} failed (${String(error)}); waiting for the full stream instead`,
          ),
        );
      }
    } finally {
      this.windows.delete(reader);
      if (!this.destroyed) this.afterBatch();
    }
  }

  /** A stream ended: what its last segment announced is loaded, and a window covers what it asked for. */
  private endReader(reader: Reader): void {
    // Every segment has come, through this stream or a finished window: the whole recording is in.
    if (reader.main && this.windows.size === 0 && this.index.start !== undefined)
      this.store.cover(this.index.start, Math.max(this.streamEnd ?? 0, this.index.end ?? 0));
    if (reader.from === undefined) return;
    if (reader.segmentEnd !== undefined && !reader.duplicate) this.store.cover(reader.from, reader.segmentEnd);
    // The whole-session stream ends at the session's end; a window at the last segment it was sent.
    if (reader.main && this.streamEnd !== undefined && !reader.duplicate) this.store.cover(reader.from, this.streamEnd);
    this.uiDirty = true;
  }

  private handleItem(item: StreamItem, reader: Reader): void {
    if (item.kind === 'meta') {
      if (item.end !== undefined) this.streamEnd = item.end;
      if (item.start !== undefined) this.sessionStart = item.start;
      return;
    }
    if (item.kind === 'segment') {
      // The previous segment is complete up to its announced end.
      const previousEnd = reader.segmentEnd;
      if (reader.from !== undefined && previousEnd !== undefined && !reader.duplicate)
        this.store.cover(reader.from, previousEnd);
      // After a segment another stream delivers (and covers to its end), this stream's stretch
      // starts at that end: nothing was recorded between two segments.
      if (reader.duplicate) reader.from = previousEnd;
      // The stretch reaches this segment's start whoever delivers it: otherwise the moments between
      // a segment this stream delivered and one another stream did stayed "not loaded" for good,
      // and a seek there waited forever.
      if (reader.from !== undefined && item.start !== undefined) this.store.cover(reader.from, item.start);
      reader.duplicate = !this.store.claimSegment(item.index);
      // Another stream delivers this one (maybe still): it covers it, and this stream's own stretch restarts after it.
      if (reader.duplicate) reader.from = undefined;
      else reader.from ??= item.start;
      reader.segmentEnd = item.end;
      if (reader.main && typeof this.options.source === 'string') this.canFetchWindows = true;
      return;
    }
    if (item.kind === 'gap') {
      if (item.segment !== undefined) this.store.claimSegment(item.segment);
      reader.gapFilter.noteGap();
      // The replayer may hold changes from after the gap that another stream delivered: re-slice at the next draw.
      if (item.start !== undefined && this.store.addGap(item.start)) this.windowMeta = undefined;
      // A lost segment right after one another stream delivered: the stretch restarts at that one's end.
      if (reader.duplicate) reader.from = reader.segmentEnd;
      reader.duplicate = false;
      reader.segmentEnd = undefined;
      if (item.end !== undefined) {
        reader.from ??= item.start ?? item.end;
        this.store.cover(reader.from, item.end);
      }
      if (!reader.main) return;
      const marker = this.index.addGap(item.segment, item.reason, item);
      this.uiDirty = true;
      this.emitter.emit('gap', marker);
      return;
    }
    const event = item.event;
    if (reader.main) {
      this.index.add(event);
      this.uiDirty = true;
    }
    if (!reader.gapFilter.accept(event)) return;
    if (reader.main) {
      if (this.inactivity.add(event)) this.uiDirty = true;
      this.urls.add(event);
    }
    if (reader.duplicate) return;
    const replayable = this.resources.prepare(event);
    this.frames.add(replayable);
    this.store.add(replayable);
    reader.from ??= event.timestamp;
    this.store.cover(reader.from, event.timestamp);
    if (!this.replayer) {
      if (event.type === EventType.FullSnapshot && reader.main) this.createReplayer(event.timestamp);
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
      this.appendToWindow([replayable]);
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
    if (loadedUntil < current + WINDOW_AHEAD_MS && (this.streamEnd === undefined || loadedUntil < this.streamEnd))
      this.ensureLoaded(loadedUntil + 1);
  }

  /**
   * Make sure the moment `at` (epoch ms) will load: the whole-session stream brings it soon, a
   * window already asked for holds it, or a new window is fetched around it.
   */
  private ensureLoaded(at: number): void {
    if (this.store.canDraw(at) || !this.canFetchWindows) return;
    const streamed =
      this.main.from !== undefined ? (this.store.coveredUntil(this.main.from) ?? this.main.from) : undefined;
    if (streamed !== undefined && at - streamed <= FETCH_WINDOW_BEYOND_MS && !this.progress.done) return;
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
    void this.loadWindow(reader);
  }

  /** After each slice of stream items: resume if playback was waiting for data, refresh the UI soon. */
  private afterBatch(): void {
    if (
      this.pendingStart !== undefined &&
      (this.store.canDraw(this.absolute(this.pendingStart)) || this.progress.done)
    ) {
      this.begin(this.clampTime(this.pendingStart));
    }
    if (this.pendingSeek) {
      if (this.progress.done && this.windows.size === 0 && !this.store.canDraw(this.absolute(this.pendingSeek.time))) {
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
      this.ensureLoaded(this.absolute(this.currentTime + 50));
    }
    if (this.state !== 'playing') this.paintClock();
    this.paintLoading();
    this.scheduleUi();
  }

  private createReplayer(firstSnapshot: number): void {
    const events = this.store.window(firstSnapshot, WINDOW_AHEAD_MS);
    this.windowMeta = this.store.frameStart(firstSnapshot);
    this.windowBase = events[0]?.timestamp ?? firstSnapshot;
    this.windowEnd = events[events.length - 1]?.timestamp ?? firstSnapshot;
    const replayer = new Replayer(events as unknown as RrwebEvent[], {
      root: this.frame,
      speed: this.speed,
      skipInactive: false,
      showWarning: false,
      showDebug: false,
      // Replaying focus would move the host page's keyboard focus into the iframe mid-playback
      // and the player's shortcuts would stop working.
      triggerFocus: false,
      UNSAFE_replayCanvas: false,
      mouseTail: { duration: 600, lineCap: 'round', lineWidth: 3, strokeStyle: 'rgba(129, 140, 248, 0.65)' },
    });
    this.replayer = replayer;
    replayer.on('resize', (dimension) => {
      const { width, height } = dimension as { width: number; height: number };
      this.viewport = { width, height };
      this.fit();
      this.emitter.emit('resize', { width, height });
    });
    replayer.on('finish', () => this.onFinish());
    replayer.on('event-cast', (event) => this.trackHover(event as unknown as RecordedEvent));
    // While playing, rrweb scrolls smoothly: hover follows each scroll step, not only the event.
    // A full snapshot rebuilds the document (document.open), which may drop the listener: add it
    // again (the same function, so never twice).
    const followScrolls = () =>
      replayer.iframe.contentWindow?.addEventListener('scroll', this.onFrameScroll, { capture: true, passive: true });
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
    this.fit();
    this.scheduleUi();
    const start = this.startAt ?? 0;
    this.startAt = undefined;
    // A deep link past what has arrived waits for that part of the recording.
    if (!this.store.canDraw(this.absolute(start)) && !this.progress.done) {
      this.pendingStart = start;
      // The session line has come first: a window can be fetched as soon as the first segment has told how.
      this.ensureLoaded(this.absolute(start));
    } else this.begin(start);
  }

  /**
   * rrweb hovers the element a mouse event named, so when the page scrolls or changes under a
   * still pointer the old element stays hovered (a header shown on hover stayed open). After a
   * scroll, a mutation or a resize, the element under the last pointer position is hovered
   * instead, once per task however many events were applied (a seek applies thousands).
   */
  private trackHover(event: RecordedEvent): void {
    if (event.type !== EventType.IncrementalSnapshot) return;
    const data = event.data as { source: number; positions?: Array<{ x: number; y: number; id: number }> };
    // A click carries its own position; a mouse move the path since the last one.
    const pointer =
      data.source === 1
        ? data.positions?.at(-1)
        : data.source === 2
          ? (data as unknown as { x: number; y: number; id: number })
          : undefined;
    if (pointer?.x !== undefined) {
      // Positions inside a nested frame are that frame's: not matched against the page's layout.
      const replayer = this.replayer!;
      this.pointer =
        replayer.getMirror().getNode(pointer.id)?.ownerDocument === replayer.iframe.contentDocument
          ? { ...pointer }
          : undefined;
    } else if (HOVER_LAYOUT_SOURCES.has(data.source)) this.queueHover();
  }

  private queueHover(): void {
    if (!this.pointer || this.hoverQueued) return;
    this.hoverQueued = true;
    queueMicrotask(() => {
      this.hoverQueued = false;
      // The replay's iframe is inert for the viewer; hit testing in its own document is unaffected.
      const element =
        this.pointer && this.replayer?.iframe.contentDocument?.elementFromPoint(this.pointer.x, this.pointer.y);
      if (element) (this.replayer as unknown as { hoverElements(el: Element): void }).hoverElements(element);
    });
  }

  /** First frame on screen: hide the loading overlay and play (or show) from `start`. */
  private begin(start: number): void {
    this.pendingStart = undefined;
    this.overlay.hidden = true;
    this.root.classList.add('rp-ready');
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
      this.progress.done &&
      (this.streamEnd === undefined || this.absolute(time) >= Math.min(this.streamEnd, this.index.end ?? Infinity) - 1);
    this.setState(atEnd ? 'ended' : 'buffering');
    if (!atEnd) this.ensureLoaded(this.absolute(time + 50));
  }

  private fail(error: Error): void {
    this.overlay.hidden = false;
    this.overlay.replaceChildren(h('span', { class: 'rp-error-text', text: error.message }));
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
    else this.ensureLoaded(this.absolute(target));
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
    this.skipIndicator.hidden = false;
    this.skipIndicator.replaceChildren(
      icon('skip'),
      h('span', { text: `Skipping ${formatDuration(period.end - time)} of inactivity` }),
    );
    this.root.classList.add('rp-skipping');
    this.emitter.emit('skip', { skipping: true, range: { ...period } });
  }

  private endSkip(): void {
    if (!this.skipRange) return;
    const range = this.skipRange;
    this.skipRange = undefined;
    this.replayer?.setConfig({ speed: this.speed });
    this.skipIndicator.hidden = true;
    this.root.classList.remove('rp-skipping');
    this.emitter.emit('skip', { skipping: false, range });
  }

  private setCurrentTime(time: number): void {
    this.currentTime = time;
    this.timeline.setTime(time);
    this.panels?.setTime(time);
    this.paintClock();
    this.paintUrl();
    this.paintGap();
    this.emitter.emit('time', time);
  }

  private setState(state: PlayerState): void {
    if (this.state === state) return;
    this.state = state;
    const playing = state === 'playing' || state === 'buffering';
    setIcon(this.playButton, playing ? 'pause' : state === 'ended' ? 'replay' : 'play');
    const label = playing ? 'Pause' : state === 'ended' ? 'Replay' : 'Play';
    this.playButton.setAttribute('aria-label', label);
    this.playButton.title = `${label} (Space)`;
    this.root.dataset.state = state;
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
    const end = this.progress.done ? this.index.end : undefined;
    this.inactivePeriods = this.inactivity
      .getPeriods(end)
      .map((period) => ({ start: period.start - start, end: period.end - start }));
    this.markers = this.index.getMarkers();
    const duration = this.getDuration();
    this.timeline.setDuration(duration);
    const first = this.index.start ?? 0;
    this.timeline.setLoaded(
      this.store
        .coveredRanges()
        .map((range) => ({ start: Math.max(0, range.start - first), end: Math.min(duration, range.end - first) })),
    );
    this.timeline.setInactive(this.inactivePeriods);
    this.timeline.setMarkers(this.markers);
    this.panels?.setData({
      consoleRows: this.index.getConsoleRows(),
      networkRows: this.index.getNetworkRows(),
      markers: this.markers,
    });
    this.panels?.setTime(this.currentTime);
    this.paintClock();
    this.emitter.emit('markers', this.markers);
  }

  /** How far the part of the recording a pending seek waits for has loaded. */
  private paintSeekProgress(): void {
    const pending = this.pendingSeek;
    if (!pending) return;
    const at = this.absolute(pending.time);
    // The loaded stretch that grows towards the target: the one starting last before it.
    let growing: { start: number; end: number } | undefined;
    for (const range of this.store.coveredRanges()) if (range.start <= at) growing = range;
    for (const reader of this.windows) {
      if (reader.target! <= at && reader.until! >= at && reader.from !== undefined)
        growing = { start: reader.from, end: this.store.coveredUntil(reader.from) ?? reader.from };
    }
    const share =
      growing && at > growing.start
        ? Math.min(0.99, Math.max(0, (growing.end - growing.start) / (at - growing.start)))
        : 0;
    this.seekOverlay.hidden = false;
    this.seekLabel.textContent = `Loading ${formatClock(pending.time)}… ${Math.round(share * 100)}%`;
    this.timeline.setPending(pending.time);
    this.uiDirty = true;
    this.scheduleUi();
  }

  private paintClock(): void {
    this.clock.textContent = `${formatClock(this.currentTime)} / ${formatClock(this.getDuration())}`;
  }

  private paintSpeed(): void {
    for (const [speed, button] of this.speedButtons) button.setAttribute('aria-pressed', String(speed === this.speed));
  }

  private paintSkip(): void {
    this.skipToggle.setAttribute('aria-checked', String(this.skipInactive));
  }

  private paintLoading(): void {
    // fraction is undefined when the total is unknown (see LoadMeter): then the count is shown.
    const { done, events, fraction } = this.progress;
    this.root.classList.toggle('rp-streaming', !done);
    if (done) {
      this.loadingLabel.hidden = true;
      return;
    }
    this.loadingLabel.hidden = false;
    this.loadingLabel.textContent =
      fraction !== undefined
        ? `Loading ${Math.round(fraction * 100)}%`
        : `Loading… ${events.toLocaleString('en-US')} events`;
  }

  private paintUrl(): void {
    const start = this.index.start;
    const url = start === undefined ? undefined : this.urls.at(start + this.currentTime);
    if (url?.url === this.lastUrl?.url && url?.route === this.lastUrl?.route) return;
    this.lastUrl = url;
    this.urlText.textContent = url?.url ?? '';
    this.urlText.title = url?.url ?? '';
    this.urlRoute.hidden = !url?.route;
    this.urlRoute.textContent = url?.route ?? '';
    this.emitter.emit('url', url);
  }

  private paintGap(): void {
    const gap = this.markers.find(
      (marker) =>
        marker.kind === 'gap' && this.currentTime >= marker.time && this.currentTime < (marker.endTime ?? Infinity),
    );
    this.gapBanner.hidden = !gap;
    if (gap)
      this.gapBanner.textContent = `${gap.label}: ${gap.detail ?? 'segment missing'}. Playback resumes at the next snapshot.`;
  }

  /** Scale the recorded viewport to fit the stage, centred, never above `maxScale`. */
  private fit(): void {
    const { width, height } = this.viewport;
    if (!width || !height) return;
    const available = this.stage.getBoundingClientRect();
    const scale = Math.min(this.options.maxScale ?? 1, available.width / width, available.height / height);
    const safeScale = Number.isFinite(scale) && scale > 0 ? scale : 1;
    // Whole-pixel offsets: a frame at half a pixel would be resampled and look blurry.
    this.frame.style.width = `${width}px`;
    this.frame.style.height = `${height}px`;
    // Rounded in page coordinates, since the stage itself may sit at a fractional position.
    const left = Math.round(available.left + (available.width - width * safeScale) / 2) - available.left;
    const top = Math.round(available.top + (available.height - height * safeScale) / 2) - available.top;
    this.frame.style.left = `${left}px`;
    this.frame.style.top = `${top}px`;
    this.frame.style.transform = `scale(${safeScale})`;
    this.viewportLabel.textContent = `${width} × ${height} · ${Math.round(safeScale * 100)}%`;
  }

  // ---------------------------------------------------------------- keyboard

  private onKey(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement;
    const tag = target.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    // Space and Enter on a focused button or row belong to that control.
    const onControl = tag === 'BUTTON' || target.classList.contains('rp-row');
    switch (event.key) {
      case ' ':
      case 'k':
        if (onControl && event.key === ' ') return;
        this.togglePlay();
        break;
      case 'ArrowLeft':
      case 'ArrowRight': {
        const step = event.shiftKey ? ARROW_STEP_FINE : ARROW_STEP;
        this.seek(this.currentTime + (event.key === 'ArrowLeft' ? -step : step));
        break;
      }
      case 'Home':
        this.seek(0);
        break;
      case 'End':
        this.seek(this.getDuration());
        break;
      case 's':
      case 'S':
        this.setSkipInactive(!this.skipInactive);
        this.announcer.textContent = `Skip inactivity ${this.skipInactive ? 'on' : 'off'}`;
        break;
      case 'f':
      case 'F':
        void this.toggleFullscreen();
        break;
      default: {
        if (!/^[0-9]$/.test(event.key)) return;
        // A digit that is one of the speeds selects it ("4" is 4×); other digits pick the n-th speed.
        const digit = Number(event.key);
        const speed = this.speeds.includes(digit) ? digit : this.speeds[digit - 1];
        if (speed === undefined) return;
        this.setSpeed(speed);
        this.announcer.textContent = `Speed ${speed}×`;
      }
    }
    event.preventDefault();
  }
}
