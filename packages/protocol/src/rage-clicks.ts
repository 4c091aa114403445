/**
 * Rage clicks, one rule for the player's markers and the collector's index (which counts them so that
 * sessions with frustrated clicking can be found).
 */

/** A click as the rage detector sees it: when and where (CSS pixels of the recorded viewport). */
export interface ClickPoint {
  time: number;
  x: number;
  y: number;
}

export interface RageClickOptions {
  /** At least this many clicks in a row ... @default 3 */
  minClicks?: number;
  /** ... each within this many ms of the previous one ... @default 600 */
  maxInterval?: number;
  /** ... and within this many pixels of the first click of the run. @default 40 */
  radius?: number;
}

export const DEFAULT_RAGE_MIN_CLICKS = 3;
export const DEFAULT_RAGE_MAX_INTERVAL = 600;
export const DEFAULT_RAGE_RADIUS = 40;

export interface RageClick {
  start: number;
  end: number;
  count: number;
  x: number;
  y: number;
  /** Indexes (into the input) of the clicks that form this rage click. */
  indexes: number[];
}

/** Runs of fast clicks on one spot: what a person does when the page does not respond. */
export function detectRageClicks(clicks: readonly ClickPoint[], options: RageClickOptions = {}): RageClick[] {
  const minClicks = options.minClicks ?? DEFAULT_RAGE_MIN_CLICKS;
  const maxInterval = options.maxInterval ?? DEFAULT_RAGE_MAX_INTERVAL;
  const radius = options.radius ?? DEFAULT_RAGE_RADIUS;
  const result: RageClick[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length >= minClicks) {
      const first = clicks[run[0]!]!;
      const last = clicks[run[run.length - 1]!]!;
      result.push({ start: first.time, end: last.time, count: run.length, x: first.x, y: first.y, indexes: run });
    }
    run = [];
  };
  clicks.forEach((click, index) => {
    if (run.length > 0) {
      const first = clicks[run[0]!]!;
      const previous = clicks[run[run.length - 1]!]!;
      const close = Math.hypot(click.x - first.x, click.y - first.y) <= radius;
      if (!close || click.time - previous.time > maxInterval) flush();
    }
    run.push(index);
  });
  flush();
  return result;
}
