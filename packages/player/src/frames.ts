import { EventType, IncrementalSource, type RecordedEvent } from '@reprise/protocol';
import { identity, insertSorted, lowerBound, upperBound } from './sorted.js';

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
 * When the DOM changed and when the viewer's inputs were, in absolute time (epoch ms): what tells
 * how long an action's visible effect lasts. Fed event by event as the recording streams in.
 */
export class FrameIndex {
  private readonly mutations: number[] = [];
  private readonly actions: number[] = [];

  add(event: RecordedEvent): void {
    if (event.type !== EventType.IncrementalSnapshot) return;
    const source = (event.data as { source?: unknown } | null)?.source;
    if (source === IncrementalSource.Mutation) insertSorted(this.mutations, event.timestamp);
    else if (typeof source === 'number' && ACTION_SOURCES.has(source)) insertSorted(this.actions, event.timestamp);
  }

  /**
   * The end of the action at `time` (a click, a route change): the last DOM change that follows it
   * within `ACTION_EFFECT_WINDOW_MS`, before the next input. `time` when it changed nothing.
   */
  effectEnd(time: number): number {
    const nextAction = this.actions[upperBound(this.actions, time, identity)] ?? Infinity;
    let end = time;
    for (let index = lowerBound(this.mutations, time, identity); index < this.mutations.length; index += 1) {
      const mutation = this.mutations[index]!;
      if (mutation > time + ACTION_EFFECT_WINDOW_MS || mutation >= nextAction) break;
      end = mutation;
    }
    return end;
  }
}
