// The collector's default bounds on a batch, in a module of their own: the recorder clamps its
// options to them on the page, where the validator that enforces them (and zod) must not come along.
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_EVENTS = 20_000;
export const DEFAULT_MAX_STRING_LENGTH = 2 * 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 512;
