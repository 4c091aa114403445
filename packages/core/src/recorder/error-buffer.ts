import { record } from '@rrweb/record';
import { EventType, RepriseTag, type ErrorPayload, type RecordedEvent } from '@reprise/protocol/page';

/*
 * A session sampled by `errorSampleRate` is recorded into memory: rrweb takes a full snapshot
 * every minute, and what came before the one but last is forgotten, so what is held always starts
 * with a full snapshot and spans the last one to two minutes. The first recorded error sends what
 * is held and the session is recorded in full from there (as Sentry's buffer mode does).
 */

/** While a session is held in memory, a full snapshot is taken this often (if anything happened since the last). */
export const BUFFER_CHECKOUT_MS = 60_000;
/**
 * Events held at most. Past half of it since the last full snapshot, one is taken early; past all
 * of it (rrweb paused by the breaker cannot take one), what came before the last full snapshot is
 * forgotten, and if that is not enough, everything, and events are dropped until the next one.
 */
export const MAX_BUFFERED_EVENTS = 20_000;
/**
 * What the events held may weigh at most, as JSON characters, under the same rules as
 * `MAX_BUFFERED_EVENTS`: a page changing large parts of itself (a live chart, a log view) fills
 * memory long before it fills the event count. Full snapshots are not counted: at most two are
 * held, and the page's own DOM bounds each.
 */
export const MAX_BUFFERED_CHARACTERS = 8 * 1024 * 1024;

export interface ErrorBuffer {
  /**
   * Events handed over while the session is held. Undefined while they are held; when they carry an
   * error, everything held (these included), in order, for delivery: the buffer is done then.
   */
  add(events: RecordedEvent[]): RecordedEvent[] | undefined;
  /** The time of the earliest event held: where the replay (the player's time zero) will start if an error sends it now. */
  heldFrom(): number | undefined;
  /** Forget what is held and stop taking full snapshots; what is added after is dropped. */
  stop(): void;
}

/**
 * Which Reprise event this is, if one. Not the protocol's isRepriseEvent: a bundler would carry that
 * in an app's first chunk, beside the event kinds the early capture uses.
 */
function repriseTag(event: RecordedEvent): unknown {
  return event.type === EventType.Custom ? (event.data as { tag?: unknown } | null)?.tag : undefined;
}

/** Events are held in the order they came, not always of their time (a request is stamped when it started). */
function earliest(events: RecordedEvent[]): number | undefined {
  let from: number | undefined;
  for (const event of events) if (from === undefined || event.timestamp < from) from = event.timestamp;
  return from;
}

/** An event's weight in the buffer: its JSON's length; a full snapshot weighs nothing (see MAX_BUFFERED_CHARACTERS). */
function weightOf(event: RecordedEvent): number {
  if (event.type === EventType.FullSnapshot) return 0;
  try {
    return JSON.stringify(event).length;
  } catch {
    // Not JSON (a BigInt in a custom event, say): the event count still bounds it.
    return 0;
  }
}

/** rrweb's full snapshot now; when rrweb is paused (the mutation breaker) it takes one as it resumes. */
function takeCheckout(): void {
  try {
    record.takeFullSnapshot(true);
  } catch {
    // Not recording at this moment: its restart begins with a full snapshot.
  }
}

export interface ErrorBufferOptions {
  /** Called once, when an error keeps the session, before `add()` returns what was held (the earliest of it at `from`). */
  onKeep(from: number): void;
  /** Whether this error keeps the session (the app's `keepSessionOnError`); every error when absent. */
  keeps?(error: ErrorPayload): boolean;
  /** Take a full snapshot now (rrweb's, by default). */
  checkout?(): void;
}

export function createErrorBuffer({ onKeep, keeps, checkout = takeCheckout }: ErrorBufferOptions): ErrorBuffer {
  let held: RecordedEvent[] = [];
  /** Each held event's weight (`weightOf`), index for index. */
  let weights: number[] = [];
  let heldWeight = 0;
  /** Index in `held` of the latest full snapshot's Meta event (-1: none held). */
  let lastCheckout = -1;
  /** Weight of what came after the latest full snapshot (all of it while none is held). */
  let weightSinceCheckout = 0;
  /** Everything held was forgotten (the hard bound): nothing is held until the next full snapshot. */
  let waitingForSnapshot = false;
  let checkoutAsked = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (held.length - lastCheckout > 2) askCheckout();
  }, BUFFER_CHECKOUT_MS);

  function askCheckout(): void {
    if (checkoutAsked) return;
    checkoutAsked = true;
    // Not from inside rrweb's own emit, whose events are being handed over.
    queueMicrotask(() => {
      checkoutAsked = false;
      if (!stopped) checkout();
    });
  }

  function hold(event: RecordedEvent): void {
    if (event.type === EventType.Meta) {
      waitingForSnapshot = false;
      if (lastCheckout > 0) forgetBefore(lastCheckout);
      lastCheckout = held.length;
      weightSinceCheckout = 0;
    }
    if (waitingForSnapshot) return;
    const weight = weightOf(event);
    held.push(event);
    weights.push(weight);
    heldWeight += weight;
    weightSinceCheckout += weight;
  }

  /** Drop what came before `index`, carrying the latest dropped `identify` over: who the user is outlives the window. */
  function forgetBefore(index: number): void {
    let identify: RecordedEvent | undefined;
    for (let i = index - 1; i >= 0 && !identify; i--)
      if (repriseTag(held[i]!) === RepriseTag.identify) identify = held[i];
    held = held.slice(index);
    weights = weights.slice(index);
    heldWeight = weights.reduce((sum, weight) => sum + weight, 0);
    if (identify && !held.some((event) => repriseTag(event) === RepriseTag.identify)) {
      // After the kept Meta and full snapshot, which a replay needs first, at the snapshot's time.
      const at = Math.min(2, held.length);
      const carried = { ...identify, timestamp: held[at - 1]?.timestamp ?? identify.timestamp };
      held.splice(at, 0, carried);
      weights.splice(at, 0, weightOf(carried));
      heldWeight += weights[at]!;
    }
  }

  function forgetAll(): void {
    held = [];
    weights = [];
    heldWeight = 0;
    weightSinceCheckout = 0;
    lastCheckout = -1;
  }

  function keepsSession(event: RecordedEvent): boolean {
    return (
      repriseTag(event) === RepriseTag.error && (!keeps || keeps((event.data as { payload: ErrorPayload }).payload))
    );
  }

  function stop(): void {
    stopped = true;
    clearInterval(timer);
    forgetAll();
  }

  const overBound = () => held.length > MAX_BUFFERED_EVENTS || heldWeight > MAX_BUFFERED_CHARACTERS;

  return {
    add(events) {
      if (stopped) return undefined;
      for (const event of events) hold(event);
      if (events.some(keepsSession)) {
        const kept = held.length > 0 ? held : events;
        const snapshotHeld = lastCheckout >= 0;
        stop();
        onKeep(earliest(kept)!);
        // Held events that began after a forgetting have no full snapshot: the rest of the session gets one.
        if (!snapshotHeld) checkout();
        return kept;
      }
      if (overBound()) {
        if (lastCheckout > 0) {
          forgetBefore(lastCheckout);
          lastCheckout = 0;
        }
        if (overBound()) {
          forgetAll();
          waitingForSnapshot = true;
        }
        askCheckout();
      } else if (
        held.length - lastCheckout > MAX_BUFFERED_EVENTS / 2 ||
        weightSinceCheckout > MAX_BUFFERED_CHARACTERS / 2
      )
        askCheckout();
      return undefined;
    },
    heldFrom: () => earliest(held),
    stop,
  };
}
