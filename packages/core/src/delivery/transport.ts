import { BATCH_CONTENT_TYPE, MAX_RETRY_AFTER_MS, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS, SEND_TIMEOUT_MS } from './defaults.js';

export type SendResult =
  | { kind: 'ok' }
  /** Network error, 5xx, 408, 429: try again after `delayMs` (Retry-After when the collector gave one). */
  | { kind: 'retry'; delayMs?: number; status?: number }
  /** 413: the collector refuses this size; split and resend. */
  | { kind: 'split' }
  /** Any other 4xx: this batch will never be accepted. */
  | { kind: 'drop'; status: number; detail: string };

export type Fetcher = typeof fetch;

/** Seconds or an HTTP date -> ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const delay = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(delay)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, delay));
}

/** Exponential backoff with jitter: base * 2^attempt, capped, then scaled by a random 0.5..1 so tabs desynchronize. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling * (0.5 + random() / 2));
}

export function classify(status: number, retryAfter: string | null, detail: string): SendResult {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 413) return { kind: 'split' };
  if (status === 429 || status === 408 || status >= 500) return { kind: 'retry', delayMs: parseRetryAfter(retryAfter), status };
  return { kind: 'drop', status, detail };
}

export async function sendFrame(url: string, body: Uint8Array, options: { keepalive?: boolean; fetcher?: Fetcher } = {}): Promise<SendResult> {
  const fetcher = options.fetcher ?? fetch;
  try {
    const response = await fetcher(url, {
      method: 'POST',
      headers: { 'content-type': BATCH_CONTENT_TYPE },
      body: body as BodyInit,
      keepalive: options.keepalive ?? false,
      credentials: 'omit',
      mode: 'cors',
      // A connection that never answers must not hold the ordered queue forever.
      ...(typeof AbortSignal.timeout === 'function' ? { signal: AbortSignal.timeout(SEND_TIMEOUT_MS) } : {}),
    });
    const detail = response.ok ? '' : await response.text().catch(() => '');
    return classify(response.status, response.headers.get('retry-after'), detail.slice(0, 300));
  } catch {
    // Offline, DNS, CORS, connection reset: all retryable, the batch is safe in the outbox.
    return { kind: 'retry' };
  }
}

/**
 * How an unload send ended. Only `confirmed` (the collector answered 2xx) lets the batch leave the
 * outbox; a beacon is queued by the browser but never answered, so a batch sent that way stays in
 * the outbox and is sent again later (the collector keeps one copy per seq).
 */
export type UnloadSendResult = 'confirmed' | 'beacon-queued' | 'failed';

/**
 * At unload, when a response may never be awaited: a keepalive fetch, and when the browser
 * refuses or fails it (keepalive quota, a preflight the collector does not answer, no keepalive
 * support), `sendBeacon`. A beacon cannot set headers; a Blob of type text/plain keeps it a CORS
 * "simple" request, so the collector must also accept `text/plain` bodies that start with the
 * frame magic (PROTOCOL.md).
 */
export async function sendAtUnload(url: string, body: Uint8Array): Promise<UnloadSendResult> {
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': BATCH_CONTENT_TYPE }, body: body as BodyInit, keepalive: true, credentials: 'omit', mode: 'cors' });
    // An answer other than 2xx is left to the outbox, which applies the status rules (413 split...).
    return response.ok ? 'confirmed' : 'failed';
  } catch {
    // fetch rejects (it does not throw) when keepalive is refused or the request fails.
    try {
      return navigator.sendBeacon(url, new Blob([body as BlobPart], { type: 'text/plain' })) ? 'beacon-queued' : 'failed';
    } catch {
      return 'failed';
    }
  }
}
