import { describe, expect, test } from 'vitest';
import { createRepriseEvent, EventType, type RecordedEvent } from './events.js';
import { toWellFormedEvent } from './payload-shape.js';

describe('toWellFormedEvent', () => {
  const network = createRepriseEvent(
    'network',
    { initiator: 'fetch', method: 'GET', url: 'https://a.test/api', status: 200, startTime: 1, duration: 2 },
    10,
  );

  test('a well-formed event, an rrweb event and another tool’s custom event come back as they are', () => {
    expect(toWellFormedEvent(network)).toBe(network);
    const rrweb: RecordedEvent = { type: EventType.Meta, timestamp: 1, data: { href: 5 } };
    expect(toWellFormedEvent(rrweb)).toBe(rrweb);
    const other: RecordedEvent = { type: EventType.Custom, timestamp: 1, data: { tag: 'my-plugin', payload: 5 } };
    expect(toWellFormedEvent(other)).toBe(other);
  });

  test('optional fields of another type are left out of a copy; the input is not changed', () => {
    const hostile = structuredClone(network);
    Object.assign((hostile.data as { payload: object }).payload, { requestBody: 7, responseHeaders: null, error: {} });
    const before = JSON.stringify(hostile);
    const out = toWellFormedEvent(hostile)!;
    expect(out).not.toBe(hostile);
    expect(JSON.stringify(hostile)).toBe(before);
    expect((out.data as { payload: object }).payload).toEqual((network.data as { payload: object }).payload);
    expect(out.timestamp).toBe(10);
  });

  test('a payload that is not an object, or without a field its kind needs, is no event', () => {
    for (const payload of [null, 5, 'x', [1], { method: 'GET', url: 'u' }, { method: 'GET', url: 5, status: 200 }])
      expect(
        toWellFormedEvent({ type: EventType.Custom, timestamp: 1, data: { tag: 'reprise.network', payload } }),
      ).toBeUndefined();
    // identify's user may be null (anonymous), but not a number.
    expect(toWellFormedEvent(createRepriseEvent('identify', { userId: null }, 1))).toBeDefined();
    const numeric = toWellFormedEvent(createRepriseEvent('identify', { userId: 5 as unknown as string }, 1))!;
    expect((numeric.data as { payload: object }).payload).toEqual({});
  });
});
