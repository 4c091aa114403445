import { describe, expect, test } from 'vitest';
import { RecordingIndex } from './markers.js';
import { eventDetails, MAX_DETAIL_TEXT, networkDetails, readableBody } from './row-details.js';
import { meta, reprise, T0 } from './test-events.js';

const request = {
  initiator: 'fetch' as const,
  method: 'POST',
  url: 'https://shop.test/api/cart',
  status: 201,
  startTime: 0,
  duration: 120,
};

function indexOf(...events: ReturnType<typeof reprise>[]): RecordingIndex {
  const index = new RecordingIndex();
  index.add(meta(0, 'https://shop.test/'));
  for (const event of events) index.add(event);
  return index;
}

describe('row details', () => {
  test('a body: JSON indented; anything else, or JSON cut by the recorder, as recorded; a huge one bounded', () => {
    expect(readableBody('{"a":[1,2]}')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(readableBody('{"a":[1,2')).toBe('{"a":[1,2');
    expect(readableBody('name=Ann&plan=pro')).toBe('name=Ann&plan=pro');
    const huge = readableBody('x'.repeat(MAX_DETAIL_TEXT + 5));
    expect(huge.length).toBeLessThan(MAX_DETAIL_TEXT + 40);
    expect(huge.endsWith('… 5 more characters')).toBe(true);
  });

  test('without headers or bodies, the details say why: the options, no response, or a file the page loaded', () => {
    const index = indexOf(
      reprise(10, 'network', { ...request, method: 'GET', status: 0, error: 'Failed to fetch', startTime: T0 + 10 }),
      reprise(20, 'network', { ...request, method: 'GET', initiator: 'resource', status: 404, startTime: T0 + 20 }),
    );
    const [failed, resource] = index.getNetworkRows().map((row) => networkDetails(row).sections.at(-1)!.text);
    expect(failed).toMatch(/^None recorded: no response came\./);
    expect(resource).toMatch(/^None: a file the page loaded/);
  });

  test("a request's headers and bodies as recorded, and only parts of the right type (a recording is input)", () => {
    const index = indexOf(
      reprise(10, 'network', {
        ...request,
        startTime: T0 + 10,
        requestHeaders: { 'content-type': 'application/json' },
        requestBody: '{"sku":"lamp"}',
        responseSize: 512,
      }),
      // Hostile shapes: a number for a body, a string for headers, NaN for a size.
      reprise(20, 'network', {
        ...request,
        startTime: T0 + 20,
        requestBody: 7 as unknown as string,
        responseHeaders: null as unknown as Record<string, string>,
        requestSize: Number.NaN,
      }),
    );
    const [recorded, hostile] = index.getNetworkRows().map(networkDetails);
    expect(recorded!.title).toBe('POST https://shop.test/api/cart');
    expect(recorded!.sections.map((section) => section.heading)).toEqual([
      'Request',
      'Request headers',
      'Request body',
    ]);
    expect(recorded!.sections[0]!.pairs).toContainEqual(['Response size', '512 B']);
    expect(recorded!.sections[1]!.pairs).toEqual([['content-type', 'application/json']]);
    expect(recorded!.sections[2]!.text).toBe('{\n  "sku": "lamp"\n}');
    expect(hostile!.sections.map((section) => section.heading)).toEqual(['Request', 'Headers and bodies']);
    expect(hostile!.sections[1]!.text).toBe(
      "Not recorded: the recorder's network.captureHeaders and network.captureBodies options turn them on.",
    );
    expect(hostile!.sections[0]!.pairs!.map(([name]) => name)).not.toContain('Request size');
  });

  test("a custom event's properties and identify's traits are indented", () => {
    const index = indexOf(
      reprise(5, 'custom', { name: 'checkout', props: { plan: 'team', seats: 3 }, skipped: 2 }),
      reprise(6, 'identify', { userId: 'ann', traits: { city: 'Lyon' } }),
    );
    const [custom, identify] = index
      .getMarkers()
      .filter((marker) => marker.kind === 'custom' || marker.kind === 'identify');
    expect(eventDetails(custom!).sections.at(-1)!.text).toBe(
      '… 2 earlier custom events not recorded (too many a second)\n{\n  "plan": "team",\n  "seats": 3\n}',
    );
    expect(eventDetails(identify!).sections.at(-1)!.text).toBe('{\n  "city": "Lyon"\n}');
  });

  test("an error's details: a message longer than its label, the stack, causes, and where a framework caught it", () => {
    const message = `checkout failed: ${'the basket could not be priced; '.repeat(8)}`;
    const index = indexOf(
      reprise(30, 'error', {
        source: 'framework',
        name: 'Error',
        message,
        stack: 'Error: checkout failed\n    at price (cart.js:3:9)',
        causes: [{ name: 'TypeError', message: 'x is undefined' }],
        framework: 'vue',
        component: 'CartSummary',
        info: 'mounted hook',
        componentStack: 'at <CartSummary>\nat <App>',
      }),
    );
    const details = eventDetails(index.getMarkers().find((marker) => marker.kind === 'error')!);
    expect(details.sections.find((section) => section.heading === 'Details')!.text).toBe(
      [
        `Error: ${message}`,
        'Error: checkout failed\n    at price (cart.js:3:9)',
        'Caused by: TypeError: x is undefined',
        'In CartSummary (mounted hook)',
        'at <CartSummary>\nat <App>',
      ].join('\n'),
    );
  });
});
