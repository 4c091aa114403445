/**
 * The worker's code as a string, for a Blob URL. The build (rollup.config.mjs, "delivery worker")
 * replaces this module with the compiled `worker.ts`; run from source (tests, dev) it is undefined
 * and delivery uses `workerUrl` or the main-thread fallback.
 */
export const INLINE_WORKER_SOURCE: string | undefined = undefined;
