import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, rememberCsrfToken, type SessionSearchParams } from '../admin/src/api.js';
import { createUser } from '../src/access/access-store.js';
import { searchSessions } from '../src/index-db/search.js';
import { indexStoredSegment } from '../src/index-db/sessions-store.js';
import { ev, storedSegment } from './support/index-events.js';
import { callApi, startTestCollector, type TestCollector } from './support/playback-collector.js';

const T = Date.UTC(2026, 10, 1, 8, 0, 0);
const HOUR = 3_600_000;

/**
 * The admin UI's search parameters are the server's own filter type (`SessionSearchFilters`);
 * this checks the other half of that contract: for every field of the type, the admin client's
 * request finds exactly the sessions the index's search finds with the same filter.
 */
describe('admin UI search parameters against the real API', () => {
  let env: TestCollector;

  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['shop', 'docs']);
    const { db, engine } = env.plugin.index;
    const add = (project: string, sessionId: string, events: Parameters<typeof storedSegment>[0]['events']) =>
      indexStoredSegment(db, engine, storedSegment({ project, sessionId, segment: '000001', events }));
    await add('shop', 's-ann', [
      ev.meta(T, 'https://shop.test/cart'),
      ev.full(T + 1),
      ev.identify(T + 2, 'ann'),
      ev.error(T + 3),
      ev.custom(T + 4, 'purchase'),
      ev.click(T + 40_000),
    ]);
    await add('shop', 's-bob', [
      ev.meta(T + HOUR, 'https://shop.test/help'),
      ev.full(T + HOUR + 1),
      ev.identify(T + HOUR + 2, 'bob'),
      ev.click(T + HOUR + 5_000),
      // Three on one spot within 600 ms: a rage click.
      ev.click(T + HOUR + 5_150),
      ev.click(T + HOUR + 5_300),
    ]);
    await add('shop', 's-cat', [
      ev.meta(T + 2 * HOUR, 'https://shop.test/cart/2'),
      ev.full(T + 2 * HOUR + 1),
      ev.click(T + 2 * HOUR + 90_000),
    ]);
    await add('docs', 's-doc', [
      ev.meta(T + 3 * HOUR, 'https://docs.test/'),
      ev.full(T + 3 * HOUR + 1),
      ev.custom(T + 3 * HOUR + 2, 'purchase'),
    ]);
    await createUser(db, { username: 'root', password: 'a long enough password', roles: { '*': 'admin' } });
    const login = await callApi(env.url, undefined, 'POST', '/v1/auth/login', {
      username: 'root',
      password: 'a long enough password',
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    rememberCsrfToken(login.body.csrfToken);
    // The admin client fetches same-origin paths with the browser's cookie; here, the collector's URL and the login cookie.
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', (path: string, init: RequestInit = {}) =>
      realFetch(`${env.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), cookie } }),
    );
  });
  afterAll(async () => {
    vi.unstubAllGlobals();
    await env?.stop();
  });

  // One value for every field: a field added to the server's filters does not compile here until it is covered.
  const oneOfEach: { [Field in keyof SessionSearchParams]-?: SessionSearchParams[Field] } = {
    project: 'docs',
    from: T + HOUR,
    to: T + 3 * HOUR,
    userId: 'ann',
    url: 'cart',
    hasError: false,
    hasRageClick: true,
    errorText: 'BOO',
    customEvent: 'purchase',
    minDurationMs: 30_000,
    sort: 'duration',
    order: 'asc',
    limit: 2,
    cursor: '',
  };

  it.each(Object.entries(oneOfEach))('filters by %s the way the index does', async (field, value) => {
    const params = { [field]: value } as SessionSearchParams;
    const { project, ...filters } = params;
    const expected = await searchSessions(env.plugin.index.db, {
      ...filters,
      cursor: filters.cursor || undefined,
      projects: project ? [project] : 'all',
    });
    const page = await api.searchSessions(params);
    expect(page.items.map((s) => s.id)).toEqual(expected.sessions.map((s) => s.session_id));
    expect(page.nextCursor).toBe(expected.nextCursor);
    // And the filter really narrows or orders something, so a dropped parameter would show.
    const unfiltered = (await api.searchSessions({})).items.map((s) => s.id);
    if (field !== 'cursor') expect(page.items.map((s) => s.id)).not.toEqual(unfiltered);
  });

  it('pages with the cursor the API hands back', async () => {
    const first = await api.searchSessions({ limit: 3 });
    const second = await api.searchSessions({ limit: 3, cursor: first.nextCursor! });
    expect([...first.items, ...second.items].map((s) => s.id)).toEqual(['s-doc', 's-cat', 's-bob', 's-ann']);
    expect(second.nextCursor).toBeNull();
  });
});
