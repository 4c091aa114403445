import { Packr } from 'msgpackr';
import { describe, expect, test } from 'vitest';
import {
  type Batch,
  Codec,
  FRAME_HEADER_BYTES,
  createRedactor,
  createRepriseEvent,
  decodeBatch,
  decodeBatchFrame,
  encodeBatch,
  encodeBatchFrame,
  encodeJsonBatchFrame,
  frame,
  isRepriseEvent,
  luhnValid,
  redactInPlace,
  urlPath,
  writeFrame,
} from './index.js';
import { START, refusal, sampleBatch as sharedSampleBatch } from './test-support.js';

/** The shared sample batch with its mouse move earlier and a navigation as its last event. */
function sampleBatch(overrides: Partial<Batch> = {}): Batch {
  const base = sharedSampleBatch();
  return {
    ...base,
    events: [
      base.events[0]!,
      { ...base.events[1]!, timestamp: START + 20 },
      createRepriseEvent(
        'navigation',
        { url: 'http://127.0.0.1/users/7', route: '/users/:id', params: { id: '7' }, navigationType: 'push' },
        START + 40,
      ),
    ],
    ...overrides,
  };
}

describe('round trip', () => {
  test.each([
    ['none', Codec.none],
    ['gzip', Codec.gzip],
    ['deflateRaw', Codec.deflateRaw],
  ] as const)('frame with %s decodes to the same batch', (_name, codec) => {
    const batch = sampleBatch();
    expect(decodeBatchFrame(encodeBatchFrame(batch, codec))).toEqual(batch);
  });

  test('a JSON frame (a recorder page at unload: no msgpack, no compressor) decodes to the same batch', () => {
    const batch = sampleBatch();
    const body = encodeJsonBatchFrame(batch);
    expect(body[3]).toBe(Codec.json);
    expect(decodeBatchFrame(body)).toEqual(batch);
  });

  test('a batch from a plain msgpack encoder (no records, maps everywhere) decodes', () => {
    const batch = sampleBatch();
    const plain = new Packr({ useRecords: false, mapsAsObjects: true }).pack(batch);
    expect(decodeBatch(plain)).toEqual(batch);
  });

  test('undefined properties are dropped, not encoded', () => {
    const batch = sampleBatch();
    (batch.events[1]!.data as Record<string, unknown>).unused = undefined;
    const decoded = decodeBatch(encodeBatch(batch));
    expect(Object.keys(decoded.events[1]!.data as object)).not.toContain('unused');
  });

  test('decoding compiles no code: a record read many times is not turned into a function of its keys', () => {
    // msgpackr's default build builds `new Function` from a record's keys once it is read three
    // times; the keys come from the client, and every batch defines its records afresh.
    const events = Array.from({ length: 12 }, (_, i) => ({
      type: 3,
      timestamp: START + i,
      data: { source: 1, positions: [{ x: i, y: i, id: 4, timeOffset: 0 }] },
    })) as Batch['events'];
    const body = encodeBatchFrame(sampleBatch({ events }));
    // Once first: the validator's own one-time set-up (zod compiles its schemas) is not the client's.
    decodeBatchFrame(body);
    const realFunction = globalThis.Function;
    let compiled = 0;
    globalThis.Function = new Proxy(realFunction, {
      construct(target, args: unknown[]) {
        compiled++;
        return Reflect.construct(target, args) as object;
      },
    });
    try {
      expect(decodeBatchFrame(body).events).toHaveLength(12);
    } finally {
      globalThis.Function = realFunction;
    }
    expect(compiled).toBe(0);
  });
  test('each batch decodes alone: no structure is shared across batches', () => {
    const first = encodeBatch(sampleBatch({ seq: 0 }));
    const second = encodeBatch(sampleBatch({ seq: 1 }));
    expect(decodeBatch(second).seq).toBe(1);
    expect(decodeBatch(first).seq).toBe(0);
  });

  test('reprise events are rrweb custom events with a reprise.* tag', () => {
    const event = createRepriseEvent('custom', { name: 'checkout', props: { total: 12 } }, 5);
    expect(event).toEqual({
      type: 5,
      timestamp: 5,
      data: { tag: 'reprise.custom', payload: { name: 'checkout', props: { total: 12 } } },
    });
    expect(isRepriseEvent(event)).toBe(true);
    expect(isRepriseEvent(event, 'custom')).toBe(true);
    expect(isRepriseEvent(event, 'error')).toBe(false);
    expect(isRepriseEvent({ type: 5, timestamp: 1, data: { tag: 'other.thing' } })).toBe(false);
  });
});

describe('refusals', () => {
  test('wrong version is a 400 that names the supported one', () => {
    const error = refusal(() => decodeBatch(encodeBatch(sampleBatch({ v: 2 }))));
    expect(error.code).toBe('unsupported_version');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/v1/);
  });

  test.each(['project', 'session', 'seq', 'tab', 'start', 'end', 'events'] as const)(
    'missing %s names the field',
    (field) => {
      const batch: Record<string, unknown> = { ...sampleBatch() };
      delete batch[field];
      const error = refusal(() => decodeBatch(new Packr().pack(batch)));
      expect(error.code).toBe('invalid_batch');
      expect(error.path).toBe(field);
    },
  );

  test.each([
    ['seq as string', { seq: '3' }, 'seq'],
    ['negative seq', { seq: -1 }, 'seq'],
    ['fractional seq', { seq: 1.5 }, 'seq'],
    ['project with spaces', { project: 'a b' }, 'project'],
    ['events not an array', { events: {} }, 'events'],
    ['empty events', { events: [] }, 'events'],
    ['end before start', { start: 10, end: 5 }, 'end'],
    ['unknown field', { extra: 1 }, ''],
  ] as const)('%s is refused', (_name, patch, path) => {
    const error = refusal(() => decodeBatch(new Packr().pack({ ...sampleBatch(), ...patch })));
    expect(error.code).toBe('invalid_batch');
    expect(error.path).toBe(path);
  });

  test('an event with a wrong type field is refused with its path', () => {
    const batch = sampleBatch();
    (batch.events[1] as unknown as Record<string, unknown>).timestamp = 'yesterday';
    const error = refusal(() => decodeBatch(new Packr().pack(batch)));
    expect(error.path).toBe('events.1.timestamp');
  });

  test('oversized strings are refused', () => {
    const batch = sampleBatch();
    (batch.events[0]!.data as Record<string, unknown>).href = 'x'.repeat(5000);
    const error = refusal(() => decodeBatch(encodeBatch(batch), { maxStringLength: 4096 }));
    expect(error.code).toBe('string_too_long');
    expect(error.path).toBe('events.0.data.href');
  });

  test('deep nesting is refused without overflowing the stack', () => {
    let nested: unknown = 'leaf';
    for (let i = 0; i < 600; i++) nested = [nested];
    const batch = sampleBatch();
    (batch.events[0]!.data as Record<string, unknown>).deep = nested;
    const error = refusal(() => decodeBatch(encodeBatch(batch)));
    expect(error.code).toBe('too_deep');
  });

  test('hostile nesting deeper than msgpackr can recurse is a 400, not a crash', () => {
    const bytes = new Uint8Array(200_000).fill(0x91); // 200k nested one-element arrays
    const error = refusal(() => decodeBatch(bytes));
    expect(error.status).toBe(400);
  });

  test('too many events', () => {
    const batch = sampleBatch();
    batch.events = Array.from({ length: 50 }, (_, i) => ({ type: 3, timestamp: batch.start + i, data: {} }));
    batch.end = batch.start + 50;
    expect(refusal(() => decodeBatch(encodeBatch(batch), { maxEvents: 10 })).code).toBe('too_many_events');
  });

  test('malformed msgpack and trailing garbage', () => {
    expect(refusal(() => decodeBatch(new Uint8Array([0xc1]))).code).toBe('bad_msgpack');
    expect(refusal(() => decodeBatch(new Uint8Array([0x93, 1, 2]))).code).toBe('bad_msgpack');
    const good = encodeBatch(sampleBatch());
    const withTrailer = new Uint8Array(good.byteLength + 1);
    withTrailer.set(good);
    withTrailer[good.byteLength] = 0x01;
    expect(refusal(() => decodeBatch(withTrailer)).code).toBe('bad_msgpack');
  });

  test('a JSON frame that is not JSON, not UTF-8, or not a batch', () => {
    const framed = (bytes: Uint8Array) => writeFrame(Codec.json, bytes.byteLength, bytes);
    expect(refusal(() => decodeBatchFrame(framed(new TextEncoder().encode('{"v":1,')))).code).toBe('bad_json');
    expect(refusal(() => decodeBatchFrame(framed(new Uint8Array([0x22, 0xff, 0x22])))).code).toBe('bad_json');
    expect(refusal(() => decodeBatchFrame(framed(new TextEncoder().encode('{"v":1}')))).code).toBe('invalid_batch');
    const body = encodeJsonBatchFrame(sampleBatch());
    expect(refusal(() => decodeBatchFrame(body.subarray(0, body.byteLength - 1))).code).toBe('bad_frame');
  });

  test('a body that is not a frame', () => {
    expect(refusal(() => decodeBatchFrame(new TextEncoder().encode('{"v":1}'))).code).toBe('bad_frame');
    expect(refusal(() => decodeBatchFrame(new Uint8Array(3))).code).toBe('bad_frame');
  });

  test('an unknown codec id', () => {
    const body = writeFrame(0 as never, 1, new Uint8Array([1]));
    body[3] = 42;
    expect(refusal(() => decodeBatchFrame(body)).code).toBe('unsupported_codec');
  });

  test('a compression bomb is refused by its declared size before inflating', () => {
    const zeros = new Uint8Array(64 * 1024 * 1024);
    const bomb = frame(zeros, Codec.gzip);
    expect(bomb.byteLength).toBeLessThan(100_000);
    const error = refusal(() => decodeBatchFrame(bomb, { maxDecompressedBytes: 1024 * 1024 }));
    expect(error.code).toBe('too_large');
    expect(error.status).toBe(413);
    // Compressing the 64 MiB bomb itself takes seconds on two busy cores; the refusal is what is timed elsewhere.
  }, 60_000);

  test('a bomb that lies about its size stops at the declared size', () => {
    const zeros = new Uint8Array(16 * 1024 * 1024);
    const honest = frame(zeros, Codec.deflateRaw);
    const liar = writeFrame(Codec.deflateRaw, 1000, honest.subarray(FRAME_HEADER_BYTES));
    const before = process.memoryUsage().arrayBuffers;
    const error = refusal(() => decodeBatchFrame(liar));
    expect(error.code).toBe('too_large');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  test('a truncated body', () => {
    const body = encodeBatchFrame(sampleBatch(), Codec.gzip);
    expect(refusal(() => decodeBatchFrame(body.subarray(0, body.byteLength - 10))).code).toBe('decompression_failed');
  });
});

describe('redaction', () => {
  const redact = createRedactor({ patterns: [/\b\d{3}-\d{2}-\d{4}\b/] });

  test('Luhn', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
  });

  test('card numbers with separators, e-mails and extra patterns are masked; lookalikes are kept', () => {
    expect(redact('card 4242 4242 4242 4242 ok')).toBe('card **** **** **** **** ok');
    expect(redact('card 4242-4242-4242-4242')).toBe('card ****-****-****-****'.replace(/-/g, '*'));
    expect(redact('mail jane.doe+x@example.co.uk now')).toBe(
      `mail ${'*'.repeat('jane.doe+x@example.co.uk'.length)} now`,
    );
    expect(redact('ssn 123-45-6789')).toBe('ssn ***********');
    expect(redact('order 1700000000000123')).toBe('order 1700000000000123');
  });

  test('redactInPlace rewrites nested strings and counts them', () => {
    const event = { data: { text: 'a@b.io', attrs: { title: 'x', list: ['4242424242424242', 'y'] } } };
    expect(redactInPlace(event, redact)).toBe(2);
    expect(JSON.stringify(event)).not.toMatch(/a@b\.io|4242424242424242/);
  });
});

describe('urlPath', () => {
  test('keeps the path and query of a recorded URL, and a URL that does not parse as recorded', () => {
    expect(urlPath('https://shop.example/cart?x=1#top')).toBe('/cart?x=1');
    expect(urlPath('https://shop.example')).toBe('/');
    expect(urlPath('[email] /orders')).toBe('[email] /orders');
  });
});
