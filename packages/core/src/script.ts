// The script-tag build (dist/reprise.iife.js, window.Reprise): the public API, plus the delivery
// on its own for the browser tests and for diagnosing a page (`Reprise.deliveryMode(...)`).
export * from './index.js';
export { createDelivery, deliveryMode } from './delivery/index.js';
