import { EventType, IncrementalSource, type RecordedEvent } from '@reprise/protocol';

/**
 * How long after an action (a click, a route change) the DOM changes its handler made are still
 * counted as that action's effect. The recorder's mutation observer reports them a few ms after the
 * input (0–17 ms measured in Chromium under load); a handler that waits for the network is a later,
 * separate change.
 */
export const ACTION_EFFECT_WINDOW_MS = 50;

/** Inputs that start a new action: a mutation after one of these belongs to it, not to the previous one. */
const ACTION_SOURCES = new Set<number>([
  IncrementalSource.MouseInteraction,
  IncrementalSource.Input,
  IncrementalSource.TouchMove,
  IncrementalSource.Drag,
]);

/**
 * What rrweb needs to draw a frame, in absolute time (epoch ms): where each full snapshot is, and
 * when the DOM changed. Fed event by event as the recording streams in (in timestamp order).
 *
 * rrweb rebuilds a frame from the last Meta event at or before the frame's time and the full
 * snapshot recorded right after it; a frame whose time falls before that snapshot (time 0, or the
 * few ms between a Meta and its snapshot) would draw nothing and leave the previous frame on screen.
 */
export class FrameIndex {
  /** Each Meta with the full snapshot that followed it (`full` unset until it arrives). */
  private readonly snapshots: Array<{ meta: number; full: number | undefined }> = [];
  private readonly mutations: number[] = [];
  private readonly actions: number[] = [];

  add(event: RecordedEvent): void {
    const time = event.timestamp;
    if (event.type === EventType.Meta) {
      this.snapshots.push({ meta: time, full: undefined });
    } else if (event.type === EventType.FullSnapshot) {
      const last = this.snapshots[this.snapshots.length - 1];
      if (last && last.full === undefined) last.full = time;
      else this.snapshots.push({ meta: time, full: time });
    } else if (event.type === EventType.IncrementalSnapshot) {
      const source = (event.data as { source?: unknown } | null)?.source;
      if (source === IncrementalSource.Mutation) insertSorted(this.mutations, time);
      else if (typeof source === 'number' && ACTION_SOURCES.has(source)) insertSorted(this.actions, time);
    }
  }

  /** Absolute time of the first full snapshot, if one has arrived. */
  get firstSnapshot(): number | undefined {
    return this.snapshots.find((snapshot) => snapshot.full !== undefined)?.full;
  }

  /**
   * The moment to draw so that the frame shows the page at `time`, everything stamped at `time`
   * included: `time` itself, or the full snapshot it needs when `time` falls before that snapshot.
   */
  drawableTime(time: number): number {
    let owner: { meta: number; full: number | undefined } | undefined;
    for (const snapshot of this.snapshots) {
      if (snapshot.meta > time) break;
      owner = snapshot;
    }
    const full = owner ? owner.full : this.firstSnapshot;
    return full !== undefined && full > time ? full : time;
  }

  /**
   * The end of the action at `time` (a click, a route change): the last DOM change that follows it
   * within `ACTION_EFFECT_WINDOW_MS`, before the next input. `time` when it changed nothing.
   */
  effectEnd(time: number): number {
    const nextAction = this.actions[firstIndexAfter(this.actions, time)] ?? Infinity;
    let end = time;
    for (let index = firstIndexAfter(this.mutations, time, true); index < this.mutations.length; index += 1) {
      const mutation = this.mutations[index]!;
      if (mutation > time + ACTION_EFFECT_WINDOW_MS || mutation >= nextAction) break;
      end = mutation;
    }
    return end;
  }
}

/** Index of the first value after `value` (or equal to it, with `orEqual`) in an ascending array. */
function firstIndexAfter(values: readonly number[], value: number, orEqual = false): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    const before = orEqual ? values[middle]! < value : values[middle]! <= value;
    if (before) low = middle + 1;
    else high = middle;
  }
  return low;
}

function insertSorted(values: number[], value: number): void {
  const last = values[values.length - 1];
  if (last === undefined || last <= value) values.push(value);
  else values.splice(firstIndexAfter(values, value), 0, value);
}
