import type { Emitter } from '@reprise/protocol';
import type { RecordingOverview } from './recording-overview.js';
import type { ReplayerWindow } from './replayer-window.js';
import type { PlayerEventMap, PlayerState, UrlAtTime } from './types.js';
import type { PlayerControls, PlayerView } from './view.js';
import type { RecordingParts } from './windows.js';

/** Where playback is: the moment shown, in player time (ms from the start of the recording), and the state. */
export interface Playhead {
  readonly state: PlayerState;
  /** Set directly, the moment moves without being shown: `setTime` shows and reports it. */
  time: number;
  /** The page address (and route pattern) at the moment shown. */
  readonly url: UrlAtTime | undefined;
  setState(state: PlayerState): void;
  setTime(time: number): void;
  /** A play or a seek starts at `time`: only what playback goes through from there passes markers. */
  passedUntil(time: number): void;
  /** Playback went on to `time`: the markers it passed since the last tick, then the moment. */
  advance(time: number): void;
  /** Call `tick` once per animation frame until `stopTicking`. */
  startTicking(): void;
  stopTicking(): void;
  /**
   * Show the page at `time` while paused: every event stamped up to and at `time`, and when `time`
   * is a marker's, the DOM changes its action made (a click handler's mutations are recorded a few
   * ms after the click itself).
   */
  show(time: number): void;
  /**
   * While paused, show the moment shown again if what arrived since changes its frame: an event
   * stamped at that moment, or, at a marker, a change its action made (they come after it).
   */
  refresh(): void;
  playFrom(time: number): void;
  /** The replayer's clock as player time. */
  replayerTime(): number;
  /** Epoch ms of a player time. */
  absolute(time: number): number;
  /** A moment can be drawn: its part of the recording is in. */
  canDraw(time: number): boolean;
  /** `time` within the recording. */
  clamp(time: number): number;
}

/**
 * The moment shown and the player's state, and what follows them: the clock, the URL bar, the gap
 * banner, and the `time`, `state`, `url` and `marker` events. While playing, `tick` moves the
 * moment once per animation frame. It turns player time into the replayer's moments.
 */
export function createPlayhead(
  recording: Pick<RecordingParts, 'index' | 'urls' | 'frames' | 'store'>,
  replay: () => ReplayerWindow | undefined,
  /** Called once per animation frame while ticking. */
  tick: () => void,
  overview: RecordingOverview,
  view: PlayerView,
  emitter: Emitter<PlayerEventMap>,
  player: Pick<PlayerControls, 'getDuration'>,
): Playhead {
  const { index, urls, frames, store } = recording;
  let state: PlayerState = 'loading';
  let currentTime = 0;
  let lastTickTime = 0;
  let lastUrl: UrlAtTime | undefined;
  let raf = 0;

  const absolute = (time: number) => (index.start ?? 0) + time;
  /** A marker (not a gap) stands at `time`: its frame shows what its action did. */
  const atMarker = (time: number) =>
    overview.markers.some((marker) => marker.kind !== 'gap' && Math.abs(marker.time - time) < 0.5);
  /** The moment last shown while paused (player time), and the moment its frame was drawn at (epoch ms). */
  let shown: { time: number; at: number } | undefined;

  const paintUrl = () => {
    const start = index.start;
    const url = start === undefined ? undefined : urls.at(start + currentTime);
    if (url?.url === lastUrl?.url && url?.route === lastUrl?.route) return;
    lastUrl = url;
    view.paintUrl(url);
    emitter.emit('url', url);
  };

  const paintGap = () => {
    const gap = overview.markers.find(
      (marker) => marker.kind === 'gap' && currentTime >= marker.time && currentTime < (marker.endTime ?? Infinity),
    );
    view.paintGap(gap);
  };

  const setTime = (time: number) => {
    currentTime = time;
    view.paintTime(time, player.getDuration());
    paintUrl();
    paintGap();
    emitter.emit('time', time);
  };

  return {
    get state() {
      return state;
    },
    get time() {
      return currentTime;
    },
    set time(time: number) {
      currentTime = time;
    },
    get url() {
      return lastUrl;
    },
    setState(next) {
      if (state === next) return;
      state = next;
      view.paintState(next);
      emitter.emit('state', next);
    },
    setTime,
    passedUntil(time) {
      lastTickTime = time;
    },
    advance(time) {
      // Seeks reset `lastTickTime`, so only what playback (or a fast-forward) went through counts.
      const from = lastTickTime;
      if (time > from) {
        for (const marker of overview.markers) {
          if (marker.time > from && marker.time <= time) emitter.emit('marker', marker);
        }
      }
      lastTickTime = time;
      setTime(time);
    },
    startTicking() {
      if (raf) return;
      const frame = () => {
        raf = requestAnimationFrame(frame);
        tick();
      };
      raf = requestAnimationFrame(frame);
    },
    stopTicking() {
      if (raf) cancelAnimationFrame(raf);
      raf = 0;
    },
    show(time) {
      const replaying = replay();
      if (!replaying) return;
      let at = absolute(time);
      if (atMarker(time)) at = frames.effectEnd(at);
      replaying.showFrame(at);
      shown = { time, at };
    },
    refresh() {
      const replaying = replay();
      if (!replaying || !shown || shown.time !== currentTime) return;
      const at = atMarker(shown.time) ? frames.effectEnd(absolute(shown.time)) : shown.at;
      if (replaying.missedEvents()) replaying.stale();
      else if (at === shown.at) return;
      this.show(shown.time);
    },
    playFrom(time) {
      shown = undefined;
      replay()?.playFrom(absolute(time));
    },
    replayerTime() {
      const replaying = replay();
      if (!replaying) return currentTime;
      return replaying.time() - (index.start ?? 0);
    },
    absolute,
    canDraw: (time) => store.canDraw(absolute(time)),
    clamp: (time) => Math.min(Math.max(0, Number.isFinite(time) ? time : 0), player.getDuration()),
  };
}
