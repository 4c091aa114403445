import { createRecorder } from './loader/split.js';
import type { Recorder, RecorderOptions } from './types.js';

/*
 * What every framework adapter (React, Vue, Angular) would otherwise write for itself: which
 * recorder methods its hook / composable / injectable hands out, and how "options or a recorder
 * made elsewhere" becomes one recorder. The app's lifetime is `recorder.mount()` (reference-counted)
 * and route changes go through `createNavigationMarkers()`; adapters only translate into their
 * framework's idiom.
 */

/** The methods `useRecorder()` (React, Vue) and `injectRecorder()` (Angular) hand out, bound. */
export const RECORDER_METHODS = [
  'identify',
  'track',
  'markNavigation',
  'start',
  'stop',
  'optOut',
  'replayUrl',
] as const;

export type RecorderMethods = Pick<Recorder, (typeof RECORDER_METHODS)[number]>;

const boundMethods = new WeakMap<Recorder, RecorderMethods>();

/**
 * `RECORDER_METHODS` bound to the recorder, so they can be destructured and passed as callbacks
 * (`const { track } = useRecorder()`). The same object for the same recorder: a framework that
 * compares identities (React's memo, Angular's signals) sees no change.
 */
export function recorderMethods(recorder: Recorder): RecorderMethods {
  let methods = boundMethods.get(recorder);
  if (!methods) {
    methods = Object.fromEntries(
      RECORDER_METHODS.map((name) => [name, recorder[name].bind(recorder)]),
    ) as unknown as RecorderMethods;
    boundMethods.set(recorder, methods);
  }
  return methods;
}

/** What an adapter's setup accepts: the core's options, or a recorder created with `createRecorder()` elsewhere. */
export type RecorderInput = RecorderOptions | { recorder: Recorder };

/**
 * The recorder an adapter's setup stands for: the given one, or a new one from the options. Keys
 * that are not recorder options (an adapter's own, like `router`) are the adapter's to remove first.
 */
export function resolveRecorder(input: RecorderInput = {}): Recorder {
  return 'recorder' in input && input.recorder ? input.recorder : createRecorder(input as RecorderOptions);
}
