import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRepriseEvent,
  EventType,
  IncrementalSource,
  MouseInteractions,
  type RecordedEvent,
} from '@reprise/protocol';
import type { IndexDatabase } from '../src/index-db/database.js';
import { InvalidCursorError, searchSessions, type SessionSearch } from '../src/index-db/search.js';
import {
  deleteSessionRows,
  getSession,
  indexStoredSegment,
  listCustomEventNames,
  listSegments,
} from '../src/index-db/sessions-store.js';
import { MAX_ERROR_TITLES, MAX_INDEXED_COUNT } from '../src/index-db/summarize.js';
import { CHROME_UA, ev, storedSegment } from './support/index-events.js';
import { ENGINES, openTestIndex } from './support/index-db.js';

const T = Date.UTC(2026, 10, 1, 8, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe.each(ENGINES)('sessions index on %s', (engine) => {
  let index: IndexDatabase;

  const add = (
    project: string,
    sessionId: string,
    segment: string,
    events: Parameters<typeof storedSegment>[0]['events'],
    userAgent?: string,
  ) => indexStoredSegment(index.db, index.engine, storedSegment({ project, sessionId, segment, events, userAgent }));

  beforeAll(async () => {
    index = await openTestIndex(engine);
    await add(
      'p1',
      's-alice',
      '000001',
      [
        ev.meta(T, 'https://shop.test/home'),
        ev.full(T + 1),
        ev.identify(T + 100, 'alice', { plan: 'pro' }),
        ev.nav(T + 5_000, 'https://shop.test/checkout', '/checkout'),
        ev.error(T + 20_000),
        ev.custom(T + 30_000, 'purchase'),
        ev.click(T + 60_000),
      ],
      CHROME_UA,
    );
    await add('p1', 's-bob', '000001', [
      ev.meta(T + HOUR, 'https://shop.test/home'),
      ev.full(T + HOUR + 1),
      ev.identify(T + HOUR + 2, 'bob'),
      ev.custom(T + HOUR + 3, 'signup'),
      ev.click(T + HOUR + 5_000),
    ]);
    await add('p1', 's-carol', '000001', [
      ev.meta(T + 2 * HOUR, 'https://shop.test/products/42'),
      ev.full(T + 2 * HOUR + 1),
      ev.identify(T + 2 * HOUR + 2, 'carol'),
      ev.nav(T + 2 * HOUR + 3, 'https://shop.test/products/42', '/products/:id'),
      ev.console(T + 2 * HOUR + 4),
      ev.request(T + 2 * HOUR + 5, 500),
      ev.request(T + 2 * HOUR + 6, 0),
      ev.request(T + 2 * HOUR + 7, 200),
      ev.move(T + 2 * HOUR + 10 * MIN),
    ]);
    await add('p1', 's-anon', '000001', [
      ev.meta(T + 3 * HOUR, 'https://shop.test/about?q=100%_off'),
      ev.full(T + 3 * HOUR + 1),
      ev.error(T + 3 * HOUR + 2),
      ev.error(T + 3 * HOUR + 3),
      ev.custom(T + 3 * HOUR + 4, 'purchase'),
      ev.click(T + 3 * HOUR + 30_000),
    ]);
    await add('p2', 's-other', '000001', [
      ev.meta(T + HOUR, 'https://other.test/checkout'),
      ev.full(T + HOUR + 1),
      ev.identify(T + HOUR + 2, 'alice'),
      ev.error(T + HOUR + 3),
      ev.custom(T + HOUR + 4, 'purchase'),
      ev.click(T + HOUR + 70_000),
    ]);
    for (let i = 0; i < 20; i++) {
      const start = T + 10 * HOUR + i * MIN;
      await add('p1', `f-${String(i).padStart(2, '0')}`, '000001', [
        ev.meta(start, `https://shop.test/list/${i}`),
        ev.full(start + 1),
        ev.click(start + i * 1000 + 2),
      ]);
    }
  });
  afterAll(() => index?.close());

  const ids = async (search: Partial<SessionSearch>) =>
    (await searchSessions(index.db, { projects: ['p1'], limit: 500, ...search }, { engine })).sessions.map(
      (s) => s.session_id,
    );

  it('folds a session from several segments, once per segment even when the writer retries', async () => {
    const events2 = [
      ev.full(T + 100_000),
      ev.move(T + 100_500),
      ev.move(T + 101_500),
      ev.resize(T + 102_000, 390, 844),
      ev.nav(T + 103_000, 'https://shop.test/thanks', '/thanks'),
      ev.custom(T + 104_000, 'purchase'),
      ev.custom(T + 105_000, 'review'),
      ev.console(T + 105_500, 'log'),
      ev.click(T + 106_000),
    ];
    await add('p1', 's-multi', '000001', [
      ev.meta(T, 'https://shop.test/home'),
      ev.full(T + 1),
      ev.move(T + 1_000),
      ev.move(T + 3_000),
    ]);
    const segment2 = storedSegment({ project: 'p1', sessionId: 's-multi', segment: '000002', events: events2 });
    expect(await indexStoredSegment(index.db, index.engine, segment2)).toEqual({ indexed: true });
    expect(await indexStoredSegment(index.db, index.engine, segment2)).toEqual({ indexed: false });

    const row = await getSession(index.db, 'p1', 's-multi');
    expect(row).toMatchObject({
      started_at: T,
      ended_at: T + 106_000,
      duration_ms: 106_000,
      segment_count: 2,
      byte_size: 2000,
      event_count: 4 + events2.length,
      click_count: 1,
      first_url: 'https://shop.test/home',
      viewport_width: 390,
      viewport_height: 844,
    });
    // Segment 1: meta starts the clock, full snapshot and moves make 3 s; the 97 s gap to the next
    // full snapshot is idle; then moves, resize, navigation and the click make 6 s; no idle tail.
    expect(row!.active_ms).toBe(3_000 + 500 + 1_000 + 500 + 1_000 + 3_000);
    expect(JSON.parse(row!.pages)).toEqual([
      { url: 'https://shop.test/home', at: T },
      { url: 'https://shop.test/thanks', route: '/thanks', at: T + 103_000 },
    ]);
    const segments = await listSegments(index.db, 'p1', 's-multi');
    expect(segments.map((s) => [s.segment, s.started_at, s.ended_at, s.full_snapshot_at, s.byte_size])).toEqual([
      ['000001', T, T + 3_000, T + 1, 1000],
      ['000002', T + 100_000, T + 106_000, T + 100_000, 1000],
    ]);
    expect(await listCustomEventNames(index.db, 'p1', 's-multi')).toEqual([
      { name: 'purchase', count: 1, firstAt: T + 104_000 },
      { name: 'review', count: 1, firstAt: T + 105_000 },
    ]);
    // The URL index follows the row: the second segment's page is searchable, and not after deletion.
    expect(await ids({ url: 'shop.test/thanks' })).toEqual(['s-multi']);
    await deleteSessionRows(index.db, 'p1', 's-multi');
    expect(await ids({ url: 'shop.test/thanks' })).toEqual([]);
  });

  it("lists a page once across segments: a route from a later segment (or one indexed late) fills in the page's entry", async () => {
    await add('p4', 's-routes', '000002', [ev.nav(T + 60_000, 'https://shop.test/cart', '/cart')]);
    await add('p4', 's-routes', '000001', [
      ev.meta(T, 'https://shop.test/home'),
      ev.meta(T + 50_000, 'https://shop.test/cart'),
    ]);
    await add('p4', 's-routes', '000003', [
      ev.nav(T + 70_000, 'https://shop.test/home', '/home'),
      ev.meta(T + 80_000, 'https://shop.test/cart'),
    ]);
    expect(JSON.parse((await getSession(index.db, 'p4', 's-routes'))!.pages)).toEqual([
      { url: 'https://shop.test/home', route: '/home', at: T },
      { url: 'https://shop.test/cart', route: '/cart', at: T + 50_000 },
    ]);
    await deleteSessionRows(index.db, 'p4', 's-routes');
  });

  it('finds a session by the text of an error it threw, in any segment and case; keeps each title once, bounded', async () => {
    const error = (at: number, name: string, message: string) =>
      createRepriseEvent(
        'error',
        { source: 'error', name, message, stack: `${name}: ${message}\n    at x (a.js:1:1)` },
        at,
      );
    await add('p5', 's-cart', '000001', [
      ev.meta(T, 'https://shop.test/cart'),
      error(T + 1, 'TypeError', 'cart is undefined'),
      error(T + 2, 'TypeError', 'cart is undefined'),
    ]);
    await add('p5', 's-cart', '000002', [
      error(T + 60_000, 'RangeError', 'Invalid 100% discount\nwhile pricing line 3'),
      // Hostile shapes are skipped, not indexed or thrown on.
      createRepriseEvent('error', { source: 'error', message: 42 as unknown as string }, T + 60_001),
    ]);
    await add('p5', 's-pay', '000001', [
      ev.meta(T, 'https://shop.test/pay'),
      error(T + 5, 'Error', 'payment declined'),
    ]);
    const found = async (errorText: string) =>
      (await searchSessions(index.db, { projects: ['p5'], errorText }, { engine })).sessions.map((s) => s.session_id);
    expect(await found('cart is undefined')).toEqual(['s-cart']);
    expect(await found('TYPEERROR: CART')).toEqual(['s-cart']);
    // Only the first line of a message; LIKE's wildcards are matched as written.
    expect(await found('100% discount')).toEqual(['s-cart']);
    expect(await found('100_ discount')).toEqual([]);
    expect(await found('pricing line')).toEqual([]);
    expect(await found('declined')).toEqual(['s-pay']);
    expect(await found('Error')).toEqual(['s-pay', 's-cart']);
    expect((await getSession(index.db, 'p5', 's-cart'))!.error_text).toBe(
      'TypeError: cart is undefined\nRangeError: Invalid 100% discount',
    );
    // Listed with when each was first thrown, also when a later segment is indexed first.
    await add('p5', 's-late', '000002', [error(T + 90_000, 'Error', 'second'), error(T + 95_000, 'Error', 'first')]);
    await add('p5', 's-late', '000001', [ev.meta(T, 'https://shop.test/'), error(T + 10, 'Error', 'first')]);
    expect(JSON.parse((await getSession(index.db, 'p5', 's-late'))!.errors)).toEqual([
      { title: 'Error: first', at: T + 10 },
      { title: 'Error: second', at: T + 90_000 },
    ]);
    // A session throwing new errors in a loop keeps the first MAX_ERROR_TITLES.
    await add(
      'p5',
      's-loop',
      '000001',
      Array.from({ length: MAX_ERROR_TITLES + 20 }, (_, i) => error(T + i, 'Error', `failure ${i}`)),
    );
    const loop = (await getSession(index.db, 'p5', 's-loop'))!.error_text.split('\n');
    expect(loop).toHaveLength(MAX_ERROR_TITLES);
    expect(loop[0]).toBe('Error: failure 0');
    for (const id of ['s-cart', 's-pay', 's-loop', 's-late']) await deleteSessionRows(index.db, 'p5', id);
  });

  it('counts rage clicks over segments and finds the sessions that have one', async () => {
    const clickAt = (at: number, x = 10): RecordedEvent => ({
      type: EventType.IncrementalSnapshot,
      timestamp: at,
      data: { source: IncrementalSource.MouseInteraction, type: MouseInteractions.Click, id: 5, x, y: 10 },
    });
    const burst = (at: number) => [clickAt(at), clickAt(at + 150), clickAt(at + 300)];
    await add('p6', 's-angry', '000001', [ev.meta(T, 'https://shop.test/pay'), ...burst(T + 1_000)]);
    await add('p6', 's-angry', '000002', [...burst(T + 60_000), clickAt(T + 90_000)]);
    // As many clicks, but slow or far apart: none is a rage click.
    await add('p6', 's-calm', '000001', [
      ev.meta(T + 1, 'https://shop.test/'),
      clickAt(T + 1_000),
      clickAt(T + 2_000),
      clickAt(T + 3_000),
      clickAt(T + 3_100, 200),
      clickAt(T + 3_200, 400),
    ]);
    expect(await getSession(index.db, 'p6', 's-angry')).toMatchObject({ click_count: 7, rage_click_count: 2 });
    expect(await getSession(index.db, 'p6', 's-calm')).toMatchObject({ click_count: 5, rage_click_count: 0 });
    const found = async (hasRageClick: boolean) =>
      (await searchSessions(index.db, { projects: ['p6'], hasRageClick }, { engine })).sessions.map(
        (s) => s.session_id,
      );
    expect(await found(true)).toEqual(['s-angry']);
    expect(await found(false)).toEqual(['s-calm']);
    for (const id of ['s-angry', 's-calm']) await deleteSessionRows(index.db, 'p6', id);
  });

  it('folds segments indexed at the same moment (several writers) without losing counts', async () => {
    const segments = Array.from({ length: 12 }, (_, i) =>
      storedSegment({
        project: 'p3',
        sessionId: 's-race',
        segment: String(i).padStart(6, '0'),
        events: [ev.click(T + i * 1_000), ev.custom(T + i * 1_000 + 1, 'tick')],
      }),
    );
    const results = await Promise.all(segments.map((segment) => indexStoredSegment(index.db, index.engine, segment)));
    expect(results.every((r) => r.indexed)).toBe(true);
    expect(await getSession(index.db, 'p3', 's-race')).toMatchObject({
      segment_count: 12,
      click_count: 12,
      event_count: 24,
      started_at: T,
      ended_at: T + 11_001,
    });
    expect(await listCustomEventNames(index.db, 'p3', 's-race')).toEqual([{ name: 'tick', count: 12, firstAt: T + 1 }]);
    await deleteSessionRows(index.db, 'p3', 's-race');
  });

  it("adds the errors the rate bound left out to the session's count, which stops at what the column holds", async () => {
    const flood = (at: number, skipped: number) => {
      const event = ev.error(at, 'loop');
      (event.data.payload as { skipped?: number }).skipped = skipped;
      return event;
    };
    const fold = (segment: string, events: RecordedEvent[]) =>
      indexStoredSegment(
        index.db,
        index.engine,
        storedSegment({ project: 'p3', sessionId: 's-flood', segment, events: [ev.click(T), ...events] }),
      );
    expect((await fold('000001', [flood(T + 1, 4_999)])).indexed).toBe(true);
    expect(await getSession(index.db, 'p3', 's-flood')).toMatchObject({ error_count: 5_000 });
    // A hostile count cannot overflow the row (PostgreSQL's integer) and stop the index.
    expect((await fold('000002', [flood(T + 2, MAX_INDEXED_COUNT - 10)])).indexed).toBe(true);
    expect((await fold('000003', [flood(T + 3, MAX_INDEXED_COUNT)])).indexed).toBe(true);
    expect(await getSession(index.db, 'p3', 's-flood')).toMatchObject({
      error_count: MAX_INDEXED_COUNT,
      segment_count: 3,
    });
    await deleteSessionRows(index.db, 'p3', 's-flood');
  });

  it('keeps user, traits, errors, requests and the browser of a session', async () => {
    const alice = await getSession(index.db, 'p1', 's-alice');
    expect(alice).toMatchObject({
      user_id: 'alice',
      error_count: 1,
      click_count: 1,
      browser: 'Chrome 156',
      os: 'Linux',
      viewport_width: 1280,
      duration_ms: 60_000,
    });
    expect(JSON.parse(alice!.user_traits!)).toEqual({ plan: 'pro' });
    const carol = await getSession(index.db, 'p1', 's-carol');
    expect(carol).toMatchObject({ console_error_count: 1, failed_request_count: 2, error_count: 0 });
  });

  it('filters by project', async () => {
    expect(await ids({ projects: ['p2'] })).toEqual(['s-other']);
    expect(await ids({ projects: ['p1'] })).toHaveLength(24);
    expect(await ids({ projects: ['p1', 'p2'] })).toHaveLength(25);
    expect(await ids({ projects: [] })).toEqual([]);
    expect(await ids({ projects: 'all' })).toHaveLength(25);
  });

  it('filters by time range, user, URL or route, error, custom event and duration', async () => {
    expect(await ids({ from: T + 30 * MIN, to: T + 150 * MIN })).toEqual(['s-carol', 's-bob']);
    expect(await ids({ userId: 'alice' })).toEqual(['s-alice']);
    expect(await ids({ url: 'checkout' })).toEqual(['s-alice']);
    expect(await ids({ url: 'PRODUCTS/:ID' })).toEqual(['s-carol']);
    expect(await ids({ url: '100%_off' })).toEqual(['s-anon']);
    expect(await ids({ url: '1%0' })).toEqual([]);
    expect(await ids({ hasError: true })).toEqual(['s-anon', 's-alice']);
    expect(await ids({ customEvent: 'purchase' })).toEqual(['s-anon', 's-alice']);
    expect(await ids({ customEvent: 'purchase', projects: ['p1', 'p2'] })).toEqual(['s-anon', 's-other', 's-alice']);
    expect(await ids({ minDurationMs: 60_000 })).toEqual(['s-carol', 's-alice']);
    expect(await ids({ hasError: true, customEvent: 'purchase', minDurationMs: 60_000 })).toEqual(['s-alice']);
  });

  it('sorts by start or duration in either order', async () => {
    expect((await ids({ order: 'asc' })).slice(0, 3)).toEqual(['s-alice', 's-bob', 's-carol']);
    expect((await ids({ sort: 'duration', order: 'desc' }))[0]).toBe('s-carol');
    expect((await ids({ sort: 'duration', order: 'asc', minDurationMs: 3 })).slice(0, 2)).toEqual(['f-01', 'f-02']);
  });

  it('pages through every result once with a cursor', async () => {
    for (const [sort, order] of [
      ['startedAt', 'desc'],
      ['duration', 'asc'],
    ] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await searchSessions(index.db, { projects: ['p1'], sort, order, limit: 7, cursor });
        seen.push(...page.sessions.map((s) => s.session_id));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(pages).toBe(4);
      expect(new Set(seen).size).toBe(24);
      expect(seen).toEqual(await ids({ sort, order }));
    }
  });

  it('refuses a cursor from another sort or a forged one', async () => {
    const page = await searchSessions(index.db, { projects: ['p1'], limit: 2 });
    await expect(
      searchSessions(index.db, { projects: ['p1'], sort: 'duration', cursor: page.nextCursor! }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(searchSessions(index.db, { projects: ['p1'], cursor: 'not-json' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });
});
