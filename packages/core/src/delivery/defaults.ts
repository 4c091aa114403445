/**
 * Delivery defaults, each justified by `npm run bench -- payload` and `-- codecs` (numbers in
 * packages/protocol/PROTOCOL.md, "Compression").
 */

/**
 * Cut a batch after this long. On the standard workload, 30 s batches with the event transforms
 * and deflate are 16 % smaller than 15 s batches and 46 % smaller than the common 5 s; 60 s gains
 * only 13 % more while doubling what a crash could lose before the batch reaches IndexedDB.
 * @default 30000
 */
export const DEFAULT_MAX_BATCH_DELAY_MS = 30_000;

/**
 * Cut a batch once its events reach about this many bytes (estimated as JSON). Encoded and
 * compressed that is ~40 KB on the workload, under the keepalive limit with room to spare; frames
 * that still come out larger are split before they are stored (MAX_FRAME_BYTES).
 * @default 1000000
 */
export const DEFAULT_MAX_BATCH_BYTES = 1_000_000;

/** The protocol allows 20,000 events a batch; cut well before. */
export const MAX_BATCH_EVENTS = 5_000;

/**
 * Largest frame stored and sent: a `fetch(..., { keepalive: true })` body may not exceed 64 KiB
 * (all in-flight keepalive requests of a page together), so every batch must fit one.
 */
export const KEEPALIVE_LIMIT_BYTES = 64 * 1024;
export const MAX_FRAME_BYTES = KEEPALIVE_LIMIT_BYTES - 1024;

/** Outbox bound in IndexedDB. @default 10 MiB (about four hours of active recording at 40 KB / 30 s). */
export const DEFAULT_MAX_OUTBOX_BYTES = 10 * 1024 * 1024;

/** Retry: first delay, growth factor 2, ceiling; each delay is jittered down by up to half. */
export const RETRY_BASE_DELAY_MS = 1_000;
export const RETRY_MAX_DELAY_MS = 5 * 60_000;
/** A Retry-After longer than this is capped (a misconfigured collector must not park a tab for a day). */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * Events reach the engine in one postMessage per this many ms: the per-message cost, not the
 * cloning, dominated (one message per event was ~170 ms of main thread over the bench workload).
 */
export const POST_COALESCE_MS = 250;

/** A send that has not been answered after this long is abandoned and retried with backoff. */
export const SEND_TIMEOUT_MS = 30_000;

/** How long a worker may take to say it is ready before delivery falls back to the next way. */
export const WORKER_START_TIMEOUT_MS = 5_000;

/** Batches the page itself sent with keepalive at unload are left alone this long before the outbox retries them. */
export const PAGE_SENT_GRACE_MS = 15_000;

export const INGEST_PATH = '/v1/ingest';
export const BATCH_CONTENT_TYPE = 'application/vnd.reprise.batch';
