/**
 * `@reprise/protocol/capture`: what a page needs to start recording before the rest of the
 * recorder arrives (event kinds and constructors, text masking, the batch limits its
 * options are clamped to). A part of `@reprise/protocol/page`: an app's bundler assigns whole
 * modules to chunks, so the modules an app's first chunk imports must not re-export the ones
 * that only the lazily loaded recorder uses.
 */
export * from './events.js';
export { maskText } from './mask.js';
export type { RedactionOptions, Redactor } from './redact.js';
export { DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_STRING_LENGTH } from './limits.js';
