import { DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_STRING_LENGTH } from '@reprise/protocol/capture';

/*
 * The recorder's limits that `@reprise/core` exports. Kept small and on their own: the package's
 * index re-exports them, which puts this module in an app's first chunk (recorder-defaults.ts).
 */

/**
 * Upper bounds of the size options, from the protocol's limits (what a collector accepts): a body
 * or console argument is one string, at most `DEFAULT_MAX_STRING_LENGTH` (2 MiB) characters, and
 * a batch decodes to at most `DEFAULT_MAX_DECOMPRESSED_BYTES` (8 MiB). A larger value set in the
 * options is lowered to the bound (with an `options` RecorderError): above it, the collector
 * refuses every batch carrying such an event.
 */
export const MAX_NETWORK_MAX_BODY_LENGTH = DEFAULT_MAX_STRING_LENGTH;
export const MAX_CONSOLE_MAX_ARG_LENGTH = DEFAULT_MAX_STRING_LENGTH;
export const MAX_DELIVERY_MAX_BATCH_BYTES = DEFAULT_MAX_DECOMPRESSED_BYTES;

/**
 * Longest text of an error event recorded, in characters: name, message, stack, a framework's
 * component stack, file name. Longer ones are cut and end with `…`.
 */
export const MAX_ERROR_TEXT_LENGTH = 10_000;
/** Links of an error's `cause` chain recorded (each capped like the error's own text). */
export const MAX_ERROR_CAUSES = 5;
/**
 * The rate bound on console messages, errors, `track()` events, requests and route changes, each kind on its
 * own: a burst of `RATE_BOUND_BURST` is recorded as it comes, then `RATE_BOUND_PER_SECOND`
 * (recorder/rate-bounds.ts).
 */
export const RATE_BOUND_BURST = 100;
export const RATE_BOUND_PER_SECOND = 10;
/** Nesting kept in `track()` props and `identify()` traits; deeper values become `[Object]` / `[Array]`. */
export const MAX_USER_VALUE_DEPTH = 10;
/** What a reference back to an enclosing object becomes in `track()` props and `identify()` traits. */
export const CIRCULAR_MARKER = '[Circular]';
