import { createContext, useContext } from 'react';
import type { Recorder } from '@reprise/core';

/** The recorder of the nearest `<RecorderProvider>`, or null outside one. */
export const RecorderContext = createContext<Recorder | null>(null);

/** The provider's recorder; throws with the fix when there is no provider. */
export function useRecorderInstance(hookName: string): Recorder {
  const recorder = useContext(RecorderContext);
  if (recorder === null) {
    throw new Error(
      `[@reprise/react] ${hookName} needs <RecorderProvider> above it: wrap your app in <RecorderProvider options={...}>`,
    );
  }
  return recorder;
}
