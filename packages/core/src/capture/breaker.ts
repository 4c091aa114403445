import type { ResolvedBreaker } from '../defaults.js';
import type { Teardown } from './context.js';

/**
 * Mutation circuit-breaker. A page that changes tens of thousands of nodes a second (a runaway
 * list render, an animation written as DOM churn) would make rrweb serialize every change on the
 * main thread and freeze the tab. The breaker counts node changes in a sliding window and, over
 * the limit, stops DOM capture until the page has been calm for a while; capture then restarts,
 * which begins with a fresh full snapshot.
 *
 * The breaker's MutationObserver must be created BEFORE rrweb's: observers are notified in
 * creation order, so ours sees each batch first, and stopping rrweb right there (disconnect
 * empties an observer's pending records) means rrweb never processes the storm that tripped it.
 */

/** Counts in a sliding time window; entries older than the window fall out. */
export interface SlidingWindowCounter {
  add(count: number, now: number): number;
  total(now: number): number;
  /** The sum before entries older than the window are dropped: never less than `total(now)`. */
  unpruned(): number;
  reset(): void;
}

// Closures rather than classes here and below: this file is in every app's first chunk, and a
// closure's variables minify to a letter where a class's fields keep their names.
export function createSlidingWindowCounter(windowMs: number): SlidingWindowCounter {
  let times: number[] = [];
  let counts: number[] = [];
  let head = 0;
  let sum = 0;
  const total = (now: number): number => {
    const cutoff = now - windowMs;
    while (head < times.length && times[head]! <= cutoff) sum -= counts[head++]!;
    // Compact now and then so the arrays do not grow for the page's lifetime.
    if (head > 1024 && head * 2 > times.length) {
      times = times.slice(head);
      counts = counts.slice(head);
      head = 0;
    }
    return sum;
  };
  return {
    add(count, now) {
      times.push(now);
      counts.push(count);
      sum += count;
      return total(now);
    },
    total,
    unpruned: () => sum,
    reset() {
      times = [];
      counts = [];
      head = 0;
      sum = 0;
    },
  };
}

/** Node changes in one batch of mutation records: each added or removed node, each attribute or text change. */
export function countNodeChanges(
  records: Iterable<Pick<MutationRecord, 'type' | 'addedNodes' | 'removedNodes'>>,
): number {
  let count = 0;
  for (const record of records)
    count += record.type === 'childList' ? record.addedNodes.length + record.removedNodes.length : 1;
  return count;
}

export type BreakerDecision = 'trip' | 'none';

/**
 * Batches between two readings of the clock while the window is far from its limit. On a page
 * that changes often the breaker sees thousands of batches a second, and reading the clock for
 * each was a third of its own time (issue 15's profile).
 */
export const CLOCK_READ_EVERY = 8;

/**
 * The breaker's decisions without the DOM, so they can be tested with a fake clock. Running: trip
 * when the window holds more than `maxMutations`. Paused: every batch that keeps the window over
 * the limit pushes resumption back; `resumeAfterMs` after the last such batch capture may resume.
 *
 * The clock is read for a batch that could reach the limit (a large one, or any while the window
 * holds enough to trip), and otherwise every `CLOCK_READ_EVERY` batches; the batches between take
 * the last reading. Such a batch is counted as older than it is, so it leaves the window early:
 * that can only delay a trip, by fewer than `CLOCK_READ_EVERY` small batches, never cause one.
 */
export interface BreakerState {
  readonly isPaused: boolean;
  /** Window total at the moment the breaker tripped (reported in the `paused` event). */
  readonly trippedAt: number;
  onMutations(count: number, clock: () => number): BreakerDecision;
  /** Milliseconds until capture may resume (0: now). Only meaningful while paused. */
  resumeDelay(now: number): number;
  /** Mutations counted in the current window. */
  current(now: number): number;
  resume(): void;
}

export function createBreakerState({ maxMutations, windowMs, resumeAfterMs }: ResolvedBreaker): BreakerState {
  const window = createSlidingWindowCounter(windowMs);
  let paused = false;
  let lastStormAt = 0;
  let trippedAt = 0;
  let lastReading = 0;
  let batchesSinceReading = CLOCK_READ_EVERY;
  return {
    get isPaused() {
      return paused;
    },
    get trippedAt() {
      return trippedAt;
    },
    onMutations(count, clock) {
      if (
        batchesSinceReading >= CLOCK_READ_EVERY ||
        count * 16 > maxMutations ||
        window.unpruned() + count > maxMutations
      ) {
        lastReading = clock();
        batchesSinceReading = 0;
      }
      batchesSinceReading++;
      const total = window.add(count, lastReading);
      if (total <= maxMutations) return 'none';
      lastStormAt = lastReading;
      if (paused) return 'none';
      paused = true;
      trippedAt = total;
      return 'trip';
    },
    resumeDelay: (now) => Math.max(0, lastStormAt + resumeAfterMs - now),
    current: window.total,
    resume() {
      paused = false;
      window.reset();
    },
  };
}

export interface MutationBreakerHooks {
  /** The storm tripped the breaker: stop DOM capture now (synchronously). */
  onPause(mutations: number): void;
  /** The page has been calm for `resumeAfterMs`: restart DOM capture. */
  onResume(mutations: number): void;
  onError(error: unknown): void;
}

/** Observe `root` (call BEFORE starting rrweb) and drive the hooks; the teardown disconnects everything. */
export function startMutationBreaker(root: Node, limits: ResolvedBreaker, hooks: MutationBreakerHooks): Teardown {
  const state = createBreakerState(limits);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const now = () => performance.now();

  const scheduleResume = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = undefined;
        const delay = state.resumeDelay(now());
        if (delay > 0) return scheduleResume();
        const mutations = state.current(now());
        state.resume();
        try {
          hooks.onResume(mutations);
        } catch (error) {
          hooks.onError(error);
        }
      },
      Math.max(state.resumeDelay(now()), 1),
    );
  };

  const doc = root.ownerDocument ?? (root as Document);
  // While the HTML parser is still building the page (start() called from a script in <head>)
  // its insertions are not a storm, and rrweb has not started yet anyway. The parser's last
  // insertions reach the observer only after the document has stopped loading, often more than
  // the limit in one batch, so they are taken from the observer when it stops, unjudged.
  let parsed = doc.readyState !== 'loading';
  const observer = new MutationObserver((records) => {
    if (!parsed) return;
    const decision = state.onMutations(countNodeChanges(records), now);
    if (decision !== 'trip') return;
    try {
      hooks.onPause(state.trippedAt);
    } catch (error) {
      hooks.onError(error);
    }
    scheduleResume();
  });
  const onParsed = () => {
    observer.takeRecords();
    parsed = true;
  };
  observer.observe(root, { childList: true, subtree: true, attributes: true, characterData: true });
  if (!parsed) doc.addEventListener('readystatechange', onParsed, { once: true });
  return () => {
    observer.disconnect();
    doc.removeEventListener('readystatechange', onParsed);
    clearTimeout(timer);
  };
}
