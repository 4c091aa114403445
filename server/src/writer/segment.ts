import { gunzipSync, gzipSync } from 'node:zlib';
import { CollectorError } from '../errors.js';
import type { SegmentLocation } from '../store/keys.js';
import type { SegmentBatch } from './types.js';

/** The decrypted, decompressed content of a stored segment (STORAGE.md, "Payload"). */
export interface SegmentPayload {
  v: 1;
  project: string;
  sessionId: string;
  segment: string;
  batches: SegmentBatch[];
}

/** Upper bound for a decompressed payload on read: a corrupt or hostile object cannot exhaust memory. */
const MAX_PAYLOAD_BYTES = 512 * 1024 * 1024;

export function encodeSegmentPayload(location: SegmentLocation, batches: SegmentBatch[]): { plain: Buffer; compressed: Buffer } {
  const payload: SegmentPayload = { v: 1, project: location.project, sessionId: location.sessionId, segment: location.segment, batches };
  const plain = Buffer.from(JSON.stringify(payload), 'utf8');
  // Level 6: most of the ratio of 9 at a fraction of the CPU; the writer is off the ack path but shares the core.
  return { plain, compressed: gzipSync(plain, { level: 6 }) };
}

export function decodeSegmentPayload(compressed: Uint8Array, location: SegmentLocation): SegmentPayload {
  let payload: SegmentPayload;
  try {
    payload = JSON.parse(gunzipSync(compressed, { maxOutputLength: MAX_PAYLOAD_BYTES }).toString('utf8')) as SegmentPayload;
  } catch (error) {
    throw new CollectorError('segment_corrupt', 422, `Segment ${location.project}/${location.sessionId}/${location.segment} decrypted but its payload is not gzip JSON.`, { cause: error });
  }
  if (payload.v !== 1 || payload.project !== location.project || payload.sessionId !== location.sessionId || payload.segment !== location.segment || !Array.isArray(payload.batches)) {
    throw new CollectorError('segment_corrupt', 422, `Segment ${location.project}/${location.sessionId}/${location.segment} holds a payload for another location or version.`);
  }
  return payload;
}
