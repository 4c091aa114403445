// The rest of the script-tag recorder (dist/reprise.recorder.js), fetched by reprise.iife.js
// (script.ts) beside itself: the public API, with a createRecorder that takes over the early
// capture, and the delivery on its own for the browser tests and for diagnosing a page
// (`Reprise.deliveryMode(...)`). Its rrweb is the first file's (rollup.config.mjs).
export * from './index.js';
export { createRecorderWith as createRecorder } from './recorder.js';
export { createDelivery, deliveryMode } from './delivery/index.js';
