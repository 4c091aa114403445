import { describe, expect, test } from 'vitest';
import { Packr } from 'msgpackr';
import { decodeBatch, decodeBatchFrame, encodeBatchFrame } from './codec.js';
import { encodeBatch } from './encode.js';
import { Codec } from './framing.js';
import { PROTOCOL_VERSION, type Batch } from './batch.js';
import { unpackBatch } from './codec.js';
import { canCompactEvents, compactEvents } from './transform.js';

const start = 1_795_435_862_000;
function recordedLikeBatch(): Batch {
  return {
    v: PROTOCOL_VERSION,
    project: 'p1',
    session: 's1',
    seq: 3,
    tab: 't1',
    start,
    end: start + 900,
    events: [
      { type: 4, data: { href: 'http://127.0.0.1/', width: 1024, height: 768 }, timestamp: start },
      {
        type: 2,
        data: {
          node: {
            type: 0,
            id: 1,
            childNodes: [
              { type: 2, tagName: 'html', id: 2, attributes: {}, childNodes: [{ type: 3, textContent: 'hi', id: 3 }] },
            ],
          },
          initialOffset: { top: 0, left: 0 },
        },
        timestamp: start + 1,
      },
      {
        type: 3,
        data: {
          source: 0,
          texts: [{ id: 3, value: 'x' }],
          attributes: [{ id: 2, attributes: { class: 'a' } }],
          removes: [
            { parentId: 40, id: 246 },
            { parentId: 40, id: 247 },
          ],
          adds: [
            { parentId: 40, nextId: null, node: { type: 3, textContent: '3', id: 257 } },
            {
              parentId: 257,
              nextId: 250,
              node: {
                type: 2,
                tagName: 'b',
                attributes: {},
                childNodes: [{ type: 3, textContent: 'y', id: 259 }],
                id: 258,
              },
            },
          ],
        },
        timestamp: start + 300,
      },
      {
        type: 3,
        data: {
          source: 1,
          positions: [
            { x: 545, y: 135, id: 181, timeOffset: -386 },
            { x: 527.5, y: 120, id: 163, timeOffset: -329 },
          ],
        },
        timestamp: start + 500,
      },
      { type: 3, data: { source: 2, type: 2, id: 27, x: 225, y: 22, pointerType: 0 }, timestamp: start + 700.25 },
      {
        type: 5,
        data: { tag: 'reprise.console', payload: { level: 'log', args: ['id', 12345] } },
        timestamp: start + 900,
      },
    ],
  };
}

describe('event transforms', () => {
  test('round trip restores every event exactly, floats and nulls included', () => {
    const batch = recordedLikeBatch();
    expect(decodeBatch(encodeBatch(batch))).toEqual(batch);
    expect(decodeBatchFrame(encodeBatchFrame(batch, Codec.deflateRaw))).toEqual(batch);
  });

  test("the encoder never rewrites the caller's events", () => {
    const batch = recordedLikeBatch();
    const copy = structuredClone(batch);
    encodeBatch(batch);
    expect(batch).toEqual(copy);
  });

  test('on the wire, ids and timestamps become small deltas and x names the transforms', () => {
    const wire = unpackBatch(encodeBatch(recordedLikeBatch())) as {
      x: number;
      events: Array<{ timestamp: number; data: { adds?: Array<{ parentId: number }> } }>;
    };
    expect(wire.x).toBe(1);
    expect(wire.events.map((event) => event.timestamp).slice(0, 4)).toEqual([0, 1, 299, 200]);
    expect(wire.events[2]!.data.adds![0]!.parentId).toBe(40 - 257);
  });

  test('untransformed batches (transforms: false) still decode', () => {
    const batch = recordedLikeBatch();
    expect(decodeBatch(encodeBatch(batch, { transforms: false }))).toEqual(batch);
  });

  test('a delta past the safe integers sends the batch untransformed, so it still decodes exactly', () => {
    const batch = recordedLikeBatch();
    const click = (x: number, at: number) => ({
      type: 3,
      data: { source: 2, type: 2, id: 27, x, y: 0 },
      timestamp: start + at,
    });
    // 2^52 - (-2^52) = 2^53 is not a safe integer; the later x = 5 would decode relative to a wrong chain.
    batch.events.push(click(-(2 ** 52), 901), click(2 ** 52, 902), click(5, 903));
    batch.end = start + 903;
    const bytes = encodeBatch(batch);
    expect((unpackBatch(bytes) as { x?: number }).x).toBeUndefined();
    expect(decodeBatch(bytes)).toEqual(batch);
  });

  test('canCompactEvents answers without touching the events, as compactEvents would succeed', () => {
    const batch = recordedLikeBatch();
    const copy = structuredClone(batch);
    expect(canCompactEvents(batch.events, batch.start)).toBe(true);
    expect(batch).toEqual(copy);
    const click = (x: number, at: number) => ({
      type: 3,
      data: { source: 2, type: 2, id: 27, x, y: 0 },
      timestamp: start + at,
    });
    batch.events.push(click(-(2 ** 52), 901), click(2 ** 52, 902));
    const uncodable = structuredClone(batch);
    expect(canCompactEvents(batch.events, batch.start)).toBe(false);
    expect(batch).toEqual(uncodable);
    expect(compactEvents(structuredClone(batch.events), batch.start)).toBe(false);
  });

  test('an unknown transforms version is refused with a clear 400', () => {
    const bytes = encodeBatch(recordedLikeBatch());
    const wire = unpackBatch(bytes) as Record<string, unknown>;
    wire.x = 9;
    expect(() => decodeBatch(new Packr({ useRecords: true }).pack(wire))).toThrow(/transforms version 9/);
  });
});

describe('splitting', () => {
  test('halves keep the seq, extend the part path, and decode', async () => {
    const { splitBatch } = await import('./batch.js');
    const batch = recordedLikeBatch();
    const [first, second] = splitBatch(batch);
    expect([first.part, second.part, first.seq, second.seq]).toEqual(['0', '1', 3, 3]);
    expect([...first.events, ...second.events]).toEqual(batch.events);
    const [a, b] = splitBatch(second);
    expect([a.part, b.part]).toEqual(['10', '11']);
    expect(decodeBatch(encodeBatch(b))).toEqual(b);
    expect(() => decodeBatch(encodeBatch({ ...b, part: '2' }))).toThrow(/split path/);
  });
});

describe('readOwnBatchFrame', () => {
  test('reads back a frame this side wrote, transforms undone, without schema validation', async () => {
    const { readOwnBatchFrame } = await import('./codec.js');
    const batch = recordedLikeBatch();
    expect(readOwnBatchFrame(encodeBatchFrame(batch, Codec.deflateRaw))).toEqual(batch);
  });
});
