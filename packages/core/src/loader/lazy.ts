/**
 * `@reprise/core/lazy`: the recorder for bundlers, without the full recorder in the page's first
 * bundle. `createLazyRecorder()` returns a `Recorder` at once; the core is fetched with a dynamic
 * `import()` (its own chunk) on the first `start()` / `mount()`, after the page's `load` event.
 */
import type { RecorderOptions } from '../types.js';
import { afterPageLoad } from './after-page-load.js';
import { importFullRecorder } from './full-recorder.js';
import { createQueueingRecorder, type LazyRecorder } from './queueing-recorder.js';

export { MAX_QUEUED_CALLS, type LazyRecorder } from './queueing-recorder.js';
export { RecorderError, type RecorderErrorCode } from '../errors.js';

export function createLazyRecorder(options: RecorderOptions = {}): LazyRecorder {
  return createQueueingRecorder(options, importFullRecorder, { waitToLoad: afterPageLoad });
}
