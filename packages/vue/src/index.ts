export { createRecorder, type CreateRecorderOptions, type RecorderPlugin } from './plugin.js';
export { useRecorder, type UseRecorderResult } from './use-recorder.js';
export { RecorderKey } from './keys.js';
export {
  vRepriseMask,
  vRepriseBlock,
  vRepriseUnmask,
  RepriseMask,
  RepriseBlock,
  RepriseUnmask,
  type PrivacyDirective,
} from './privacy.js';
export { routerMarkers, useRouterMarkers, type MarkableRoute, type MarkableRouter } from './router.js';
export { vueErrorHandler } from './errors.js';
export type { Recorder, RecorderOptions, NavigationMarker } from '@reprise/core';
