import { decodeBatch, DEFAULT_MAX_DECOMPRESSED_BYTES, validateBatch, type Batch } from '@reprise/protocol';
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
const ACCEPTED_LIMITS = {
  maxDecompressedBytes: Number.POSITIVE_INFINITY,
  maxEvents: Number.POSITIVE_INFINITY,
  maxStringLength: Number.POSITIVE_INFINITY,
  maxDepth: Number.POSITIVE_INFINITY,
  maxValues: Number.POSITIVE_INFINITY,
};

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

/**
 * The record's msgpack, after `reserve` zero bytes the caller fills (the file log's length and
 * crc header): one buffer, no copy of the payload afterwards.
 */
export function packLogRecord(record: LogRecord, reserve = 0): Buffer {
  const { project, receivedAt, digest, userAgent, wire, batch } = record;
  if (wire) return packWireRecord(record as LogRecord & { wire: Uint8Array }, reserve);
  const envelope: Record<string, unknown> = { project, receivedAt, digest };
  if (userAgent !== undefined) envelope.userAgent = userAgent;
  envelope.batch = batch;
  const payload = packr.pack(envelope);
  if (reserve === 0) return payload;
  const bytes = Buffer.allocUnsafe(reserve + payload.byteLength);
  bytes.fill(0, 0, reserve);
  payload.copy(bytes, reserve);
  return bytes;
}

/**
 * `{ project, receivedAt, digest, userAgent?, wire }` written as plain msgpack by hand: a map of
 * short strings, a float64 and one bin. msgpackr packed it into its own buffer, which then had to
 * be copied behind the header: two allocations and two copies of ~10 KB per batch on the ingest path.
 */
function packWireRecord(record: LogRecord & { wire: Uint8Array }, reserve: number): Buffer {
  const fields: Array<[string, string]> = [
    ['project', record.project],
    ['digest', record.digest],
  ];
  if (record.userAgent !== undefined) fields.push(['userAgent', record.userAgent]);
  let size = reserve + 1 + keyBytes('receivedAt') + 9 + keyBytes('wire') + 5 + record.wire.byteLength;
  for (const [key, value] of fields) size += keyBytes(key) + 5 + Buffer.byteLength(value);
  const bytes = Buffer.allocUnsafe(size);
  bytes.fill(0, 0, reserve);
  let at = reserve;
  bytes[at++] = 0x80 | (fields.length + 2); // fixmap
  for (const [key, value] of fields) {
    at = writeKey(bytes, at, key);
    const length = Buffer.byteLength(value);
    bytes[at] = 0xdb; // str32
    bytes.writeUInt32BE(length, at + 1);
    at += 5 + bytes.write(value, at + 5, 'utf8');
  }
  at = writeKey(bytes, at, 'receivedAt');
  bytes[at] = 0xcb; // float64
  bytes.writeDoubleBE(record.receivedAt, at + 1);
  at += 9;
  at = writeKey(bytes, at, 'wire');
  bytes[at] = 0xc6; // bin32
  bytes.writeUInt32BE(record.wire.byteLength, at + 1);
  bytes.set(record.wire, at + 5);
  return bytes;
}

/** Keys are short ASCII: fixstr. */
function keyBytes(key: string): number {
  return 1 + key.length;
}

function writeKey(bytes: Buffer, at: number, key: string): number {
  bytes[at] = 0xa0 | key.length;
  return at + 1 + bytes.write(key, at + 1, 'latin1');
}

/**
 * Throws on bytes that are not a LogRecord (the caller treats that as corruption). The result has
 * no `wire`. Both forms are validated again as ingest validated them (`decodeBatch` for `wire`,
 * `validateBatch` for `batch`): what the writer stores never depends on the log's bytes being the
 * ones ingest wrote.
 */
export function unpackLogRecord(bytes: Uint8Array): LogRecord {
  const value = packr.unpack(bytes) as Partial<LogRecord> & { wire?: Uint8Array };
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof value.project !== 'string' ||
    !/^[A-Za-z0-9_-]{1,64}$/.test(value.project) ||
    typeof value.digest !== 'string' ||
    typeof value.receivedAt !== 'number'
  ) {
    throw new TypeError('not a log record');
  }
  let batch: Batch;
  if (value.wire instanceof Uint8Array) batch = decodeBatch(value.wire, ACCEPTED_LIMITS);
  else if (value.batch !== null && typeof value.batch === 'object') {
    try {
      batch = validateBatch(value.batch, ACCEPTED_LIMITS);
    } catch (error) {
      // Addressable (its session and batch id are sound): handed on marked, for the writer's
      // dead letters, where an operator sees it; anything less is damage.
      const raw = value.batch as Partial<Batch>;
      if (
        typeof raw.session !== 'string' ||
        !/^[A-Za-z0-9_-]{1,128}$/.test(raw.session) ||
        typeof raw.tab !== 'string' ||
        typeof raw.seq !== 'number' ||
        !Array.isArray(raw.events)
      )
        throw error;
      return {
        project: value.project,
        receivedAt: value.receivedAt,
        digest: value.digest,
        batch: raw as Batch,
        invalid:
          `the batch read back from the log does not validate: ${error instanceof Error ? error.message : String(error)}`.slice(
            0,
            1000,
          ),
      };
    }
  } else throw new TypeError('log record without a batch');
  const record: LogRecord = { project: value.project, receivedAt: value.receivedAt, digest: value.digest, batch };
  if (typeof value.userAgent === 'string') record.userAgent = value.userAgent;
  // `wire` is left out: readers need the batch, and msgpackr's bin is a view into the caller's
  // read buffer (the file log's 4 MiB chunk), which a writer holding records would keep alive.
  return record;
}
