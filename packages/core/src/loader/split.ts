import { RecorderError } from '../errors.js';
import { startEarlyCapture } from './early-capture.js';
import { importFullRecorder } from './full-recorder.js';
import { createQueueingRecorder, type RecorderCore } from './queueing-recorder.js';
import type { Recorder, RecorderOptions } from '../types.js';

/*
 * `createRecorder` as `@reprise/core` exports it to bundlers: as the script tag does (script.ts),
 * the app's first chunk carries rrweb and what starts it, so recording begins at `start()`, and the
 * rest of the recorder (console, network and error capture, redaction, delivery, assets) arrives
 * by `import()` as its own chunk and takes the recording over. Calls made meanwhile are queued.
 */

let fullRecorder: RecorderCore | undefined;

function loadFullRecorder(): Promise<RecorderCore> {
  return importFullRecorder().then((core) => (fullRecorder = core));
}

/**
 * Fetch the rest of the recorder now, without starting anything; resolves once it is here, after
 * which `createRecorder()` returns the whole recorder at once. For an app that needs console
 * messages and requests recorded from its first line: await it before the app starts its work.
 * Rejects with a `RecorderError` (code `load`) when the chunk cannot be loaded.
 */
export function loadRecorder(): Promise<void> {
  if (fullRecorder) return Promise.resolve();
  return loadFullRecorder().then(
    () => undefined,
    (error: unknown) => {
      throw new RecorderError(
        'load',
        `could not load the rest of the recorder (${error instanceof Error ? error.message : String(error)}): check that the app's chunks are served. Nothing is recorded until it loads.`,
        { cause: error },
      );
    },
  );
}

/**
 * Create a recorder (README.md). Nothing happens until `start()` (or an adapter's `mount()`);
 * creating one is safe during server-side rendering. Once the rest of the recorder has arrived,
 * this returns the full recorder itself.
 */
export function createRecorder(options: RecorderOptions = {}): Recorder {
  if (fullRecorder) return fullRecorder.createRecorder(options);
  return createQueueingRecorder(options, loadFullRecorder, { startEarly: startEarlyCapture });
}
