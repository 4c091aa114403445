import type { RecordedEvent } from '@reprise/protocol';
import type { DeliveryOptions } from '../types.js';

/**
 * The seam between capture (recorder.ts) and delivery (batching worker, outbox, transport).
 * The recorder creates one Delivery per recording when `project` and `endpoint` are set, and
 * pushes every privacy-filtered event into it.
 */
export interface DeliveryContext {
  project: string;
  /** Collector base URL; batches are POSTed to `${endpoint}/v1/ingest`. */
  endpoint: string;
  sessionId: string;
  tabId: string;
  options: DeliveryOptions;
  onError(error: Error): void;
}

export interface Delivery {
  /** Hand events over; cheap on the main thread (postMessage to the worker). */
  push(events: RecordedEvent[]): void;
  /** Cut the current batch and send everything pending; resolves when the collector acknowledged it or it is safely in the outbox. */
  flush(): Promise<void>;
  /** Stop timers and the worker after flushing what was recorded. */
  stop(): Promise<void>;
  /** Opt-out: drop everything not yet sent for this session (outbox included) and stop. */
  discard(): Promise<void>;
}

export type CreateDelivery = (context: DeliveryContext) => Delivery;
