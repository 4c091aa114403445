import type {
  ConsoleLevel,
  ErrorPayload,
  JsonValue,
  NavigationType,
  RecordedEvent,
  RedactionOptions,
} from '@reprise/protocol';

/**
 * Every option of the recorder, the same names in every framework adapter. All fields are
 * optional; defaults live in `defaults.ts` as named `DEFAULT_*` constants.
 */
export interface ReplayUrlOptions {
  /** The moment the replay opens at (epoch ms or a Date); omitted, it opens at the start. */
  at?: number | Date;
}

export interface RecorderOptions {
  /** Project ingest key (public, write-only). Required to send to a collector. */
  project?: string;
  /** Collector base URL, e.g. `https://replay.example.com`. Batches go to `${endpoint}/v1/ingest`. */
  endpoint?: string;
  /**
   * Where people open the admin UI, for the links `replayUrl()` gives. @default `endpoint` (the
   * collector serves the admin UI at `/`); set it when the admin is reached at another address.
   */
  adminUrl?: string;
  /** When true nothing is recorded until `start()` is called explicitly (consent given). @default false */
  requireConsent?: boolean;
  /** Fraction of sessions recorded, 0..1, decided once per session. @default 1 */
  sampleRate?: number;
  /**
   * Fraction of the sessions `sampleRate` leaves out that are recorded in memory only, 0..1,
   * decided once per session: nothing is sent unless an error is recorded (uncaught, an unhandled
   * rejection, `captureError()` or an adapter's error handler). Then the last one to two minutes
   * before it are sent, and the session is recorded in full from there to its end (reloads
   * included). A session with no error sends nothing. @default 0
   */
  errorSampleRate?: number;
  /**
   * Asked for each error recorded while a session is held in memory (`errorSampleRate`): `false`
   * and this error does not make the session sent (it is still recorded with the rest, in case
   * another error does). For errors that say nothing about your app, such as a browser
   * extension's or Chromium's "ResizeObserver loop completed with undelivered notifications".
   * A callback that throws counts as `true` (and is reported to `onError`, code `sink`).
   * @default every error keeps the session
   */
  keepSessionOnError?: (error: ErrorPayload) => boolean;
  /** Receives every event after privacy is applied (tests, custom transports). */
  onEvents?: (events: RecordedEvent[]) => void;
  /** Called with every recorder error; the same errors are emitted as the `error` event. */
  onError?: (error: Error) => void;
  privacy?: PrivacyOptions;
  network?: NetworkOptions | false;
  console?: ConsoleOptions | false;
  /** Record uncaught errors and unhandled rejections. @default true */
  errors?: boolean;
  /**
   * `history`: record a navigation on every pushState/replaceState/popstate, unless a router
   * integration has taken over with `claimNavigation()`.
   * `manual`: only `markNavigation()`.
   * @default 'history'
   */
  navigation?: 'history' | 'manual';
  sampling?: SamplingOptions;
  /** A full snapshot every this many ms, so a replay can start from any segment. @default 300000 */
  checkoutEveryMs?: number;
  /**
   * Record `<canvas>` elements (2D and WebGL) as frames, at most `fps` a second, each a WebP image
   * taken off the main thread where the browser can (an inline worker: a CSP needs `worker-src
   * blob:`). Off by default: a canvas then replays as an empty one of its size. Its pixels are
   * recorded as they are, text drawn in it included: masking and redaction do not reach inside an
   * image, so block (`privacy.blockSelectors`) any canvas that can show personal data.
   */
  canvas?: CanvasOptions | false;
  /** Mutation circuit-breaker; `false` disables it. */
  mutationBreaker?: MutationBreakerOptions | false;
  /**
   * Page assets captured once, by content: the original text of the page's stylesheets and the
   * fonts and images they name are uploaded to the collector (only those it lacks) and snapshots
   * refer to them by hash, so a replay looks like the page. On whenever events go to a collector
   * (`project` and `endpoint`); `false` keeps rrweb's CSSOM copies inline.
   */
  assets?: AssetOptions | false;
  /** Delivery (batching worker + transport) options. */
  delivery?: DeliveryOptions;
  /** Log recorder warnings to the console, in every build (the script-tag build included). @default false */
  debug?: boolean;
}

export interface CanvasOptions {
  /** Frames a second, for each canvas that changed (at most 10). @default 2 */
  fps?: number;
  /** WebP quality of each frame, 0 to 1. @default 0.6 */
  quality?: number;
}

export interface AssetOptions {
  /** Largest asset read and uploaded, in bytes; a bigger stylesheet keeps its CSSOM copy. @default 2097152 */
  maxAssetBytes?: number;
  /** Most asset bytes one session uploads. @default 16777216 */
  maxSessionBytes?: number;
  /** Longest a snapshot waits for its stylesheets to be captured before it is sent with CSSOM copies (ms). @default 5000 */
  waitMs?: number;
}

export interface PrivacyOptions {
  /** Extra CSS selectors whose text is masked (besides `[data-reprise-mask]`, `.reprise-mask`). */
  maskSelectors?: string[];
  /** Extra CSS selectors replaced by a same-size placeholder (besides `[data-reprise-block]`, `.reprise-block`). */
  blockSelectors?: string[];
  /** Extra CSS selectors opting fields back in (besides `[data-reprise-unmask]`). Passwords never are. */
  unmaskSelectors?: string[];
  /** PII patterns redacted from every recorded string. */
  redact?: RedactionOptions;
}

export interface NetworkOptions {
  /** Request/response headers to record: `true` for all, or an allow-list. Authorization, Cookie and Set-Cookie are always dropped. @default false */
  captureHeaders?: boolean | string[];
  /** Record request and response bodies (text only, capped). @default false */
  captureBodies?: boolean;
  /** Longest body recorded, in characters. @default 10000 */
  maxBodyLength?: number;
  /** URLs never recorded (the collector's own endpoint is always ignored). */
  ignoreUrls?: Array<string | RegExp>;
}

export interface ConsoleOptions {
  /** @default ['log','info','warn','error','debug','trace','assert'] */
  levels?: ConsoleLevel[];
  /** Longest serialized argument, in characters. @default 2000 */
  maxArgLength?: number;
}

export interface SamplingOptions {
  /** Minimum ms between recorded mouse moves. @default 50 */
  mousemove?: number;
  /** Minimum ms between recorded scroll positions. @default 150 */
  scroll?: number;
  /**
   * `last`: while a field is typed into, record its value at most every 250 ms and its final value
   * (visible in the replay as it is typed, masked unless unmasked); `all`: every keystroke.
   * @default 'last'
   */
  input?: 'last' | 'all';
}

export interface MutationBreakerOptions {
  /** Node changes within `windowMs` that trip the breaker. @default 10000 */
  maxMutations?: number;
  /** @default 1000 */
  windowMs?: number;
  /** Quiet time after which capture resumes with a fresh full snapshot. @default 1000 */
  resumeAfterMs?: number;
}

export interface DeliveryOptions {
  /** Cut a batch at this many uncompressed bytes. */
  maxBatchBytes?: number;
  /** Cut a batch after this many ms. */
  maxBatchDelayMs?: number;
  /** URL of `reprise.worker.js` hosted where your CSP allows workers, tried before the one beside the recorder. */
  workerUrl?: string;
  /** Never start a worker; batch on the main thread in idle callbacks. @default false */
  disableWorker?: boolean;
  /** Largest outbox in IndexedDB, in bytes. */
  maxOutboxBytes?: number;
}

export interface NavigationMarker {
  /** @default location.href */
  url?: string;
  route?: string;
  /** The matched route's name, for routers that name routes. */
  name?: string;
  params?: Record<string, string>;
  navigationType?: NavigationType;
  title?: string;
}

export interface RecorderEvents {
  start: { sessionId: string };
  stop: { reason: 'stop' | 'optOut' | 'unmount' };
  error: Error;
  /** A DOM mutation storm paused capture (`paused`) or capture resumed with a snapshot. */
  breaker: { state: 'paused' | 'resumed'; mutations: number };
}

export type Unsubscribe = () => void;

/** What a framework adds to an error it caught; every text is capped like the error's stack. */
export interface CapturedErrorContext {
  /** The framework's component stack (React's `componentStack`, Vue's component trace). */
  componentStack?: string;
  /** `react`, `vue`, `angular`... */
  framework?: string;
  /** The component the error came from. */
  component?: string;
  /** Where in the framework it happened (Vue's errorHandler `info`: a lifecycle hook, "render function"...). */
  info?: string;
}

/** What `subscribe()` listeners receive whenever either field changes. */
export interface RecorderState {
  /** Capture is running (false before start, after stop, and for an unsampled session). */
  isRecording: boolean;
  /** Current session id, or null before the first start and after `optOut()`. */
  sessionId: string | null;
}

export interface Recorder {
  /** Start recording (gives consent when `requireConsent` is set). Idempotent; a no-op with a warning outside a browser. */
  start(): void;
  /** Stop recording and remove every listener, observer and patch. Idempotent. */
  stop(): void;
  /** Attach a user id (and traits) to the session. `null` forgets the user. */
  identify(userId: string | null, traits?: Record<string, JsonValue>): void;
  /** Record a custom event. */
  track(name: string, props?: Record<string, JsonValue>): void;
  /**
   * Record a navigation (router integrations call this with the matched route pattern). The
   * recorder remembers the last marker: one given before `start()` is recorded when recording
   * starts, and every (re)start records the current one again (as `initial`), so each recording
   * knows where the app is. A marker with the same URL and route as the previous one is dropped,
   * so calling this on every router update is fine.
   */
  markNavigation(marker?: NavigationMarker): void;
  /**
   * For router integrations: take over navigation markers from the `history` mode. While at least
   * one claim is held, pushState / replaceState / popstate record nothing automatically (the
   * patches are removed), so only `markNavigation()` marks navigations; the returned function
   * gives the claim back, and automatic tracking resumes (without marking the current page again).
   * Without effect in `navigation: 'manual'`. Claim before `mount()` / `start()` so not even the
   * initial page is recorded twice.
   */
  claimNavigation(): () => void;
  /** Record an error caught by the app or a framework (error boundaries, ErrorHandler). */
  captureError(error: unknown, context?: CapturedErrorContext): void;
  /** Send everything recorded so far. */
  flush(): Promise<void>;
  /** Stop, drop what has not been sent, and remember the choice for this browser. */
  optOut(): void;
  /**
   * For framework adapters: the app mounted. Starts recording unless `requireConsent` is set and
   * returns a release function. Reference-counted, so a double mount (React StrictMode) yields one
   * recording, one session, one set of listeners.
   *
   * The release is asynchronous: when the last mount is released, recording stops one macrotask
   * later (`setTimeout(0)`), so an unmount followed at once by a mount (StrictMode, a remount)
   * keeps the same recording. Until then `isRecording` stays true, and the `stop` event and the
   * `subscribe()` notification come with the actual stop. Two things end the wait early: another
   * recorder starting on the page (one page records once: the released recorder stops at once and
   * gives way, and the newcomer continues the same session when the session rules allow), and
   * `stop()` / `optOut()`, which stop synchronously. A `mount()` before the tick cancels the stop.
   */
  mount(): () => void;
  on<E extends keyof RecorderEvents>(event: E, listener: (payload: RecorderEvents[E]) => void): Unsubscribe;
  /**
   * Listen to `{ isRecording, sessionId }`: the listener is called after every change (start,
   * stop, a new session after expiry, optOut), not on subscribing; read `isRecording` and
   * `sessionId` for the current values. Returns an unsubscribe function.
   */
  subscribe(listener: (state: RecorderState) => void): Unsubscribe;
  /**
   * A link to this session's replay in the admin UI, for a bug report, a support ticket or an
   * error tracker: `<adminUrl>/sessions/<id>?project=<project>`, opening at `at` (epoch ms or a
   * Date: when an error happened, or `Date.now()`) when given. Null before the first start, when
   * this session is not sampled, and without `project` or an `adminUrl` / `endpoint` (relative when they are).
   */
  replayUrl(options?: ReplayUrlOptions): string | null;
  /** Current session id, or null before the first start. */
  readonly sessionId: string | null;
  readonly isRecording: boolean;
}
