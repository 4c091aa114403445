/**
 * packValue writes what the collector reads: for any JSON value, msgpackr's decoder (with the
 * collector's options) and the plain-data scan read back what JSON would, and unpackOwnValue
 * (the recorder reading its own outbox) does too. Also what msgpackr's own Packr writes, which an
 * outbox filled by an older recorder still holds.
 */
import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, test } from 'vitest';
import { packValue, unpackOwnValue } from './pack.js';
import { scanPlainMsgpack } from './plain.js';

const collector = new Unpackr({ useRecords: true, moreTypes: false, mapsAsObjects: true, structuredClone: false });
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

// Finite numbers only (JSON has no NaN or Infinity), and -0 is read back as -0, so compare as JSON.
const json = fc.jsonValue({ maxDepth: 5 });
// Many objects of a few shapes each: more than 64 shapes makes record ids cycle.
const shaped = fc.array(
  fc.record({ key: fc.integer({ min: 0, max: 150 }), value: fc.oneof(fc.integer(), fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true })) }),
  { maxLength: 400 },
).map((items) => items.map(({ key, value }) => ({ [`k${key}`]: value, [`s${key % 7}`]: { n: key } })));

describe('packValue', () => {
  test('msgpackr, the plain-data scan and unpackOwnValue read any JSON value back', () => {
    fc.assert(
      fc.property(fc.oneof(json, shaped), (value) => {
        const bytes = packValue(value);
        expect(() => scanPlainMsgpack(bytes, 1_000_000)).not.toThrow();
        expect(asJson(collector.unpack(bytes))).toEqual(asJson(value));
        expect(asJson(unpackOwnValue(bytes))).toEqual(asJson(value));
      }),
      { numRuns: 300 },
    );
  });

  test('integers at every width boundary, and the fixints that would read as records', () => {
    const edges = [0, 0x3f, 0x40, 0x7f, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 2 ** 32, 2 ** 53 - 1, -1, -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, -(2 ** 31), -(2 ** 31) - 1, 1.5, -0];
    // A record defined first, so a fixint 0x40-0x7f would be misread as one.
    const value = [{ a: 1 }, ...edges.map((n) => ({ a: n }))];
    const bytes = packValue(value);
    expect(collector.unpack(bytes)).toEqual(value);
    expect(unpackOwnValue(bytes)).toEqual(value);
  });

  test('undefined and functions are dropped from objects and read as null in arrays, as JSON does', () => {
    const value = { a: undefined, b: () => 1, c: [undefined, 1], d: new Date(0) };
    expect(collector.unpack(packValue(value))).toEqual(asJson(value));
  });

  test('a key named __proto__ stays a key', () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as unknown;
    expect(Object.keys(unpackOwnValue(packValue(value)) as object)).toEqual(['__proto__', 'y']);
  });

  test('a value of another kind is refused with a TypeError', () => {
    expect(() => packValue({ n: 1n })).toThrow(TypeError);
  });

  test('unpackOwnValue reads what msgpackr’s Packr wrote (an outbox from an older recorder)', () => {
    fc.assert(
      fc.property(fc.oneof(json, shaped), (value) => {
        const bytes = new Packr({ useRecords: true, moreTypes: false, int64AsType: 'number' }).pack(value);
        expect(asJson(unpackOwnValue(bytes))).toEqual(asJson(value));
      }),
      { numRuns: 200 },
    );
  });
});
