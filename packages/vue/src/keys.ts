import { hasInjectionContext, inject, type InjectionKey, type Ref } from 'vue';
import type { Recorder } from '@reprise/core';

/** The app's recorder, provided by the plugin: `inject(RecorderKey)`. Each app has its own. */
export const RecorderKey: InjectionKey<Recorder> = Symbol('@reprise/vue recorder');

/** The app's session id: one subscription per app, however many components read it. */
export const SessionIdKey: InjectionKey<Readonly<Ref<string | null>>> = Symbol('@reprise/vue session id');

/** The plugin's recorder; throws with the fix without the plugin or outside an injection context. */
export function injectRecorder(caller: string): Recorder {
  // hasInjectionContext() first: inject() outside setup() only warns and returns undefined.
  const recorder = hasInjectionContext() ? inject(RecorderKey, null) : null;
  if (!recorder) {
    throw new Error(
      `[@reprise/vue] ${caller} needs app.use(createRecorder()) first, and must be called in a component's setup() (or app.runWithContext())`,
    );
  }
  return recorder;
}
