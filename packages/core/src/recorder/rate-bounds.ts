import type { RepriseKind, ReprisePayloads } from '@reprise/protocol/page';
import { RATE_BOUND_BURST, RATE_BOUND_PER_SECOND } from '../limits.js';

type Emit = <K extends RepriseKind>(kind: K, payload: ReprisePayloads[K]) => void;
type BoundedKind = 'console' | 'error' | 'custom' | 'network' | 'navigation';

export interface RateBounds {
  /** `emit`, with console messages, errors, `track()` events, requests and route changes held to the rate bound. */
  emit: Emit;
  /** Record the message held back, if any (the recording is ending and keeps what it saw). */
  flush(): void;
  /** Forget what was held back and start each kind with a full burst (a new recording). */
  reset(): void;
}

/**
 * A page that logs or throws in a loop (a render loop, a failing interval, a retry storm) would
 * otherwise record an event per call, thousands a second, each one redacted, encoded, sent and
 * stored, and crowd out the rest of the session; so would an app calling `track()` in one, or
 * polling or retrying a request in one (each request carrying its bodies), or a router redirecting
 * between two routes in one. Console messages, errors, custom events, requests and route changes
 * each get a token bucket: a burst of RATE_BOUND_BURST, then RATE_BOUND_PER_SECOND. What is over
 * is left out, and counted: the next message recorded carries `skipped`. So that a loop that stops still says so,
 * the last message left out is recorded once the bucket has room again (within a tenth of a
 * second at 10 a second), counting the others.
 */
export function createRateBounds(emit: Emit): RateBounds {
  const buckets = {
    console: createBucket('console'),
    error: createBucket('error'),
    custom: createBucket('custom'),
    network: createBucket('network'),
    navigation: createBucket('navigation'),
  };

  function createBucket<K extends BoundedKind>(kind: K) {
    let tokens = RATE_BOUND_BURST;
    let filledAt = Date.now();
    let skipped = 0;
    let held: ReprisePayloads[K] | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;

    function take(): boolean {
      const now = Date.now();
      tokens = Math.min(RATE_BOUND_BURST, tokens + (Math.max(0, now - filledAt) * RATE_BOUND_PER_SECOND) / 1000);
      filledAt = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    }

    function clearHeld(): void {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      held = undefined;
      skipped = 0;
    }

    /** The last message left out, recorded with the count of the others. */
    function recordHeld(): void {
      const payload = held!;
      if (skipped > 1) payload.skipped = skipped - 1;
      clearHeld();
      emit(kind, payload);
    }

    function waitForRoom(): void {
      timer = setTimeout(
        () => {
          timer = undefined;
          if (!held) return;
          if (take()) recordHeld();
          else waitForRoom();
        },
        ((1 - tokens) * 1000) / RATE_BOUND_PER_SECOND,
      );
    }

    return {
      offer(payload: ReprisePayloads[K]): void {
        if (take()) {
          if (skipped > 0) payload.skipped = skipped;
          clearHeld();
          emit(kind, payload);
          return;
        }
        skipped++;
        held = payload;
        if (timer === undefined) waitForRoom();
      },
      flush(): void {
        if (held) recordHeld();
      },
      reset(): void {
        clearHeld();
        tokens = RATE_BOUND_BURST;
        filledAt = Date.now();
      },
    };
  }

  return {
    emit(kind, payload) {
      if (kind in buckets) buckets[kind as BoundedKind].offer(payload as never);
      else emit(kind, payload);
    },
    flush() {
      for (const bucket of Object.values(buckets)) bucket.flush();
    },
    reset() {
      for (const bucket of Object.values(buckets)) bucket.reset();
    },
  };
}
