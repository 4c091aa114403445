import { BATCH_CONTENT_TYPE } from './defaults.js';
import { withSendTime } from './transport.js';

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
export async function sendAtUnload(ingestUrl: string, body: Uint8Array): Promise<UnloadSendResult> {
  const url = withSendTime(ingestUrl);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': BATCH_CONTENT_TYPE },
      body: body as BodyInit,
      keepalive: true,
      credentials: 'omit',
      mode: 'cors',
    });
    // An answer other than 2xx is left to the outbox, which applies the status rules (413 split...).
    return response.ok ? 'confirmed' : 'failed';
  } catch {
    // fetch rejects (it does not throw) when keepalive is refused or the request fails.
    try {
      return navigator.sendBeacon(url, new Blob([body as BlobPart], { type: 'text/plain' }))
        ? 'beacon-queued'
        : 'failed';
    } catch {
      return 'failed';
    }
  }
}
