export { createRecorder } from './recorder.js';
export type {
  ConsoleOptions,
  DeliveryOptions,
  MutationBreakerOptions,
  NavigationMarker,
  NetworkOptions,
  PrivacyOptions,
  Recorder,
  RecorderEvents,
  RecorderOptions,
  SamplingOptions,
  Unsubscribe,
} from './types.js';
export { RecorderError, type RecorderErrorCode } from './errors.js';
export * from './defaults.js';
export { PASSWORD_PLACEHOLDER } from './privacy.js';
export { setDeliveryFactory } from './delivery-seam.js';
export type { CreateDelivery, Delivery, DeliveryContext } from './delivery/types.js';
export type { RecordedEvent, JsonValue } from '@reprise/protocol';
