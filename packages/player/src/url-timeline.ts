import { EventType, isRepriseEvent, type RecordedEvent } from '@reprise/protocol';
import { upperBound } from './sorted.js';
import type { UrlAtTime } from './types.js';

interface UrlChange extends UrlAtTime {
  /** absolute epoch ms */
  timestamp: number;
}

/**
 * The page address over time, from rrweb Meta events (every page load) and Reprise navigation
 * events (client-side route changes, with the matched route pattern when a router knows it).
 */
export class UrlTimeline {
  private readonly changes: UrlChange[] = [];

  add(event: RecordedEvent): boolean {
    let change: UrlChange | undefined;
    if (event.type === EventType.Meta) {
      const href = (event.data as { href?: unknown } | null)?.href;
      if (typeof href === 'string') change = { timestamp: event.timestamp, url: href };
    } else if (isRepriseEvent(event, 'navigation')) {
      const { url, route } = event.data.payload;
      change = { timestamp: event.timestamp, url, ...(route ? { route } : {}) };
    }
    if (!change) return false;
    const last = this.changes[this.changes.length - 1];
    // A Meta event right after a navigation event for the same URL adds nothing but would drop the route.
    if (last && last.url === change.url && !change.route) return false;
    let index = this.changes.length;
    while (index > 0 && this.changes[index - 1]!.timestamp > change.timestamp) index -= 1;
    this.changes.splice(index, 0, change);
    return true;
  }

  /** The address shown at `timestamp` (epoch ms): the last change at or before it, else the first one. */
  at(timestamp: number): UrlAtTime | undefined {
    const found = upperBound(this.changes, timestamp, (change) => change.timestamp) - 1;
    const change = this.changes[found] ?? this.changes[0];
    if (!change) return undefined;
    return change.route ? { url: change.url, route: change.route } : { url: change.url };
  }

  get size(): number {
    return this.changes.length;
  }
}

/** The address at `time` ms from the first event of a whole recording. */
export function urlAtTime(events: readonly RecordedEvent[], time: number): UrlAtTime | undefined {
  const timeline = new UrlTimeline();
  for (const event of events) timeline.add(event);
  const start = events[0]?.timestamp ?? 0;
  return timeline.at(start + time);
}
