// Sessions recorded only when something goes wrong (`errorSampleRate`), through the script tag
// into a real collector: a session with no error sends nothing at all, not even at unload; the
// first error sends the minute or two before it, beginning with a full snapshot, and the session
// is recorded in full from there, on the tab's next pages too.
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readSessionEvents } from '../../server/src/segment/reader.js';
import { startCollector, type RunningCollector } from '../fixtures/admin/session.js';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { clicksIn, repriseEvents, type CapturedEvent } from './capture-helpers.js';

let browser: TestBrowser;
let site: TestServer;
let running: RunningCollector;
/** Every request the browser made to the collector, pages and their workers alike. */
const toCollector: Request[] = [];

const PAGE = `<!doctype html><html><head><title>checkout</title></head><body>
<button id="add">add</button><button id="fail">pay</button><button id="benign">resize</button><ul id="list"></ul>
<script>
  document.getElementById('add').onclick = () => {
    document.getElementById('list').appendChild(document.createElement('li')).textContent = 'item ' + document.querySelectorAll('li').length;
  };
  document.getElementById('fail').onclick = () => {
    // As an app's error reporting does: a link to the replay at this moment, asked for while the
    // session is still held (the recorder hears the error after this handler).
    window.__failedAt = Date.now();
    window.__linkAtFailure = window.recorder.replayUrl({ at: window.__failedAt });
    throw new Error('card declined by the payment form');
  };
  document.getElementById('benign').onclick = () => {
    throw new Error('ResizeObserver loop completed with undelivered notifications');
  };
</script>
<script src="/dist/core/reprise.iife.js"></script>
<script>
  window.__errors = [];
  window.recorder = Reprise.createRecorder({
    project: 'dev',
    endpoint: new URLSearchParams(location.search).get('endpoint'),
    sampleRate: 0,
    errorSampleRate: 1,
    // ?filter=throws: the app's filter fails.
    keepSessionOnError: (error) => {
      if (new URLSearchParams(location.search).get('filter') === 'throws') throw new Error('filter broke');
      return !error.message.startsWith('ResizeObserver loop');
    },
    onError: (error) => window.__errors.push(error.message),
  });
  window.recorder.start();
</script></body></html>`;

beforeAll(async () => {
  running = await startCollector();
  site = await serve({ pages: { '/checkout': PAGE } });
  browser = await launchBrowser();
  browser.context.on('request', (request) => {
    if (request.url().startsWith(running.url)) toCollector.push(request);
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await running?.stop();
});

const pageUrl = (query = '') => `${site.url}/checkout?endpoint=${encodeURIComponent(running.url)}${query}`;

async function open(page: Page, query?: string): Promise<string> {
  await page.goto(pageUrl(query));
  return page.evaluate(() => (window as unknown as { recorder: { sessionId: string } }).recorder.sessionId);
}

/** A replay can start: the Meta event and full snapshot come before any incremental change. */
function startsFromSnapshot(events: Array<{ type: number }>): boolean {
  const meta = events.findIndex((event) => event.type === 4);
  return meta >= 0 && events[meta + 1]?.type === 2 && events.findIndex((event) => event.type === 3) > meta;
}

/** Wait until the collector has stored `clicks` clicks of the session (capture and delivery take a while under load). */
async function storedClicks(sessionId: string, clicks: number): Promise<void> {
  await expect
    .poll(async () => clicksIn(await readSessionEvents(running.collector, 'dev', sessionId)), { timeout: 20_000 })
    .toBe(clicks);
}

/** The moment a replay link opens at (`#t=`, seconds). */
function secondsIn(link: string): number {
  const moment = /#t=([\d.]+)$/.exec(link)?.[1];
  if (moment === undefined) throw new Error(`no #t= in ${link}`);
  return Number(moment);
}

async function flush(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
}

test('a session without an error sends nothing, not even when the page is left', async () => {
  const page = await browser.newPage();
  const before = toCollector.length;
  const sessionId = await open(page);
  expect(
    await page.evaluate(() => (window as unknown as { recorder: { isRecording: boolean } }).recorder.isRecording),
  ).toBe(true);
  for (let i = 0; i < 3; i++) await page.click('#add');
  await flush(page);
  await page.waitForTimeout(1_500);
  // pagehide: where an unsampled page would send its last batch.
  await page.goto('about:blank');
  await page.waitForTimeout(1_000);
  expect(toCollector.slice(before).map((request) => `${request.method()} ${request.url()}`)).toEqual([]);
  expect(await readSessionEvents(running.collector, 'dev', sessionId)).toEqual([]);
  await page.close();
});

test('an uncaught error sends what its page held before it (an error keepSessionOnError turned down included), from a full snapshot, with replay links that count from there, and the session is recorded in full from there, reloads included', async () => {
  const page = await browser.newPage();
  const before = toCollector.length;
  const sessionId = await open(page);
  // A first page of the session, held and left without an error: nothing of it is ever sent.
  await page.click('#add');
  await page.waitForTimeout(1_000);
  await page.reload();
  expect(await page.evaluate(() => (window as unknown as { recorder: { sessionId: string } }).recorder.sessionId)).toBe(
    sessionId,
  );
  for (let i = 0; i < 2; i++) await page.click('#add');
  // An error the app's keepSessionOnError turns down: still nothing is sent.
  await page.click('#benign');
  await flush(page);
  await page.waitForTimeout(500);
  expect(toCollector.slice(before).map((request) => `${request.method()} ${request.url()}`)).toEqual([]);

  await page.click('#fail');
  await page.click('#add');
  await flush(page);
  // The three clicks of this page before the error, the one that threw and the one after; none of the first page's.
  await storedClicks(sessionId, 5);
  // What told the test the collector was reached is the same observer that saw nothing before.
  expect(toCollector.slice(before).some((request) => request.method() === 'POST')).toBe(true);
  const events = (await readSessionEvents(running.collector, 'dev', sessionId)) as CapturedEvent[];
  expect(startsFromSnapshot(events)).toBe(true);
  // The turned-down error is in the replay too, where it happened.
  expect(repriseEvents(events, 'reprise.error').map((error) => error.message)).toEqual([
    'ResizeObserver loop completed with undelivered notifications',
    'card declined by the payment form',
  ]);
  // The replay link the app took at the error opens at the error in the replay as stored, whose
  // time zero (the admin player's) is the first event sent (on this page, not the session's
  // first); asked for after, the link is the same.
  const { failedAt, linkAtFailure, linkAfter } = await page.evaluate(() => {
    const page = window as unknown as {
      __failedAt: number;
      __linkAtFailure: string;
      recorder: { replayUrl(options: { at: number }): string };
    };
    return {
      failedAt: page.__failedAt,
      linkAtFailure: page.__linkAtFailure,
      linkAfter: page.recorder.replayUrl({ at: page.__failedAt }),
    };
  });
  const expectedSeconds = (failedAt - events[0]!.timestamp) / 1000;
  expect(Math.abs(secondsIn(linkAtFailure) - expectedSeconds)).toBeLessThanOrEqual(0.1);
  expect(linkAfter).toBe(linkAtFailure);
  // The list items added before the error are in the replay: the snapshot was taken before them.
  expect(JSON.stringify(events)).toContain('item 2');
  expect(JSON.stringify(events)).toContain('item 3');

  // The next page of the tab continues the session, recorded in full without another error.
  await page.reload();
  expect(await page.evaluate(() => (window as unknown as { recorder: { sessionId: string } }).recorder.sessionId)).toBe(
    sessionId,
  );
  await page.click('#add');
  await flush(page);
  await storedClicks(sessionId, 6);
  const afterReload = await readSessionEvents(running.collector, 'dev', sessionId);
  expect(afterReload.filter((event) => event.type === 4)).toHaveLength(2);
  // On the next page too, links count from the first event sent, not from the session's first page.
  const now = Date.now();
  const linkOnReload = await page.evaluate(
    (at) =>
      (window as unknown as { recorder: { replayUrl(options: { at: number }): string } }).recorder.replayUrl({ at }),
    now,
  );
  expect(Math.abs(secondsIn(linkOnReload) - (now - afterReload[0]!.timestamp) / 1000)).toBeLessThanOrEqual(0.1);
  expect(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([]);
  await page.close();
});

test('a held page rewriting large parts of itself is bounded by weight: past the bound, the minute before the last snapshot goes', async () => {
  const page = await browser.newPage();
  const sessionId = await open(page);
  await flush(page);
  // Three log views of 3 Mi characters each, one a task: past half of MAX_BUFFERED_CHARACTERS a
  // snapshot is taken early (it holds the first two); the third passes the bound, and what came
  // before that snapshot is forgotten. A count of events would hold all three.
  for (const id of ['log-1', 'log-2', 'log-3']) {
    await page.evaluate((id) => {
      const view = document.body.appendChild(document.createElement('pre'));
      view.id = id;
      view.textContent = `${id} `.repeat((3 * 1024 * 1024) / (id.length + 1));
    }, id);
    await page.waitForTimeout(200);
  }
  await page.click('#fail');
  await flush(page);
  await storedClicks(sessionId, 1);
  const events = (await readSessionEvents(running.collector, 'dev', sessionId)) as CapturedEvent[];
  expect(startsFromSnapshot(events)).toBe(true);
  const firstSnapshot = JSON.stringify(events[1]);
  expect(firstSnapshot).toContain('"id":"log-1"');
  expect(firstSnapshot).toContain('"id":"log-2"');
  expect(firstSnapshot).not.toContain('"id":"log-3"');
  // Nothing from before that snapshot (the page's first, without the logs), and log-3 arrives as
  // a change after it.
  const snapshots = events.filter((event) => event.type === 2).map((event) => JSON.stringify(event));
  expect(snapshots.every((snapshot) => snapshot.includes('"id":"log-1"'))).toBe(true);
  const firstChange = events.findIndex((event) => event.type === 3 && JSON.stringify(event).includes('"id":"log-3"'));
  expect(firstChange).toBeGreaterThan(1);
  expect(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([]);
  await page.close();
});

test('captureError() keeps the session as an uncaught error does', async () => {
  const page = await browser.newPage();
  const sessionId = await open(page);
  await page.click('#add');
  await page.evaluate(() =>
    (window as unknown as { recorder: { captureError(error: unknown): void } }).recorder.captureError(
      new Error('handled, but worth a replay'),
    ),
  );
  await flush(page);
  await expect
    .poll(
      async () =>
        repriseEvents(
          (await readSessionEvents(running.collector, 'dev', sessionId)) as CapturedEvent[],
          'reprise.error',
        ).length,
      {
        timeout: 20_000,
      },
    )
    .toBe(1);
  const events = (await readSessionEvents(running.collector, 'dev', sessionId)) as CapturedEvent[];
  expect(clicksIn(events)).toBe(1);
  expect(startsFromSnapshot(events)).toBe(true);
  await page.close();
});

test('a keepSessionOnError that throws keeps the session, and onError hears it', async () => {
  const page = await browser.newPage();
  const sessionId = await open(page, '&filter=throws');
  await page.click('#add');
  await page.click('#benign');
  await flush(page);
  await storedClicks(sessionId, 2);
  const errors = await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain('keepSessionOnError');
  await page.close();
});
