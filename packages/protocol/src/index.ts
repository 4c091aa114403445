export * from './events.js';
export * from './batch.js';
export * from './errors.js';
export * from './framing.js';
export * from './codec.js';
export * from './validate.js';
export * from './redact.js';
export * from './transform.js';
