import {
  EventType,
  IncrementalSource,
  createRepriseEvent,
  redactEventsInPlace,
  type RecordedEvent,
  type RepriseKind,
  type ReprisePayloads,
} from '@reprise/protocol/page';
import type { AssetCapture } from '../assets/capture.js';
import { createAssetHold, type AssetHold } from '../assets/hold.js';
import type { ResolvedOptions } from '../defaults.js';
import type { Delivery } from '../delivery/index.js';
import type { Redactor } from '@reprise/protocol/page';
import type { ErrorBuffer } from './error-buffer.js';
import type { Report } from './report.js';

/**
 * rrweb's most frequent events carry numbers only (positions, ids, interaction types): nothing a
 * person typed or a page displayed, so nothing to redact, and they are not walked. Every other
 * event (mutations, inputs, meta, Reprise's own) is.
 */
const POSITIONS_ONLY: ReadonlySet<number> = new Set([
  IncrementalSource.MouseMove,
  IncrementalSource.MouseInteraction,
  IncrementalSource.Scroll,
  IncrementalSource.ViewportResize,
  IncrementalSource.TouchMove,
  IncrementalSource.MediaInteraction,
  IncrementalSource.Drag,
]);

export function isPositionsOnly(event: RecordedEvent): boolean {
  return (
    event.type === EventType.IncrementalSnapshot && POSITIONS_ONLY.has((event.data as { source?: number }).source ?? -1)
  );
}

export interface PipelineHooks {
  redact: Redactor;
  report: Report;
  onEvents: ResolvedOptions['onEvents'];
  /** Events are taken only while this says so. */
  isRecording(): boolean;
  /** Asked before each handover; false drops the events (their session just ended). */
  keepSessionAlive(): boolean;
  /** Where the events go besides `onEvents` (none without `project` and `endpoint`). */
  delivery(): Delivery | undefined;
  /** A session recorded in memory until an error (`errorSampleRate`): events go to it instead, until it lets them out. */
  buffer?(): ErrorBuffer | undefined;
  /** Asset capture of the current recording, if on: events that may name assets wait for it (bounded). */
  assets?(): { load(): Promise<AssetCapture | undefined>; waitMs: number } | undefined;
}

export interface EventPipeline {
  /** Every event, rrweb's and Reprise's, passes here: PII is redacted before anything else sees it. */
  push(event: RecordedEvent): void;
  emitReprise<K extends RepriseKind>(kind: K, payload: ReprisePayloads[K]): void;
  /** Hand over what is queued now (flush()), rather than at the end of the microtask. */
  drain(): void;
  /** End of a recording: hand over or drop what is queued, and forget the last timestamp. */
  close(pending: 'deliver' | 'discard'): void;
  /** Resolves once no events wait for asset capture. */
  settled(): Promise<void>;
  /** Timestamp of the latest event handed over in the current recording (0 before the first). */
  readonly lastDeliveredAt: number;
}

/** Privacy, then a microtask's worth of events as one array to `onEvents` and delivery. */
export function createEventPipeline(hooks: PipelineHooks): EventPipeline {
  let queue: RecordedEvent[] = [];
  let drainScheduled = false;
  let lastDeliveredAt = 0;
  /** Asset capture's ordered wait, made on the recording's first handover. */
  let hold: AssetHold | undefined;

  function push(event: RecordedEvent): void {
    if (!hooks.isRecording()) return;
    try {
      if (!isPositionsOnly(event)) redactEventsInPlace([event], hooks.redact);
    } catch (error) {
      // An event that could not be redacted is dropped: privacy over completeness.
      hooks.report(error, 'capture', 'redacting an event');
      return;
    }
    queue.push(event);
    if (!drainScheduled) {
      drainScheduled = true;
      // Events emitted together (meta + full snapshot, a burst of mutations) travel as one array.
      queueMicrotask(drain);
    }
  }

  function take(): RecordedEvent[] {
    const events = queue;
    queue = [];
    return events;
  }

  function drain(): void {
    drainScheduled = false;
    if (queue.length === 0) return;
    const events = take();
    if (!hooks.keepSessionAlive()) return;
    if (!hold) {
      const assets = hooks.assets?.();
      if (assets) hold = createAssetHold(assets.load, deliver, assets.waitMs);
    }
    if (hold) hold.pass(events);
    else deliver(events);
  }

  function deliver(handed: RecordedEvent[]): void {
    for (const event of handed) if (event.timestamp > lastDeliveredAt) lastDeliveredAt = event.timestamp;
    const buffer = hooks.buffer?.();
    const events = buffer ? buffer.add(handed) : handed;
    if (!events) return;
    if (hooks.onEvents) {
      try {
        hooks.onEvents(events);
      } catch (error) {
        hooks.report(error, 'sink', 'the onEvents callback (it must not throw; delivery is unaffected)');
      }
    }
    const delivery = hooks.delivery();
    if (delivery) {
      try {
        delivery.push(events);
      } catch (error) {
        hooks.report(error, 'delivery', 'handing events to delivery');
      }
    }
  }

  return {
    push,
    emitReprise(kind, payload) {
      push(createRepriseEvent(kind, payload));
    },
    drain,
    close(pending) {
      const events = take();
      const waiting = hold;
      hold = undefined;
      if (pending === 'deliver') {
        waiting?.releaseAll();
        if (events.length > 0) deliver(events);
      }
      lastDeliveredAt = 0;
    },
    settled: () => hold?.settled() ?? Promise.resolve(),
    get lastDeliveredAt() {
      return lastDeliveredAt;
    },
  };
}
