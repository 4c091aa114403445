import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
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

const gzipAsync = promisify(gzip);

/** The payload's JSON bytes: synchronous work, a few ms per MiB. */
export function serializeSegmentPayload(location: SegmentLocation, batches: SegmentBatch[]): Buffer {
  const payload: SegmentPayload = { v: 1, project: location.project, sessionId: location.sessionId, segment: location.segment, batches };
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** Compressed on libuv's thread pool: the event loop keeps answering ingest meanwhile. */
export function compressSegmentPayload(plain: Buffer): Promise<Buffer> {
  return gzipAsync(plain, { level: 6 });
}

export async function encodeSegmentPayload(location: SegmentLocation, batches: SegmentBatch[]): Promise<{ plain: Buffer; compressed: Buffer }> {
  const plain = serializeSegmentPayload(location, batches);
  return { plain, compressed: await compressSegmentPayload(plain) };
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
