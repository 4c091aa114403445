import { getCurrentScope, inject, onScopeDispose, readonly, shallowRef, type Ref } from 'vue';
import { recorderMethods, type Recorder, type RecorderMethods } from '@reprise/core';
import { injectRecorder, SessionIdKey } from './keys.js';

export interface UseRecorderResult extends RecorderMethods {
  /** The current session id, following the recorder (start, a new session, optOut); null on the server and before recording. */
  sessionId: Readonly<Ref<string | null>>;
  /** The recorder itself, for the rest of its API (`flush`, `captureError`, `on`). */
  recorder: Recorder;
}

/** Keeps `target` at the recorder's session id until the returned function is called. */
export function followSessionId(recorder: Recorder, target: Ref<string | null>): () => void {
  target.value = recorder.sessionId;
  return recorder.subscribe((state) => {
    target.value = state.sessionId;
  });
}

/** The recorder of the app's `createRecorder()` plugin. Throws when the plugin is not installed. */
export function useRecorder(): UseRecorderResult {
  const recorder = injectRecorder('useRecorder()');
  let sessionId = inject(SessionIdKey, null);
  if (!sessionId) {
    // A recorder provided by hand (`app.provide(RecorderKey, recorder)`): a subscription of our own, for as long as the caller lives.
    const own = shallowRef<string | null>(null);
    const unfollow = followSessionId(recorder, own);
    if (getCurrentScope()) onScopeDispose(unfollow);
    sessionId = readonly(own);
  }
  return { ...recorderMethods(recorder), sessionId, recorder };
}
