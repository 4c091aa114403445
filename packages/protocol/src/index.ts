export * from './events.js';
export * from './rrweb.js';
export * from './batch.js';
export * from './errors.js';
export * from './framing.js';
export * from './codec.js';
export {
  type EncodeOptions,
  encodeBatch,
  readOwnBatchPayload,
  restoreTransforms,
  stripUndefined,
} from './encode.js';
export * from './plain.js';
export * from './plain-json.js';
export * from './json-frame.js';
export * from './validate.js';
export * from './redact.js';
export * from './transform.js';
export * from './emitter.js';
