import type { Emitter } from '@reprise/protocol';
import type { Replayer } from '@rrweb/replay';
import { periodAt } from './inactivity.js';
import type { PlayerEventMap, PlayerOptions, TimeRange } from './types.js';
import type { PlayerView } from './view.js';

/** Skipping an inactive stretch takes about this long on screen, however long the stretch. */
const SKIP_WALL_MS = 800;
const MAX_SKIP_SPEED = 2000;
/** Stretches shorter than this (ms left) are not worth a visible fast-forward. */
const MIN_SKIP_REMAINING = 1000;

/** The replayer's speed: the viewer's, or faster through an inactive stretch. */
export interface PlaybackSpeed {
  /** The speed the viewer chose. */
  readonly chosen: number;
  readonly skipInactive: boolean;
  choose(speed: number): void;
  setSkipInactive(skip: boolean): void;
  /** Playback is at `time` (player time): start or end skipping the inactive stretch it is in. */
  follow(time: number, inactivePeriods: readonly TimeRange[]): void;
  /** Back to the chosen speed (a seek, a pause or the end leaves the stretch). */
  endSkip(): void;
}

/**
 * Skip inactivity: inside an inactive stretch the replayer's clock is sped up so the stretch
 * passes in under a second, then the chosen speed is restored just before activity resumes.
 */
export function createPlaybackSpeed(
  options: Pick<PlayerOptions, 'speed' | 'skipInactive'>,
  replayer: () => Replayer | undefined,
  view: PlayerView,
  emitter: Emitter<PlayerEventMap>,
): PlaybackSpeed {
  let speed = options.speed ?? 1;
  let skipInactive = options.skipInactive ?? true;
  /** The inactive stretch being fast-forwarded. */
  let skipRange: TimeRange | undefined;

  const endSkip = () => {
    if (!skipRange) return;
    const range = skipRange;
    skipRange = undefined;
    replayer()?.setConfig({ speed });
    view.paintSkipping(undefined);
    emitter.emit('skip', { skipping: false, range });
  };

  return {
    get chosen() {
      return speed;
    },
    get skipInactive() {
      return skipInactive;
    },
    choose(chosen) {
      speed = chosen;
      if (!skipRange) replayer()?.setConfig({ speed });
    },
    setSkipInactive(skip) {
      skipInactive = skip;
      if (!skip) endSkip();
    },
    follow(time, inactivePeriods) {
      const replaying = replayer();
      if (!replaying) return;
      if (skipRange) {
        const remaining = skipRange.end - time;
        const rate = replaying.config.speed;
        if (!skipInactive || time < skipRange.start || remaining <= Math.max(rate * 40, 200)) endSkip();
        return;
      }
      if (!skipInactive) return;
      const period = periodAt(inactivePeriods, time);
      if (!period || period.end - time < MIN_SKIP_REMAINING) return;
      const rate = Math.min(MAX_SKIP_SPEED, Math.max(speed * 2, Math.ceil((period.end - time) / SKIP_WALL_MS)));
      skipRange = period;
      replaying.setConfig({ speed: rate });
      view.paintSkipping(period.end - time);
      emitter.emit('skip', { skipping: true, range: { ...period } });
    },
    endSkip,
  };
}
