import { decodeBatch, DEFAULT_MAX_DECOMPRESSED_BYTES, type Batch } from '@reprise/protocol';
import { Packr } from 'msgpackr';
import type { LogRecord } from './types.js';

/**
 * How a LogRecord travels in a log (file or JetStream): one msgpack map.
 *
 * With `wire` (redaction changed nothing): `{ project, receivedAt, digest, userAgent?, wire }`,
 * where `wire` is the batch's msgpack exactly as the recorder sent it (decompressed). Re-packing
 * the decoded batch cost ~30 us per 8 KB batch on the ingest path, copying these bytes ~1 us.
 * Reading it back decodes `wire` with the protocol's decoder: the same bytes give the same
 * validated batch ingest acknowledged. Without `wire` (redaction masked something, or a record
 * written by an older collector): `{ project, receivedAt, digest, userAgent?, batch }`.
 */
const packr = new Packr({ useRecords: false, moreTypes: false });

/**
 * Limits were enforced when the batch was accepted; reading it back must not refuse it because
 * the operator changed them since.
 */
const ACCEPTED_LIMITS = { maxDecompressedBytes: Number.POSITIVE_INFINITY, maxEvents: Number.POSITIVE_INFINITY, maxStringLength: Number.POSITIVE_INFINITY, maxDepth: Number.POSITIVE_INFINITY };

/**
 * Room a record needs beside its batch: project id, digest, user agent (512), field names. A
 * generous bound: it only decides when a record is too large to be real.
 */
const RECORD_OVERHEAD_BYTES = 64 * 1024;

/**
 * The largest record a log can hold for batches of at most `maxDecompressedBytes`: the wire bytes
 * plus the envelope, or the decoded batch re-packed after redaction. Re-packing without msgpackr's
 * records repeats every key and un-does the event transforms, which can grow a batch; twice the
 * wire size covers it, and an append past the bound is refused (413: the recorder halves it)
 * rather than written, so a reader may treat any longer length as corruption.
 */
export function maxLogRecordBytes(maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): number {
  return 2 * maxDecompressedBytes + RECORD_OVERHEAD_BYTES;
}

export function packLogRecord(record: LogRecord): Buffer {
  const { project, receivedAt, digest, userAgent, wire, batch } = record;
  const envelope: Record<string, unknown> = { project, receivedAt, digest };
  if (userAgent !== undefined) envelope.userAgent = userAgent;
  if (wire) envelope.wire = wire;
  else envelope.batch = batch;
  return packr.pack(envelope);
}

/** Throws on bytes that are not a LogRecord (the caller treats that as corruption). */
export function unpackLogRecord(bytes: Uint8Array): LogRecord {
  const value = packr.unpack(bytes) as Partial<LogRecord> & { wire?: Uint8Array };
  if (value === null || typeof value !== 'object' || typeof value.project !== 'string' || typeof value.digest !== 'string' || typeof value.receivedAt !== 'number') {
    throw new TypeError('not a log record');
  }
  let batch: Batch;
  if (value.wire instanceof Uint8Array) batch = decodeBatch(value.wire, ACCEPTED_LIMITS);
  else if (value.batch !== null && typeof value.batch === 'object') batch = value.batch;
  else throw new TypeError('log record without a batch');
  const record: LogRecord = { project: value.project, receivedAt: value.receivedAt, digest: value.digest, batch };
  if (typeof value.userAgent === 'string') record.userAgent = value.userAgent;
  if (value.wire instanceof Uint8Array) record.wire = value.wire;
  return record;
}
