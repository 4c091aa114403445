/**
 * `@reprise/protocol/page`: the part of the protocol a recorder's page uses (event kinds, rrweb
 * helpers, batch bounds and splitting, redaction, the JSON frame of its unload batch, the event emitter, replies by id). Without the
 * msgpack codec, the compressor or the validator: an app's bundler splits chunks by module, and a
 * page that imported those through the package's index would carry them in its first chunk.
 */
export * from './capture.js';
export * from './redact.js';
export * from './rrweb.js';
export * from './batch.js';
export * from './errors.js';
export * from './json-frame.js';
export * from './emitter.js';
export * from './replies.js';
