import { Packr } from 'msgpackr';
import { describe, expect, test } from 'vitest';
import {
  type Batch,
  EventType,
  decodeBatch,
  encodeBatch,
  scanPlainMsgpack,
  unpackBatch,
  validateBatch,
} from './index.js';
import { START, refusal, sampleBatch } from './test-support.js';

/** The sample batch packed as msgpackr with records (the protocol's encoder), `data` of its first event replaced by raw msgpack bytes. */
function batchWithData(dataBytes: number[]): Uint8Array {
  const marker = 'MARKER-0123456789';
  const batch = sampleBatch();
  (batch.events[1]!.data as Record<string, unknown>).positions = marker;
  const bytes = new Packr({ useRecords: true, moreTypes: false }).pack(batch);
  const text = Buffer.from(bytes);
  const encodedMarker = Buffer.concat([Buffer.from([0xa0 | marker.length]), Buffer.from(marker)]);
  const at = text.indexOf(encodedMarker);
  expect(at).toBeGreaterThan(0);
  return Uint8Array.from(
    Buffer.concat([text.subarray(0, at), Buffer.from(dataBytes), text.subarray(at + encodedMarker.length)]),
  );
}

describe('plain data only', () => {
  test('the protocol encoder output passes the scan and decodes', () => {
    const batch = sampleBatch();
    expect(decodeBatch(encodeBatch(batch))).toEqual(batch);
    expect(scanPlainMsgpack(encodeBatch(batch), 1000).values).toBeGreaterThan(10);
  });

  test('a structured-clone graph with 2^40 paths is refused in milliseconds, naming the extension', () => {
    // Each object refers twice to the next: 40 levels describe 2^40 paths in a few hundred bytes.
    let node: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 40; i++) node = { a: node, b: node };
    const batch = sampleBatch();
    (batch.events[1]!.data as Record<string, unknown>).graph = node;
    const bytes = new Packr({ structuredClone: true }).pack(batch);
    expect(bytes.byteLength).toBeLessThan(2000);
    const started = performance.now();
    const error = refusal(() => decodeBatch(bytes));
    expect(performance.now() - started).toBeLessThan(500);
    expect([error.code, error.status]).toEqual(['unsupported_type', 400]);
    expect(error.message).toMatch(/extension type 0x69 \(structured-clone object id\)/);
  });

  test('the validation walk is linear even for a shared graph handed to it directly', () => {
    let node: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 60; i++) node = { a: node, b: node };
    const batch = sampleBatch();
    (batch.events[1]!.data as Record<string, unknown>).graph = node;
    const started = performance.now();
    const error = refusal(() => validateBatch(batch, { maxValues: 100_000 }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect([error.code, error.status]).toEqual(['too_many_values', 413]);
  });

  test.each([
    ['BigInt (ext 0x42)', [0xd4, 0x42, 0x05], /0x42 \(BigInt\)/],
    ['undefined (ext 0)', [0xd4, 0x00, 0x00], /0x00 \(undefined\)/],
    ['timestamp (ext -1)', [0xd6, 0xff, 0, 0, 0, 1], /0xff \(timestamp/],
    ['typed array (ext 0x74)', [0xc7, 0x05, 0x74, 0x01, 1, 2, 3, 4], /0x74 \(typed array\)/],
    ['Set (ext 0x73)', [0xd4, 0x73, 0x90], /0x73 \(Set\)/],
    ['bundled strings (ext 0x62)', [0xd6, 0x62, 0, 0, 0, 0], /0x62 \(bundled strings\)/],
    ['an unknown extension', [0xd5, 0x10, 1, 2], /extension type 0x10/],
    ['bin 8', [0xc4, 0x02, 0x01, 0x02], /bin/],
    ['bin 32', [0xc6, 0, 0, 0, 1, 0x01], /bin/],
    ['NaN', [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], /non-finite/],
    ['Infinity as float32', [0xca, 0x7f, 0x80, 0, 0], /non-finite/],
  ])('%s is refused with a 400 that names it', (_name, data, message) => {
    const error = refusal(() => decodeBatch(batchWithData(data)));
    expect([error.code, error.status]).toEqual(['unsupported_type', 400]);
    expect(error.message).toMatch(message);
  });

  test('msgpackr-packed BigInt, typed arrays, Date, Set, RegExp, Error and bin are refused', () => {
    for (const value of [
      2n ** 70n,
      new Float64Array([1, 2]),
      new Date(0),
      new Set([1]),
      /x/,
      new Error('x'),
      Buffer.from('abc'),
    ]) {
      const batch = sampleBatch();
      (batch.events[1]!.data as Record<string, unknown>).value = value;
      const bytes = new Packr({ moreTypes: true, useBigIntExtension: true } as ConstructorParameters<
        typeof Packr
      >[0]).pack(batch);
      const error = refusal(() => decodeBatch(bytes));
      expect(error.code, String(value)).toBe('unsupported_type');
    }
  });

  test('values handed to the validator directly must be plain too', () => {
    for (const [value, shown] of [
      [10n, /bigint/],
      [new Uint8Array(3), /bin/],
      [new Date(0), /Date/],
      [new Map(), /Map/],
    ] as const) {
      const batch = sampleBatch();
      (batch.events[1]!.data as Record<string, unknown>).value = value;
      const error = refusal(() => validateBatch(batch));
      expect(error.code).toBe('unsupported_type');
      expect(error.path).toBe('events.1.data.value');
      expect(error.message).toMatch(shown);
    }
  });

  test('invalid UTF-8 in a string or a key is refused', () => {
    expect(refusal(() => decodeBatch(batchWithData([0xa2, 0xff, 0xfe]))).code).toBe('bad_utf8');
    // An encoded surrogate (ED A0 80) is not UTF-8 either.
    expect(refusal(() => decodeBatch(batchWithData([0xa3, 0xed, 0xa0, 0x80]))).code).toBe('bad_utf8');
    expect(refusal(() => decodeBatch(batchWithData([0x81, 0xa2, 0xc3, 0x28, 0x01]))).code).toBe('bad_utf8');
    // Well-formed multi-byte text passes.
    expect(decodeBatch(batchWithData([0xa3, 0xe2, 0x82, 0xac])).events[1]!.data).toMatchObject({ positions: '€' });
  });

  test('duplicate keys are refused, in a plain map and in a record definition', () => {
    const map = refusal(() => decodeBatch(batchWithData([0x82, 0xa1, 0x61, 0x01, 0xa1, 0x61, 0x02])));
    expect([map.code, map.status]).toEqual(['duplicate_key', 400]);
    expect(map.message).toMatch(/"a"/);
    // d4 72 <id>: record definition with keys ["a", "a"], then its two values.
    const record = refusal(() =>
      decodeBatch(batchWithData([0xd4, 0x72, 0x7e, 0x92, 0xa1, 0x61, 0xa1, 0x61, 0x01, 0x02])),
    );
    expect(record.code).toBe('duplicate_key');
    // Non-string keys are not plain data.
    expect(refusal(() => decodeBatch(batchWithData([0x81, 0x01, 0x02]))).code).toBe('unsupported_type');
  });

  test('keys are compared by their text, whether short ASCII (read by hand) or not', () => {
    const str = (text: string) => {
      const bytes = [...Buffer.from(text, 'utf8')];
      return bytes.length < 32 ? [0xa0 | bytes.length, ...bytes] : [0xd9, bytes.length, ...bytes];
    };
    const map = (a: string, b: string) => batchWithData([0x82, ...str(a), 0x01, ...str(b), 0x02]);
    const long = 'k'.repeat(39);
    for (const [a, b] of [
      ['é', 'è'],
      ['ab', 'aé'],
      [`${long}1`, `${long}2`],
      ['k'.repeat(32), 'k'.repeat(33)],
    ]) {
      expect(decodeBatch(map(a!, b!)).events[1]!.data, `${a} and ${b}`).toMatchObject({
        positions: { [a!]: 1, [b!]: 2 },
      });
      const refused = refusal(() => decodeBatch(map(a!, a!)));
      expect(refused.code, `${a} twice`).toBe('duplicate_key');
      expect(refused.message).toContain(`"${a!.slice(0, 64)}"`);
    }
  });

  test('bytes after the value are refused', () => {
    const bytes = encodeBatch(sampleBatch());
    for (const tail of [[0x00], [0xc0, 0xc0], [0x91]]) {
      const error = refusal(() => unpackBatch(Uint8Array.from([...bytes, ...tail])));
      expect(error.code).toBe('bad_msgpack');
    }
  });

  test('a value budget bounds what a batch may hold: many empty maps are refused as too large', () => {
    // An array of 100k empty maps: 100k+1 values in 100 KB, past a 50k budget.
    const bytes = new Uint8Array(100_005);
    bytes.set([0xdd, 0x00, 0x01, 0x86, 0xa0]);
    bytes.fill(0x80, 5);
    const error = refusal(() => unpackBatch(bytes, 50_000));
    expect([error.code, error.status]).toEqual(['too_many_values', 413]);
    expect(scanPlainMsgpack(bytes, 200_000).values).toBe(100_001);
  });

  test('truncated containers and lying lengths are refused without allocating them', () => {
    for (const bytes of [
      [0xdd, 0xff, 0xff, 0xff, 0xff],
      [0xdf, 0x7f, 0xff, 0xff, 0xff, 0xc0],
      [0xdb, 0xff, 0xff, 0xff, 0xff],
      [0x92, 0x01],
      [0xd4, 0x72],
    ]) {
      expect(refusal(() => unpackBatch(Uint8Array.from(bytes))).code).toBe('bad_msgpack');
    }
  });
});

describe('storable batches', () => {
  const window = { now: START, maxSkewMs: 24 * 3600_000 };
  test.each([
    ['start is fractional', { start: START + 0.5 }, 'start'],
    ['end is 1e21', { end: 1e21 }, 'end'],
    [
      'an event timestamp is fractional',
      { events: [{ type: EventType.Meta, timestamp: START + 0.25, data: { href: 'x', width: 1, height: 1 } }] },
      'events.0.timestamp',
    ],
  ] as const)('%s: refused', (_name, patch, path) => {
    const batch = { ...sampleBatch(), ...patch } as Batch;
    expect(decodeBatch(new Packr().pack(batch)).start).toBe(batch.start);
    const error = refusal(() => decodeBatch(new Packr().pack(batch), { timeWindow: window }));
    expect([error.code, error.status, error.path]).toEqual(['bad_timestamp', 400, path]);
  });

  test('timestamps outside the window around the receive time are refused; inside it pass', () => {
    expect(decodeBatch(encodeBatch(sampleBatch()), { timeWindow: window }).seq).toBe(3);
    const future = sampleBatch({ start: START + 2 * 24 * 3600_000, end: START + 2 * 24 * 3600_000 });
    future.events = future.events.map((event) => ({ ...event, timestamp: future.start }));
    expect(refusal(() => decodeBatch(encodeBatch(future), { timeWindow: window })).path).toBe('start');
    const oldEvent = sampleBatch();
    oldEvent.events[1]!.timestamp = START - 3 * 24 * 3600_000;
    expect(refusal(() => decodeBatch(encodeBatch(oldEvent), { timeWindow: window })).path).toBe('events.1.timestamp');
  });

  test.each([
    ['Meta width fractional', EventType.Meta, { href: 'x', width: 10.5, height: 5 }, 'events.0.data.width'],
    ['Meta height negative', EventType.Meta, { href: 'x', width: 10, height: -1 }, 'events.0.data.height'],
    ['Meta height string', EventType.Meta, { href: 'x', width: 10, height: '5' }, 'events.0.data.height'],
    [
      'viewport resize width huge',
      EventType.IncrementalSnapshot,
      { source: 4, width: 2 ** 40, height: 5 },
      'events.0.data.width',
    ],
  ] as const)('%s: refused', (_name, type, data, path) => {
    const batch = sampleBatch({ events: [{ type, timestamp: START, data }] });
    const error = refusal(() => decodeBatch(encodeBatch(batch), { timeWindow: window }));
    expect([error.code, error.path]).toEqual(['invalid_batch', path]);
  });
});
