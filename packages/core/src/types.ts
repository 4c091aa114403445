import type { ConsoleLevel, JsonValue, NavigationType, RecordedEvent, RedactionOptions } from '@reprise/protocol';

/**
 * Every option of the recorder, the same names in every framework adapter. All fields are
 * optional; defaults live in `defaults.ts` as named `DEFAULT_*` constants.
 */
export interface RecorderOptions {
  /** Project ingest key (public, write-only). Required to send to a collector. */
  project?: string;
  /** Collector base URL, e.g. `https://replay.example.com`. Batches go to `${endpoint}/v1/ingest`. */
  endpoint?: string;
  /** When true nothing is recorded until `start()` is called explicitly (consent given). @default false */
  requireConsent?: boolean;
  /** Fraction of sessions recorded, 0..1, decided once per session. @default 1 */
  sampleRate?: number;
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
   * `history`: record a navigation on every pushState/replaceState/popstate.
   * `manual`: only `markNavigation()` (router integrations set this).
   * @default 'history'
   */
  navigation?: 'history' | 'manual';
  sampling?: SamplingOptions;
  /** A full snapshot every this many ms, so a replay can start from any segment. @default 300000 */
  checkoutEveryMs?: number;
  /** Mutation circuit-breaker; `false` disables it. */
  mutationBreaker?: MutationBreakerOptions | false;
  /** Delivery (batching worker + transport) options. */
  delivery?: DeliveryOptions;
  /** Log recorder warnings to the console (dropped from production builds). @default false */
  debug?: boolean;
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
  /** `last`: record only the final value of a burst of typing. @default 'last' */
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
  /** URL of the self-hosted worker script, for a CSP without `worker-src blob:`. */
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

export interface Recorder {
  /** Start recording (gives consent when `requireConsent` is set). Idempotent; a no-op with a warning outside a browser. */
  start(): void;
  /** Stop recording and remove every listener, observer and patch. Idempotent. */
  stop(): void;
  /** Attach a user id (and traits) to the session. `null` forgets the user. */
  identify(userId: string | null, traits?: Record<string, JsonValue>): void;
  /** Record a custom event. */
  track(name: string, props?: Record<string, JsonValue>): void;
  /** Record a navigation (router integrations call this with the matched route pattern). */
  markNavigation(marker?: NavigationMarker): void;
  /** Record an error caught by the app or a framework (error boundaries, ErrorHandler). */
  captureError(error: unknown, context?: { componentStack?: string; framework?: string }): void;
  /** Send everything recorded so far. */
  flush(): Promise<void>;
  /** Stop, drop what has not been sent, and remember the choice for this browser. */
  optOut(): void;
  /**
   * For framework adapters: the app mounted. Starts recording unless `requireConsent` is set and
   * returns a release function. Reference-counted, so a double mount (React StrictMode) yields one
   * recording, one session, one set of listeners.
   */
  mount(): () => void;
  on<E extends keyof RecorderEvents>(event: E, listener: (payload: RecorderEvents[E]) => void): Unsubscribe;
  /** Current session id, or null before the first start. */
  readonly sessionId: string | null;
  readonly isRecording: boolean;
}
