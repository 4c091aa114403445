import type { EventStore } from './event-store.js';
import { WINDOW_AHEAD_MS, WINDOW_EXTEND_MS } from './replayer-window.js';
import type { Loader } from './windows.js';

/**
 * PlayerOptions.retainMs's default: ten minutes each side of the moment shown. What lies further
 * comes back from the segment archive when the viewer goes there (the playback bench, 2-hour
 * session: heap 9 MB instead of 31 with everything held, seek p95 216 ms).
 */
export const DEFAULT_RETAIN_MS = 10 * 60_000;
/** How often (wall time) playback and loading look for parts of the recording to free. */
const RETAIN_CHECK_MS = 1000;

/** What the player keeps of the recording in memory. */
export interface Retention {
  /**
   * Keep only the recording around `current` (epoch ms) at playback `rate`, and free the rest
   * unless `free` is false (a seek still waits for its part). At most once a second unless `now`.
   */
  keepAround(current: number, rate: number, free: boolean, now: boolean): void;
}

/**
 * The recording around the moment shown stays in memory (PlayerOptions.retainMs): the page load
 * its frame is rebuilt from, `retainMs` each side, and what playback needs next. The loader frees
 * the rest.
 */
export function createRetention(retainMs: number, store: EventStore, loader: Loader): Retention {
  /** When `keepAround` last looked (performance.now()). */
  let lastRetain = -Infinity;
  return {
    keepAround(current, rate, free, now) {
      if (!(retainMs < Infinity)) return;
      const wall = performance.now();
      if (!now && wall - lastRetain < RETAIN_CHECK_MS) return;
      lastRetain = wall;
      const frame = store.frameStart(current);
      loader.keep(
        Math.min(current - retainMs, frame !== undefined && frame <= current ? frame : current),
        current + Math.max(retainMs, (WINDOW_AHEAD_MS + WINDOW_EXTEND_MS) * Math.max(1, rate)),
        free,
      );
    },
  };
}
