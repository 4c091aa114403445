import { describe, expect, test } from 'vitest';
import { EventType, IncrementalSource, MouseInteractions, type RecordedEvent } from '@reprise/protocol';
import { findInactivePeriods, periodAt } from './inactivity.js';
import { extractMarkers, RecordingIndex } from './markers.js';
import { detectRageClicks } from '@reprise/protocol';
import { click, full, meta, move, mutation, reprise, T0 } from './test-events.js';
import { UrlTimeline, urlAtTime } from './url-timeline.js';

describe('detectRageClicks', () => {
  test('finds a run of fast clicks on one spot and nothing in slow or scattered clicks', () => {
    const clicks = [
      { time: 0, x: 10, y: 10 },
      { time: 2000, x: 100, y: 100 },
      { time: 2200, x: 105, y: 98 },
      { time: 2350, x: 101, y: 103 },
      { time: 2500, x: 99, y: 100 },
      { time: 5000, x: 10, y: 10 },
      { time: 5100, x: 300, y: 10 },
      { time: 5200, x: 10, y: 10 },
    ];
    const rage = detectRageClicks(clicks);
    expect(rage).toHaveLength(1);
    expect(rage[0]).toMatchObject({ start: 2000, end: 2500, count: 4, indexes: [1, 2, 3, 4] });
  });
  test('a pause longer than the interval ends the run', () => {
    const clicks = [0, 300, 1500, 1800].map((time) => ({ time, x: 0, y: 0 }));
    expect(detectRageClicks(clicks)).toEqual([]);
    expect(detectRageClicks(clicks, { minClicks: 2 })).toHaveLength(2);
  });
});

describe('findInactivePeriods', () => {
  test('finds stretches without user input longer than the threshold, including an idle tail', () => {
    const events = [
      meta(0, 'http://a/'),
      full(0),
      move(1000),
      mutation(4000),
      move(9000),
      click(9500),
      mutation(20000),
    ];
    expect(findInactivePeriods(events, 5000)).toEqual([
      { start: 1000, end: 9000 },
      { start: 9500, end: 20000 },
    ]);
  });
  test('a route change counts as activity', () => {
    const events = [full(0), reprise(4000, 'navigation', { url: 'http://a/b' }), move(8000)];
    expect(findInactivePeriods(events, 5000)).toEqual([]);
  });
  test('periodAt finds the containing period', () => {
    const periods = [
      { start: 10, end: 20 },
      { start: 30, end: 40 },
    ];
    expect(periodAt(periods, 15)).toEqual({ start: 10, end: 20 });
    expect(periodAt(periods, 20)).toBeUndefined();
    expect(periodAt(periods, 35)).toEqual({ start: 30, end: 40 });
    expect(periodAt(periods, 5)).toBeUndefined();
  });
});

describe('UrlTimeline', () => {
  test('the address at a moment comes from page loads and route changes', () => {
    const events = [
      meta(0, 'http://a.test/'),
      full(0),
      reprise(1000, 'navigation', { url: 'http://a.test/users/7', route: '/users/:id' }),
      meta(5000, 'http://a.test/reload'),
    ];
    expect(urlAtTime(events, 500)).toEqual({ url: 'http://a.test/' });
    expect(urlAtTime(events, 1000)).toEqual({ url: 'http://a.test/users/7', route: '/users/:id' });
    expect(urlAtTime(events, 4999)).toEqual({ url: 'http://a.test/users/7', route: '/users/:id' });
    expect(urlAtTime(events, 6000)).toEqual({ url: 'http://a.test/reload' });
  });
  test('a Meta event repeating the current URL keeps the route', () => {
    const timeline = new UrlTimeline();
    timeline.add(reprise(0, 'navigation', { url: 'http://a/x', route: '/:page' }));
    expect(timeline.add(meta(1, 'http://a/x'))).toBe(false);
    expect(timeline.at(T0 + 10)).toEqual({ url: 'http://a/x', route: '/:page' });
  });
});

describe('markers', () => {
  const events = [
    meta(0, 'http://a.test/'),
    full(0),
    reprise(100, 'navigation', { url: 'http://a.test/cart?x=1', route: '/cart' }),
    click(500, 50, 50),
    click(3000, 200, 200),
    click(3200, 201, 202),
    click(3400, 199, 200),
    reprise(4000, 'console', { level: 'log', args: ['hello'] }),
    reprise(4100, 'console', { level: 'error', args: ['boom', '42'] }),
    reprise(4200, 'error', { source: 'error', name: 'TypeError', message: 'x is undefined', stack: 'at f' }),
    reprise(4250, 'error', {
      source: 'manual',
      name: 'Error',
      message: 'checkout failed',
      stack: 'Error: checkout failed\n    at pay',
      causes: [
        { name: 'TypeError', message: 'Failed to fetch', stack: 'TypeError: Failed to fetch\n    at send' },
        { message: '{"code":7}' },
      ],
    }),
    reprise(4300, 'network', {
      initiator: 'fetch',
      method: 'GET',
      url: 'http://a.test/api/ok',
      status: 200,
      startTime: T0 + 4250,
      duration: 30,
    }),
    reprise(4400, 'network', {
      initiator: 'xhr',
      method: 'POST',
      url: 'http://a.test/api/fail',
      status: 500,
      startTime: T0 + 4350,
      duration: 50,
    }),
    reprise(4500, 'network', {
      initiator: 'fetch',
      method: 'GET',
      url: 'http://other/x',
      status: 0,
      startTime: T0 + 4480,
      duration: 5,
      error: 'TypeError: Failed to fetch',
    }),
    reprise(4600, 'network', {
      initiator: 'resource',
      method: 'GET',
      url: 'http://a.test/logo.png',
      status: 200,
      startTime: T0 + 4590,
      duration: 4,
      error: 'the <img> did not load',
    }),
    reprise(5000, 'custom', { name: 'checkout', props: { total: 3 } }),
    reprise(6000, 'identify', { userId: 'u-1', traits: { plan: 'pro' } }),
  ];

  test('every kind becomes a marker at its time, rage clicks replace their clicks', () => {
    const markers = extractMarkers(events);
    expect(markers.map((m) => [m.kind, m.time, m.label])).toEqual([
      ['navigation', 100, '/cart'],
      ['click', 500, 'Click at 50, 50'],
      ['rage-click', 3000, 'Rage click ×3 at 200, 200'],
      ['console-error', 4100, 'console.error: boom 42'],
      ['error', 4200, 'TypeError: x is undefined'],
      ['error', 4250, 'Error: checkout failed'],
      ['network-error', 4350, 'POST /api/fail → 500'],
      ['network-error', 4480, 'GET /x → TypeError: Failed to fetch'],
      ['network-error', 4590, 'GET /logo.png → the <img> did not load'],
      ['custom', 5000, 'checkout'],
      ['identify', 6000, 'Identify u-1'],
    ]);
    expect(markers.find((m) => m.kind === 'rage-click')?.endTime).toBe(3400);
    expect(markers.find((m) => m.kind === 'navigation')?.detail).toBe('http://a.test/cart?x=1');
    // An error's cause chain follows its stack, as engines print it.
    expect(markers.find((m) => m.label === 'Error: checkout failed')?.detail).toBe(
      'Error: checkout failed\n    at pay\nCaused by: TypeError: Failed to fetch\n    at send\nCaused by: {"code":7}',
    );
  });

  test('a double-click is two clicks and a tap one: neither is a rage click', () => {
    const interaction = (at: number, type: number): RecordedEvent => ({
      type: EventType.IncrementalSnapshot,
      timestamp: T0 + at,
      data: { source: IncrementalSource.MouseInteraction, type, id: 5, x: 40, y: 40 },
    });
    const { MouseDown, MouseUp, Click, DblClick, TouchStart, TouchEnd } = MouseInteractions;
    // As rrweb records them: each click of a double-click, then the dblclick; a tap's touchend, then its click.
    const doubleClick = [MouseDown, MouseUp, Click, MouseDown, MouseUp, Click, DblClick].map((type, i) =>
      interaction(1000 + i * 20, type),
    );
    const doubleTap = [TouchStart, TouchEnd, Click, TouchStart, TouchEnd, Click, DblClick].map((type, i) =>
      interaction(5000 + i * 20, type),
    );
    const kinds = extractMarkers([full(0), ...doubleClick, ...doubleTap]).map((marker) => marker.kind);
    expect(kinds).toEqual(['click', 'click', 'click', 'click']);
  });

  test('a route change after a redirect loop says how many the recorder left out', () => {
    const [marker] = extractMarkers([
      full(0),
      reprise(10, 'navigation', { url: 'http://a.test/account', route: '/account', skipped: 4_880 }),
    ]).filter((m) => m.kind === 'navigation');
    expect(marker!.detail).toBe('… 4880 earlier route changes not recorded (too many a second)\nhttp://a.test/account');
  });

  test("a console error's marker keeps the whole message when its label cuts it, then its trace", () => {
    const long = `failed: ${'x'.repeat(300)} end`;
    const [cut, short] = extractMarkers([
      full(0),
      reprise(10, 'console', { level: 'error', args: [long], trace: 'at pay (app.js:1:2)' }),
      reprise(20, 'console', { level: 'assert', args: ['short'], trace: 'at check' }),
    ]).filter((m) => m.kind === 'console-error');
    expect(cut!.label.length).toBeLessThanOrEqual(140);
    expect(cut!.detail).toBe(`${long}\nat pay (app.js:1:2)`);
    expect(short!.detail).toBe('at check');
  });

  test('console and network rows keep every entry with its time', () => {
    const index = new RecordingIndex();
    events.forEach((event) => index.add(event));
    expect(index.getConsoleRows().map((row) => [row.time, row.level, row.text])).toEqual([
      [4000, 'log', 'hello'],
      [4100, 'error', 'boom 42'],
    ]);
    expect(index.getNetworkRows().map((row) => [row.time, row.method, row.status, row.duration, row.failed])).toEqual([
      [4250, 'GET', 200, 30, false],
      [4350, 'POST', 500, 50, true],
      [4480, 'GET', 0, 5, true],
      [4590, 'GET', 200, 4, true],
    ]);
    expect(index.duration).toBe(6000);
  });

  test("what the recorder's rate bound left out is said where it was left out", () => {
    const index = new RecordingIndex();
    [
      meta(0, 'http://a.test/'),
      full(0),
      reprise(1000, 'console', { level: 'warn', args: ['tick 4999'], skipped: 4899 }),
      reprise(1100, 'error', { source: 'error', message: 'loop failed', stack: 'at loop', skipped: 12 }),
      reprise(1200, 'custom', { name: 'scrolled', props: { depth: 7 }, skipped: 300 }),
      reprise(1300, 'custom', { name: 'clicked' }),
      reprise(1400, 'network', {
        initiator: 'fetch',
        method: 'GET',
        url: 'http://a.test/poll',
        status: 200,
        startTime: 1390,
        duration: 10,
        skipped: 240,
      }),
    ].forEach((event) => index.add(event));
    expect(index.getNetworkRows().map((row) => [row.url, row.skipped])).toEqual([['http://a.test/poll', 240]]);
    expect(index.getConsoleRows().map((row) => [row.time, row.level, row.text])).toEqual([
      [1000, 'warn', '… 4899 earlier console messages not recorded (too many a second)'],
      [1000, 'warn', 'tick 4999'],
    ]);
    expect(index.getMarkers().find((marker) => marker.kind === 'error')?.detail).toBe(
      '… 12 earlier errors not recorded (too many a second)\nat loop',
    );
    const custom = index.getMarkers().filter((marker) => marker.kind === 'custom');
    expect(custom.map((marker) => [marker.label, marker.detail])).toEqual([
      ['scrolled', '… 300 earlier custom events not recorded (too many a second)\n{"depth":7}'],
      ['clicked', undefined],
    ]);
  });

  test("a GraphQL request's operation is named in its row and in its failure's marker", () => {
    const index = new RecordingIndex();
    [
      meta(0, 'http://a.test/'),
      full(0),
      reprise(500, 'network', {
        initiator: 'fetch',
        method: 'POST',
        url: 'http://a.test/graphql',
        status: 500,
        startTime: T0 + 450,
        duration: 50,
        operation: 'mutation AddToCart',
      }),
    ].forEach((event) => index.add(event));
    expect(index.getNetworkRows()[0]?.operation).toBe('mutation AddToCart');
    expect(index.getMarkers().find((marker) => marker.kind === 'network-error')?.label).toBe(
      'POST /graphql (mutation AddToCart) → 500',
    );
  });

  test('a gap spans from the last event before it to the first one after', () => {
    const index = new RecordingIndex();
    index.add(full(0));
    index.add(mutation(1000));
    const gap = index.addGap(2, 'corrupt');
    expect(gap).toMatchObject({ kind: 'gap', time: 1000, label: 'Missing data (segment 2)', detail: 'corrupt' });
    index.add(meta(7000, 'http://a/'));
    expect(index.getMarkers().find((m) => m.kind === 'gap')).toMatchObject({ time: 1000, endTime: 7000 });
  });
});
