import {
  createEmitter,
  createRedactor,
  createRepriseEvent,
  type RepriseKind,
  type ReprisePayloads,
  type ErrorPayload,
  type SessionPayload,
} from '@reprise/protocol/page';
import { runTeardowns, type CaptureContext, type Teardown } from './capture/context.js';
import { describeError } from './capture/serialize.js';
import { capturedErrorPayload, customPayload, identifyPayload } from './capture/custom.js';
import { noteRecordedError } from './capture/errors.js';
import { currentPage, navigationPayload } from './capture/navigation.js';
import { SESSION_TOUCH_INTERVAL_MS } from './recorder-defaults.js';
import { resolveOptions } from './resolve-options.js';
import { sessionReplayUrl } from './replay-url.js';
import type { AssetCapture } from './assets/capture.js';
import { recordedNode, scriptUrlsRefused } from './capture/dom.js';
import { createDelivery, type Delivery } from './delivery/index.js';
import { debugWarn, isBrowser } from './env.js';
import { createBlockedFrameFilter } from './recorder/blocked-frames.js';
import { createBoundaryPrivacy } from './recorder/boundary-privacy.js';
import { createXmlTextareaMask } from './recorder/xml-textareas.js';
import { maskFieldValue } from './privacy.js';
import { emitInto, offerToYield, recordingAncestor, takeFrameEvents, takeOverFrames } from './recorder/frames.js';
import { RecorderError } from './errors.js';
import type { EarlyCapture } from './capture/early.js';
import { createNavigationTracker } from './recorder/navigation.js';
import { createErrorBuffer, type ErrorBuffer } from './recorder/error-buffer.js';
import { createEventPipeline } from './recorder/pipeline.js';
import { createRateBounds } from './recorder/rate-bounds.js';
import { createMounts, stopReleasedRecorders } from './recorder/release.js';
import { createReport, createWarn } from './recorder/report.js';
import { startPageTrackers } from './recorder/page-trackers.js';
import { startDomTrackers } from './recorder/trackers.js';
import { keepBufferedSession, sessionEndReason, rememberOptOut, touchSession } from './session-lifetime.js';
import { clearSession, isOptedOut, resolveSession, type SessionInfo } from './session.js';
import type { Recorder, RecorderEvents, RecorderOptions, RecorderState } from './types.js';

type StopReason = RecorderEvents['stop']['reason'];

/**
 * Create a recorder. Nothing happens until `start()` (or an adapter's `mount()`); creating one
 * is safe during server-side rendering. This composes the pieces in recorder/: the event pipeline
 * (privacy, then onEvents and delivery), the capture trackers, navigation, and mount counting;
 * what stays here is the session and the start/stop lifecycle.
 */
export function createRecorder(options: RecorderOptions = {}): Recorder {
  return createRecorderWith(options);
}

/**
 * createRecorder(), taking over `early`: the rrweb recording the script tag's first file started
 * before this code arrived (recorder/early.ts). Its session is the recording's first session.
 */
export function createRecorderWith(options: RecorderOptions, early?: EarlyCapture): Recorder {
  const optionProblems: string[] = [];
  const config = resolveOptions(options, (problem) => optionProblems.push(problem));
  const warn = createWarn(config);
  const emitter = createEmitter<RecorderEvents>((error) => warn('a recorder event listener threw', error));
  const stateEmitter = createEmitter<{ change: RecorderState }>((error) =>
    warn('a recorder subscribe() listener threw', error),
  );
  const report = createReport(config, emitter, warn);
  let lastState: RecorderState = { isRecording: false, sessionId: null };

  /** start() was asked for (and not stopped since). */
  let active = false;
  /** Capture is installed: the session is sampled and listeners, observers and patches are in place. */
  let recording = false;
  let consentGiven = false;
  let session: SessionInfo | null = null;
  let lastTouchAt = 0;
  let teardowns: Teardown[] = [];
  let delivery: Delivery | undefined;
  /** The session is recorded in memory until an error keeps it (`errorSampleRate`). */
  let buffer: ErrorBuffer | undefined;
  let assets: ReturnType<typeof openAssetCapture>;
  /** In a frame the page above records: what forwards this frame's console, errors and requests to it. */
  let frameTeardowns: Teardown[] | undefined;
  /** A prerendered page's start(), run when the page is shown (`prerenderingchange`). */
  let startWhenShown: (() => void) | undefined;

  // A redaction pattern that does not compile is a privacy rule that cannot be applied: start()
  // records nothing and says why, rather than createRecorder() throwing into the app.
  let unusable: RecorderError | undefined;
  let redact: (text: string) => string = () => '';
  try {
    redact = createRedactor(config.privacy.redact);
  } catch (error) {
    unusable = new RecorderError(
      'options',
      `privacy.redact.patterns holds a pattern that does not compile (${describeError(error)}): fix it. Nothing is recorded until then.`,
      { cause: error },
    );
  }
  const pipeline = createEventPipeline({
    redact,
    report,
    onEvents: config.onEvents,
    isRecording: () => recording,
    keepSessionAlive,
    delivery: () => delivery,
    buffer: () => buffer,
    assets: () => assets,
  });
  const rateBounds = createRateBounds(pipeline.emitReprise);
  const context: CaptureContext = {
    emit: rateBounds.emit,
    reportError: (error, what) => report(error, 'plugin', what),
  };
  const navigation = createNavigationTracker(config, context, () => recording);
  const mounts = createMounts(() => deactivate('unmount'));

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
    const next = resolveSession({ ...config, now });
    // The old session's last event says why it ended and where recording went on; stamped at its
    // last recorded event, so an idle half hour is not added to its length.
    pipeline.push(
      createRepriseEvent(
        'session',
        { state: 'ended', reason, nextSessionId: next.sessionId },
        pipeline.lastDeliveredAt || now,
      ),
    );
    endCapture('deliver');
    beginCapture(next, { state: 'started', reason, previousSessionId });
    notifyState();
    return false;
  }

  // With `project` and `endpoint` set, one Delivery per recording (per session) receives every
  // privacy-filtered event; flush() calls delivery.flush(), stop() calls delivery.stop(), optOut()
  // calls delivery.discard().
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

  /**
   * Asset capture: the module is import()ed on the first snapshot, off the start-up path. It reads
   * with the page's fetch from before network capture, so its reads are not recorded requests.
   */
  function openAssetCapture(info: SessionInfo) {
    const options = config.assets;
    if (!options || !config.project || !config.endpoint || typeof fetch !== 'function' || !crypto?.subtle)
      return undefined;
    const pageFetch = fetch.bind(window);
    const { project, endpoint } = config;
    let loading: Promise<AssetCapture | undefined> | undefined;
    const load = () =>
      (loading ??= import('./assets/capture.js').then(
        ({ createAssetCapture }) =>
          createAssetCapture({
            endpoint,
            project,
            sessionId: info.sessionId,
            maxAssetBytes: options.maxAssetBytes,
            maxSessionBytes: options.maxSessionBytes,
            nodeOf: recordedNode,
            fetch: pageFetch,
            onError: (error) =>
              debugWarn(config.debug, 'asset capture failed; stylesheets keep their CSSOM copy', error),
          }),
        (error: unknown) => {
          report(error, 'capture', 'loading asset capture');
          return undefined;
        },
      ));
    return { load, waitMs: options.waitMs };
  }

  /** `continued`: the `reprise.session` marker when this session follows one that expired. */
  function beginCapture(info: SessionInfo, continued?: SessionPayload, takeOver?: EarlyCapture): void {
    session = info;
    lastTouchAt = Date.now();
    if (!info.sampled) {
      debugWarn(config.debug, `this session is not sampled (sampleRate ${config.sampleRate}); nothing is recorded.`);
      return;
    }
    recording = true;
    // Held in memory: no delivery, no asset uploads, until an error keeps the session.
    if (info.sampled === 'buffer') {
      buffer = createErrorBuffer({ onKeep: (from) => keepSession(info, from), keeps: keepsSession });
      debugWarn(
        config.debug,
        `this session is recorded in memory (errorSampleRate ${config.errorSampleRate}): it is sent only if an error is recorded.`,
      );
    } else assets = openAssetCapture(info);
    // Where rrweb's own privacy rules stop short, finished before anything else sees the events.
    const maskSelector = config.privacy.maskSelectors.join(',');
    const blockSelector = config.privacy.blockSelectors.join(',');
    const unmaskSelector = config.privacy.unmaskSelectors.join(',');
    const admit = createBlockedFrameFilter(blockSelector, recordedNode);
    const admitPastBoundaries = createBoundaryPrivacy(maskSelector, blockSelector, recordedNode);
    const maskXmlTextareas = createXmlTextareaMask(
      (text, field) => maskFieldValue(text, field, maskSelector, unmaskSelector),
      recordedNode,
    );
    try {
      startDomTrackers(
        config,
        {
          push: (event) => {
            if (!admit(event) || !admitPastBoundaries(event)) return;
            maskXmlTextareas?.(event);
            pipeline.push(event);
          },
          context,
          report,
          isRecording: () => recording,
          onBreaker: (event) => emitter.emit('breaker', event),
          early: takeOver,
        },
        teardowns,
      );
      if (config.canvas && scriptUrlsRefused())
        report(
          new RecorderError(
            'capture',
            "canvas is not recorded: this page enforces Trusted Types, which refuse rrweb's canvas worker (a blob: URL). The rest is recorded.",
          ),
          'capture',
          'recording canvas',
        );
      // After rrweb's Meta and full snapshot, which a replay needs first.
      if (continued) context.emit('session', continued);
      startPageTrackers(config, context, teardowns);
      teardowns.push(navigation.begin(), takeFrameEvents(context.emit, blockSelector), offerToYield(yieldToPageAbove));
      takeOverFrames();
    } catch (error) {
      // Half a recording is worse than none: take down whatever was installed.
      runTeardowns(teardowns.splice(0), (failure) => report(failure, 'capture', 'removing capture'));
      pipeline.close('discard');
      stopBuffer();
      recording = false;
      report(error, 'capture', 'starting capture');
      return;
    }
    if (!buffer) delivery = openDelivery(info);
    if (!delivery && !buffer && !config.onEvents) {
      debugWarn(
        config.debug,
        'recording, but events go nowhere: set `project` and `endpoint` to send them, or `onEvents` to receive them.',
      );
    }
    emitter.emit('start', { sessionId: info.sessionId });
  }

  /** An error was recorded in a session held in memory: what is held is delivered, and the rest of it too. */
  function keepSession(info: SessionInfo, from: number): void {
    buffer = undefined;
    info.sampled = true;
    info.startedAt = from;
    keepBufferedSession(info.sessionId, from);
    assets = openAssetCapture(info);
    delivery = openDelivery(info);
  }

  /** The app's `keepSessionOnError`; one that throws keeps the session, as `errorSampleRate` asked. */
  function keepsSession(error: ErrorPayload): boolean {
    const keeps = config.keepSessionOnError;
    if (!keeps) return true;
    try {
      return keeps(error) !== false;
    } catch (failure) {
      report(failure, 'sink', 'the keepSessionOnError callback (it must not throw; the session is kept)');
      return true;
    }
  }

  function stopBuffer(): void {
    buffer?.stop();
    buffer = undefined;
  }

  /** Remove every listener, observer and patch; hand over or drop what is still queued. */
  function endCapture(pending: 'deliver' | 'discard'): boolean {
    if (!recording) return false;
    if (pending === 'deliver') rateBounds.flush();
    rateBounds.reset();
    const installed = teardowns;
    teardowns = [];
    runTeardowns(installed, (error) => report(error, 'capture', 'removing capture'));
    pipeline.close(pending);
    // After the pipeline's last events: a session still held in memory sends none of them.
    stopBuffer();
    assets = undefined;
    recording = false;
    navigation.end();
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

  function activate(): void {
    mounts.cancelRelease();
    if (active) return;
    if (!isBrowser()) {
      warn(
        'start() was called outside a browser (no window or document), so nothing is recorded. Call it from client-side code, e.g. in an effect or onMounted().',
      );
      return;
    }
    // A page the browser prerenders for a visit that may never come: nothing is recorded, stored
    // or sent (no session, no snapshot) until the visitor is shown it, and then it starts as a
    // page load does. Otherwise every prerendered link became a phantom page load in the session.
    if ((document as { prerendering?: boolean }).prerendering) {
      if (!startWhenShown) {
        startWhenShown = () => {
          startWhenShown = undefined;
          activate();
        };
        document.addEventListener('prerenderingchange', startWhenShown, { once: true });
      }
      return;
    }
    const recordingAbove = recordingAncestor();
    if (recordingAbove) {
      dropEarlyCapture();
      if (!frameTeardowns) forwardToPageAbove(recordingAbove);
      return;
    }
    // The page above stopped recording since: this frame records itself now.
    stopForwarding();
    if (unusable) {
      dropEarlyCapture();
      report(unusable, 'options', 'resolving options');
      return;
    }
    if (isOptedOut()) {
      dropEarlyCapture();
      debugWarn(config.debug, 'this browser opted out of recording (optOut() was called); start() does nothing.');
      return;
    }
    stopReleasedRecorders();
    active = true;
    // The early capture is taken over once, by the first recording; whatever it still runs after
    // that (nothing, when it was taken over) stops.
    const takeOver = early;
    early = undefined;
    beginCapture(takeOver?.session ?? resolveSession(config), undefined, takeOver);
    takeOver?.discard();
    notifyState();
  }

  /** The early capture is never taken over (stopped or opted out first): rrweb stops, its events are dropped. */
  function dropEarlyCapture(): void {
    early?.discard();
    early = undefined;
  }

  /**
   * In a frame the page above records (its rrweb records this frame's DOM): the console, errors
   * and requests of this frame go into that page's recording, through its privacy rules.
   */
  function forwardToPageAbove(page: Window): void {
    debugWarn(
      config.debug,
      "this page is in a frame of a page that Reprise records, which records its DOM: its console, errors and requests join that page's recording.",
    );
    frameTeardowns = [];
    try {
      startPageTrackers(config, { emit: emitInto(page), reportError: context.reportError }, frameTeardowns);
    } catch (error) {
      stopForwarding();
      report(error, 'capture', 'starting capture');
    }
  }

  /** The page above started recording after this frame did: its recording holds this frame from now on. */
  function yieldToPageAbove(): void {
    if (!active || !recordingAncestor()) return;
    active = false;
    if (endCapture('deliver')) emitter.emit('stop', { reason: 'stop' });
    notifyState();
    activate();
  }

  function stopForwarding(): void {
    if (frameTeardowns) runTeardowns(frameTeardowns, (failure) => report(failure, 'capture', 'removing capture'));
    frameTeardowns = undefined;
  }

  function deactivate(reason: StopReason): void {
    stopForwarding();
    if (startWhenShown) document.removeEventListener('prerenderingchange', startWhenShown);
    startWhenShown = undefined;
    dropEarlyCapture();
    mounts.cancelRelease();
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
      context.emit(kind, build());
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
        navigation.navigate(navigationPayload(marker, currentPage()));
      } catch (error) {
        report(error, 'plugin', 'recording navigation');
      }
    },
    claimNavigation: navigation.claim,
    captureError(error, context) {
      noteRecordedError(error);
      recordApiEvent('error', () => capturedErrorPayload(error, context));
    },
    async flush() {
      pipeline.drain();
      await pipeline.settled();
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
      const release = mounts.mount();
      if (!config.requireConsent || consentGiven) activate();
      else mounts.cancelRelease();
      return release;
    },
    on(event, listener) {
      return emitter.on(event, listener);
    },
    subscribe(listener) {
      return stateEmitter.on('change', listener);
    },
    replayUrl(replayOptions) {
      // A held session's replay, if an error sends it, starts at the first event held.
      const from = buffer?.heldFrom();
      return sessionReplayUrl(options, session && from ? { ...session, startedAt: from } : session, replayOptions);
    },
    get sessionId() {
      return session?.sessionId ?? null;
    },
    get isRecording() {
      return recording;
    },
  };
}
