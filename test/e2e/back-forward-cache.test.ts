// A page the browser keeps in its back/forward cache and shows again on "back": no load, no new
// recorder, the recording simply resumes. Playwright turns that cache off; this file's Chromium
// keeps it on, as users' browsers do.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import {
  launchBrowser,
  serve,
  startIngestServer,
  type IngestServer,
  type TestBrowser,
  type TestServer,
} from '../harness/index.js';
import { clicksIn } from './capture-helpers.js';

let browser: TestBrowser;
let site: TestServer;
let ingest: IngestServer;

/** Records with the options in the query string; notes each `pageshow` (whether it came from the cache). */
const APP = `<!doctype html><html><head><title>shop</title></head><body>
<button id="add">add</button><ul id="list"></ul>
<script>
  window.__shown = [];
  addEventListener('pageshow', (event) => window.__shown.push(event.persisted));
  document.getElementById('add').onclick = () => {
    const item = document.createElement('li');
    item.textContent = 'item';
    document.getElementById('list').appendChild(item);
  };
</script>
<script src="/dist/core/reprise.iife.js"></script>
<script>
  const params = new URLSearchParams(location.search);
  window.__errors = [];
  window.recorder = Reprise.createRecorder({
    project: 'e2e',
    endpoint: params.get('endpoint'),
    // Batches leave at pagehide or on flush() only.
    delivery: { maxBatchDelayMs: 60000 },
    onError: (error) => window.__errors.push(error.message),
    ...JSON.parse(params.get('options') || '{}'),
  });
  window.recorder.start();
</script></body></html>`;

beforeAll(async () => {
  ingest = await startIngestServer();
  site = await serve({
    pages: { '/app': APP, '/elsewhere': '<!doctype html><title>elsewhere</title><p>a page without Reprise</p>' },
  });
  browser = await launchBrowser({ backForwardCache: true });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await ingest?.close();
});

const navigationsIn = (events: Array<{ type: number; data: unknown }>) =>
  events
    .filter((event) => event.type === 5 && (event.data as { tag?: string }).tag === 'reprise.navigation')
    .map((event) => (event.data as { payload: { url: string; route?: string; navigationType?: string } }).payload);

/** Clicks, leaves for a page without Reprise, comes back from the cache, clicks again; the session. */
async function leaveAndComeBack(page: Page, url: string, before: (page: Page) => Promise<void>): Promise<string> {
  await page.goto(url);
  await before(page);
  for (let i = 0; i < 3; i++) await page.click('#add');
  const session = await page.evaluate(
    () => (window as unknown as { recorder: { sessionId: string } }).recorder.sessionId,
  );
  await page.goto(`${site.url}/elsewhere`);
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 3, 10_000, 'the batch sent at pagehide');
  // Shown from the cache there is no load event to wait for.
  await page.goBack({ waitUntil: 'commit' });
  await page.waitForFunction(() => (window as unknown as { __shown?: boolean[] }).__shown?.length === 2);
  // Otherwise the page was loaded again, and this test would not test the cache.
  expect(await page.evaluate(() => (window as unknown as { __shown: boolean[] }).__shown)).toEqual([false, true]);
  for (let i = 0; i < 2; i++) await page.click('#add');
  await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 5, 10_000, 'the clicks after coming back');
  expect(await page.evaluate(() => (window as unknown as { recorder: { sessionId: string } }).recorder.sessionId)).toBe(
    session,
  );
  expect(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([]);
  return session;
}

test('a page shown again from the back/forward cache keeps its session, marks the return, and delivers what follows', async () => {
  const page = await browser.newPage();
  const url = `${site.url}/app?endpoint=${encodeURIComponent(ingest.url)}`;
  const session = await leaveAndComeBack(page, url, async () => {});
  expect(navigationsIn(ingest.eventsOf(session))).toEqual([
    expect.objectContaining({ url, navigationType: 'initial' }),
    expect.objectContaining({ url, navigationType: 'restore' }),
  ]);
  // Stored once: what the page sent at pagehide is not sent again after the return.
  expect(ingest.conflicts).toBe(0);
  await page.close();
});

test('with a router marking navigation, the return repeats its last marker (route pattern included)', async () => {
  const page = await browser.newPage();
  const options = encodeURIComponent(JSON.stringify({ navigation: 'manual' }));
  const url = `${site.url}/app?endpoint=${encodeURIComponent(ingest.url)}&options=${options}`;
  const session = await leaveAndComeBack(page, url, (tab) =>
    tab.evaluate(() => {
      const { recorder } = window as unknown as { recorder: { markNavigation(marker: object): void } };
      recorder.markNavigation({ url: `${location.origin}/items/7`, route: '/items/:id', navigationType: 'push' });
    }),
  );
  const marked = `${site.url}/items/7`;
  expect(navigationsIn(ingest.eventsOf(session))).toEqual([
    expect.objectContaining({ url: marked, route: '/items/:id', navigationType: 'push' }),
    expect.objectContaining({ url: marked, route: '/items/:id', navigationType: 'restore' }),
  ]);
  await page.close();
});
