import { useCallback, useMemo, useSyncExternalStore } from 'react';
import { recorderMethods, type Recorder, type RecorderMethods } from '@reprise/core';
import { useRecorderInstance } from './context.js';

export interface UseRecorderResult extends RecorderMethods {
  /** The current session id; the component re-renders when it changes (start, a new session, optOut). */
  sessionId: string | null;
  /** The recorder itself, for the rest of its API (`flush`, `captureError`, `on`). */
  recorder: Recorder;
}

const serverSessionId = () => null;

/** The recorder of the nearest `<RecorderProvider>`. Throws when there is none. */
export function useRecorder(): UseRecorderResult {
  const recorder = useRecorderInstance('useRecorder()');
  const subscribe = useCallback((onChange: () => void) => recorder.subscribe(onChange), [recorder]);
  const sessionId = useSyncExternalStore(subscribe, () => recorder.sessionId, serverSessionId);
  // The core binds them once per recorder, so they keep their identity across renders.
  return useMemo(() => ({ ...recorderMethods(recorder), sessionId, recorder }), [sessionId, recorder]);
}
