import type { RecordedEvent } from '@reprise/protocol/page';
import type { AssetCapture } from './capture.js';

/** The part of asset capture on the start-up path: which events wait for it, and for how long. */
export interface AssetHold {
  /** Hand events on in order; those that may name stylesheets wait (bounded) for their capture. */
  pass(events: RecordedEvent[]): void;
  /** Hand on everything waiting now, as it is (stylesheets not captured yet keep their CSSOM copy). */
  releaseAll(): void;
  /** Resolves once nothing waits (at most the hold's bound later). */
  settled(): Promise<void>;
}

interface Held {
  events: RecordedEvent[];
  done: boolean;
  apply?: () => void;
}

/**
 * rrweb's FullSnapshot, and IncrementalSnapshot with a Mutation that adds nodes or sets a `src` or
 * an `href`: where stylesheets and pictures appear.
 */
function mayNameAssets(events: readonly RecordedEvent[]): boolean {
  return events.some((event) => {
    if (event.type === 2) return true;
    const data = event.data as {
      source?: number;
      adds?: unknown[];
      attributes?: { attributes?: { src?: unknown; href?: unknown } }[];
    };
    return (
      event.type === 3 &&
      data.source === 0 &&
      ((data.adds?.length ?? 0) > 0 ||
        (data.attributes ?? []).some(
          (change) => typeof change.attributes?.src === 'string' || typeof change.attributes?.href === 'string',
        ))
    );
  });
}

/**
 * Keeps event order while stylesheets are captured: a batch that may name stylesheets waits until
 * the (lazily loaded) capture has read, hashed and stored them, or `waitMs`, whichever is first;
 * later batches queue behind it. Past the bound, events go on with rrweb's CSSOM copies.
 */
export function createAssetHold(
  load: () => Promise<AssetCapture | undefined>,
  deliver: (events: RecordedEvent[]) => void,
  waitMs: number,
): AssetHold {
  let held: Held[] = [];
  const waiters: Array<() => void> = [];
  /**
   * The capture once `load()` has settled: from then on a batch whose nodes name no asset (most
   * mutations that add nodes) is known at once, and goes on without a timer or a promise.
   */
  let loaded: { capture: AssetCapture | undefined } | undefined;

  const releaseDone = () => {
    while (held[0]?.done) {
      const entry = held.shift()!;
      entry.apply?.();
      deliver(entry.events);
    }
    if (held.length === 0) for (const resolve of waiters.splice(0)) resolve();
  };

  return {
    pass(events) {
      if (held.length === 0 && !mayNameAssets(events)) return deliver(events);
      let collecting: ReturnType<AssetCapture['collect']>;
      if (loaded) {
        try {
          collecting = loaded.capture?.collect(events);
        } catch {
          collecting = undefined;
        }
        if (!collecting) {
          if (held.length === 0) return deliver(events);
          held.push({ events, done: true });
          return;
        }
      }
      const entry: Held = { events, done: false };
      held.push(entry);
      const timer = setTimeout(() => {
        entry.done = true;
        releaseDone();
      }, waitMs);
      const finish = (apply?: () => void) => {
        clearTimeout(timer);
        if (entry.done) return;
        entry.done = true;
        entry.apply = apply;
        releaseDone();
      };
      (
        collecting ??
        load().then((capture) => {
          loaded = { capture };
          return capture?.collect(events);
        })
      ).then(finish, () => finish());
    },
    releaseAll() {
      const waiting = held;
      held = [];
      for (const entry of waiting) {
        entry.done = true;
        deliver(entry.events);
      }
      for (const resolve of waiters.splice(0)) resolve();
    },
    settled() {
      return held.length === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
  };
}
