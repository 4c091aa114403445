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
  /** The current session id; re-renders the component when recording starts or stops. */
  sessionId: string | null;
  /** The recorder itself, for the rest of its API (`flush`, `captureError`, `on`). */
  recorder: Recorder;
}

const serverSessionId = () => null;

/** The recorder of the nearest `<RecorderProvider>`. Throws when there is none. */
export function useRecorder(): UseRecorderResult {
  const recorder = useRecorderInstance('useRecorder()');
  const subscribe = useCallback((onChange: () => void) => {
    const offStart = recorder.on('start', onChange);
    const offStop = recorder.on('stop', onChange);
    return () => {
      offStart();
      offStop();
    };
  }, [recorder]);
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
