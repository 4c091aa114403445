/**
 * Reprise events are rrweb events, so any rrweb replayer plays a Reprise session.
 * Reprise's own kinds (navigation, console, network, error, identify, custom, breaker, session) travel as
 * rrweb custom events (`type: 5`) whose `data.tag` starts with `reprise.`.
 */

/** rrweb's `EventType`, repeated here so the protocol has no runtime dependency on rrweb. */
export const EventType = {
  DomContentLoaded: 0,
  Load: 1,
  FullSnapshot: 2,
  IncrementalSnapshot: 3,
  Meta: 4,
  Custom: 5,
  Plugin: 6,
} as const;
export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

/** Any recorded event: rrweb's `{ type, data, timestamp }`. */
export interface RecordedEvent {
  type: number;
  data: unknown;
  timestamp: number;
  delay?: number;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const REPRISE_TAG_PREFIX = 'reprise.';

export const RepriseTag = {
  navigation: 'reprise.navigation',
  console: 'reprise.console',
  network: 'reprise.network',
  error: 'reprise.error',
  identify: 'reprise.identify',
  custom: 'reprise.custom',
  breaker: 'reprise.breaker',
  session: 'reprise.session',
} as const;
export type RepriseKind = keyof typeof RepriseTag;

/** `restore`: the page came back from the browser's back/forward cache, as it was (no load). */
export type NavigationType = 'initial' | 'push' | 'replace' | 'pop' | 'reload' | 'restore';

export interface NavigationPayload {
  /** Full URL after the navigation (redacted like any other string). */
  url: string;
  /** Matched route pattern, e.g. `/users/:id`, when a router integration knows it. */
  route?: string;
  /** The matched route's name, when the router names routes (Vue Router's `name`). */
  name?: string;
  params?: Record<string, string>;
  navigationType?: NavigationType;
  title?: string;
  /** Route changes left out just before this one, because the app navigated faster than the rate bound (a redirect loop; as `ConsolePayload.skipped`). */
  skipped?: number;
}

/**
 * A recorded URL's path and query (`https://shop.example/cart?x=1` → `/cart?x=1`): within one
 * session the host rarely changes, so this is what tells pages and requests apart on screen. The
 * URL as recorded if it does not parse (redaction may have replaced part of it).
 */
export function urlPath(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

/**
 * The console method a message came from (`group` also stands for `groupCollapsed`). `count`,
 * `timeLog` and `timeEnd` carry the line the browser prints for them ("clicks: 3", "load: 12.5 ms").
 */
export type ConsoleLevel =
  | 'debug'
  | 'log'
  | 'info'
  | 'warn'
  | 'error'
  | 'trace'
  | 'assert'
  | 'table'
  | 'dir'
  | 'count'
  | 'timeLog'
  | 'timeEnd'
  | 'group';

export interface ConsolePayload {
  level: ConsoleLevel;
  /** Each argument serialized to a bounded string. */
  args: string[];
  /** True when arguments were cut to fit the size caps. */
  truncated?: boolean;
  /** Call-site stack, for `trace` and `assert`. */
  trace?: string;
  /**
   * Console messages the recorder left out just before this one, because the page logged faster
   * than the rate bound (a log in a loop): the replay can say that messages are missing, and how many.
   */
  skipped?: number;
}

export interface NetworkPayload {
  /** `resource`: an image, script, stylesheet or media file of the page that failed to load. */
  initiator: 'fetch' | 'xhr' | 'resource';
  method: string;
  url: string;
  /** HTTP status; 0 when the request failed before a response (network error, abort, CORS). */
  status: number;
  /** Epoch milliseconds when the request started. */
  startTime: number;
  /** Milliseconds from start to the end of the response (or failure). */
  duration: number;
  requestSize?: number;
  responseSize?: number;
  requestHeaders?: Record<string, string>;
  responseHeaders?: Record<string, string>;
  requestBody?: string;
  responseBody?: string;
  /**
   * The GraphQL operation the request carries, as its type and name (`mutation AddToCart`; a
   * batch's, comma-separated), read from its body or a GET's query string whether or not bodies
   * are recorded.
   */
  operation?: string;
  /**
   * Failure description: when `status` is 0, and for every `resource` entry (one that failed with a
   * 200, such as a picture that does not decode, has only this to say so).
   */
  error?: string;
  /** Requests left out just before this one, because the page sent them faster than the rate bound (as `ConsolePayload.skipped`). */
  skipped?: number;
}

/** One link of an error's `cause` chain (`new Error('…', { cause })`). */
export interface ErrorCause {
  name?: string;
  message: string;
  stack?: string;
}

/**
 * An error in one line, as the player labels it and the collector's index searches it:
 * `TypeError: x is undefined`, the name once (browsers already put it in uncaught errors' messages).
 */
export function errorTitle({ name, message }: { name?: unknown; message: string }): string {
  return typeof name === 'string' && name !== '' && !message.includes(name) ? `${name}: ${message}` : message;
}

export interface ErrorPayload {
  source: 'error' | 'unhandledrejection' | 'framework' | 'manual';
  name?: string;
  message: string;
  stack?: string;
  /** The error's `cause`, that one's `cause` and so on, the direct cause first (a few at most). */
  causes?: ErrorCause[];
  filename?: string;
  lineno?: number;
  colno?: number;
  /** Framework component stack (React, Vue, Angular), when an adapter supplies it. */
  componentStack?: string;
  framework?: string;
  /** The component the error came from, when the framework names it (Vue's component name). */
  component?: string;
  /** Where in the framework it happened, as the framework says it (Vue's errorHandler `info`: a lifecycle hook, "render function"...). */
  info?: string;
  /** Errors left out just before this one, because the page threw faster than the rate bound (as `ConsolePayload.skipped`). */
  skipped?: number;
}

export interface IdentifyPayload {
  userId: string | null;
  traits?: Record<string, JsonValue>;
}

export interface CustomPayload {
  name: string;
  props?: Record<string, JsonValue>;
  /** Custom events left out just before this one, because the app tracked faster than the rate bound (as `ConsolePayload.skipped`). */
  skipped?: number;
}

/** The mutation circuit-breaker paused or resumed DOM capture. */
export interface BreakerPayload {
  state: 'paused' | 'resumed';
  /** Node changes counted in the window that tripped the breaker. */
  mutations: number;
  windowMs: number;
}

/**
 * A session gave way to a new one in the same tab: it expired (`idle`: 30 minutes without activity;
 * `maxDuration`: 24 hours old) or its stored state was gone or replaced (`reset`). `ended` is the
 * old session's last event, `started` follows the new session's first full snapshot; each names
 * the other session, so a player or an index can chain them.
 */
export interface SessionPayload {
  state: 'ended' | 'started';
  reason: 'idle' | 'maxDuration' | 'reset';
  /** On `ended`: the session recording continues in. */
  nextSessionId?: string;
  /** On `started`: the session that ended. */
  previousSessionId?: string;
}

export interface ReprisePayloads {
  navigation: NavigationPayload;
  console: ConsolePayload;
  network: NetworkPayload;
  error: ErrorPayload;
  identify: IdentifyPayload;
  custom: CustomPayload;
  breaker: BreakerPayload;
  session: SessionPayload;
}

export interface RepriseEvent<K extends RepriseKind = RepriseKind> extends RecordedEvent {
  type: typeof EventType.Custom;
  data: { tag: (typeof RepriseTag)[K]; payload: ReprisePayloads[K] };
}

export function createRepriseEvent<K extends RepriseKind>(
  kind: K,
  payload: ReprisePayloads[K],
  timestamp: number = Date.now(),
): RepriseEvent<K> {
  return { type: EventType.Custom, timestamp, data: { tag: RepriseTag[kind], payload } };
}

/** Narrow any recorded event to a Reprise event of one kind (or of any kind). */
export function isRepriseEvent<K extends RepriseKind>(event: RecordedEvent, kind?: K): event is RepriseEvent<K> {
  if (event.type !== EventType.Custom) return false;
  const tag = (event.data as { tag?: unknown } | null)?.tag;
  if (typeof tag !== 'string') return false;
  return kind === undefined ? tag.startsWith(REPRISE_TAG_PREFIX) : tag === RepriseTag[kind];
}
