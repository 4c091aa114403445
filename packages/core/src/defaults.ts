import type { ConsoleLevel } from '@reprise/protocol/capture';
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
 * The defaults of what DOM capture needs, applied by `resolveCaptureOptions()` (below); those of
 * the rest of the recorder are in recorder-defaults.ts, applied by `resolveOptions()`
 * (resolve-options.ts). The README's option table mirrors the two files.
 */

export const DEFAULT_SAMPLE_RATE = 1;
/** Sessions held in memory for an error to send (`errorSampleRate`): none unless asked for. */
export const DEFAULT_ERROR_SAMPLE_RATE = 0;
/** A full snapshot every 5 minutes, so a replay can start from any segment. */
export const DEFAULT_CHECKOUT_EVERY_MS = 5 * 60 * 1000;
/** Canvas recording, when turned on: frames a second, and the WebP quality of each frame. */
export const DEFAULT_CANVAS_FPS = 2;
export const MAX_CANVAS_FPS = 10;
export const DEFAULT_CANVAS_QUALITY = 0.6;
export const DEFAULT_DEBUG = false;

export const DEFAULT_MASK_SELECTORS: readonly string[] = [
  `[${MASK_ATTRIBUTE}]`,
  `.${MASK_CLASS}`,
  CONTENTEDITABLE_SELECTOR,
  RRWEB_MASK_SELECTOR,
];
export const DEFAULT_BLOCK_SELECTORS: readonly string[] = [`[${BLOCK_ATTRIBUTE}]`, `.${BLOCK_CLASS}`];
export const DEFAULT_UNMASK_SELECTORS: readonly string[] = [`[${UNMASK_ATTRIBUTE}]`];

export const DEFAULT_SAMPLING_MOUSEMOVE_MS = 50;
export const DEFAULT_SAMPLING_SCROLL_MS = 150;
export const DEFAULT_SAMPLING_INPUT = 'last' as const;

export const DEFAULT_BREAKER_MAX_MUTATIONS = 10_000;
export const DEFAULT_BREAKER_WINDOW_MS = 1000;
export const DEFAULT_BREAKER_RESUME_AFTER_MS = 1000;

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
  errorSampleRate: number;
  onEvents: RecorderOptions['onEvents'];
  keepSessionOnError: RecorderOptions['keepSessionOnError'];
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

function clampRate(value: number | undefined, fallback: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) return fallback;
  return Math.min(1, Math.max(0, value));
}

/**
 * What DOM capture (rrweb behind the mutation breaker) needs: the early capture, which an app's
 * first chunk and the script tag's first file carry, resolves only these, and the rest of the
 * defaults arrive with the full recorder.
 */
export type ResolvedCaptureOptions = Pick<
  ResolvedOptions,
  'sampleRate' | 'errorSampleRate' | 'sampling' | 'checkoutEveryMs' | 'canvas' | 'mutationBreaker' | 'debug'
> & { privacy: Omit<ResolvedPrivacy, 'redact'> };

export function resolveCaptureOptions(options: RecorderOptions = {}): ResolvedCaptureOptions {
  const privacy = options.privacy ?? {};
  const breaker = options.mutationBreaker;
  const sampling = options.sampling ?? {};
  return {
    sampleRate: clampRate(options.sampleRate, DEFAULT_SAMPLE_RATE),
    errorSampleRate: clampRate(options.errorSampleRate, DEFAULT_ERROR_SAMPLE_RATE),
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
