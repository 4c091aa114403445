import { isRepriseEvent, type Batch } from '@reprise/protocol';

/**
 * A device whose clock is wrong stamps every event wrong by the same amount. Past the collector's
 * window (`maxClockSkewMs`, a day by default) every batch of such a visitor was refused, so the
 * whole recording was lost. The recorder says when it sent each request by its own clock
 * (`?sent=`, PROTOCOL.md "Request"); the difference from the receive time is the device's error
 * plus the request's travel time. Relay (Sentry) corrects the same way from an envelope's `sent_at`.
 *
 * Only a device off by more than the window is corrected: a nearer error is stored as recorded,
 * as before. Each request's travel time differs a little, so two batches corrected apart may
 * overlap by that much at their edge; that is better than losing the session.
 */
export function clockCorrection(receivedAt: number, sent: number | undefined, maxSkewMs: number): number {
  if (sent === undefined) return 0;
  const drift = receivedAt - sent;
  return Math.abs(drift) > maxSkewMs ? drift : 0;
}

/** `?sent=` as a whole number of epoch ms, or undefined when absent or anything else. */
export function parseSentTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return undefined;
  const sent = Number(value);
  return Number.isSafeInteger(sent) ? sent : undefined;
}

/** Move every absolute time of a validated batch by `by` ms: its bounds, each event's, and a request's start. */
export function shiftBatchTimes(batch: Batch, by: number): void {
  batch.start += by;
  batch.end += by;
  for (const event of batch.events) {
    event.timestamp += by;
    // Reprise's payloads are not validated beyond being values: a hostile one may lack the field.
    const payload = isRepriseEvent(event, 'network') ? (event.data.payload as { startTime?: unknown } | null) : null;
    if (typeof payload?.startTime === 'number') payload.startTime += by;
  }
}
