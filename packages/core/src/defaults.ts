import {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  DEFAULT_MAX_STRING_LENGTH,
  type ConsoleLevel,
  type RedactionOptions,
} from '@reprise/protocol/capture';
import {
  BLOCK_ATTRIBUTE,
  BLOCK_CLASS,
  CONTENTEDITABLE_SELECTOR,
  MASK_ATTRIBUTE,
  MASK_CLASS,
  RRWEB_MASK_SELECTOR,
  UNMASK_ATTRIBUTE,
  type ResolvedPrivacy,
} from './privacy.js';
import type { AssetOptions, DeliveryOptions, RecorderOptions } from './types.js';

/*
 * Every default of `RecorderOptions`, named here and applied by `resolveCaptureOptions()` (what
 * DOM capture needs, below) and `resolveOptions()` (the rest, resolve-options.ts).
 * The README's option table mirrors this file.
 */

export const DEFAULT_REQUIRE_CONSENT = false;
export const DEFAULT_SAMPLE_RATE = 1;
export const DEFAULT_CAPTURE_ERRORS = true;
export const DEFAULT_NAVIGATION = 'history' as const;
/** A full snapshot every 5 minutes, so a replay can start from any segment. */
export const DEFAULT_CHECKOUT_EVERY_MS = 5 * 60 * 1000;
/** Canvas recording, when turned on: frames a second, and the WebP quality of each frame. */
export const DEFAULT_CANVAS_FPS = 2;
export const MAX_CANVAS_FPS = 10;
export const DEFAULT_CANVAS_QUALITY = 0.6;
export const DEFAULT_DEBUG = false;
export const DEFAULT_ASSET_MAX_BYTES = 2 * 1024 * 1024;
export const DEFAULT_ASSET_SESSION_MAX_BYTES = 16 * 1024 * 1024;
export const DEFAULT_ASSET_WAIT_MS = 5000;

export const DEFAULT_MASK_SELECTORS: readonly string[] = [
  `[${MASK_ATTRIBUTE}]`,
  `.${MASK_CLASS}`,
  CONTENTEDITABLE_SELECTOR,
  RRWEB_MASK_SELECTOR,
];
export const DEFAULT_BLOCK_SELECTORS: readonly string[] = [`[${BLOCK_ATTRIBUTE}]`, `.${BLOCK_CLASS}`];
export const DEFAULT_UNMASK_SELECTORS: readonly string[] = [`[${UNMASK_ATTRIBUTE}]`];
export const DEFAULT_REDACTION: Readonly<Required<RedactionOptions>> = {
  emails: true,
  cards: true,
  secretFields: true,
  dropQueryStrings: false,
  ssn: true,
  phones: false,
  patterns: [],
};

export const DEFAULT_SAMPLING_MOUSEMOVE_MS = 50;
export const DEFAULT_SAMPLING_SCROLL_MS = 150;
export const DEFAULT_SAMPLING_INPUT = 'last' as const;

export const DEFAULT_CONSOLE_LEVELS: readonly ConsoleLevel[] = [
  'log',
  'info',
  'warn',
  'error',
  'debug',
  'trace',
  'assert',
];
export const DEFAULT_CONSOLE_MAX_ARG_LENGTH = 2000;
/** Arguments beyond this many are dropped (and the event marked `truncated`). */
export const DEFAULT_CONSOLE_MAX_ARGS = 50;

export const DEFAULT_NETWORK_CAPTURE_HEADERS = false;
export const DEFAULT_NETWORK_CAPTURE_BODIES = false;
export const DEFAULT_NETWORK_MAX_BODY_LENGTH = 10_000;
/** Reading a response body for capture gives up after this long (streams may never end). */
export const DEFAULT_NETWORK_BODY_TIMEOUT_MS = 5000;
export const DEFAULT_BREAKER_MAX_MUTATIONS = 10_000;
export const DEFAULT_BREAKER_WINDOW_MS = 1000;
export const DEFAULT_BREAKER_RESUME_AFTER_MS = 1000;

/**
 * Upper bounds of the size options, from the protocol's limits (what a collector accepts): a body
 * or console argument is one string, at most `DEFAULT_MAX_STRING_LENGTH` (2 MiB) characters, and
 * a batch decodes to at most `DEFAULT_MAX_DECOMPRESSED_BYTES` (8 MiB). A larger value set in the
 * options is lowered to the bound (with an `options` RecorderError): above it, the collector
 * refuses every batch carrying such an event.
 */
export const MAX_NETWORK_MAX_BODY_LENGTH = DEFAULT_MAX_STRING_LENGTH;
export const MAX_CONSOLE_MAX_ARG_LENGTH = DEFAULT_MAX_STRING_LENGTH;
export const MAX_DELIVERY_MAX_BATCH_BYTES = DEFAULT_MAX_DECOMPRESSED_BYTES;

/** A session's stored activity time is refreshed at most this often. */
export const SESSION_TOUCH_INTERVAL_MS = 5000;

/**
 * Longest text of an error event recorded, in characters: name, message, stack, a framework's
 * component stack, file name. Longer ones are cut and end with `…`.
 */
export const MAX_ERROR_TEXT_LENGTH = 10_000;
/** Links of an error's `cause` chain recorded (each capped like the error's own text). */
export const MAX_ERROR_CAUSES = 5;
/**
 * The rate bound on console messages and on errors, each kind on its own: a burst of
 * `RATE_BOUND_BURST` is recorded as it comes, then `RATE_BOUND_PER_SECOND` (recorder/rate-bounds.ts).
 */
export const RATE_BOUND_BURST = 100;
export const RATE_BOUND_PER_SECOND = 10;
/** Nesting kept in `track()` props and `identify()` traits; deeper values become `[Object]` / `[Array]`. */
export const MAX_USER_VALUE_DEPTH = 10;
/** What a reference back to an enclosing object becomes in `track()` props and `identify()` traits. */
export const CIRCULAR_MARKER = '[Circular]';

export interface ResolvedNetwork {
  captureHeaders: boolean | string[];
  captureBodies: boolean;
  maxBodyLength: number;
  bodyTimeoutMs: number;
  ignoreUrls: Array<string | RegExp>;
}

export interface ResolvedConsole {
  levels: ConsoleLevel[];
  maxArgLength: number;
  maxArgs: number;
}

export interface ResolvedBreaker {
  maxMutations: number;
  windowMs: number;
  resumeAfterMs: number;
}

/** `RecorderOptions` with every default applied. */
export interface ResolvedOptions {
  project: string | undefined;
  endpoint: string | undefined;
  requireConsent: boolean;
  sampleRate: number;
  onEvents: RecorderOptions['onEvents'];
  onError: RecorderOptions['onError'];
  privacy: ResolvedPrivacy;
  network: ResolvedNetwork | false;
  console: ResolvedConsole | false;
  errors: boolean;
  navigation: 'history' | 'manual';
  sampling: { mousemove: number; scroll: number; input: 'last' | 'all' };
  checkoutEveryMs: number;
  canvas: { fps: number; quality: number } | false;
  mutationBreaker: ResolvedBreaker | false;
  assets: Required<AssetOptions> | false;
  delivery: DeliveryOptions;
  debug: boolean;
}

export function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function clampRate(value: number | undefined): number {
  if (typeof value !== 'number' || Number.isNaN(value)) return DEFAULT_SAMPLE_RATE;
  return Math.min(1, Math.max(0, value));
}

/**
 * What DOM capture (rrweb behind the mutation breaker) needs: the early capture, which an app's
 * first chunk and the script tag's first file carry, resolves only these, and the rest of the
 * defaults arrive with the full recorder.
 */
export type ResolvedCaptureOptions = Pick<
  ResolvedOptions,
  'sampleRate' | 'sampling' | 'checkoutEveryMs' | 'canvas' | 'mutationBreaker' | 'debug'
> & { privacy: Omit<ResolvedPrivacy, 'redact'> };

export function resolveCaptureOptions(options: RecorderOptions = {}): ResolvedCaptureOptions {
  const privacy = options.privacy ?? {};
  const breaker = options.mutationBreaker;
  const sampling = options.sampling ?? {};
  return {
    sampleRate: clampRate(options.sampleRate),
    privacy: {
      maskSelectors: [...DEFAULT_MASK_SELECTORS, ...(privacy.maskSelectors ?? [])],
      blockSelectors: [...DEFAULT_BLOCK_SELECTORS, ...(privacy.blockSelectors ?? [])],
      unmaskSelectors: [...DEFAULT_UNMASK_SELECTORS, ...(privacy.unmaskSelectors ?? [])],
    },
    sampling: {
      mousemove: positive(sampling.mousemove, DEFAULT_SAMPLING_MOUSEMOVE_MS),
      scroll: positive(sampling.scroll, DEFAULT_SAMPLING_SCROLL_MS),
      input: sampling.input ?? DEFAULT_SAMPLING_INPUT,
    },
    checkoutEveryMs: positive(options.checkoutEveryMs, DEFAULT_CHECKOUT_EVERY_MS),
    canvas: options.canvas
      ? {
          // Lowered without a report (the first file of the page carries this code: no message text).
          fps: Math.min(MAX_CANVAS_FPS, positive(options.canvas.fps, DEFAULT_CANVAS_FPS)),
          quality:
            options.canvas.quality! >= 0 && options.canvas.quality! <= 1
              ? options.canvas.quality!
              : DEFAULT_CANVAS_QUALITY,
        }
      : false,
    mutationBreaker:
      breaker === false
        ? false
        : {
            maxMutations: positive(breaker?.maxMutations, DEFAULT_BREAKER_MAX_MUTATIONS),
            windowMs: positive(breaker?.windowMs, DEFAULT_BREAKER_WINDOW_MS),
            resumeAfterMs: positive(breaker?.resumeAfterMs, DEFAULT_BREAKER_RESUME_AFTER_MS),
          },
    debug: options.debug ?? DEFAULT_DEBUG,
  };
}
