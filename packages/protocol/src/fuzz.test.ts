/**
 * Property-based fuzz of what a collector runs on a request body: unframe, scan, unpack,
 * validate. Whatever the bytes (random, a valid frame mutated, any msgpack value msgpackr can
 * write with every extension and with sharing), the answer is a batch or a ProtocolError with a
 * 4xx, quickly; and an accepted batch is plain data that JSON can write (what the writer stores).
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, test } from 'vitest';
import { type Batch, Codec, EventType, ProtocolError, decodeBatchFrame, encodeBatchFrame, frame } from './index.js';

const NOW = 1_700_000_000_000;
const LIMITS = { timeWindow: { now: NOW, maxSkewMs: 86_400_000 }, maxValues: 100_000 };
/** Per frame: generous for a loaded 2-core machine, far below what an exponential or unbounded case takes. */
const TIME_BOUND_MS = 1_000;

function answer(body: Uint8Array): Batch | ProtocolError {
  const started = performance.now();
  let result: Batch | ProtocolError;
  try {
    result = decodeBatchFrame(body, LIMITS);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    result = error;
  }
  const took = performance.now() - started;
  if (took > TIME_BOUND_MS) throw new Error(`a ${body.byteLength}-byte frame took ${Math.round(took)} ms`);
  return result;
}

function check(body: Uint8Array): void {
  const result = answer(body);
  if (result instanceof ProtocolError) {
    expect([400, 413]).toContain(result.status);
    return;
  }
  // Storable: JSON writes it (no BigInt, no cycle), and it is a batch of the window.
  expect(() => JSON.stringify(result)).not.toThrow();
  expect(Number.isSafeInteger(result.start) && Math.abs(result.start - NOW) <= LIMITS.timeWindow.maxSkewMs).toBe(true);
}

const event = fc.record({
  type: fc.constantFrom(EventType.Meta, EventType.IncrementalSnapshot, EventType.Custom, 7, -1),
  timestamp: fc.oneof(fc.integer({ min: NOW - 1000, max: NOW + 1000 }), fc.double(), fc.constant(1e21)),
  data: fc.anything({
    maxDepth: 4,
    withBigInt: true,
    withDate: true,
    withTypedArray: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withSparseArray: true,
  }),
});

const batchLike = fc.record({
  v: fc.constantFrom(1, 1, 1, 2),
  project: fc.constantFrom('demo', '', 'a b'),
  session: fc.constantFrom('s1', 's_2', '../x'),
  seq: fc.oneof(fc.nat(), fc.double()),
  tab: fc.constant('t'),
  start: fc.oneof(fc.constant(NOW), fc.integer({ min: 0, max: 2 * NOW })),
  end: fc.constant(NOW + 10),
  events: fc.array(event, { minLength: 0, maxLength: 4 }),
});

const packers = [
  new Packr({ useRecords: true, moreTypes: false }),
  new Packr({ useRecords: false }),
  new Packr({ structuredClone: true, moreTypes: true }),
  new Packr({ moreTypes: true, useBigIntExtension: true } as ConstructorParameters<typeof Packr>[0]),
  new Packr({ bundleStrings: true } as ConstructorParameters<typeof Packr>[0]),
];

function packWith(index: number, value: unknown): Uint8Array | undefined {
  try {
    return packers[index % packers.length]!.pack(value);
  } catch {
    return undefined; // a value this packer cannot write: nothing to send
  }
}

const valid: Batch = {
  v: 1,
  project: 'demo',
  session: 's1',
  seq: 0,
  tab: 't',
  start: NOW,
  end: NOW + 10,
  events: [
    { type: EventType.Meta, timestamp: NOW, data: { href: 'http://x/', width: 800, height: 600 } },
    {
      type: EventType.IncrementalSnapshot,
      timestamp: NOW + 10,
      data: { source: 0, texts: [{ id: 4, value: 'hello' }], attributes: [], removes: [], adds: [] },
    },
  ],
};

describe('fuzzed frames: a batch or a 4xx, quickly', () => {
  test('random bytes and random frames', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.constantFrom(Codec.none, Codec.gzip, Codec.deflateRaw),
        (bytes, codec) => {
          check(bytes);
          check(frame(bytes, codec));
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);

  test('a valid frame with bytes flipped, inserted or cut', () => {
    const body = encodeBatchFrame(valid, Codec.none);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(body.byteLength - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat(body.byteLength),
        (flips, cut) => {
          const mutated = Uint8Array.from(body);
          for (const [at, value] of flips) mutated[at] = value;
          check(mutated);
          check(mutated.subarray(0, Math.max(8, cut)));
        },
      ),
      { numRuns: 400 },
    );
  }, 60_000);

  test('any value, packed with every msgpackr option (extensions, structured clone, bundled strings)', () => {
    fc.assert(
      fc.property(batchLike, fc.nat(), fc.boolean(), (value, packer, share) => {
        // Sharing: the same object under two keys (a structured-clone reference when packed so).
        const shaped = share && value.events[0] ? { ...value, events: [value.events[0], value.events[0]] } : value;
        const bytes = packWith(packer, shaped);
        if (bytes) check(frame(bytes, Codec.gzip));
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  test('the valid batch is accepted (the fuzz does not pass by refusing everything)', () => {
    expect(answer(encodeBatchFrame(valid))).toEqual(valid);
  });
});
