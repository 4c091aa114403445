/**
 * The script-tag loader, `dist/reprise.loader.js`: a few KB that define `window.Reprise` at once
 * and fetch the script-tag recorder (`reprise.iife.js`, ~30 KB gzip, which fetches the rest
 * beside itself) asynchronously, only once recording starts and never before the page's `load` event. Calls made meanwhile are queued
 * and replayed on the full recorder; uncaught errors from the very top of the page are kept.
 */
import type { RecorderOptions } from '../types.js';
import {
  createQueueingRecorder,
  listenForEarlyErrors,
  type LazyRecorder,
  type RecorderCore,
} from './queueing-recorder.js';
import { RecorderError } from '../errors.js';
import { afterPageLoad } from './after-page-load.js';
import { trustedScriptUrl } from '../trusted-types.js';

export interface LoaderOptions {
  /**
   * URL of the full recorder script. @default `reprise.iife.js` next to the loader script
   * (resolved from the loader's own `<script src>`).
   */
  src?: string;
}

export interface LoaderRecorderOptions extends RecorderOptions {
  loader?: LoaderOptions;
}

/** `window.Reprise` while only the loader is on the page; the full script's exports join it once loaded. */
export interface RepriseLoaderGlobal {
  createRecorder(options?: LoaderRecorderOptions): LazyRecorder;
  RecorderError: typeof RecorderError;
  /** Marks the loader, so a page that includes both scripts keeps the full one. */
  readonly loader: true;
  [exported: string]: unknown;
}

const FULL_SCRIPT_NAME = 'reprise.iife.js';

type RepriseWindow = Window & { Reprise?: Partial<RepriseLoaderGlobal> & Partial<RecorderCore> };
const page = window as RepriseWindow;

// Only readable while this script is being evaluated, hence read now.
const ownScript = document.currentScript as HTMLScriptElement | null;
const defaultSrc = ownScript?.src ? new URL(FULL_SCRIPT_NAME, ownScript.src).href : undefined;

/** Uncaught errors kept from before the first recorder is created (this loader listens at once). */
const MAX_EARLY_ERRORS = 50;

/** One fetch of the full script per URL, shared by every recorder of the page. */
const loads = new Map<string, Promise<RecorderCore>>();

function loadFullScript(src: string | undefined, api: RepriseLoaderGlobal): Promise<RecorderCore> {
  if (!src) {
    return Promise.reject(
      new RecorderError(
        'load',
        `cannot tell where ${FULL_SCRIPT_NAME} is (the loader was not loaded from a <script src>): pass createRecorder({ loader: { src: 'https://.../${FULL_SCRIPT_NAME}' } }). Nothing is recorded on this page.`,
      ),
    );
  }
  let load = loads.get(src);
  if (!load) {
    load = new Promise<RecorderCore>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = trustedScriptUrl(src);
      script.async = true;
      script.onload = () => {
        // The full script declares its own `var Reprise`; keep the loader's global (with the full
        // script's exports added) so `Reprise.createRecorder` means the same thing all page long.
        const full = page.Reprise;
        page.Reprise = api;
        if (full && full !== api && typeof full.createRecorder === 'function') {
          for (const [name, value] of Object.entries(full)) if (!(name in api)) api[name] = value;
          resolve(full as RecorderCore);
        } else {
          reject(
            new RecorderError(
              'load',
              `${src} loaded but did not define Reprise.createRecorder: loader.src must point at ${FULL_SCRIPT_NAME} of the same @reprise/core version. Nothing is recorded on this page.`,
            ),
          );
        }
      };
      script.onerror = () => {
        script.remove();
        loads.delete(src);
        reject(
          new RecorderError(
            'load',
            `could not load the full recorder from ${src} (network error, 404 or blocked by a Content-Security-Policy): check loader.src and that the file is served. Nothing is recorded on this page.`,
          ),
        );
      };
      document.head.appendChild(script);
    });
    loads.set(src, load);
  }
  return load;
}

const existing = page.Reprise;
// A page that already has the full recorder (both scripts included) keeps it.
if (!existing || existing.loader === true || typeof existing.createRecorder !== 'function') {
  // Uncaught errors from the top of the page on, for the first recorder created.
  let errorsBeforeRecorder: unknown[] | undefined = [];
  listenForEarlyErrors((error) => {
    if (errorsBeforeRecorder && errorsBeforeRecorder.length < MAX_EARLY_ERRORS) errorsBeforeRecorder.push(error);
  });
  const takeErrorsBeforeRecorder = () => {
    const errors = errorsBeforeRecorder ?? [];
    errorsBeforeRecorder = undefined;
    return errors;
  };
  const api: RepriseLoaderGlobal = {
    loader: true,
    RecorderError,
    createRecorder(options = {}) {
      const { loader, ...recorderOptions } = options;
      const src = loader?.src ? new URL(loader.src, document.baseURI).href : defaultSrc;
      return createQueueingRecorder(recorderOptions, () => loadFullScript(src, api), {
        waitToLoad: afterPageLoad,
        takeErrorsBeforeRecorder,
      });
    },
  };
  page.Reprise = api;
}
