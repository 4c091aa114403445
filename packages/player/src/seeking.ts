import type { Emitter } from '@reprise/protocol';
import type { RecordingIndex } from './markers.js';
import type { PlaybackSpeed } from './playback-speed.js';
import type { Playhead } from './playhead.js';
import type { RecordingOverview } from './recording-overview.js';
import type { ReplayerWindow } from './replayer-window.js';
import type { PlayerEventMap } from './types.js';
import type { PlayerView } from './view.js';
import type { Loader } from './windows.js';

/** Seeks (player time), once the replayer has started. */
export interface Seeking {
  /** A seek waits for its part of the recording. */
  readonly waiting: boolean;
  /** Playback goes on from the moment waited for once it is drawn (false when no seek waits). */
  play: boolean;
  /**
   * Jump to `target`, playing on if playback was on. Resolves once its frame is on screen, or when
   * a later seek replaces this one.
   */
  seek(target: number): Promise<void>;
  /** A seek to a moment not loaded yet: stop on it, show progress, fetch it, and land when it is in. */
  waitFor(target: number, play: boolean): Promise<void>;
  /** A moment under the pointer while the timeline is dragged; the drag ends with a `seek`. */
  preview(time: number): void;
  /** A slice of the recording is in: the seek waiting lands if its moment can be drawn now. */
  afterBatch(): void;
}

/**
 * A loaded moment is shown (or played from) at once. One not loaded yet is waited for: playback
 * stops on it and shows how far its part of the recording has loaded, a later seek takes its place
 * (and its promises), and it lands when its part is in.
 */
export function createSeeking(
  playhead: Playhead,
  replay: () => ReplayerWindow | undefined,
  playbackSpeed: PlaybackSpeed,
  overview: RecordingOverview,
  index: RecordingIndex,
  loader: Loader,
  view: PlayerView,
  emitter: Emitter<PlayerEventMap>,
  /** Keep in memory only the recording around the moment shown; `now`, not at most once a second. */
  retainAround: (now: boolean) => void,
): Seeking {
  /** A seek waiting for its part of the recording to load. */
  let pendingSeek: { time: number; play: boolean; resolve: Array<() => void> } | undefined;
  /** Playback was paused by dragging the timeline and resumes at the drag's final seek. */
  let resumeAfterDrag = false;

  /** Show (or play from) a loaded moment. */
  const jump = (target: number, play: boolean) => {
    if (play) {
      playhead.playFrom(target);
      playhead.setState('playing');
      playhead.startTicking();
    } else {
      playhead.show(target);
      if (playhead.state === 'ended' || playhead.state === 'buffering') playhead.setState('paused');
    }
    playhead.passedUntil(target);
    playhead.setTime(target);
    retainAround(true);
  };

  const waitFor = (target: number, play: boolean) => {
    const previous = pendingSeek;
    pendingSeek = { time: target, play, resolve: previous?.resolve ?? [] };
    if (playhead.state === 'playing' || playhead.state === 'buffering') {
      replay()?.replayer.pause();
      playhead.stopTicking();
      playhead.setState('paused');
    }
    playhead.passedUntil(target);
    playhead.setTime(target);
    // Before asking: the whole-session stream must not leave the target's part out.
    retainAround(true);
    loader.ensureLoaded(playhead.absolute(target));
    paintSeekProgress();
    emitter.emit('seeking', { time: target, loading: true });
    return new Promise<void>((resolve) => pendingSeek!.resolve.push(resolve));
  };

  /** The pending seek (if any) is over: hide its progress and release its waiters. */
  const settleSeek = () => {
    const pending = pendingSeek;
    if (!pending) return;
    pendingSeek = undefined;
    view.paintSeek(undefined);
    emitter.emit('seeking', { time: pending.time, loading: false });
    for (const resolve of pending.resolve) resolve();
  };

  /** The moment waited for has loaded: draw it (after settling, so `seeking` listeners see it last). */
  const landPendingSeek = () => {
    const pending = pendingSeek;
    if (!pending || !replay() || !playhead.canDraw(pending.time)) return;
    pendingSeek = undefined;
    jump(pending.time, pending.play);
    pendingSeek = pending;
    settleSeek();
  };

  /** How far the part of the recording a pending seek waits for has loaded. */
  const paintSeekProgress = () => {
    const pending = pendingSeek;
    if (!pending) return;
    view.paintSeek(pending.time, loader.shareLoadedTowards(playhead.absolute(pending.time)));
    overview.changed();
    overview.schedule();
  };

  return {
    get waiting() {
      return pendingSeek !== undefined;
    },
    get play() {
      return pendingSeek?.play ?? false;
    },
    set play(play: boolean) {
      if (pendingSeek) pendingSeek.play = play;
    },
    seek(target) {
      playbackSpeed.endSkip();
      const resume = resumeAfterDrag;
      resumeAfterDrag = false;
      const state = playhead.state;
      const play = resume || state === 'playing' || state === 'buffering' || (pendingSeek?.play ?? false);
      if (!playhead.canDraw(target)) return waitFor(target, play);
      settleSeek();
      jump(target, play);
      return Promise.resolve();
    },
    waitFor,
    preview(time) {
      if (!replay()) return;
      const wasPlaying = playhead.state === 'playing';
      const target = playhead.clamp(time);
      // While scrubbing, a moment not loaded yet keeps the last frame; the final seek waits for it.
      if (playhead.canDraw(target)) playhead.show(target);
      else loader.ensureLoaded(playhead.absolute(target));
      if (wasPlaying) {
        playhead.stopTicking();
        playhead.setState('paused');
        // The drag ends with a final seek; playing resumes from there.
        resumeAfterDrag = true;
      }
      playhead.setTime(target);
    },
    afterBatch() {
      if (!pendingSeek) return;
      if (loader.progress.done && !loader.fetchingWindows && !playhead.canDraw(pendingSeek.time)) {
        // Everything that will ever load is in: land on the nearest moment that can be drawn.
        pendingSeek.time = playhead.clamp(Math.min(pendingSeek.time, index.duration));
      }
      landPendingSeek();
      if (pendingSeek) paintSeekProgress();
    },
  };
}
