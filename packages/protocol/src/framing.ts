import { Gunzip, Inflate, gzipSync, deflateSync } from 'fflate';
import { ProtocolError } from './errors.js';

/**
 * The compression frame around an encoded batch (PROTOCOL.md, "Frame"):
 *
 *   offset 0  2 bytes  magic 0x52 0x50 ("RP")
 *   offset 2  1 byte   frame version (1)
 *   offset 3  1 byte   codec id (Codec)
 *   offset 4  4 bytes  uncompressed length, uint32 little-endian
 *   offset 8  ...      payload, compressed with the codec
 *
 * The declared length lets a collector refuse an oversized batch before inflating a byte of it;
 * the inflated size must then match it exactly.
 */
export const FRAME_MAGIC = [0x52, 0x50] as const;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 8;

export const Codec = {
  none: 0,
  gzip: 1,
  deflateRaw: 2,
  /**
   * Not a compression: the payload is the batch as UTF-8 JSON, without the event transforms. What
   * a recorder page encodes by itself at unload, where it carries no msgpack encoder or compressor.
   */
  json: 3,
} as const;
export type CodecId = (typeof Codec)[keyof typeof Codec];
export type CodecName = keyof typeof Codec;

export function codecName(id: number): CodecName | undefined {
  return (Object.keys(Codec) as CodecName[]).find((name) => Codec[name] === id);
}

export interface FrameHeader {
  codec: CodecId;
  uncompressedLength: number;
}

export function writeFrame(codec: CodecId, uncompressedLength: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  out[0] = FRAME_MAGIC[0];
  out[1] = FRAME_MAGIC[1];
  out[2] = FRAME_VERSION;
  out[3] = codec;
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(4, uncompressedLength, true);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export function readFrameHeader(frame: Uint8Array): FrameHeader {
  if (frame.byteLength < FRAME_HEADER_BYTES || frame[0] !== FRAME_MAGIC[0] || frame[1] !== FRAME_MAGIC[1]) {
    throw new ProtocolError(
      'bad_frame',
      'Body is not a Reprise batch frame (missing "RP" magic); send the bytes produced by encodeBatchFrame().',
    );
  }
  if (frame[2] !== FRAME_VERSION) {
    throw new ProtocolError(
      'bad_frame',
      `Frame version ${String(frame[2])} is not supported; this collector reads frame version ${FRAME_VERSION}.`,
    );
  }
  const codec = frame[3] as number;
  if (codecName(codec) === undefined) {
    throw new ProtocolError(
      'unsupported_codec',
      `Codec id ${codec} is not supported (known: ${Object.entries(Codec)
        .map(([n, id]) => `${id}=${n}`)
        .join(', ')}).`,
    );
  }
  const uncompressedLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(4, true);
  return { codec: codec as CodecId, uncompressedLength };
}

/** Synchronous compression, for Node and the main-thread fallback. Workers may use CompressionStream. */
export function compress(
  bytes: Uint8Array,
  codec: CodecId,
  level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6,
): Uint8Array {
  switch (codec) {
    case Codec.none:
    case Codec.json:
      return bytes;
    case Codec.gzip:
      return gzipSync(bytes, { level, mtime: 0 });
    case Codec.deflateRaw:
      return deflateSync(bytes, { level });
    default:
      throw new ProtocolError('unsupported_codec', `Codec id ${String(codec)} cannot compress.`);
  }
}

export function frame(bytes: Uint8Array, codec: CodecId): Uint8Array {
  return writeFrame(codec, bytes.byteLength, compress(bytes, codec));
}

/** Bytes fed to the inflater at once: bounds how far one push can overshoot `maxBytes` (~1 MB at deflate's 1032:1). */
const INFLATE_INPUT_CHUNK = 1024;

/**
 * Undo the frame, refusing anything that would inflate past `maxBytes` without allocating it:
 * the declared length is checked first, then the inflater is fed in small chunks and stopped as
 * soon as its output passes the bound (a 1 KB body that claims 1 KB but inflates to 1 GB).
 */
export function unframe(frameBytes: Uint8Array, maxBytes: number): Uint8Array {
  const header = readFrameHeader(frameBytes);
  if (header.uncompressedLength > maxBytes) {
    throw new ProtocolError(
      'too_large',
      `Batch declares ${header.uncompressedLength} bytes uncompressed; the limit is ${maxBytes}. Send smaller batches.`,
    );
  }
  const payload = frameBytes.subarray(FRAME_HEADER_BYTES);
  if (header.codec === Codec.none || header.codec === Codec.json) {
    if (payload.byteLength !== header.uncompressedLength) {
      throw new ProtocolError(
        'bad_frame',
        `Frame declares ${header.uncompressedLength} bytes but carries ${payload.byteLength}.`,
      );
    }
    return payload;
  }
  const out = new Uint8Array(header.uncompressedLength);
  let written = 0;
  let ended = false;
  const onData = (chunk: Uint8Array, final: boolean): void => {
    if (written + chunk.byteLength > header.uncompressedLength) {
      throw new ProtocolError(
        'too_large',
        `Batch inflates past its declared ${header.uncompressedLength} bytes; refused.`,
      );
    }
    out.set(chunk, written);
    written += chunk.byteLength;
    if (final) ended = true;
  };
  const inflater = header.codec === Codec.gzip ? new Gunzip(onData) : new Inflate(onData);
  try {
    for (let offset = 0; offset < payload.byteLength; offset += INFLATE_INPUT_CHUNK) {
      const end = Math.min(offset + INFLATE_INPUT_CHUNK, payload.byteLength);
      inflater.push(payload.subarray(offset, end), end === payload.byteLength);
    }
    if (payload.byteLength === 0) inflater.push(new Uint8Array(0), true);
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(
      'decompression_failed',
      `Payload does not decompress as ${codecName(header.codec)}: ${(error as Error).message}.`,
      { cause: error },
    );
  }
  if (!ended || written !== header.uncompressedLength) {
    throw new ProtocolError(
      'decompression_failed',
      `Payload is truncated: inflated ${written} of ${header.uncompressedLength} declared bytes.`,
    );
  }
  return out;
}
