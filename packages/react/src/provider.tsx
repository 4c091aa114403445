import { useEffect, useState, type ReactElement, type ReactNode } from 'react';
import { createRecorder, type Recorder, type RecorderOptions } from '@reprise/core';
import { RecorderContext } from './context.js';

export type RecorderProviderProps =
  | { options?: RecorderOptions; recorder?: never; children?: ReactNode }
  | { recorder: Recorder; options?: never; children?: ReactNode };

/**
 * Makes a recorder available to `useRecorder()` and records while mounted. Either pass
 * `options` (the provider creates the recorder once; later changes to `options` are ignored) or a
 * `recorder` you created with `createRecorder()` outside React.
 */
export function RecorderProvider({ options, recorder: givenRecorder, children }: RecorderProviderProps): ReactElement {
  // useState, not useMemo: React may drop a memo, but never state, so the recorder is created once
  // per provider. Creating a recorder is side-effect free, so StrictMode's discarded second call is harmless.
  const [ownRecorder] = useState(() => (givenRecorder ? null : createRecorder(options)));
  const recorder = givenRecorder ?? ownRecorder!;
  // mount() is reference-counted in the core: StrictMode's mount, unmount, mount keeps one recording.
  useEffect(() => recorder.mount(), [recorder]);
  return <RecorderContext.Provider value={recorder}>{children}</RecorderContext.Provider>;
}
