import type { ConsoleLevel, RedactionOptions } from '@reprise/protocol/capture';

/*
 * The defaults of what the full recorder adds to DOM capture (console, network and error
 * capture, redaction, assets, delivery). Apart from defaults.ts, and from the public limits
 * (limits.ts), because a bundler puts a module in one chunk: a module that an app's first chunk
 * reaches (defaults.ts through the early capture, limits.ts through the package's index) is
 * shipped there, and what only the rest of the recorder reads would weigh on it for nothing.
 */

export const DEFAULT_REQUIRE_CONSENT = false;
export const DEFAULT_CAPTURE_ERRORS = true;
export const DEFAULT_NAVIGATION = 'history' as const;
export const DEFAULT_ASSET_MAX_BYTES = 2 * 1024 * 1024;
export const DEFAULT_ASSET_SESSION_MAX_BYTES = 16 * 1024 * 1024;
export const DEFAULT_ASSET_WAIT_MS = 5000;

export const DEFAULT_REDACTION: Readonly<Required<RedactionOptions>> = {
  emails: true,
  cards: true,
  secretFields: true,
  dropQueryStrings: false,
  ssn: true,
  phones: false,
  patterns: [],
};

export const DEFAULT_CONSOLE_LEVELS: readonly ConsoleLevel[] = [
  'log',
  'info',
  'warn',
  'error',
  'debug',
  'trace',
  'assert',
  'table',
  'dir',
  'count',
  'timeLog',
  'timeEnd',
  'group',
];
export const DEFAULT_CONSOLE_MAX_ARG_LENGTH = 2000;
/** Arguments beyond this many are dropped (and the event marked `truncated`). */
export const DEFAULT_CONSOLE_MAX_ARGS = 50;

export const DEFAULT_NETWORK_CAPTURE_HEADERS = false;
export const DEFAULT_NETWORK_CAPTURE_BODIES = false;
export const DEFAULT_NETWORK_MAX_BODY_LENGTH = 10_000;
/** Reading a response body for capture gives up after this long (streams may never end). */
export const DEFAULT_NETWORK_BODY_TIMEOUT_MS = 5000;

/** A session's stored activity time is refreshed at most this often. */
export const SESSION_TOUCH_INTERVAL_MS = 5000;
