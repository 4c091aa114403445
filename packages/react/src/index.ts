export { RecorderProvider, type RecorderProviderProps } from './provider.js';
export { useRecorder, type UseRecorderResult } from './use-recorder.js';
export { Mask, Block, Unmask, maskProps, blockProps, unmaskProps, type PrivacyProps } from './privacy.js';
export {
  RecorderErrorBoundary,
  reactErrorHandler,
  type RecorderErrorBoundaryProps,
  type FallbackProps,
} from './error-boundary.js';
export type { Recorder, RecorderOptions, NavigationMarker } from '@reprise/core';
