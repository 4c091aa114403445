import { INACTIVITY_THRESHOLD_MS, isUserActivity, type RecordedEvent } from '@reprise/protocol';
import type { TimeRange } from './types.js';

/** The protocol's idle threshold: the collector's index computes a session's active time with the same one. */
export const DEFAULT_INACTIVITY_THRESHOLD = INACTIVITY_THRESHOLD_MS;

/** Input, scrolling, pointer movement, a page load or a route change (the protocol's `isUserActivity`). */
export const isActivity = isUserActivity;

/**
 * Finds stretches with no activity longer than `threshold`, incrementally as events stream in.
 * Times are absolute (epoch ms) so that a late first event cannot shift them.
 */
export class InactivityTracker {
  private lastActivity: number | undefined;
  private readonly periods: TimeRange[] = [];

  constructor(private readonly threshold = DEFAULT_INACTIVITY_THRESHOLD) {}

  add(event: RecordedEvent): TimeRange | undefined {
    if (this.lastActivity === undefined) {
      this.lastActivity = event.timestamp;
      return undefined;
    }
    if (!isActivity(event)) return undefined;
    const previous = this.lastActivity;
    this.lastActivity = Math.max(previous, event.timestamp);
    if (event.timestamp - previous > this.threshold) {
      const period = { start: previous, end: event.timestamp };
      this.periods.push(period);
      return period;
    }
    return undefined;
  }

  /** The stretches found so far, plus the idle tail when the recording is known to end at `endTime`. */
  getPeriods(endTime?: number): TimeRange[] {
    if (endTime !== undefined && this.lastActivity !== undefined && endTime - this.lastActivity > this.threshold) {
      return [...this.periods, { start: this.lastActivity, end: endTime }];
    }
    return [...this.periods];
  }
}

/** Inactive stretches of a whole recording, in ms from its first event. */
export function findInactivePeriods(
  events: readonly RecordedEvent[],
  threshold = DEFAULT_INACTIVITY_THRESHOLD,
): TimeRange[] {
  if (events.length === 0) return [];
  const tracker = new InactivityTracker(threshold);
  for (const event of events) tracker.add(event);
  const start = events[0]!.timestamp;
  const end = events[events.length - 1]!.timestamp;
  return tracker.getPeriods(end).map((period) => ({ start: period.start - start, end: period.end - start }));
}

/** The period containing `time`, if any (periods sorted by start). */
export function periodAt(periods: readonly TimeRange[], time: number): TimeRange | undefined {
  let low = 0;
  let high = periods.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const period = periods[middle]!;
    if (time < period.start) high = middle - 1;
    else if (time >= period.end) low = middle + 1;
    else return period;
  }
  return undefined;
}
