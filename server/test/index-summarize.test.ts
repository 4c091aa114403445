import { describe, expect, it } from 'vitest';
import {
  INACTIVITY_THRESHOLD_MS,
  MAX_CUSTOM_EVENT_NAMES,
  MAX_INDEXED_COUNT,
  MAX_TRAITS_JSON_LENGTH,
  parseUserAgent,
  summarizeSegment,
} from '../src/index-db/summarize.js';
import { CHROME_UA, ev } from './support/index-events.js';

describe('segment summarizer', () => {
  it('counts clicks, errors, console errors and failed requests (resources that did not load too) by their rrweb and reprise shapes', () => {
    const summary = summarizeSegment([
      ev.meta(0, 'https://a.test/'),
      ev.full(1),
      ev.click(2),
      ev.click(3),
      ev.error(4),
      ev.console(5, 'error'),
      ev.console(6, 'warn'),
      ev.request(7, 404),
      ev.request(8, 0),
      ev.request(9, 304),
      ev.brokenResource(10),
    ]);
    expect(summary).toMatchObject({
      clicks: 2,
      rageClicks: 0,
      errors: 1,
      consoleErrors: 1,
      failedRequests: 3,
      fullSnapshotAt: 1,
      startedAt: 0,
      endedAt: 10,
      eventCount: 11,
    });
  });

  it("counts the errors the recorder's rate bound left out (skipped) with the one that carries them, and nothing for a skipped that is not a count", () => {
    const withSkipped = (at: number, skipped: unknown) => {
      const event = ev.error(at);
      (event.data.payload as { skipped?: unknown }).skipped = skipped;
      return event;
    };
    expect(summarizeSegment([ev.error(1), withSkipped(2, 37), withSkipped(3, 0)]).errors).toBe(1 + 38 + 1);
    for (const hostile of ['5000', -3, 1.5, 2 ** 60, Number.NaN, null])
      expect(summarizeSegment([withSkipped(1, hostile)]).errors).toBe(1);
    // Past what a row holds, the count stops there.
    expect(summarizeSegment([withSkipped(1, Number.MAX_SAFE_INTEGER), withSkipped(2, 10)]).errors).toBe(
      MAX_INDEXED_COUNT,
    );
  });

  it('counts active time between interactions, not idle gaps, and carries it across segments', () => {
    const first = summarizeSegment([ev.move(0), ev.move(1_000), ev.move(1_000 + INACTIVITY_THRESHOLD_MS + 1)]);
    expect(first.activeMs).toBe(1_000);
    const second = summarizeSegment([ev.mutation(20_000), ev.click(first.lastActivityAt! + 500)], first.lastActivityAt);
    expect(second.activeMs).toBe(500);
  });

  it('keeps the last identify (null un-identifies), merged traits, pages with routes, and custom event names', () => {
    const summary = summarizeSegment([
      ev.identify(0, 'ann', { plan: 'free' }),
      ev.identify(1, 'ann', { seats: '3' }),
      ev.nav(2, 'https://a.test/p/1', '/p/:id'),
      ev.nav(3, 'https://a.test/p/1', '/p/:id'),
      ev.custom(4, 'buy'),
      ev.custom(5, 'buy'),
    ]);
    expect(summary.userId).toBe('ann');
    expect(summary.traits).toEqual({ plan: 'free', seats: '3' });
    expect(summary.pages).toEqual([{ url: 'https://a.test/p/1', route: '/p/:id', at: 2 }]);
    expect([...summary.customEvents]).toEqual([['buy', { count: 2, firstAt: 4 }]]);
    expect(summarizeSegment([ev.identify(0, null)]).userId).toBeNull();
    expect(summarizeSegment([ev.click(0)]).userId).toBeUndefined();
  });

  it("lists a page once: a router's marker right after the page load fills in the route, a reload of it adds nothing", () => {
    const summary = summarizeSegment([
      ev.meta(0, 'https://a.test/'),
      ev.nav(120, 'https://a.test/', '/'),
      ev.nav(2_000, 'https://a.test/users', '/users'),
      ev.meta(5_000, 'https://a.test/'),
      ev.nav(5_100, 'https://a.test/', '/'),
    ]);
    expect(summary.pages).toEqual([
      { url: 'https://a.test/', route: '/', at: 0 },
      { url: 'https://a.test/users', route: '/users', at: 2_000 },
    ]);
  });

  it('bounds what one session can make the index keep', () => {
    const events = Array.from({ length: MAX_CUSTOM_EVENT_NAMES + 50 }, (_, i) => ev.custom(i, `event-${i}`));
    expect(summarizeSegment(events).customEvents.size).toBe(MAX_CUSTOM_EVENT_NAMES);
  });

  it('skips malformed reprise payloads instead of failing the writer, and bounds traits', () => {
    const broken = [
      { type: 5, timestamp: 1, data: { tag: 'reprise.navigation', payload: null } },
      { type: 5, timestamp: 2, data: { tag: 'reprise.console' } },
      { type: 5, timestamp: 3, data: null },
      { type: 3, timestamp: 4, data: null },
    ];
    expect(summarizeSegment(broken)).toMatchObject({
      eventCount: 4,
      pages: [],
      consoleErrors: 0,
      startedAt: 1,
      endedAt: 4,
    });
    const huge = summarizeSegment([
      ev.identify(0, 'ann', { small: 'x', big: 'y'.repeat(MAX_TRAITS_JSON_LENGTH), other: 'z' }),
    ]);
    expect(huge.traits).toEqual({ _truncated: true, small: 'x', other: 'z' });
  });

  it('names browser family and OS from a user agent', () => {
    expect(parseUserAgent(CHROME_UA)).toEqual({ browser: 'Chrome 156', os: 'Linux' });
    expect(
      parseUserAgent(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1',
      ),
    ).toEqual({ browser: 'Safari 18', os: 'iOS' });
    expect(parseUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0')).toEqual({
      browser: 'Firefox 140',
      os: 'Windows',
    });
    expect(
      parseUserAgent(
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0',
      ),
    ).toEqual({ browser: 'Edge 140', os: 'macOS' });
    expect(parseUserAgent(undefined)).toEqual({ browser: null, os: null });
  });
});
