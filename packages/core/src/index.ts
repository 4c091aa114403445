// The public API, as README.md documents it. Internals that adapters' tests or diagnostics need
// are in `@reprise/core/internal` (internal.ts), which may change in any release.
export { createRecorder, loadRecorder } from './loader/split.js';
export type {
  AssetOptions,
  CanvasOptions,
  CapturedErrorContext,
  ConsoleOptions,
  DeliveryOptions,
  MutationBreakerOptions,
  NavigationMarker,
  NetworkOptions,
  PrivacyOptions,
  Recorder,
  RecorderEvents,
  RecorderOptions,
  RecorderState,
  ReplayUrlOptions,
  SamplingOptions,
  Unsubscribe,
} from './types.js';
export { RecorderError, type RecorderErrorCode } from './errors.js';
export { DeliveryDropError } from './errors.js';
export { STORED_ID_PATTERN } from './session.js';
export {
  RECORDER_METHODS,
  recorderMethods,
  resolveRecorder,
  type RecorderInput,
  type RecorderMethods,
} from './adapter.js';
export {
  createNavigationMarkers,
  joinRoutePatterns,
  type NavigationMarkers,
  type RouteChange,
  type RouteChangeType,
} from './navigation-markers.js';
export { MAX_CANVAS_FPS } from './defaults.js';
export {
  CIRCULAR_MARKER,
  MAX_CONSOLE_MAX_ARG_LENGTH,
  MAX_DELIVERY_MAX_BATCH_BYTES,
  MAX_ERROR_CAUSES,
  MAX_ERROR_TEXT_LENGTH,
  MAX_NETWORK_MAX_BODY_LENGTH,
  MAX_USER_VALUE_DEPTH,
  RATE_BOUND_BURST,
  RATE_BOUND_PER_SECOND,
} from './limits.js';
export {
  BLOCK_ATTRIBUTE,
  BLOCK_CLASS,
  CONTENTEDITABLE_SELECTOR,
  MASK_ATTRIBUTE,
  MASK_CLASS,
  MASKED_VALUE_PLACEHOLDER,
  PASSWORD_PLACEHOLDER,
  UNMASK_ATTRIBUTE,
} from './privacy.js';
export type { ErrorPayload, RecordedEvent, JsonValue } from '@reprise/protocol';
