/**
 * `@reprise/core/internal`: what the recorder's own tests, adapters' tests and diagnostics use
 * beyond the documented API. No compatibility promise: it may change in any release.
 */
export * from './defaults.js';
export * from './recorder-defaults.js';
export * from './limits.js';
export * from './resolve-options.js';
export {
  createDelivery,
  deliveryMode,
  type CreateDelivery,
  type Delivery,
  type DeliveryContext,
  type EngineMode,
} from './delivery/index.js';
// The delivery limits tests and diagnostics need, straight from where they are defined.
export {
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_BATCH_DELAY_MS,
  DEFAULT_MAX_OUTBOX_BYTES,
  INGEST_PATH,
  BATCH_CONTENT_TYPE,
  POST_COALESCE_MS,
} from './delivery/defaults.js';
// rrweb's privacy options as DOM capture builds them: the overhead attribution gives plain rrweb the same.
export { domPrivacy } from './privacy.js';
// How long a data: URL may be before it is recorded as a placeholder (a batch could not carry it).
export { MAX_DATA_URL_LENGTH, OVERSIZED_DATA_URL_PLACEHOLDER } from './privacy.js';
// How often a resource that keeps failing is recorded.
export { RESOURCE_ERROR_REPEAT_MS } from './capture/network.js';
// How much of a session held in memory (errorSampleRate) is kept.
export { BUFFER_CHECKOUT_MS, MAX_BUFFERED_CHARACTERS, MAX_BUFFERED_EVENTS } from './recorder/error-buffer.js';
