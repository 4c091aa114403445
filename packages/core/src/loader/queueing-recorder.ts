import type { Recorder, RecorderEvents, RecorderOptions, RecorderState, Unsubscribe } from '../types.js';
import { RecorderError } from '../errors.js';
import type { EarlyCapture } from '../capture/early.js';

/**
 * What the loader needs from the full recorder: the script tag's `window.Reprise`, the package
 * entry, or `reprise.recorder.js` (which also takes over an early capture).
 */
export interface RecorderCore {
  createRecorder(options?: RecorderOptions, early?: EarlyCapture): Recorder;
}

/**
 * The script tag's first file and an app's first chunk: rrweb records from `start()` on, started
 * by `startEarly` while the rest of the recorder loads, and that rest is fetched at once.
 */
export interface EarlyStart {
  startEarly(options: RecorderOptions): EarlyCapture | undefined;
}

/**
 * The loaders (`reprise.loader.js`, `@reprise/core/lazy`): nothing records until the full
 * recorder arrives, and it is fetched only once `waitToLoad` calls back (after the page's load).
 */
export interface LateLoad {
  waitToLoad(load: () => void): void;
  /** Uncaught errors from before this recorder was created, handed to it once (the script loader's). */
  takeErrorsBeforeRecorder?(): unknown[];
}

/** How the full recorder is fetched: a `<script>` for the loader, `import()` for `@reprise/core/lazy`. */
export type LoadCore = () => Promise<RecorderCore>;

/**
 * The stand-in returned before the full recorder has arrived: the `Recorder` methods, plus
 * `load()` to fetch the full recorder now instead of waiting for `start()`.
 */
export interface LazyRecorder extends Recorder {
  /**
   * Fetch the full recorder now (a loader still waits for the page's `load` event) and hand the queued
   * calls over. Resolves `true` once the full recorder has taken over, `false` if it could not be
   * loaded (the error went to `onError`); never rejects.
   */
  load(): Promise<boolean>;
}

/**
 * Calls of each kind (recorded data; start, stop and the other control calls) kept until the full recorder arrives. Enough for an app's start-up (identify, a few
 * tracks and navigations, early errors), small enough that a page which never loads the full
 * recorder holds no noticeable memory.
 */
export const MAX_QUEUED_CALLS = 500;

interface QueuedCall {
  run(recorder: Recorder): void;
  /** An uncaught error seen by the loader: handed over once the full recorder records. */
  pageError?: true;
  /** Settles a waiting promise if the full recorder never arrives. */
  abandon?(): void;
  /**
   * start, stop, optOut, mount, claimNavigation, flush: counted apart from recorded data, so a
   * page that tracks a lot before the load never loses its start() (or its optOut()).
   */
  control?: true;
}

interface PendingRecorder {
  queuePageError(error: unknown): void;
}

/** Recorders still waiting for the full recorder; each one queues the page's uncaught errors. */
const waiting = new Set<PendingRecorder>();
/** Where errors go while no recorder waits (the script loader keeps them for the first recorder). */
let beforeRecorder: ((error: unknown) => void) | undefined;
let stopListening: (() => void) | undefined;

function onPageError(error: unknown): void {
  if (waiting.size > 0) {
    for (const recorder of waiting) recorder.queuePageError(error);
  } else {
    beforeRecorder?.(error);
  }
}

/**
 * Listen for uncaught errors and unhandled rejections until the full recorder, whose own error
 * capture then takes over, has arrived. `unclaimed`: gets the ones that happen while no recorder
 * waits, such as before any recorder is created (the script loader, evaluated at the top of the page).
 */
export function listenForEarlyErrors(unclaimed?: (error: unknown) => void): void {
  if (unclaimed) beforeRecorder = unclaimed;
  if (stopListening || typeof window === 'undefined') return;
  const onError = (event: ErrorEvent) => onPageError(event.error ?? event.message);
  const onRejection = (event: PromiseRejectionEvent) => onPageError(event.reason);
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  stopListening = () => {
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
    stopListening = undefined;
  };
}

/**
 * The app's values as they are at the call: the full recorder copies `track()` props and
 * `identify()` traits when called, but a queued call reaches it only after the load, and the app
 * may change the objects meanwhile. A value structuredClone refuses (a function, a symbol) is
 * passed as given and left to the full recorder's own copy.
 */
function snapshot<T>(value: T): T {
  try {
    return value === undefined ? value : structuredClone(value);
  } catch {
    return value;
  }
}

/** Never let a page's callback break the loader (or the loader break the page). */
function safely(run: () => void): void {
  try {
    run();
  } catch {
    // a throwing onError or listener must not stop the hand-over
  }
}

/**
 * A `Recorder` that queues every call until `loadCore()` delivers the full recorder, then replays
 * the calls in order on a real recorder created with the same options and forwards from then on.
 * Loading starts on the first `start()` (or `mount()` without `requireConsent`), or `load()`, at once
 * or when `plan` says. If loading fails, `onError` and `error` listeners get a
 * `RecorderError` and every method becomes a no-op.
 */
export function createQueueingRecorder(
  options: RecorderOptions,
  loadCore: LoadCore,
  plan: EarlyStart | LateLoad,
): LazyRecorder {
  const eager = 'startEarly' in plan ? plan : undefined;
  let real: Recorder | undefined;
  /** rrweb started by `eager` at the first start(), handed to the full recorder. */
  let early: EarlyCapture | undefined;
  let earlyTried = false;
  let failed = false;
  let loading: Promise<boolean> | undefined;
  let queue: QueuedCall[] = [];
  /** Queued calls per kind (data, control), each kind held to MAX_QUEUED_CALLS. */
  let queuedData = 0;
  let queuedControl = 0;
  let dropped = 0;
  const eventListeners = new Set<{
    event: keyof RecorderEvents;
    listener: (payload: never) => void;
    off?: Unsubscribe;
  }>();
  const stateListeners = new Set<{ listener: (state: RecorderState) => void; off?: Unsubscribe }>();

  const pending: PendingRecorder = {
    queuePageError(error) {
      enqueue({ run: (recorder) => recorder.captureError(error), pageError: true });
    },
  };

  function enqueue(call: QueuedCall): void {
    if ((call.control ? queuedControl : queuedData) >= MAX_QUEUED_CALLS) {
      dropped++;
      call.abandon?.();
      return;
    }
    if (call.control) queuedControl++;
    else queuedData++;
    queue.push(call);
  }

  function takeQueue(): QueuedCall[] {
    const calls = queue;
    queue = [];
    queuedData = 0;
    queuedControl = 0;
    return calls;
  }

  /** Run on the full recorder when it is here, queue until then, drop after a failed load. */
  function dispatch(run: (recorder: Recorder) => void, control?: true): void {
    if (real) run(real);
    else if (!failed) enqueue(control ? { run, control } : { run });
  }

  function reportError(error: RecorderError): void {
    if (options.debug && typeof console !== 'undefined') console.warn(error.message);
    if (options.onError) safely(() => options.onError!(error));
    for (const { event, listener } of eventListeners) {
      if (event === 'error') safely(() => (listener as (payload: Error) => void)(error));
    }
  }

  /** What subscribe() listeners were last told. */
  let shownState: RecorderState = { isRecording: false, sessionId: null };
  function showState(state: RecorderState): void {
    if (state.isRecording === shownState.isRecording && state.sessionId === shownState.sessionId) return;
    shownState = state;
    for (const { listener } of stateListeners) safely(() => listener(state));
  }
  /** Until the hand-over, the state is the early capture's (as the `isRecording` and `sessionId` getters say). */
  function showEarlyState(): void {
    if (!real) showState({ isRecording: Boolean(early?.session.sampled), sessionId: early?.session.sessionId ?? null });
  }

  function startEarly(): void {
    if (!eager || earlyTried || real || failed) return;
    earlyTried = true;
    try {
      early = eager.startEarly(options);
    } catch {
      // The full recorder starts rrweb itself when it arrives.
      early = undefined;
    }
    showEarlyState();
  }

  function dropEarly(): void {
    early?.discard();
    early = undefined;
    showEarlyState();
  }

  function handOver(core: RecorderCore): void {
    const taken = early;
    early = undefined;
    const recorder = core.createRecorder(options, taken);
    real = recorder;
    waiting.delete(pending);
    if (waiting.size === 0) stopListening?.();
    // Event listeners first, so the replayed start() reaches them.
    for (const entry of eventListeners) entry.off = recorder.on(entry.event, entry.listener as never);
    const calls = takeQueue();
    // An uncaught error from before start() would be ignored by a recorder that is not recording
    // yet; it is handed over right after the call that starts recording instead.
    let heldErrors: QueuedCall[] = [];
    for (const call of calls) {
      if (call.pageError && !recorder.isRecording) {
        heldErrors.push(call);
        continue;
      }
      safely(() => call.run(recorder));
      if (heldErrors.length > 0 && recorder.isRecording) {
        for (const held of heldErrors) safely(() => held.run(recorder));
        heldErrors = [];
      }
    }
    // Nothing took the early capture over (a mount() released before the hand-over): stop it.
    if (taken && !recorder.isRecording) taken.discard();
    // subscribe() listeners heard the early capture's state; from here on the full recorder's.
    showState({ isRecording: recorder.isRecording, sessionId: recorder.sessionId });
    for (const entry of stateListeners) entry.off = recorder.subscribe(entry.listener);
    if (dropped > 0) {
      reportError(
        new RecorderError(
          'queue',
          `${dropped} calls made before the full recorder loaded were dropped (the loader keeps ${MAX_QUEUED_CALLS}). Call start() early so the full recorder loads sooner.`,
        ),
      );
    }
  }

  function fail(error: RecorderError): void {
    failed = true;
    dropEarly();
    waiting.delete(pending);
    if (waiting.size === 0) stopListening?.();
    for (const call of takeQueue()) call.abandon?.();
    reportError(error);
  }

  function load(): Promise<boolean> {
    if (real) return Promise.resolve(true);
    holdPageErrors();
    loading ??= new Promise<void>((resolve) => ('waitToLoad' in plan ? plan.waitToLoad(resolve) : resolve()))
      .then(loadCore)
      .then((core) => {
        // Each loadCore checks what it loaded (a script that defined no recorder is its error to name).
        handOver(core);
        return true;
      })
      .catch((error: unknown) => {
        const detail = error instanceof Error ? error.message : String(error);
        fail(
          error instanceof RecorderError
            ? error
            : new RecorderError(
                'load',
                `could not load the full recorder (${detail}). Nothing is recorded on this page.`,
                { cause: error },
              ),
        );
        return false;
      });
    return loading;
  }

  let holdingPageErrors = false;
  /** Keep the page's uncaught errors for the full recorder until it arrives. */
  function holdPageErrors(): void {
    if (holdingPageErrors || real || failed || options.errors === false) return;
    holdingPageErrors = true;
    listenForEarlyErrors();
    waiting.add(pending);
    if ('waitToLoad' in plan)
      for (const error of plan.takeErrorsBeforeRecorder?.() ?? []) pending.queuePageError(error);
  }
  // A loader keeps them from its creation on; the script tag's first file and an app's first chunk
  // from the moment the rest is fetched, so creating one touches no browser global (server-side
  // rendering creates recorders too).
  if ('waitToLoad' in plan) holdPageErrors();

  return {
    load,
    start() {
      startEarly();
      dispatch((recorder) => recorder.start(), true);
      void load();
    },
    stop() {
      dropEarly();
      dispatch((recorder) => recorder.stop(), true);
    },
    identify(userId, traits) {
      if (real) return real.identify(userId, traits);
      const copied = snapshot(traits);
      dispatch((recorder) => recorder.identify(userId, copied));
    },
    track(name, props) {
      if (real) return real.track(name, props);
      const copied = snapshot(props);
      dispatch((recorder) => recorder.track(name, copied));
    },
    markNavigation(marker) {
      dispatch((recorder) => recorder.markNavigation(marker));
    },
    captureError(error, context) {
      dispatch((recorder) => recorder.captureError(error, context));
    },
    optOut() {
      dropEarly();
      dispatch((recorder) => recorder.optOut(), true);
    },
    claimNavigation() {
      return releasable((recorder) => recorder.claimNavigation());
    },
    mount() {
      const release = releasable((recorder) => recorder.mount());
      if (!options.requireConsent) {
        startEarly();
        void load();
      }
      return release;
    },
    flush() {
      if (real) return real.flush();
      if (failed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        enqueue({ run: (recorder) => void recorder.flush().then(resolve, resolve), abandon: resolve, control: true });
      });
    },
    on(event, listener) {
      if (real) return real.on(event, listener);
      const entry: { event: keyof RecorderEvents; listener: (payload: never) => void; off?: Unsubscribe } = {
        event,
        listener,
      };
      eventListeners.add(entry);
      return () => {
        eventListeners.delete(entry);
        entry.off?.();
      };
    },
    subscribe(listener) {
      if (real) return real.subscribe(listener);
      const entry: { listener: (state: RecorderState) => void; off?: Unsubscribe } = { listener };
      stateListeners.add(entry);
      return () => {
        stateListeners.delete(entry);
        entry.off?.();
      };
    },
    replayUrl(replayOptions) {
      return real ? real.replayUrl(replayOptions) : (early?.replayUrl(replayOptions) ?? null);
    },
    get sessionId() {
      return real ? real.sessionId : (early?.session.sessionId ?? null);
    },
    get isRecording() {
      return real ? real.isRecording : Boolean(early?.session.sampled);
    },
  };

  /**
   * mount() and claimNavigation() return a release function before the real call has happened: a
   * release before the hand-over cancels the queued call, a later one releases the real claim.
   */
  function releasable(acquire: (recorder: Recorder) => () => void): () => void {
    let released = false;
    let releaseReal: (() => void) | undefined;
    dispatch((recorder) => {
      if (!released) releaseReal = acquire(recorder);
    }, true);
    return () => {
      if (released) return;
      released = true;
      releaseReal?.();
    };
  }
}
