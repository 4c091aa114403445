import type { Batch } from './batch.js';
import { ProtocolError } from './errors.js';
import { type CodecId, Codec } from './framing.js';
import { packValue, unpackOwnValue } from './pack.js';
import { EVENT_TRANSFORMS_VERSION, compactEvents, expandEvents } from './transform.js';

/*
 * What a recorder writes, and reads back from its own outbox: kept apart from codec.ts, whose
 * decoding (msgpackr, the plain-data scan) only a collector needs, so the delivery worker that
 * imports this carries neither.
 */

/**
 * rrweb events carry many properties whose value is `undefined`; JSON drops them but msgpack
 * would encode each one. Drop them (and functions, symbols) before packing.
 */
export function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map((item) => (item === undefined ? null : stripUndefined(item))) as T;
  }
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      // A key named __proto__ (JSON.parse makes one) must stay a key: assigning it would set the
      // copy's prototype instead, and the key would vanish from what is sent.
      if (key === '__proto__')
        Object.defineProperty(out, key, {
          value: stripUndefined(item),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[key] = stripUndefined(item);
    }
    return out as T;
  }
  return value;
}

export interface EncodeOptions {
  /**
   * Apply the event transforms (transform.ts) and mark the batch with `x`. Off only to measure
   * them or to produce a batch for a decoder older than the transforms.
   * @default true
   */
  transforms?: boolean;
}

/** The batch as it travels: the optional `x` names the event transforms applied (PROTOCOL.md). */
type WireBatch = Batch & { x?: number };

export function encodeBatch(batch: Batch, options: EncodeOptions = {}): Uint8Array {
  // stripUndefined makes a deep copy: the caller's events are never rewritten.
  const wire: WireBatch = stripUndefined(batch);
  if (options.transforms === false) return packValue(wire);
  if (compactEvents(wire.events, wire.start)) {
    wire.x = EVENT_TRANSFORMS_VERSION;
    return packValue(wire);
  }
  // An integer too far from its predecessor to code exactly: send the batch as it is.
  return packValue(stripUndefined(batch));
}

/**
 * Undo the event transforms named by `x` (if any) so the value validates as a plain Batch; an `x`
 * this version does not know is refused (`unsupported_version`). For a collector that unpacks a
 * body itself (to read its key first) before validating it.
 */
export function restoreTransforms(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !('x' in value)) return value;
  const wire = value as { x?: unknown; start?: unknown; events?: unknown };
  if (wire.x !== EVENT_TRANSFORMS_VERSION) {
    throw new ProtocolError(
      'unsupported_version',
      `Event transforms version ${JSON.stringify(wire.x)} is not supported; this collector knows x=${EVENT_TRANSFORMS_VERSION}. Upgrade the collector.`,
      { path: 'x' },
    );
  }
  if (Array.isArray(wire.events) && typeof wire.start === 'number') expandEvents(wire.events, wire.start);
  delete wire.x;
  return wire;
}

export function parseJsonPayload(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (error) {
    throw new ProtocolError('bad_json', `Body is not valid UTF-8 JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** `readOwnBatchFrame` for a payload the caller already decompressed (a worker with DecompressionStream). */
export function readOwnBatchPayload(payload: Uint8Array, codec: CodecId): Batch {
  // This side's own bytes: no plain-data scan, and not msgpackr (either would weigh on the worker).
  return restoreTransforms(codec === Codec.json ? parseJsonPayload(payload) : unpackOwnValue(payload)) as Batch;
}
