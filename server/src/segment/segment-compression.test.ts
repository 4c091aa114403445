/**
 * Segment payloads: text that compresses gets gzip level 6, text that barely does (base64
 * images, random-looking values) Huffman coding only, which costs a quarter of the CPU. Both are
 * standard gzip that the reader and STORAGE.md's recipe decode.
 */
import { randomBytes } from 'node:crypto';
import { constants, gunzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { decodeSegmentPayload, encodeSegmentPayload, segmentGzipOptions } from './payload.js';
import type { SegmentBatch } from './types.js';

const location = { project: 'p', sessionId: 's', segment: 'seg' };
const batchOf = (texts: string[]): SegmentBatch => ({
  tab: 't',
  seq: 0,
  start: 1,
  end: 2,
  receivedAt: 3,
  events: texts.map((value, i) => ({ type: 3, timestamp: i + 1, data: { source: 0, texts: [{ id: i, value }] } })),
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
    const { plain, compressed } = await encodeSegmentPayload(location, [batch]);
    expect(plain.byteLength).toBeGreaterThan(128 * 1024);
    expect(await segmentGzipOptions(plain)).toEqual(expected);
    expect(gunzipSync(compressed).equals(plain)).toBe(true);
    expect(decodeSegmentPayload(compressed, location).batches[0]!.events).toEqual(batch.events);
  }
  // Small payloads are not probed.
  expect(await segmentGzipOptions(Buffer.from(JSON.stringify(noisy).slice(0, 1000)))).toEqual({ level: 6 });
});
