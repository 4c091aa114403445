import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CollectorError } from '../errors.js';
import { NONCE_BYTES, TAG_BYTES } from '../crypto/keyring.js';
import { isSafeElement, type SegmentLocation } from '../store/keys.js';

/**
 * Stored object layout, version 1 (STORAGE.md is the normative description):
 *
 *   offset 0     4 bytes   magic "RPSG" (0x52 0x50 0x53 0x47)
 *   offset 4     1 byte    format version (1)
 *   offset 5     1 byte    payload encoding (2 = raw DEFLATE of msgpack, 1 = gzip of UTF-8 JSON (read only),
 *                          16 = page asset)
 *   offset 6     1 byte    key id length N (1..128)
 *   offset 7     N bytes   data key id, ASCII
 *   offset 7+N   12 bytes  AES-GCM nonce (random per object)
 *   offset 19+N  ...       ciphertext
 *   last 16 bytes          GCM tag
 *
 * Associated data = bytes [0, 7+N) of the object || UTF-8 "{project}/{sessionId}/{segment}".
 */
export const SEGMENT_MAGIC = Buffer.from('RPSG', 'ascii');
export const SEGMENT_FORMAT_VERSION = 1;
/**
 * `deflateMsgpack` is what the writer writes; `gzipJson` objects (earlier collectors) stay readable.
 * `asset`: an asset object (assets/asset-store.ts), `deadLetter`: a log record kept aside
 * (writer/dead-letters.ts); neither is a segment, and readers of segments refuse both.
 */
export const PayloadEncoding = { gzipJson: 1, deflateMsgpack: 2, asset: 16, deadLetter: 32 } as const;
const KNOWN_ENCODINGS: readonly number[] = Object.values(PayloadEncoding);

export interface SegmentHeader {
  version: number;
  encoding: number;
  dataKeyId: string;
  nonce: Buffer;
  /** Bytes covered by the header part of the associated data. */
  headerBytes: Buffer;
  ciphertextOffset: number;
}

export function segmentAad(headerBytes: Buffer, location: SegmentLocation): Buffer {
  return Buffer.concat([
    headerBytes,
    Buffer.from(`${location.project}/${location.sessionId}/${location.segment}`, 'utf8'),
  ]);
}

export function encryptSegment(
  plaintext: Uint8Array,
  dataKey: { id: string; key: Buffer },
  location: SegmentLocation,
  encoding: number,
): Buffer {
  if (!isSafeElement(dataKey.id)) {
    throw new CollectorError(
      'encryption_failed',
      500,
      `Data key id "${dataKey.id.slice(0, 40)}" must be 1-128 of A-Z a-z 0-9 _ -.`,
    );
  }
  const keyId = Buffer.from(dataKey.id, 'ascii');
  if (dataKey.key.byteLength !== 32) {
    throw new CollectorError('encryption_failed', 500, 'A segment data key must be 32 bytes (AES-256).');
  }
  const headerBytes = Buffer.concat([
    SEGMENT_MAGIC,
    Buffer.from([SEGMENT_FORMAT_VERSION, encoding, keyId.byteLength]),
    keyId,
  ]);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey.key, nonce);
  cipher.setAAD(segmentAad(headerBytes, location));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([headerBytes, nonce, ciphertext, cipher.getAuthTag()]);
}

/** Parse the clear header; throws `segment_corrupt` on anything that is not a version-1 Reprise segment. */
export function readSegmentHeader(object: Uint8Array, where = 'object'): SegmentHeader {
  const bytes = Buffer.from(object.buffer, object.byteOffset, object.byteLength);
  if (bytes.byteLength < 7 || !bytes.subarray(0, 4).equals(SEGMENT_MAGIC)) {
    throw new CollectorError('segment_corrupt', 422, `${where} is not a Reprise segment (magic "RPSG" missing).`);
  }
  const version = bytes[4]!;
  if (version !== SEGMENT_FORMAT_VERSION) {
    throw new CollectorError(
      'segment_corrupt',
      422,
      `${where} has segment format version ${version}; this collector reads version ${SEGMENT_FORMAT_VERSION}.`,
    );
  }
  const encoding = bytes[5]!;
  if (!KNOWN_ENCODINGS.includes(encoding)) {
    throw new CollectorError(
      'segment_corrupt',
      422,
      `${where} has payload encoding ${encoding}; this collector reads ${KNOWN_ENCODINGS.join(', ')} (STORAGE.md).`,
    );
  }
  const keyIdLength = bytes[6]!;
  const ciphertextOffset = 7 + keyIdLength + NONCE_BYTES;
  if (keyIdLength === 0 || bytes.byteLength < ciphertextOffset + TAG_BYTES) {
    throw new CollectorError('segment_corrupt', 422, `${where} is truncated (${bytes.byteLength} bytes).`);
  }
  // Checked here so a damaged key id is reported as a damaged segment, not as a bad request for
  // an invalid key name (and never decoded lossily: 'ascii' drops the high bit).
  const dataKeyId = bytes.subarray(7, 7 + keyIdLength).toString('latin1');
  if (!isSafeElement(dataKeyId)) {
    throw new CollectorError(
      'segment_corrupt',
      422,
      `${where} names a data key id that is not 1-128 of A-Z a-z 0-9 _ -: its header is damaged.`,
    );
  }
  return {
    version,
    encoding,
    dataKeyId,
    nonce: bytes.subarray(7 + keyIdLength, ciphertextOffset),
    headerBytes: bytes.subarray(0, 7 + keyIdLength),
    ciphertextOffset,
  };
}

/**
 * Authenticate and decrypt. Any change to the object (one flipped bit), or reading it under
 * another project/session/segment name, fails with `segment_tampered`; nothing is returned.
 */
export function decryptSegment(
  object: Uint8Array,
  key: Buffer,
  location: SegmentLocation,
  header = readSegmentHeader(object),
): Buffer {
  const bytes = Buffer.from(object.buffer, object.byteOffset, object.byteLength);
  const tag = bytes.subarray(bytes.byteLength - TAG_BYTES);
  const ciphertext = bytes.subarray(header.ciphertextOffset, bytes.byteLength - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, header.nonce);
    decipher.setAAD(segmentAad(header.headerBytes, location));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (error) {
    throw new CollectorError(
      'segment_tampered',
      422,
      `Segment ${location.project}/${location.sessionId}/${location.segment} failed authentication (AES-GCM tag mismatch): the object was modified or truncated, or is not the segment it is stored as. It was not returned.`,
      { cause: error },
    );
  }
}
