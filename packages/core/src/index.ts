export { createRecorder } from './recorder.js';
export type {
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
  SamplingOptions,
  Unsubscribe,
} from './types.js';
export { RecorderError, type RecorderErrorCode } from './errors.js';
export { MAX_ERROR_TEXT_LENGTH } from './capture/errors.js';
export { CIRCULAR_MARKER, MAX_USER_VALUE_DEPTH } from './capture/custom.js';
export { STORED_ID_PATTERN } from './session.js';
export { RECORDER_METHODS, recorderMethods, resolveRecorder, type RecorderInput, type RecorderMethods } from './adapter.js';
export { createNavigationMarkers, joinRoutePatterns, type NavigationMarkers, type RouteChange, type RouteChangeType } from './navigation-markers.js';
export * from './defaults.js';
export { BLOCK_ATTRIBUTE, BLOCK_CLASS, CONTENTEDITABLE_SELECTOR, MASK_ATTRIBUTE, MASK_CLASS, MASKED_VALUE_PLACEHOLDER, PASSWORD_PLACEHOLDER, UNMASK_ATTRIBUTE } from './privacy.js';
export { setDeliveryFactory } from './delivery-seam.js';
export type { CreateDelivery, Delivery, DeliveryContext } from './delivery/types.js';
export type { RecordedEvent, JsonValue } from '@reprise/protocol';

// delivery seam: the batching worker, outbox and transport, registered when the package entry
// loads, so `project` + `endpoint` are all a recorder needs to send.
import { setDeliveryFactory as registerDelivery } from './delivery-seam.js';
import { createDelivery } from './delivery/index.js';
registerDelivery(createDelivery);
export { createDelivery, deliveryMode, DeliveryDropError } from './delivery/index.js';
