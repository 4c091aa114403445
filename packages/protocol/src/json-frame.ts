import type { Batch } from './batch.js';
import { Codec, writeFrame } from './framing.js';

/**
 * A batch framed as `Codec.json`: what a recorder page can encode with nothing but the browser
 * (no msgpack encoder, no compressor), synchronously, inside `pagehide`. Larger on the wire than
 * the worker's frames; only the last batch of a page travels this way (PROTOCOL.md, "Codecs").
 */
export function encodeJsonBatchFrame(batch: Batch): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify(batch));
  return writeFrame(Codec.json, bytes.byteLength, bytes);
}
