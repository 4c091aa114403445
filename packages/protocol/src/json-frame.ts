import type { Batch } from './batch.js';
import { Codec, writeFrame } from './framing.js';

/**
 * A batch framed as `Codec.json`: what a recorder page can encode with nothing but the browser
 * (no msgpack encoder, no compressor), synchronously, inside `pagehide`. Larger on the wire than
 * the worker's frames; only the last batch of a page travels this way (PROTOCOL.md, "Codecs").
 */
export function encodeJsonBatchFrame(batch: Batch): Uint8Array {
  const bytes = new TextEncoder().encode(stringifyPlain(batch));
  return writeFrame(Codec.json, bytes.byteLength, bytes);
}

/**
 * `JSON.stringify` as if no script on the page had given arrays or objects a `toJSON` of their
 * own. Prototype.js (before 1.7) made every array serialise as a string, so each batch a page
 * built was refused. The methods are set aside for the one synchronous call: no page code runs
 * meanwhile. One that cannot be removed (non-configurable) stays.
 */
export function stringifyPlain(value: unknown): string {
  const setAside: Array<[object, PropertyDescriptor]> = [];
  for (const prototype of [Array.prototype, Object.prototype]) {
    const own = Object.getOwnPropertyDescriptor(prototype, 'toJSON');
    if (own?.configurable) {
      setAside.push([prototype, own]);
      delete (prototype as { toJSON?: unknown }).toJSON;
    }
  }
  try {
    return JSON.stringify(value);
  } finally {
    for (const [prototype, own] of setAside) Object.defineProperty(prototype, 'toJSON', own);
  }
}
