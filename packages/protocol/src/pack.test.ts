/**
 * packValue writes what msgpackr's Packr writes, byte for byte, and so what the collector reads:
 * for any JSON value and any batch (through the event transforms), msgpackr's decoder (with the
 * collector's options), the plain-data scan and the validator read back what JSON would, and
 * unpackOwnValue (the recorder reading its own outbox) does too, also for bytes Packr wrote (an
 * outbox filled by an older recorder).
 */
import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, test } from 'vitest';
import { type Batch, PROTOCOL_VERSION } from './batch.js';
import { decodeBatch } from './codec.js';
import { encodeBatch } from './encode.js';
import { ProtocolError } from './errors.js';
import { packValue, unpackOwnValue } from './pack.js';
import { scanPlainMsgpack } from './plain.js';
import { DEFAULT_MAX_DEPTH } from './validate.js';

const packr = () => new Packr({ useRecords: true, moreTypes: false, int64AsType: 'number' });
const collector = new Unpackr({ useRecords: true, moreTypes: false, mapsAsObjects: true, structuredClone: false });
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;
// msgpackr's decoder renames a key `__proto__` to `__proto_` (its guard against prototype
// pollution), so that is what the collector reads; the recorder's own reader keeps the key.
const asCollectorReads = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(asCollectorReads);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key === '__proto__' ? '__proto_' : key, asCollectorReads(item)]),
  );
};

// Finite numbers only (JSON has no NaN or Infinity), and -0 is read back as -0, so compare as JSON.
const json = fc.jsonValue({ maxDepth: 5 });
// Many objects of a few shapes each: more than 64 shapes makes record ids cycle.
const shaped = fc
  .array(
    fc.record({
      key: fc.integer({ min: 0, max: 150 }),
      value: fc.oneof(fc.integer(), fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    }),
    { maxLength: 400 },
  )
  .map((items) => items.map(({ key, value }) => ({ [`k${key}`]: value, [`s${key % 7}`]: { n: key } })));

const START = 1_795_435_862_000;
const id = fc.integer({ min: 1, max: 5000 });
const coordinate = fc.oneof(fc.integer({ min: -100, max: 4000 }), fc.double({ min: -100, max: 4000, noNaN: true }));
// rrweb-shaped events, the ones the transforms rewrite (ids, positions, timestamps) among them.
const eventData = fc.oneof(
  fc.record({
    source: fc.constant(1),
    positions: fc.array(
      fc.record({ x: coordinate, y: coordinate, id, timeOffset: fc.integer({ min: -500, max: 0 }) }),
      {
        maxLength: 8,
      },
    ),
  }),
  fc.record({ source: fc.constant(2), type: fc.integer({ min: 0, max: 9 }), id, x: coordinate, y: coordinate }),
  fc.record({
    source: fc.constant(0),
    texts: fc.array(fc.record({ id, value: fc.string() }), { maxLength: 3 }),
    attributes: fc.array(fc.record({ id, attributes: fc.dictionary(fc.string({ minLength: 1 }), fc.string()) }), {
      maxLength: 3,
    }),
    removes: fc.array(fc.record({ parentId: id, id }), { maxLength: 3 }),
    adds: fc.array(
      fc.record({
        parentId: id,
        nextId: fc.option(id),
        node: fc.record({ type: fc.constant(3), textContent: fc.string(), id }),
      }),
      { maxLength: 3 },
    ),
  }),
  fc.record({ source: fc.constant(5), text: fc.string(), isChecked: fc.boolean(), id }),
);
const batch = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.record({ type: fc.constant(3), data: eventData, step: fc.integer({ min: 0, max: 2000 }) }),
        fc.record({
          type: fc.constant(5),
          data: fc.record({ tag: fc.constant('reprise.custom'), payload: fc.jsonValue({ maxDepth: 3 }) }),
          step: fc.integer({ min: 0, max: 2000 }),
        }),
      ),
      { minLength: 1, maxLength: 30 },
    ),
    fc.nat({ max: 1000 }),
  )
  .map(([events, seq]): Batch => {
    let timestamp = START;
    const timed = events.map(({ type, data, step }) => ({ type, data, timestamp: (timestamp += step) }));
    return {
      v: PROTOCOL_VERSION,
      project: 'p1',
      session: 's1',
      seq,
      tab: 't1',
      start: START,
      end: timestamp,
      events: timed,
    } as Batch;
  });

describe('packValue', () => {
  test('writes the bytes msgpackr’s Packr writes, for any JSON value and any number of record shapes', () => {
    fc.assert(
      fc.property(fc.oneof(json, shaped), (value) => {
        expect(Buffer.from(packValue(value)).equals(Buffer.from(packr().pack(value)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('strings of every header width and of any Unicode read back byte for byte as Packr writes them', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 120 }),
      fc.string({ unit: 'grapheme-composite', minLength: 20, maxLength: 400 }),
      fc.nat({ max: 70_000 }).map((length) => 'é'.repeat(length % 3) + 'a'.repeat(length)),
    );
    fc.assert(
      fc.property(fc.array(text, { maxLength: 4 }), (value) => {
        const bytes = packValue(value);
        expect(Buffer.from(bytes).equals(Buffer.from(packr().pack(value)))).toBe(true);
        expect(unpackOwnValue(bytes)).toEqual(value);
      }),
      { numRuns: 150 },
    );
  });

  test('a batch, through the event transforms, decodes on the collector (scan, msgpackr, validation) as it was', () => {
    fc.assert(
      fc.property(batch, (value) => {
        const bytes = encodeBatch(value);
        expect(asJson(decodeBatch(bytes, { maxStringLength: 1_000_000 }))).toEqual(asCollectorReads(asJson(value)));
      }),
      { numRuns: 200 },
    );
  });

  test('a value nested deeper than the collector accepts is refused before anything is sent', () => {
    const nest = (levels: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i++) value = [value];
      return value;
    };
    expect(collector.unpack(packValue(nest(DEFAULT_MAX_DEPTH)))).toEqual(nest(DEFAULT_MAX_DEPTH));
    const refusal = (() => {
      try {
        packValue(nest(DEFAULT_MAX_DEPTH + 1));
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(ProtocolError);
    expect((refusal as ProtocolError).code).toBe('too_deep');
  });

  test('msgpackr, the plain-data scan and unpackOwnValue read any JSON value back', () => {
    fc.assert(
      fc.property(fc.oneof(json, shaped), (value) => {
        const bytes = packValue(value);
        expect(() => scanPlainMsgpack(bytes, 1_000_000)).not.toThrow();
        expect(asJson(collector.unpack(bytes))).toEqual(asCollectorReads(asJson(value)));
        expect(asJson(unpackOwnValue(bytes))).toEqual(asJson(value));
      }),
      { numRuns: 300 },
    );
  });

  test('integers at every width boundary, and the fixints that would read as records', () => {
    const edges = [
      0,
      0x3f,
      0x40,
      0x7f,
      0xff,
      0x100,
      0xffff,
      0x10000,
      0xffffffff,
      2 ** 32,
      2 ** 53 - 1,
      -1,
      -0x20,
      -0x21,
      -0x80,
      -0x81,
      -0x8000,
      -0x8001,
      -(2 ** 31),
      -(2 ** 31) - 1,
      1.5,
    ];
    // A record defined first, so a fixint 0x40-0x7f would be misread as one.
    const value = [{ a: 1 }, ...edges.map((n) => ({ a: n }))];
    const bytes = packValue(value);
    expect(collector.unpack(bytes)).toEqual(value);
    expect(unpackOwnValue(bytes)).toEqual(value);
  });

  // Past each 32-bit header's limit means values of 65,536 entries, packed and read back four
  // times: about 2 s alone, over the default 5 s when the machine's two cores are busy.
  test(
    'strings, arrays, maps, record keys and record key lists of every header width read back',
    { timeout: 30_000 },
    () => {
      const names = (count: number): string[] => Array.from({ length: count }, (_, i) => `k${i}`);
      const object = (keys: string[]): Record<string, number> => Object.fromEntries(keys.map((key, i) => [key, i]));
      // Either side of each header's limit: fixstr/str 8 at 32 bytes, str 8/16 at 256, str 16/32 at 65536.
      const strings = [31, 32, 255, 256, 65535, 65536].map((length) => 'x'.repeat(length));
      // Either side of each header's limit: fixarray (fixmap)/16 at 16 entries, 16/32 at 65536.
      const counts = [15, 16, 65535, 65536];
      const value = {
        strings,
        arrays: counts.map((count) => new Array<number>(count).fill(7)),
        // A record definition per key list width, and one whose keys take every string width.
        records: [...counts.map((count) => object(names(count))), object(strings)],
      };
      const bytes = packValue(value);
      expect(() => scanPlainMsgpack(bytes, 10_000_000)).not.toThrow();
      expect(collector.unpack(bytes)).toEqual(value);
      expect(unpackOwnValue(bytes)).toEqual(value);
      // Plain maps (no records) are what other encoders, and msgpackr without records, write.
      const maps = counts.map((count) => object(names(count)));
      const plain = new Packr({ useRecords: false, moreTypes: false, variableMapSize: true }).pack(maps);
      expect(() => scanPlainMsgpack(plain, 10_000_000)).not.toThrow();
      expect(unpackOwnValue(plain)).toEqual(maps);
    },
  );

  test('undefined and functions are dropped from objects and read as null in arrays, as JSON does', () => {
    const value = { a: undefined, b: () => 1, c: [undefined, 1], d: new Date(0) };
    expect(collector.unpack(packValue(value))).toEqual(asJson(value));
  });

  test('a key named __proto__ stays a key', () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as unknown;
    expect(Object.keys(unpackOwnValue(packValue(value)) as object)).toEqual(['__proto__', 'y']);
    // The collector reads it renamed, and its prototype untouched.
    const read = collector.unpack(packValue([value, { __proto_: 1 }])) as object[];
    expect(read.map((item) => Object.keys(item))).toEqual([['__proto_', 'y'], ['__proto_']]);
    expect(Object.getPrototypeOf(read[0])).toBe(Object.prototype);
  });

  test('a key named __proto__ in a batch (a custom event built from parsed JSON) is sent as a key, at any depth', () => {
    const payload = JSON.parse(
      '{"__proto__": {}, "nested": {"__proto__": null}, "list": [{"__proto__": {"x": 1}}]}',
    ) as unknown;
    const value = {
      v: PROTOCOL_VERSION,
      project: 'p1',
      session: 's1',
      seq: 0,
      tab: 't1',
      start: START,
      end: START,
      events: [{ type: 5, data: { tag: 'reprise.custom', payload }, timestamp: START }],
    } as Batch;
    const read = decodeBatch(encodeBatch(value), { maxStringLength: 1_000_000 });
    expect(asJson(read.events[0]!.data)).toEqual({
      tag: 'reprise.custom',
      payload: { __proto_: {}, nested: { __proto_: null }, list: [{ __proto_: { x: 1 } }] },
    });
  });

  test('a value of another kind is refused with a TypeError', () => {
    expect(() => packValue({ n: 1n })).toThrow(TypeError);
  });

  test('unpackOwnValue reads what msgpackr’s Packr wrote (an outbox from an older recorder)', () => {
    fc.assert(
      fc.property(fc.oneof(json, shaped), (value) => {
        const bytes = packr().pack(value);
        expect(asJson(unpackOwnValue(bytes))).toEqual(asJson(value));
      }),
      { numRuns: 200 },
    );
  });
});
