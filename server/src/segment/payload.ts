import { promisify } from 'node:util';
import { constants, deflateRaw, gunzipSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import {
  canCompactEvents,
  compactEvents,
  EVENT_TRANSFORMS_VERSION,
  expandEvents,
  restoreTransforms,
} from '@reprise/protocol';
import { Packr, Unpackr } from 'msgpackr';
import { CollectorError } from '../errors.js';
import { PayloadEncoding } from './envelope.js';
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

const deflateRawAsync = promisify(deflateRaw);

/** Bytes of a payload compressed at level 1 to tell text that compresses from text that barely does. */
const PROBE_BYTES = 64 * 1024;
/**
 * Past this compressed / plain ratio of the probe, the payload is mostly incompressible text
 * (base64 images and fonts inlined in snapshots, encrypted or random-looking values): LZ matching
 * finds next to nothing in it and costs ~4x the CPU of entropy coding alone.
 */
const INCOMPRESSIBLE_RATIO = 0.5;

/**
 * The recorder's own encoding (PROTOCOL.md "Batch"): msgpackr's records, the same options the
 * collector decodes ingest with. Records and the event transforms are what make it small: on the
 * standard workload's 900 KB of events, 24 KB stored against 88 KB as gzip JSON (STORAGE.md).
 */
const SEGMENT_PACKR_OPTIONS = { useRecords: true, moreTypes: false, int64AsType: 'number' } as const;
// Built on first use; a pack writes its record definitions afresh, so nothing is shared between segments.
let segmentPackr: Packr | undefined;
let segmentUnpackr: Unpackr | undefined;

/**
 * The payload's msgpack bytes (encoding 2): synchronous work, a few ms per MiB of events. The
 * event transforms are applied to the writer's own batches in place and undone before returning
 * (a copy would cost more than the packing): the writer still reads them afterwards.
 */
export function serializeSegmentPayload(location: SegmentLocation, batches: SegmentBatch[]): Buffer {
  const coded = batches.map((batch) => canCompactEvents(batch.events, batch.start));
  const stored: (SegmentBatch & { x?: number })[] = batches.map((batch, i) => (coded[i] ? { ...batch } : batch));
  try {
    stored.forEach((batch, i) => {
      if (!coded[i]) return;
      compactEvents(batch.events, batch.start);
      batch.x = EVENT_TRANSFORMS_VERSION;
    });
    const payload: SegmentPayload = {
      v: 1,
      project: location.project,
      sessionId: location.sessionId,
      segment: location.segment,
      batches: stored,
    };
    return (segmentPackr ??= new Packr(SEGMENT_PACKR_OPTIONS)).pack(payload);
  } finally {
    batches.forEach((batch, i) => {
      if (coded[i]) expandEvents(batch.events, batch.start);
    });
  }
}

/**
 * How to deflate a payload: level 6 for bytes that compress (DOM, repeated structure), Huffman
 * coding only for bytes that barely do. Measured on 1 MiB of JSON text, before segments were
 * msgpack (the probe's threshold was not measured again): DOM-like 5.5 ms at level 6 (ratio 0.09);
 * base64-like text 14 ms at level 6 (ratio 0.67) against 3.7 ms Huffman-only (ratio 0.77). Either
 * way the payload is standard raw DEFLATE.
 */
export async function segmentDeflateOptions(plain: Buffer): Promise<ZlibOptions> {
  if (plain.byteLength < 2 * PROBE_BYTES) return { level: 6 };
  const middle = Math.floor((plain.byteLength - PROBE_BYTES) / 2);
  const probe = await deflateRawAsync(plain.subarray(middle, middle + PROBE_BYTES), { level: 1 });
  return probe.byteLength / PROBE_BYTES > INCOMPRESSIBLE_RATIO ? { strategy: constants.Z_HUFFMAN_ONLY } : { level: 6 };
}

/** Compressed on libuv's thread pool: the event loop keeps answering ingest meanwhile. */
export async function compressSegmentPayload(plain: Buffer): Promise<Buffer> {
  // One output chunk for the whole payload: at zlib's default 16 KiB, each chunk of a 1 MiB
  // segment came back to the event loop separately (~5% of the collector's CPU under load).
  return deflateRawAsync(plain, {
    ...(await segmentDeflateOptions(plain)),
    chunkSize: Math.max(16 * 1024, plain.byteLength + 1024),
  });
}

/** The payload as the writer stores it: `compressed` is the plaintext of an encoding-2 object. */
export async function encodeSegmentPayload(
  location: SegmentLocation,
  batches: SegmentBatch[],
): Promise<{ plain: Buffer; compressed: Buffer; encoding: number }> {
  const plain = serializeSegmentPayload(location, batches);
  return { plain, compressed: await compressSegmentPayload(plain), encoding: PayloadEncoding.deflateMsgpack };
}

/** Encoding 1, what earlier collectors wrote: gzip of UTF-8 JSON. Read, never written. */
function parseGzipJson(compressed: Uint8Array): unknown {
  return JSON.parse(gunzipSync(compressed, { maxOutputLength: MAX_PAYLOAD_BYTES }).toString('utf8'));
}

/** Encoding 2: raw DEFLATE of msgpack with records, each batch's events under its own transforms (`x`). */
function parseDeflateMsgpack(compressed: Uint8Array): unknown {
  const plain = inflateRawSync(compressed, { maxOutputLength: MAX_PAYLOAD_BYTES });
  const unpackr = (segmentUnpackr ??= new Unpackr({
    ...SEGMENT_PACKR_OPTIONS,
    mapsAsObjects: true,
    structuredClone: false,
  }));
  const payload = unpackr.unpack(plain) as { batches?: unknown };
  if (Array.isArray(payload?.batches)) payload.batches = payload.batches.map(restoreTransforms);
  return payload;
}

/** A decrypted payload -> its batches, events as plain rrweb; `encoding` from the object's header. */
export function decodeSegmentPayload(
  compressed: Uint8Array,
  location: SegmentLocation,
  encoding: number = PayloadEncoding.deflateMsgpack,
): SegmentPayload {
  let payload: SegmentPayload;
  const format = encoding === PayloadEncoding.gzipJson ? 'gzip JSON' : 'raw DEFLATE of msgpack';
  try {
    payload = (
      encoding === PayloadEncoding.gzipJson ? parseGzipJson(compressed) : parseDeflateMsgpack(compressed)
    ) as SegmentPayload;
  } catch (error) {
    throw new CollectorError(
      'segment_corrupt',
      422,
      `Segment ${location.project}/${location.sessionId}/${location.segment} decrypted but its payload is not ${format}.`,
      { cause: error },
    );
  }
  if (
    payload === null ||
    typeof payload !== 'object' ||
    payload.v !== 1 ||
    payload.project !== location.project ||
    payload.sessionId !== location.sessionId ||
    payload.segment !== location.segment ||
    !Array.isArray(payload.batches)
  ) {
    throw new CollectorError(
      'segment_corrupt',
      422,
      `Segment ${location.project}/${location.sessionId}/${location.segment} holds a payload for another location or version.`,
    );
  }
  return payload;
}
