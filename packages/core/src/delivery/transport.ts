import {
  BATCH_CONTENT_TYPE,
  MAX_RETRY_AFTER_MS,
  RETRY_BASE_DELAY_MS,
  RETRY_MAX_DELAY_MS,
  SEND_TIMEOUT_MS,
} from './defaults.js';

export type SendResult =
  | { kind: 'ok' }
  /** Network error, 5xx, 408, 429: try again after `delayMs` (Retry-After when the collector gave one). */
  | { kind: 'retry'; delayMs?: number; status?: number }
  /** 413: the collector refuses this size; split and resend. `detail`: the collector's words (which limit). */
  | { kind: 'split'; detail: string }
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
  if (status === 413) return { kind: 'split', detail };
  if (status === 429 || status === 408 || status >= 500)
    return { kind: 'retry', delayMs: parseRetryAfter(retryAfter), status };
  return { kind: 'drop', status, detail };
}

/**
 * `url` with the device's clock at this moment (`?sent=`): a collector corrects the timestamps
 * of a device whose clock is far off by it (PROTOCOL.md "Request"). Set on each try, as the
 * batch's bytes stay the same.
 */
export function withSendTime(url: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}sent=${Date.now()}`;
}

export async function sendFrame(
  url: string,
  body: Uint8Array,
  options: { keepalive?: boolean; fetcher?: Fetcher } = {},
): Promise<SendResult> {
  const fetcher = options.fetcher ?? fetch;
  try {
    const response = await fetcher(withSendTime(url), {
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
