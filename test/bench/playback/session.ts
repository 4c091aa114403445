// Long sessions for the playback bench and tests: the standard workload's recorded rrweb events
// (test/bench/workload, 300 simulated seconds played 5x faster) run forward in time. Each
// repetition is a page load (its Meta + full snapshot) stretched back to the simulated 5 minutes,
// which is also the recorder's default full-snapshot interval, so a long session has one full
// snapshot every 5 minutes and the workload's mutation density in between.
import type { RecordedEvent } from '@reprise/protocol';
import { windows } from '../codecs/compare.js';
import { SIMULATED_SECONDS } from '../workload/workload.js';
import type { RecordedWorkload } from '../workload/record.js';

/** Length of one repetition of the workload in recording time (its simulated length). */
export const REPETITION_MS = SIMULATED_SECONDS * 1000;

/**
 * `lengthMs` of recording starting at `startedAt`, from the workload's events. Timestamps (and the
 * batched mouse positions' offsets) are stretched by the workload's time compression.
 */
export function longSession(workload: RecordedWorkload, lengthMs: number, startedAt: number): RecordedEvent[] {
  const source = workload.events as unknown as RecordedEvent[];
  const first = source[0]!.timestamp;
  const last = source[source.length - 1]!.timestamp;
  const stretch = REPETITION_MS / Math.max(1, last - first);
  const events: RecordedEvent[] = [];
  for (let rep = 0; rep * REPETITION_MS < lengthMs; rep++) {
    const base = startedAt + rep * REPETITION_MS;
    for (const event of source) {
      const timestamp = Math.round(base + (event.timestamp - first) * stretch);
      if (timestamp - startedAt > lengthMs) break;
      events.push({ ...event, data: stretchOffsets(event, stretch), timestamp } as RecordedEvent);
    }
  }
  return events;
}

/** Mouse and touch moves carry positions with `timeOffset`s (ms before the event): stretched alike. */
function stretchOffsets(event: RecordedEvent, stretch: number): unknown {
  const data = event.data as { positions?: Array<{ timeOffset: number }> } | null;
  if (event.type !== 3 || !data || !Array.isArray(data.positions)) return event.data;
  return {
    ...data,
    positions: data.positions.map((position) => ({
      ...position,
      timeOffset: Math.round(position.timeOffset * stretch),
    })),
  };
}

/** The recorder's batches: one per `windowMs` of recording time (its default 30 s window). */
export function batchesOf(events: RecordedEvent[], windowMs = 30_000): RecordedEvent[][] {
  return windows(events, windowMs);
}
