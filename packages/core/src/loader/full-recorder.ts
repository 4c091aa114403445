import type { RecorderCore } from './queueing-recorder.js';

/**
 * The full recorder as its own chunk, for bundlers: an app's bundler turns this `import()` into a
 * lazily loaded file. Its `createRecorder` takes over an early capture when given one.
 */
export function importFullRecorder(): Promise<RecorderCore> {
  return import('../recorder.js').then((module) => ({ createRecorder: module.createRecorderWith }));
}
