import { EventType, type RecordedEvent } from '@reprise/protocol';
import { assertSpeed, createPlayerEmitter } from './api-rules.js';
import { createReplayerWindow, type ReplayerWindow } from './replayer-window.js';
import { SegmentArchive } from './archive.js';
import { CanvasFrames } from './canvas.js';
import { EventStore } from './event-store.js';
import { FrameIndex } from './frames.js';
import { DEFAULT_INACTIVITY_THRESHOLD, InactivityTracker } from './inactivity.js';
import { RecordingIndex } from './markers.js';
import { injectPlayerStyles } from './styles.js';
import { createPlaybackSpeed, type PlaybackSpeed } from './playback-speed.js';
import { createPlayhead, type Playhead } from './playhead.js';
import { createRecordingOverview, type RecordingOverview } from './recording-overview.js';
import { ResourcePolicy } from './resources.js';
import { DEFAULT_RAGE_MAX_INTERVAL, DEFAULT_RAGE_MIN_CLICKS, DEFAULT_RAGE_RADIUS } from '@reprise/protocol';
import { createRetention, DEFAULT_RETAIN_MS, type Retention } from './retention.js';
import { createSeeking, type Seeking } from './seeking.js';
import type { Marker, PlayerEventMap, PlayerOptions, TimeRange } from './types.js';
import { UrlTimeline } from './url-timeline.js';
import { PlayerView } from './view.js';
import { PlayerReadout, type PlayerStatus } from './player-readout.js';
import { Loader, type RecordingParts } from './windows.js';

export const DEFAULT_SPEEDS = [1, 2, 4, 8];

/**
 * A session replay player: rrweb's Replayer fed progressively from an event array, an async
 * iterable or the playback stream, with a timeline of markers, skip-inactivity, speed, fullscreen,
 * a URL bar and console / network / events panels synced with playback.
 *
 * It starts the replayer on the first full snapshot, plays and pauses, and waits for data; the
 * stages it drives have their own files (`Loader`, `ReplayerWindow`, `Playhead`, `Seeking`, ...).
 */
export class Player extends PlayerReadout {
  /** The player's root element (inside the container given to the constructor). */
  readonly root: HTMLDivElement;
  private readonly emitter = createPlayerEmitter();
  private readonly index: RecordingIndex;
  /** What the recording is read into. */
  private readonly recording: RecordingParts;
  private readonly loader: Loader;
  private readonly retention: Retention;
  private readonly speeds: number[];
  private readonly view: PlayerView;
  private readonly playbackSpeed: PlaybackSpeed;
  private readonly overview: RecordingOverview;
  private readonly playhead: Playhead;
  private readonly seeking: Seeking;
  /** rrweb's Replayer and the part of the recording it holds, from the first full snapshot on. */
  private replay: ReplayerWindow | undefined;
  private autoplay: boolean;
  private startAt: number | undefined;
  /** `startAt` beyond what had loaded when the first snapshot arrived. */
  private pendingStart: number | undefined;
  /** Tells the archive the first frame is on screen: it compresses only from then on. */
  private firstFrameShown: () => void = () => {};
  private viewport = { width: 0, height: 0 };
  private destroyed = false;

  constructor(container: HTMLElement, options: PlayerOptions) {
    if (!(container instanceof HTMLElement)) {
      throw new TypeError('[@reprise/player] new Player(element, options) needs a DOM element to render into');
    }
    super();
    if (!options || options.source === undefined || options.source === null) {
      throw new TypeError(
        '[@reprise/player] options.source is required: an array of events, an async iterable of events or the playback URL',
      );
    }
    if (options.injectStyles !== false) injectPlayerStyles(container.ownerDocument);
    this.speeds = options.speeds?.length ? [...options.speeds] : DEFAULT_SPEEDS;
    this.autoplay = options.autoplay ?? true;
    this.startAt = options.startAt;
    const retainMs = options.retainMs ?? DEFAULT_RETAIN_MS;
    this.index = new RecordingIndex({
      minClicks: options.rageClickCount ?? DEFAULT_RAGE_MIN_CLICKS,
      maxInterval: options.rageClickWindow ?? DEFAULT_RAGE_MAX_INTERVAL,
      radius: options.rageClickRadius ?? DEFAULT_RAGE_RADIUS,
      ...(options.deadClickTimeout !== undefined ? { deadClickTimeout: options.deadClickTimeout } : {}),
    });
    this.recording = {
      index: this.index,
      inactivity: new InactivityTracker(options.inactivityThreshold ?? DEFAULT_INACTIVITY_THRESHOLD),
      urls: new UrlTimeline(),
      frames: new FrameIndex(),
      store: new EventStore(),
      resources: new ResourcePolicy({ resolveUrl: options.resolveUrl, originalResources: options.originalResources }),
      // Recorded canvas frames, drawn by an rrweb plugin.
      canvases: new CanvasFrames(),
      // Only a collector stream's segments can be freed and brought back.
      ...(retainMs < Infinity && typeof options.source === 'string'
        ? { archive: new SegmentArchive(new Promise<void>((shown) => (this.firstFrameShown = shown))) }
        : {}),
    };
    this.loader = new Loader(options, this.recording, this.emitter, {
      stored: (event, main) => this.onStored(event, main),
      staleWindow: () => this.replay?.stale(),
      changed: () => this.overview.changed(),
      progress: (progress) => this.view.paintLoading(progress),
      batch: () => this.afterBatch(),
      done: () => this.onLoaded(),
      failed: (error) => this.fail(error),
      baseURI: () => this.root.ownerDocument.baseURI,
    });
    this.retention = createRetention(retainMs, this.recording.store, this.loader);

    this.view = new PlayerView(container, options, this.speeds, this, (time) => this.seeking.preview(time));
    this.root = this.view.root;
    const replay = () => this.replay;
    this.playbackSpeed = createPlaybackSpeed(options, () => this.replay?.replayer, this.view, this.emitter);
    this.overview = createRecordingOverview(this.recording, this.loader, this.view, this.emitter, this);
    this.playhead = createPlayhead(
      this.recording,
      replay,
      () => this.tick(),
      this.overview,
      this.view,
      this.emitter,
      this,
    );
    this.seeking = createSeeking(
      this.playhead,
      replay,
      this.playbackSpeed,
      this.overview,
      this.index,
      this.loader,
      this.view,
      this.emitter,
      (now) => this.retainAround(now),
    );
    this.view.paintSpeed(this.playbackSpeed.chosen);
    this.view.paintSkip(this.playbackSpeed.skipInactive);
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
    if (!this.replay) {
      this.autoplay = true;
      return;
    }
    if (this.seeking.waiting) {
      this.seeking.play = true;
      return;
    }
    let from = this.playhead.time;
    if (this.playhead.state === 'ended' || (this.loader.progress.done && from >= this.getDuration() - 1)) from = 0;
    if (!this.playhead.canDraw(from)) {
      void this.seeking.waitFor(from, true);
      return;
    }
    this.playhead.playFrom(from);
    this.playhead.passedUntil(from);
    this.playhead.setState('playing');
    this.playhead.startTicking();
  }

  pause(): void {
    if (this.destroyed) return;
    if (!this.replay) {
      this.autoplay = false;
      return;
    }
    this.seeking.play = false;
    if (this.playhead.state === 'playing' || this.playhead.state === 'buffering') {
      this.playbackSpeed.endSkip();
      this.replay.replayer.pause();
      this.playhead.setTime(this.playhead.clamp(this.playhead.replayerTime()));
    }
    this.playhead.stopTicking();
    if (this.playhead.state !== 'ended') this.playhead.setState('paused');
  }

  togglePlay(): void {
    if (this.playhead.state === 'playing' || this.playhead.state === 'buffering') this.pause();
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
    const target = this.playhead.clamp(time);
    if (!this.replay) {
      this.startAt = target;
      return Promise.resolve();
    }
    return this.seeking.seek(target);
  }

  setSpeed(speed: number): void {
    assertSpeed(speed);
    this.playbackSpeed.choose(speed);
    this.view.paintSpeed(speed);
    this.emitter.emit('speed', speed);
  }

  setSkipInactive(skip: boolean): void {
    this.playbackSpeed.setSkipInactive(skip);
    this.view.paintSkip(skip);
  }

  /** The whole session when the stream announced its end, else what has loaded. */
  private duration(): number {
    const start = this.index.start;
    if (start !== undefined && this.loader.streamEnd !== undefined && this.loader.streamEnd > start) {
      return Math.max(this.loader.streamEnd - start, this.index.duration);
    }
    return this.index.duration;
  }

  getStatus(): PlayerStatus {
    return {
      time: this.playhead.time,
      duration: this.duration(),
      state: this.playhead.state,
      speed: this.playbackSpeed.chosen,
      skipInactive: this.playbackSpeed.skipInactive,
      progress: { ...this.loader.progress },
      url: this.playhead.url,
      viewport: { ...this.viewport },
      startTimestamp: this.index.start,
    };
  }

  getMarkers(): readonly Marker[] {
    return this.overview.markers;
  }

  getInactivePeriods(): readonly TimeRange[] {
    return this.overview.inactivePeriods;
  }

  /** The iframe holding the replayed page (undefined until the first full snapshot). */
  getIframe(): HTMLIFrameElement | undefined {
    return this.replay?.replayer.iframe;
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
    this.playhead.stopTicking();
    this.overview.stop();
    this.view.destroy();
    try {
      this.replay?.replayer.destroy();
    } catch {
      // rrweb throws when destroyed before its first frame; nothing left to clean then.
    }
    this.replay = undefined;
    this.root.remove();
    this.emitter.clear();
  }

  // ---------------------------------------------------------------- loading

  /** The whole-session stream has ended: show what it brought, or why there is nothing to show. */
  private onLoaded(): void {
    this.afterBatch();
    this.overview.refresh();
    if (!this.replay) {
      this.fail(
        new Error(
          '[@reprise/player] the recording has no full snapshot, so there is nothing to show; check that the recorder started before the page was captured',
        ),
      );
    } else if (this.playhead.state === 'buffering') {
      this.playhead.setState('ended');
    }
  }

  /** An event is in the store: the first full snapshot starts the replayer, later ones may join its window. */
  private onStored(event: RecordedEvent, main: boolean): void {
    if (!this.replay) {
      if (event.type === EventType.FullSnapshot && main) this.createReplayer(event.timestamp);
      return;
    }
    this.replay.grow(event, this.playhead.absolute(this.playhead.time));
  }

  /** After each slice of stream items: resume if playback was waiting for data, refresh the UI soon. */
  private afterBatch(): void {
    if (this.pendingStart !== undefined && (this.playhead.canDraw(this.pendingStart) || this.loader.progress.done)) {
      this.begin(this.playhead.clamp(this.pendingStart));
    }
    this.seeking.afterBatch();
    if (this.playhead.state === 'paused' && !this.seeking.waiting) this.playhead.refresh();
    if (this.playhead.state === 'buffering' && this.replay && this.playhead.canDraw(this.playhead.time + 50)) {
      this.playhead.playFrom(this.playhead.time);
      this.playhead.setState('playing');
      this.playhead.startTicking();
    } else if (this.playhead.state === 'buffering') {
      this.loader.ensureLoaded(this.playhead.absolute(this.playhead.time + 50));
    }
    this.retainAround();
    if (this.playhead.state !== 'playing') this.view.paintClock(this.playhead.time, this.getDuration());
    this.view.paintLoading(this.loader.progress);
    this.overview.schedule();
  }

  private createReplayer(firstSnapshot: number): void {
    const replay = createReplayerWindow(
      firstSnapshot,
      this.view.frame,
      this.playbackSpeed.chosen,
      this.recording,
      this.loader,
    );
    this.replay = replay;
    replay.replayer.on('resize', (dimension) => {
      const { width, height } = dimension as { width: number; height: number };
      this.viewport = { width, height };
      this.view.setViewport(this.viewport);
      this.emitter.emit('resize', { width, height });
    });
    replay.replayer.on('finish', () => this.onFinish());
    if (replay.recordedViewport) this.viewport = replay.recordedViewport;
    this.view.setViewport(this.viewport);
    this.overview.schedule();
    const start = this.startAt ?? 0;
    this.startAt = undefined;
    // A deep link past what has arrived waits for that part of the recording.
    if (!this.playhead.canDraw(start) && !this.loader.progress.done) {
      // The first page meanwhile (begin draws the frame asked for, once, in the other case).
      this.playhead.show(0);
      this.pendingStart = start;
      // The session line has come first: a window can be fetched as soon as the first segment has told how.
      this.loader.ensureLoaded(this.playhead.absolute(start));
    } else this.begin(start);
  }

  /** First frame on screen: hide the loading overlay and play (or show) from `start`. */
  private begin(start: number): void {
    this.pendingStart = undefined;
    // Once the frame is painted (or a second on, where a hidden page paints nothing).
    const shown = this.firstFrameShown;
    requestAnimationFrame(() => setTimeout(shown, 0));
    setTimeout(shown, 1000);
    this.view.showReady();
    this.emitter.emit('ready', { ...this.viewport });
    if (this.autoplay) {
      this.playhead.time = start;
      this.play();
    } else {
      this.playhead.show(start);
      this.playhead.setTime(start);
      this.playhead.setState('paused');
    }
  }

  private onFinish(): void {
    if (this.destroyed || this.playhead.state !== 'playing') return;
    this.playbackSpeed.endSkip();
    this.playhead.stopTicking();
    const time = this.playhead.clamp(this.playhead.replayerTime());
    this.playhead.setTime(time);
    if (this.replay?.endsBeforeLoaded()) {
      // The window ended before the loaded recording does (a fast skip outran its extension): go on.
      this.playhead.playFrom(time);
      this.playhead.startTicking();
      return;
    }
    // Playback caught up with the download: wait for more instead of ending.
    const atEnd =
      this.loader.progress.done &&
      (this.loader.streamEnd === undefined ||
        this.playhead.absolute(time) >= Math.min(this.loader.streamEnd, this.index.end ?? Infinity) - 1);
    this.playhead.setState(atEnd ? 'ended' : 'buffering');
    if (!atEnd) this.loader.ensureLoaded(this.playhead.absolute(time + 50));
  }

  private fail(error: Error): void {
    this.view.showError(error.message);
    this.playhead.setState('error');
    this.emitter.emit('error', error);
  }

  // ---------------------------------------------------------------- playback

  /**
   * Each animation frame while playing: the moment follows the replayer's clock, and the replayer's
   * window, what is kept in memory and skipping inactivity follow the moment.
   */
  private tick(): void {
    if (!this.replay || this.playhead.state !== 'playing') return;
    const time = this.playhead.clamp(this.playhead.replayerTime());
    this.replay.extend(this.playhead.absolute(this.playhead.time));
    this.retainAround();
    this.playbackSpeed.follow(time, this.overview.inactivePeriods);
    this.playhead.advance(time);
  }

  /** Keep in memory only the recording around the moment shown; at most once a second unless `now`. */
  private retainAround(now = false): void {
    if (this.index.start === undefined) return;
    this.retention.keepAround(
      this.playhead.absolute(this.playhead.time),
      this.replay?.replayer.config.speed ?? 1,
      !this.seeking.waiting,
      now,
    );
  }
}
