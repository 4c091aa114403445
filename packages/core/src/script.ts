/**
 * The script tag's first file (dist/reprise.iife.js, window.Reprise): rrweb and what starts it,
 * so recording begins at `start()`; the rest of the recorder (dist/reprise.recorder.js: console,
 * network and error capture, redaction, delivery, asset capture) is fetched from beside this file
 * at the same moment and takes the recording over when it arrives. Calls made meanwhile are
 * queued and replayed, as with the loader. `Reprise.load()` fetches the rest without starting.
 */
import * as rrweb from '@rrweb/record';
import { RecorderError } from './errors.js';
import { startEarlyCapture } from './loader/early-capture.js';
import { createQueueingRecorder, type RecorderCore } from './loader/queueing-recorder.js';
import { trustedScriptUrl } from './trusted-types.js';
import type { Recorder, RecorderOptions } from './types.js';

export { RecorderError };

/** Beside this file; built from src/script-recorder.ts. */
export const RECORDER_SCRIPT = 'reprise.recorder.js';
/** Where reprise.recorder.js finds this file's rrweb (one rrweb per page: it keeps the page's node ids). */
const RRWEB_GLOBAL = '__repriseRrweb';
/** Where reprise.recorder.js leaves its exports. */
const RECORDER_GLOBAL = '__repriseRecorder';

type Page = typeof globalThis & { [RRWEB_GLOBAL]?: typeof rrweb; [RECORDER_GLOBAL]?: RecorderCore; Reprise?: object };
const page = globalThis as Page;
page[RRWEB_GLOBAL] ??= rrweb;

// Only readable while this script is being evaluated, hence read now.
const ownScript = typeof document !== 'undefined' ? (document.currentScript as HTMLScriptElement | null) : null;
const recorderSrc = ownScript?.src ? new URL(RECORDER_SCRIPT, ownScript.src).href : undefined;

let loading: Promise<RecorderCore> | undefined;

/**
 * Fetch reprise.recorder.js (once per page) and add its exports to `window.Reprise`. start()
 * calls this itself; call it to have the rest ready before starting, or to use the delivery alone.
 */
export function load(): Promise<RecorderCore> {
  loading ??= new Promise<RecorderCore>((resolve, reject) => {
    if (page[RECORDER_GLOBAL]) return resolve(page[RECORDER_GLOBAL]);
    if (!recorderSrc) {
      return reject(
        new RecorderError(
          'load',
          `reprise.iife.js was not loaded from a <script src>, so ${RECORDER_SCRIPT} cannot be found beside it: load it with <script src>. Nothing is recorded on this page.`,
        ),
      );
    }
    const script = document.createElement('script');
    script.src = trustedScriptUrl(recorderSrc);
    script.async = true;
    script.onload = () => {
      const rest = page[RECORDER_GLOBAL];
      if (!rest) {
        reject(
          new RecorderError(
            'load',
            `${recorderSrc} did not define the recorder: serve ${RECORDER_SCRIPT} of the same @reprise/core version beside reprise.iife.js.`,
          ),
        );
        return;
      }
      const api = page.Reprise as Record<string, unknown> | undefined;
      if (api) for (const [name, value] of Object.entries(rest)) if (!(name in api)) api[name] = value;
      resolve(rest);
    };
    script.onerror = () => {
      loading = undefined;
      reject(
        new RecorderError(
          'load',
          `could not load ${recorderSrc} (network error, 404 or blocked by a Content-Security-Policy): serve it beside reprise.iife.js. Nothing is recorded on this page.`,
        ),
      );
    };
    document.head.appendChild(script);
  });
  return loading;
}

/**
 * The recorder (README.md): recording starts at start(), and the rest of the recorder arrives
 * meanwhile. Once the rest is on the page, this is the full recorder itself.
 */
export function createRecorder(options: RecorderOptions = {}): Recorder {
  const rest = page[RECORDER_GLOBAL];
  if (rest) return rest.createRecorder(options);
  return createQueueingRecorder(options, load, { startEarly: startEarlyCapture });
}
