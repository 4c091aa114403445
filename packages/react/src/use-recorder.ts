import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { Recorder } from '@reprise/core';
import { useRecorderInstance } from './context.js';

export interface UseRecorderResult {
  identify: Recorder['identify'];
  track: Recorder['track'];
  markNavigation: Recorder['markNavigation'];
  start: Recorder['start'];
  stop: Recorder['stop'];
  optOut: Recorder['optOut'];
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
  const methods = useMemo(() => ({
    identify: recorder.identify.bind(recorder),
    track: recorder.track.bind(recorder),
    markNavigation: recorder.markNavigation.bind(recorder),
    start: recorder.start.bind(recorder),
    stop: recorder.stop.bind(recorder),
    optOut: recorder.optOut.bind(recorder),
  }), [recorder]);
  return useMemo(() => ({ ...methods, sessionId, recorder }), [methods, sessionId, recorder]);
}
