export { provideRecorder, type RecorderFeature, type RecorderFeatureKind } from './provide-recorder';
export { RecorderModule } from './recorder.module';
export { Recorder, injectRecorder } from './recorder';
export { RECORDER_OPTIONS } from './options';
export { withRouterMarkers } from './router-markers';
export { RecorderErrorHandler, withErrorHandler } from './error-handler';
export { RepriseBlock, RepriseMask, RepriseUnmask } from './privacy';
export type { RecorderOptions, NavigationMarker } from '@reprise/core';
