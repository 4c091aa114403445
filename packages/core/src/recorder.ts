import {
  EventType,
  IncrementalSource,
  createRepriseEvent,
  redactEventsInPlace,
  type NavigationPayload,
  type RecordedEvent,
  type RepriseKind,
  type ReprisePayloads,
  type SessionPayload,
} from '@reprise/protocol/page';
import { startMutationBreaker } from './capture/breaker.js';
import { startConsoleCapture } from './capture/console.js';
import type { CaptureContext, Teardown } from './capture/context.js';
import { startDomCapture } from './capture/dom.js';
import { capturedErrorPayload, customPayload, identifyPayload } from './capture/custom.js';
import { startErrorCapture } from './capture/errors.js';
import { startNetworkCapture } from './capture/network.js';
import { currentPage, isSameNavigation, navigationPayload, startHistoryCapture } from './capture/navigation.js';
import { runTeardowns } from './capture/patch.js';
import { resolveOptions, SESSION_TOUCH_INTERVAL_MS } from './defaults.js';
import { createDelivery, type Delivery } from './delivery/index.js';
import { createEmitter } from './emitter.js';
import { debugWarn, devWarn, isBrowser } from './env.js';
import { describeError, RecorderError, type RecorderErrorCode } from './errors.js';
import { eventRedactor } from './privacy.js';
import {
  clearSession,
  isOptedOut,
  rememberOptOut,
  resolveSession,
  sessionEndReason,
  touchSession,
  type SessionInfo,
} from './session.js';
import type { Recorder, RecorderEvents, RecorderOptions, RecorderState } from './types.js';

type StopReason = RecorderEvents['stop']['reason'];

/**
 * Stops of recorders whose last mount() was released and that wait their tick before stopping.
 * rrweb records a page once, so a recorder that starts meanwhile (a provider remounted with a new
 * key, or toggled off and on) would be refused by one that is about to stop anyway: instead, the
 * released one stops at once and gives way.
 */
const pendingReleases = new Set<() => void>();

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

/**
 * Create a recorder. Nothing happens until `start()` (or an adapter's `mount()`); creating one
 * is safe during server-side rendering.
 */
export function createRecorder(options: RecorderOptions = {}): Recorder {
  const optionProblems: string[] = [];
  const config = resolveOptions(options, (problem) => optionProblems.push(problem));
  const redact = eventRedactor(config.privacy);
  /** Dev-build warnings, and in every build with `debug: true`. */
  const warn = (message: string, detail?: unknown) =>
    config.debug ? debugWarn(true, message, detail) : devWarn(message, detail);
  const emitter = createEmitter<RecorderEvents>((error) => warn('a recorder event listener threw', error));
  const stateEmitter = createEmitter<{ change: RecorderState }>((error) =>
    warn('a recorder subscribe() listener threw', error),
  );
  let lastState: RecorderState = { isRecording: false, sessionId: null };

  /** start() was asked for (and not stopped since). */
  let active = false;
  /** Capture is installed: the session is sampled and listeners, observers and patches are in place. */
  let recording = false;
  let consentGiven = false;
  let session: SessionInfo | null = null;
  let lastTouchAt = 0;
  let mountCount = 0;
  let pendingUnmount: ReturnType<typeof setTimeout> | undefined;
  let teardowns: Teardown[] = [];
  let stopDom: Teardown | undefined;
  let stopHistory: Teardown | undefined;
  /** The last navigation marker, kept across recordings so each (re)start can record it. */
  let currentNavigation: NavigationPayload | undefined;
  /** `currentNavigation` has been recorded in the running recording. */
  let navigationRecorded = false;
  /** Router integrations holding `claimNavigation()`: automatic history tracking is off meanwhile. */
  let navigationClaims = 0;
  let delivery: Delivery | undefined;
  /** Timestamp of the latest event handed over in the current recording (0 before the first). */
  let lastDeliveredAt = 0;
  let queue: RecordedEvent[] = [];
  let drainScheduled = false;

  function report(error: unknown, code: RecorderErrorCode, what: string): void {
    const recorderError =
      error instanceof RecorderError
        ? error
        : new RecorderError(code, `${what} failed: ${describeError(error)}`, { cause: error });
    try {
      config.onError?.(recorderError);
    } catch (failure) {
      warn('the onError option threw', failure);
    }
    emitter.emit('error', recorderError);
    debugWarn(config.debug, recorderError.message, error);
  }

  // A size option above the protocol's limits was lowered: say so where the app listens.
  for (const problem of optionProblems) {
    report(new RecorderError('options', problem), 'options', 'resolving options');
    if (!config.debug) warn(problem);
  }

  /** Tell subscribe() listeners when `isRecording` or `sessionId` changed. */
  function notifyState(): void {
    const state: RecorderState = { isRecording: recording, sessionId: session?.sessionId ?? null };
    if (state.isRecording === lastState.isRecording && state.sessionId === lastState.sessionId) return;
    lastState = state;
    stateEmitter.emit('change', state);
  }

  // ---- the event pipeline: privacy, then the sink and delivery ------------------------------

  /** Every event, rrweb's and Reprise's, passes here: PII is redacted before anything else sees it. */
  function push(event: RecordedEvent): void {
    if (!recording) return;
    try {
      if (!isPositionsOnly(event)) redactEventsInPlace([event], redact);
    } catch (error) {
      // An event that could not be redacted is dropped: privacy over completeness.
      report(error, 'capture', 'redacting an event');
      return;
    }
    queue.push(event);
    if (!drainScheduled) {
      drainScheduled = true;
      // Events emitted together (meta + full snapshot, a burst of mutations) travel as one array.
      queueMicrotask(drain);
    }
  }

  function emitReprise<K extends RepriseKind>(kind: K, payload: ReprisePayloads[K]): void {
    push(createRepriseEvent(kind, payload));
  }

  /**
   * Every navigation marker, from history tracking and from markNavigation(): remembered (also
   * while not recording), and recorded unless it repeats the one recorded last.
   */
  function navigate(payload: NavigationPayload): void {
    if (navigationRecorded && isSameNavigation(currentNavigation, payload)) return;
    currentNavigation = payload;
    navigationRecorded = recording;
    // A copy: redaction rewrites the event in place, and the remembered marker is compared as given.
    if (recording)
      emitReprise('navigation', { ...payload, ...(payload.params ? { params: { ...payload.params } } : {}) });
  }

  function startHistory(markInitial: boolean): void {
    stopHistory = startHistoryCapture(
      { reportError: (error, what) => report(error, 'plugin', what) },
      window,
      navigate,
      markInitial,
    );
  }

  function stopHistoryNow(): void {
    const stop = stopHistory;
    stopHistory = undefined;
    stop?.();
  }

  function drain(): void {
    drainScheduled = false;
    if (queue.length === 0) return;
    const events = queue;
    queue = [];
    if (!keepSessionAlive()) return;
    deliver(events);
  }

  function deliver(events: RecordedEvent[]): void {
    for (const event of events) if (event.timestamp > lastDeliveredAt) lastDeliveredAt = event.timestamp;
    if (config.onEvents) {
      try {
        config.onEvents(events);
      } catch (error) {
        report(error, 'sink', 'the onEvents callback (it must not throw; delivery is unaffected)');
      }
    }
    if (delivery) {
      try {
        delivery.push(events);
      } catch (error) {
        report(error, 'delivery', 'handing events to delivery');
      }
    }
  }

  /**
   * Refresh the stored session's activity time (at most every few seconds). When the session has
   * expired (30 minutes idle, or 24 hours old) capture restarts in a new one, beginning with a
   * full snapshot; the events that revealed the expiry are dropped (they continue the old one).
   */
  function keepSessionAlive(): boolean {
    if (!session) return true;
    const now = Date.now();
    if (now - lastTouchAt < SESSION_TOUCH_INTERVAL_MS) return true;
    lastTouchAt = now;
    if (touchSession(session.sessionId, now)) return true;
    const previousSessionId = session.sessionId;
    const reason = sessionEndReason(previousSessionId, now);
    const next = resolveSession({ sampleRate: config.sampleRate, now });
    // The old session's last event says why it ended and where recording went on; stamped at its
    // last recorded event, so an idle half hour is not added to its length.
    push(
      createRepriseEvent('session', { state: 'ended', reason, nextSessionId: next.sessionId }, lastDeliveredAt || now),
    );
    endCapture('deliver');
    beginCapture(next, { state: 'started', reason, previousSessionId });
    notifyState();
    return false;
  }

  // ---- delivery --------------------------------------------------------------------------------

  // With `project` and `endpoint` set, one Delivery per recording (per session) receives every
  // privacy-filtered event (deliver() pushes into it); flush() calls delivery.flush(), stop()
  // calls delivery.stop(), optOut() calls delivery.discard().
  function openDelivery(info: SessionInfo): Delivery | undefined {
    if (!config.project || !config.endpoint) return undefined;
    try {
      return createDelivery({
        project: config.project,
        endpoint: config.endpoint,
        sessionId: info.sessionId,
        tabId: info.tabId,
        options: config.delivery,
        onError: (error) => report(error, 'delivery', 'delivery'),
      });
    } catch (error) {
      report(error, 'delivery', 'starting delivery');
      return undefined;
    }
  }

  // ---- capture lifecycle -----------------------------------------------------------------------

  function startDom(): void {
    stopDom = startDomCapture(config, push, (error) => report(error, 'capture', 'rrweb'));
  }

  function stopDomNow(): void {
    const stop = stopDom;
    stopDom = undefined;
    stop?.();
  }

  /** `continued`: the `reprise.session` marker when this session follows one that expired. */
  function beginCapture(info: SessionInfo, continued?: SessionPayload): void {
    session = info;
    lastTouchAt = Date.now();
    lastDeliveredAt = 0;
    if (!info.sampled) {
      debugWarn(config.debug, `this session is not sampled (sampleRate ${config.sampleRate}); nothing is recorded.`);
      return;
    }
    recording = true;
    navigationRecorded = false;
    const context: CaptureContext = {
      emit: emitReprise,
      reportError: (error, what) => report(error, 'plugin', what),
    };
    const breaker = config.mutationBreaker;
    try {
      // The breaker's observer must exist before rrweb's (see capture/breaker.ts).
      if (breaker) {
        teardowns.push(
          startMutationBreaker(document, breaker, {
            onPause(mutations) {
              stopDomNow();
              emitReprise('breaker', { state: 'paused', mutations, windowMs: breaker.windowMs });
              emitter.emit('breaker', { state: 'paused', mutations });
            },
            onResume(mutations) {
              if (!recording) return;
              startDom();
              emitReprise('breaker', { state: 'resumed', mutations, windowMs: breaker.windowMs });
              emitter.emit('breaker', { state: 'resumed', mutations });
            },
            onError: (error) => report(error, 'capture', 'the mutation breaker'),
          }),
        );
      }
      startDom();
      teardowns.push(stopDomNow);
      // After rrweb's Meta and full snapshot, which a replay needs first.
      if (continued) emitReprise('session', continued);
      if (config.console) teardowns.push(startConsoleCapture(context, config.console));
      if (config.errors) teardowns.push(startErrorCapture(context, window));
      if (config.network) teardowns.push(startNetworkCapture(context, config.network, config.endpoint, window));
      teardowns.push(stopHistoryNow);
      // Each recording starts knowing where the app is: the page itself with automatic tracking,
      // else the last marker a router gave (before start() too), recorded again as `initial`.
      if (config.navigation === 'history' && navigationClaims === 0) startHistory(true);
      else if (currentNavigation) navigate({ ...currentNavigation, navigationType: 'initial' });
    } catch (error) {
      // Half a recording is worse than none: take down whatever was installed.
      runTeardowns(teardowns.splice(0), (failure) => report(failure, 'capture', 'removing capture'));
      queue = [];
      recording = false;
      report(error, 'capture', 'starting capture');
      return;
    }
    delivery = openDelivery(info);
    if (!delivery && !config.onEvents) {
      debugWarn(
        config.debug,
        'recording, but events go nowhere: set `project` and `endpoint` to send them, or `onEvents` to receive them.',
      );
    }
    emitter.emit('start', { sessionId: info.sessionId });
  }

  /** Remove every listener, observer and patch; hand over or drop what is still queued. */
  function endCapture(pending: 'deliver' | 'discard'): boolean {
    if (!recording) return false;
    const installed = teardowns;
    teardowns = [];
    runTeardowns(installed, (error) => report(error, 'capture', 'removing capture'));
    const events = queue;
    queue = [];
    if (pending === 'deliver' && events.length > 0) deliver(events);
    recording = false;
    navigationRecorded = false;
    const closing = delivery;
    delivery = undefined;
    if (closing) {
      const done = pending === 'deliver' ? closing.stop() : closing.discard();
      done.catch((error: unknown) =>
        report(error, 'delivery', pending === 'deliver' ? 'stopping delivery' : 'discarding unsent events'),
      );
    }
    return true;
  }

  /** The stop scheduled by the last release of mount(), run early when another recorder starts. */
  function stopReleased(): void {
    cancelPendingRelease();
    if (mountCount === 0) deactivate('unmount');
  }

  function cancelPendingRelease(): void {
    clearTimeout(pendingUnmount);
    pendingUnmount = undefined;
    pendingReleases.delete(stopReleased);
  }

  function activate(): void {
    cancelPendingRelease();
    if (active) return;
    if (!isBrowser()) {
      warn(
        'start() was called outside a browser (no window or document), so nothing is recorded. Call it from client-side code, e.g. in an effect or onMounted().',
      );
      return;
    }
    if (isOptedOut()) {
      debugWarn(config.debug, 'this browser opted out of recording (optOut() was called); start() does nothing.');
      return;
    }
    // Released recorders stop now rather than a tick later, so this one can record the page.
    for (const stopOther of [...pendingReleases]) stopOther();
    active = true;
    beginCapture(resolveSession({ sampleRate: config.sampleRate }));
    notifyState();
  }

  function deactivate(reason: StopReason): void {
    cancelPendingRelease();
    if (!active) return;
    active = false;
    if (endCapture(reason === 'optOut' ? 'discard' : 'deliver')) emitter.emit('stop', { reason });
    notifyState();
  }

  /** Reprise events from the public API; outside a recording they are dropped (with a debug warning). */
  function recordApiEvent<K extends RepriseKind>(kind: K, build: () => ReprisePayloads[K]): void {
    if (!recording) {
      debugWarn(config.debug, `${kind} ignored: the recorder is not recording (call start() first).`);
      return;
    }
    try {
      emitReprise(kind, build());
    } catch (error) {
      report(error, 'plugin', `recording ${kind}`);
    }
  }

  return {
    start() {
      consentGiven = true;
      activate();
    },
    stop() {
      deactivate('stop');
    },
    identify(userId, traits) {
      recordApiEvent('identify', () => identifyPayload(userId, traits));
    },
    track(name, props) {
      recordApiEvent('custom', () => customPayload(name, props));
    },
    markNavigation(marker) {
      try {
        navigate(navigationPayload(marker, currentPage()));
      } catch (error) {
        report(error, 'plugin', 'recording navigation');
      }
    },
    claimNavigation() {
      navigationClaims++;
      stopHistoryNow();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        navigationClaims--;
        if (navigationClaims === 0 && recording && config.navigation === 'history' && !stopHistory) startHistory(false);
      };
    },
    captureError(error, context) {
      recordApiEvent('error', () => capturedErrorPayload(error, context));
    },
    async flush() {
      drain();
      try {
        await delivery?.flush();
      } catch (error) {
        report(error, 'delivery', 'flushing');
      }
    },
    optOut() {
      rememberOptOut();
      consentGiven = false;
      deactivate('optOut');
      clearSession();
      session = null;
      notifyState();
    },
    mount() {
      mountCount++;
      if (!config.requireConsent || consentGiven) activate();
      else cancelPendingRelease();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        mountCount--;
        if (mountCount > 0) return;
        // React StrictMode unmounts and remounts at once: wait a tick so that stays one recording
        // (unless another recorder starts meanwhile: see pendingReleases).
        cancelPendingRelease();
        pendingUnmount = setTimeout(stopReleased, 0);
        pendingReleases.add(stopReleased);
      };
    },
    on(event, listener) {
      return emitter.on(event, listener);
    },
    subscribe(listener) {
      return stateEmitter.on('change', listener);
    },
    get sessionId() {
      return session?.sessionId ?? null;
    },
    get isRecording() {
      return recording;
    },
  };
}
