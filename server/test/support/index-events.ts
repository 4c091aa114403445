import { createRepriseEvent, EventType, type RecordedEvent } from '@reprise/protocol';
import type { StoredSegment } from '../../src/segment/types.js';

/** Small builders of realistic rrweb + reprise events for index and playback tests. */
export const ev = {
  meta: (at: number, href: string, width = 1280, height = 720): RecordedEvent => ({
    type: EventType.Meta,
    timestamp: at,
    data: { href, width, height },
  }),
  full: (at: number): RecordedEvent => ({
    type: EventType.FullSnapshot,
    timestamp: at,
    data: { node: { type: 0, childNodes: [], id: 1 }, initialOffset: { left: 0, top: 0 } },
  }),
  click: (at: number): RecordedEvent => ({
    type: EventType.IncrementalSnapshot,
    timestamp: at,
    data: { source: 2, type: 2, id: 5, x: 10, y: 10 },
  }),
  move: (at: number): RecordedEvent => ({
    type: EventType.IncrementalSnapshot,
    timestamp: at,
    data: { source: 1, positions: [{ x: 1, y: 2, id: 5, timeOffset: 0 }] },
  }),
  mutation: (at: number): RecordedEvent => ({
    type: EventType.IncrementalSnapshot,
    timestamp: at,
    data: { source: 0, texts: [], attributes: [], removes: [], adds: [] },
  }),
  resize: (at: number, width: number, height: number): RecordedEvent => ({
    type: EventType.IncrementalSnapshot,
    timestamp: at,
    data: { source: 4, width, height },
  }),
  nav: (at: number, url: string, route?: string) =>
    createRepriseEvent(
      'navigation',
      route ? { url, route, navigationType: 'push' } : { url, navigationType: 'push' },
      at,
    ),
  error: (at: number, message = 'boom') => createRepriseEvent('error', { source: 'error', message }, at),
  console: (at: number, level: 'log' | 'error' | 'warn' = 'error') =>
    createRepriseEvent('console', { level, args: ['x'] }, at),
  request: (at: number, status: number) =>
    createRepriseEvent(
      'network',
      { initiator: 'fetch', method: 'GET', url: '/api', status, startTime: at, duration: 5 },
      at,
    ),
  /** A resource of the page that failed with a 200 (a picture that does not decode). */
  brokenResource: (at: number) =>
    createRepriseEvent(
      'network',
      {
        initiator: 'resource',
        method: 'GET',
        url: '/logo.png',
        status: 200,
        startTime: at,
        duration: 5,
        error: 'the <img> did not load',
      },
      at,
    ),
  identify: (at: number, userId: string | null, traits?: Record<string, string>) =>
    createRepriseEvent('identify', traits ? { userId, traits } : { userId }, at),
  custom: (at: number, name: string) => createRepriseEvent('custom', { name }, at),
};

export const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** A StoredSegment as the writer announces it, with one batch holding `events`. */
export function storedSegment(input: {
  project: string;
  sessionId: string;
  segment: string;
  events: RecordedEvent[];
  bytes?: number;
  userAgent?: string;
}): StoredSegment {
  const timestamps = input.events.map((e) => e.timestamp);
  const startTs = Math.min(...timestamps);
  const endTs = Math.max(...timestamps);
  const batch = { tab: 'tab-1', seq: 0, start: startTs, end: endTs, receivedAt: endTs, events: input.events };
  if (input.userAgent) Object.assign(batch, { userAgent: input.userAgent });
  return {
    project: input.project,
    sessionId: input.sessionId,
    segment: input.segment,
    key: `${input.project}/2026/11/23/${input.sessionId}/${input.segment}`,
    bytes: input.bytes ?? 1000,
    plainBytes: (input.bytes ?? 1000) * 3,
    startTs,
    endTs,
    dataKeyId: `dk-${input.sessionId}`,
    batches: [batch],
    summary: {
      eventCount: input.events.length,
      eventsByType: {},
      eventsByKind: {},
      hasFullSnapshot: input.events.some((e) => e.type === EventType.FullSnapshot),
      urls: [],
      errors: [],
      customEvents: [],
      tabs: ['tab-1'],
    },
    storedAt: endTs + 100,
  };
}
