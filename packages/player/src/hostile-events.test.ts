import { type ReprisePayloads, type RepriseKind } from '@reprise/protocol';
import { describe, expect, test } from 'vitest';
import { RecordingIndex } from './markers.js';
import { UrlTimeline } from './url-timeline.js';
import { reprise, T0 } from './test-events.js';

// Anyone with the public ingest key can store a Reprise event of any shape: one whose fields are
// not of their declared types must leave the index, the markers and the panels' rows readable.
const VALID: { [K in RepriseKind]?: ReprisePayloads[K] } = {
  navigation: { url: 'http://a.test/x', route: '/x', skipped: 2 },
  console: { level: 'error', args: ['boom'], trace: 'at x', skipped: 1 },
  network: {
    initiator: 'fetch',
    method: 'GET',
    url: 'http://a.test/api',
    status: 500,
    startTime: T0,
    duration: 5,
    requestHeaders: { a: 'b' },
    responseBody: '{}',
    operation: 'query Q',
    error: 'failed',
  },
  error: {
    source: 'error',
    name: 'TypeError',
    message: 'x is undefined',
    stack: 'TypeError: x is undefined',
    causes: [{ message: 'cause' }],
    component: 'Card',
    info: 'render',
  },
  identify: { userId: 'u1', traits: { plan: 'pro' } },
  custom: { name: 'checkout', props: { total: 3 }, skipped: 1 },
};
const WEIRD: unknown[] = [5, 'x', null, {}, [], true, [5, null, {}]];

describe('hostile Reprise events', () => {
  test('a payload field of another type throws nothing where the index, markers and rows are read', () => {
    for (const [kind, payload] of Object.entries(VALID) as Array<[RepriseKind, Record<string, unknown>]>) {
      for (const field of [...Object.keys(payload), 'skipped', 'trace', 'stack', 'props', 'traits'])
        for (const value of WEIRD) {
          const index = new RecordingIndex();
          const urls = new UrlTimeline();
          const event = reprise(100, kind, { ...payload, [field]: value } as never);
          const read = () => {
            index.add(event);
            urls.add(event);
            return [index.getMarkers(), index.getConsoleRows(), index.getNetworkRows()];
          };
          expect(read, `${kind}.${field} = ${JSON.stringify(value)}`).not.toThrow();
        }
      // The well-formed payload is indexed: the check leaves out only what is malformed.
      const index = new RecordingIndex();
      index.add(reprise(100, kind, payload as never));
      expect(index.getMarkers().length + index.getConsoleRows().length + index.getNetworkRows().length).toBeGreaterThan(
        0,
      );
    }
  });

  test('a payload that is not an object, or a navigation without its URL, is left out', () => {
    const index = new RecordingIndex();
    for (const payload of [null, 5, 'x', [1]])
      index.add({ type: 5, timestamp: T0 + 1, data: { tag: 'reprise.navigation', payload } } as never);
    index.add(reprise(2, 'navigation', { route: '/only-a-route' } as never));
    expect(index.getMarkers()).toEqual([]);
  });
});
