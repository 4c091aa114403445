import type { Unpackr as UnpackrApi } from 'msgpackr';
// @ts-expect-error -- msgpackr's build without `new Function` ships no types; its API is msgpackr's.
import { Unpackr as NoEvalUnpackr } from 'msgpackr/unpack-no-eval';
import type { Batch } from './batch.js';
import { ProtocolError } from './errors.js';
import { type CodecId, Codec, frame, readFrameHeader, unframe } from './framing.js';
import { DEFAULT_MAX_VALUES, type PlainScan, type Utf8Check, scanPlainMsgpack } from './plain.js';
import { type EncodeOptions, encodeBatch, readOwnBatchPayload, restoreTransforms } from './encode.js';
import { scanPlainJson } from './plain-json.js';
import { type ValidationLimits, DEFAULT_LIMITS, validateBatch } from './validate.js';

/**
 * msgpackr's decoding options. Records (`useRecords`) turn repeated object shapes into one
 * structure definition plus positional values; packValue (pack.ts) writes them afresh for every
 * batch, so no structure is shared across batches and a lost batch never makes a later one
 * undecodable.
 */
const PACKR_OPTIONS = { useRecords: true, moreTypes: false, int64AsType: 'number' } as const;

/**
 * One decoder for every batch, from msgpackr's build that compiles no code. The default build turns
 * a record read more than twice into a `new Function` made of its keys; a batch defines its records
 * afresh (above), so every batch's shapes were compiled again, which cost more than it saved (an
 * 8 KB batch unpacked in 7 µs instead of 12), and keys a client chose became code. Reusing the
 * decoder shares nothing between batches: without a `structures` option msgpackr starts each unpack
 * with no record definitions (a batch that uses a record it does not define reads as it would with
 * a new decoder), and its reading state is module-wide whichever instance reads. Built on first
 * use, so importing the protocol constructs nothing. `structuredClone: false` is the second line
 * behind scanPlainMsgpack: msgpackr then refuses its object-id and back-reference extensions itself.
 */
const Unpackr = NoEvalUnpackr as typeof UnpackrApi;
let batchUnpackr: UnpackrApi | undefined;

/** msgpack bytes -> value, for bytes already known to be one plain value. */
function unpackValue(bytes: Uint8Array): unknown {
  try {
    // Plain msgpack maps (any encoder that is not msgpackr with records: Python, Go...) must read
    // as objects too; msgpackr would otherwise hand them back as Map and validation would refuse them.
    const unpackr = (batchUnpackr ??= new Unpackr({ ...PACKR_OPTIONS, mapsAsObjects: true, structuredClone: false }));
    // Exactly one value: trailing bytes mean a corrupt or concatenated body.
    const values = unpackr.unpackMultiple(bytes) as unknown[];
    if (values.length !== 1) {
      throw new ProtocolError('bad_msgpack', `Body holds ${values.length} msgpack values; a batch is exactly one.`);
    }
    return values[0];
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    // Includes RangeError from hostile nesting deeper than the stack.
    throw new ProtocolError('bad_msgpack', `Body is not valid msgpack: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * msgpack bytes from anyone -> unvalidated value. Throws ProtocolError on anything unparsable and
 * on anything but plain data (scanPlainMsgpack), before msgpackr allocates a value of it.
 * `maxValues` bounds what the decoded value may hold (and so the memory and time decoding takes).
 * `admit`, when given, sees the scan before anything is decoded (a collector reserves memory for
 * the values there); when it answers false nothing is decoded and the result is undefined.
 * `utf8`: a faster UTF-8 check than the portable one (Node's `isUtf8`).
 */
export function unpackBatch(
  bytes: Uint8Array,
  maxValues: number = DEFAULT_MAX_VALUES,
  admit?: (scan: PlainScan) => boolean,
  utf8?: Utf8Check,
): unknown {
  const scan = scanPlainMsgpack(bytes, maxValues, utf8);
  if (admit && !admit(scan)) return undefined;
  return unpackValue(bytes);
}

/**
 * A frame's payload (unframed, decompressed) from anyone -> unvalidated value: JSON for
 * `Codec.json` (through scanPlainJson), msgpack (through unpackBatch's plain-data scan) for every
 * other codec. Either way `admit` sees the exact value count before anything is built. Throws
 * ProtocolError on anything unparsable or not plain data.
 */
export function unpackPayload(
  bytes: Uint8Array,
  codec: CodecId,
  maxValues: number = DEFAULT_MAX_VALUES,
  admit?: (scan: PlainScan) => boolean,
  utf8?: Utf8Check,
): unknown {
  if (codec !== Codec.json) return unpackBatch(bytes, maxValues, admit, utf8);
  const text = decodeJsonText(bytes, utf8);
  const scan = scanPlainJson(bytes, maxValues);
  if (admit && !admit(scan)) return undefined;
  return JSON.parse(text) as unknown;
}

function decodeJsonText(bytes: Uint8Array, utf8?: Utf8Check): string {
  if (utf8 && !utf8(bytes)) throw new ProtocolError('bad_json', 'Body is not valid JSON: it is not UTF-8.');
  try {
    return new TextDecoder('utf-8', { fatal: !utf8 }).decode(bytes);
  } catch (error) {
    throw new ProtocolError('bad_json', 'Body is not valid JSON: it is not UTF-8.', { cause: error });
  }
}

export function decodeBatch(
  bytes: Uint8Array,
  limits: Partial<ValidationLimits> = {},
  codec: CodecId = Codec.deflateRaw,
): Batch {
  return validateBatch(restoreTransforms(unpackPayload(bytes, codec, limits.maxValues ?? DEFAULT_MAX_VALUES)), limits);
}

/** Encode, compress and frame a batch: the body of `POST /v1/ingest`. */
export function encodeBatchFrame(batch: Batch, codec: CodecId = Codec.gzip, options: EncodeOptions = {}): Uint8Array {
  return frame(encodeBatch(batch, options), codec);
}

/**
 * Read back a frame this side wrote itself (a recorder splitting a batch from its own outbox):
 * unframe, unpack, undo the transforms, without the schema validation a collector needs (which
 * would pull zod into the recorder's worker).
 */
export function readOwnBatchFrame(body: Uint8Array): Batch {
  // The frame's own declared length is the bound: this side wrote it. (Not DEFAULT_LIMITS: that
  // import would pull the validator, and zod with it, into the worker.)
  const header = readFrameHeader(body);
  return readOwnBatchPayload(unframe(body, header.uncompressedLength), header.codec);
}

/**
 * Unframe, decompress (bounded), unpack and validate: what a collector does with a request body.
 * Every failure is a ProtocolError carrying the HTTP status to answer with.
 */
export function decodeBatchFrame(body: Uint8Array, limits: Partial<ValidationLimits> = {}): Batch {
  const resolved = { ...DEFAULT_LIMITS, ...limits };
  return decodeBatch(unframe(body, resolved.maxDecompressedBytes), resolved, readFrameHeader(body).codec);
}
