/**
 * Segment payloads (STORAGE.md, "Payload"): the recorder's msgpack with each batch's event
 * transforms, raw DEFLATE at level 6 for bytes that compress, Huffman coding only for bytes that
 * barely do (base64 images, random-looking values: a quarter of the CPU). Objects of encoding 1
 * (gzip JSON, earlier collectors) stay readable.
 */
import { randomBytes } from 'node:crypto';
import { constants, gzipSync, inflateRawSync } from 'node:zlib';
import { Unpackr } from 'msgpackr';
import { expect, test } from 'vitest';
import { PayloadEncoding } from './envelope.js';
import { decodeSegmentPayload, encodeSegmentPayload, segmentDeflateOptions } from './payload.js';
import type { SegmentBatch } from './types.js';

const location = { project: 'p', sessionId: 's', segment: 'seg' };
const batchOf = (texts: string[], start = 1_700_000_000_000): SegmentBatch => ({
  tab: 't',
  seq: 0,
  start,
  end: start + texts.length,
  receivedAt: start + texts.length + 100,
  events: texts.map((value, i) => ({
    type: 3,
    timestamp: start + i,
    data: { source: 0, texts: [{ id: 1000 + i, value }], attributes: [], removes: [], adds: [] },
  })),
});

test('incompressible text is Huffman-coded, DOM-like text gets level 6; both decode the same', async () => {
  const noisy = batchOf(Array.from({ length: 300 }, () => randomBytes(750).toString('base64')));
  const domLike = batchOf(
    Array.from(
      { length: 3000 },
      (_, i) => `<li class="item item-${i % 37} col-${i % 12}">Product ${i} in ${['red', 'blue', 'green'][i % 3]}</li>`,
    ),
  );
  for (const [batch, expected] of [
    [noisy, { strategy: constants.Z_HUFFMAN_ONLY }],
    [domLike, { level: 6 }],
  ] as const) {
    const original = structuredClone(batch);
    const { plain, compressed, encoding } = await encodeSegmentPayload(location, [batch]);
    expect(encoding).toBe(PayloadEncoding.deflateMsgpack);
    expect(plain.byteLength).toBeGreaterThan(128 * 1024);
    expect(await segmentDeflateOptions(plain)).toEqual(expected);
    expect(inflateRawSync(compressed).equals(plain)).toBe(true);
    // The writer's batches are coded in place for packing and given back unchanged.
    expect(batch).toEqual(original);
    expect(decodeSegmentPayload(compressed, location, encoding).batches[0]).toEqual(original);
  }
  // Small payloads are not probed.
  expect(await segmentDeflateOptions(randomBytes(1000))).toEqual({ level: 6 });
});

test('stored events carry the event transforms (x: 1): growing ids and timestamps become small deltas', async () => {
  const batch = batchOf(['a', 'b', 'c']);
  const { compressed, encoding } = await encodeSegmentPayload(location, [batch]);
  const raw = new Unpackr({ useRecords: true, mapsAsObjects: true }).unpack(inflateRawSync(compressed)) as {
    batches: { x?: number; events: { timestamp: number; data: { texts: { id: number }[] } }[] }[];
  };
  expect(raw.batches[0]!.x).toBe(1);
  expect(raw.batches[0]!.events.map((event) => event.timestamp)).toEqual([0, 1, 1]);
  expect(raw.batches[0]!.events.map((event) => event.data.texts[0]!.id)).toEqual([1000, 1, 1]);
  const decoded = decodeSegmentPayload(compressed, location, encoding).batches[0]!;
  expect(decoded).not.toHaveProperty('x');
  expect(decoded.events.map((event) => event.timestamp)).toEqual(batch.events.map((event) => event.timestamp));
});

test('a batch whose numbers cannot be coded exactly is stored as it is, and the writer keeps it intact', async () => {
  const batch = batchOf(['a', 'b']);
  // Node ids a whole safe-integer range apart: their difference is not a safe integer.
  (batch.events[0]!.data as { texts: { id: number }[] }).texts[0]!.id = Number.MAX_SAFE_INTEGER;
  (batch.events[1]!.data as { texts: { id: number }[] }).texts[0]!.id = -Number.MAX_SAFE_INTEGER;
  const coded = batchOf(['c'], 1_700_000_001_000);
  const original = structuredClone([batch, coded]);
  const { compressed, encoding } = await encodeSegmentPayload(location, [batch, coded]);
  expect([batch, coded]).toEqual(original);
  const raw = new Unpackr({ useRecords: true, mapsAsObjects: true }).unpack(inflateRawSync(compressed)) as {
    batches: { x?: number }[];
  };
  expect(raw.batches.map((stored) => stored.x)).toEqual([undefined, 1]);
  expect(decodeSegmentPayload(compressed, location, encoding).batches).toEqual(original);
});

test('a segment of encoding 1 (gzip JSON, earlier collectors) still decodes', () => {
  const batch = batchOf(['old']);
  const payload = { v: 1, ...location, batches: [batch] };
  const compressed = gzipSync(Buffer.from(JSON.stringify(payload)));
  expect(decodeSegmentPayload(compressed, location, PayloadEncoding.gzipJson).batches).toEqual([batch]);
  // Read as the other encoding, it is a corrupt segment, not a crash.
  expect(() => decodeSegmentPayload(compressed, location, PayloadEncoding.deflateMsgpack)).toThrow(
    /not raw DEFLATE of msgpack/,
  );
});
