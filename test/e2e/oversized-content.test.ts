// Pages that produce more than a session should carry, recorded into a real collector with its
// default limits (1 MiB per request). A picture previewed from a file input or drawn with
// toDataURL is a data: URL of megabytes: without a cap the event holding it is refused as a whole
// (a full snapshot included) and the replay is lost from there. A page that logs, throws or
// tracks in a loop would record an event per call and crowd out the rest of the session.
import type { Page } from 'playwright-core';
import { DEFAULT_MAX_STRING_LENGTH } from '@reprise/protocol';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  MAX_DATA_URL_LENGTH,
  OVERSIZED_DATA_URL_PLACEHOLDER,
  RATE_BOUND_BURST,
  RATE_BOUND_PER_SECOND,
} from '@reprise/core/internal';
import { readSessionEvents } from '../../server/src/segment/reader.js';
import { startCollector, type RunningCollector } from '../fixtures/admin/session.js';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { allStrings, clicksIn, repriseEvents, type CapturedEvent } from './capture-helpers.js';

let browser: TestBrowser;
let site: TestServer;
let running: RunningCollector;

/** A PNG of random pixels (it does not compress): about 1.9 million characters as a data: URL. */
const NOISE_PICTURE = `function noisePicture() {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 600;
  const context = canvas.getContext('2d');
  const pixels = context.createImageData(600, 600);
  for (let i = 0; i < pixels.data.length; i++) pixels.data[i] = i % 4 === 3 ? 255 : (Math.random() * 256) | 0;
  context.putImageData(pixels, 0, 0);
  return canvas.toDataURL('image/png');
}`;

/** A log viewer's text: `bytes` characters of request lines (they compress, as logs do). */
const LOG_TEXT = `function logText(bytes, from) {
  const lines = [];
  let length = 0;
  for (let i = from; length < bytes; i++) {
    const line = i + ' GET /api/items/' + i + ' 200 ' + (i % 97) + ' ms\\n';
    lines.push(line);
    length += line.length;
  }
  return lines.join('');
}`;

const ADD_BUTTON = `document.getElementById('add').onclick = () => {
    document.getElementById('list').appendChild(document.createElement('li')).textContent = 'item';
  };`;

/** The recorder with `options` added to its own (source text: a page's script). */
const recorderScript = (options = '') => `<script src="/dist/core/reprise.iife.js"></script>
<script>
  window.__errors = [];
  window.recorder = Reprise.createRecorder({
    project: 'dev',${options}
    endpoint: new URLSearchParams(location.search).get('endpoint'),
    onError: (error) => window.__errors.push(error.message),
  });
  window.recorder.start();
</script>`;

const PAGE = `<!doctype html><html><head><title>upload</title></head><body>
<button id="add">add</button><ul id="list"></ul><img id="at-load" alt="in the first snapshot">
<script>
  ${NOISE_PICTURE}
  document.getElementById('at-load').src = noisePicture();
  ${ADD_BUTTON}
</script>
${recorderScript()}</body></html>`;

/** A log viewer whose text, in the first snapshot, is longer than any string the protocol takes. */
const LOG_PAGE = `<!doctype html><html><head><title>logs</title></head><body>
<button id="add">add</button><ul id="list"></ul><pre id="log"></pre>
<script>
  ${LOG_TEXT}
  document.getElementById('log').textContent = logText(3 * 1024 * 1024, 0);
  ${ADD_BUTTON}
</script>
${recorderScript()}</body></html>`;

/**
 * A log viewer whose batches leave only at `pagehide` or on `flush()`, however large they grow: what
 * it records before it is left is the batch the page frames itself, as JSON, at `pagehide`. (With
 * the defaults that is what a page records in its last quarter second.) Notes each `pageshow`.
 */
const LEAVING_PAGE = `<!doctype html><html><head><title>leaving</title></head><body>
<button id="add">add</button><ul id="list"></ul><pre id="log"></pre>
<script>
  window.__shown = [];
  addEventListener('pageshow', (event) => window.__shown.push(event.persisted));
  ${ADD_BUTTON}
</script>
${recorderScript(' delivery: { maxBatchDelayMs: 60000, maxBatchBytes: 8 * 1024 * 1024 },')}</body></html>`;

beforeAll(async () => {
  running = await startCollector();
  site = await serve({
    pages: {
      '/upload': PAGE,
      '/logs': LOG_PAGE,
      '/leaving': LEAVING_PAGE,
      '/elsewhere': '<!doctype html><title>elsewhere</title><p>a page without Reprise</p>',
    },
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await running?.stop();
});

function longestString(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 0;
  return Math.max(0, ...Object.values(value).map(longestString));
}

/** Events recorded plus those they count as left out before them: every call, once each. */
function accountedFor(recorded: Array<Record<string, unknown>>): number {
  return recorded.reduce((sum, payload) => sum + 1 + ((payload.skipped as number | undefined) ?? 0), 0);
}

/**
 * Flush, wait until the collector has stored the page's `clicks` clicks (all that the page
 * recorded, once the last one is there), close the page and read its session back.
 */
async function storedAfterClicks(page: Page, clicks: number) {
  const session = await page.evaluate(async () => {
    const { recorder } = window as unknown as { recorder: { sessionId: string; flush(): Promise<void> } };
    await recorder.flush();
    return recorder.sessionId;
  });
  await expect
    .poll(async () => clicksIn(await readSessionEvents(running.collector, 'dev', session)), { timeout: 20_000 })
    .toBe(clicks);
  expect(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([]);
  await page.close();
  return readSessionEvents(running.collector, 'dev', session);
}

test('a data: URL of megabytes, as a src or a CSS background, becomes a small placeholder: the snapshot, the mutations and what follows are all stored', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/upload?endpoint=${encodeURIComponent(running.url)}`);
  await page.click('#add');
  await page.evaluate(
    `(async () => {
      ${NOISE_PICTURE}
      // A preview added with its picture, and one whose picture is set once it is on the page
      // (a later task: an attribute change, not part of the added node).
      const added = document.createElement('img');
      added.id = 'preview-added';
      added.src = noisePicture();
      document.body.appendChild(added);
      const later = document.body.appendChild(document.createElement('img'));
      later.id = 'preview-later';
      await new Promise((resolve) => setTimeout(resolve, 100));
      later.src = noisePicture();
      // The same as CSS backgrounds: added with its style, and set on a box already recorded
      // (rrweb records that change as the changed property alone).
      const framed = document.createElement('div');
      framed.id = 'background-added';
      framed.style.backgroundImage = 'url("' + noisePicture() + '")';
      document.body.appendChild(framed);
      const box = document.body.appendChild(document.createElement('div'));
      box.id = 'background-later';
      box.style.width = '40px';
      await new Promise((resolve) => setTimeout(resolve, 100));
      box.style.backgroundImage = 'url(' + noisePicture() + ')';
      // Set with a priority, rrweb records the property as [value, 'important'].
      const important = document.body.appendChild(document.createElement('div'));
      important.id = 'background-important';
      important.style.width = '40px';
      await new Promise((resolve) => setTimeout(resolve, 100));
      important.style.setProperty('background-image', 'url(' + noisePicture() + ')', 'important');
    })()`,
  );
  for (let i = 0; i < 2; i++) await page.click('#add');
  const events = await storedAfterClicks(page, 3);
  const stored = JSON.stringify(events);
  expect(events.some((event) => event.type === 2)).toBe(true);
  for (const id of [
    'at-load',
    'preview-added',
    'preview-later',
    'background-added',
    'background-later',
    'background-important',
  ])
    expect(stored).toContain(`"id":"${id}"`);
  // Six pictures, each now the placeholder (three as a src, three in a CSS url()); nothing stored
  // anywhere near a batch's limits.
  expect(stored.split(`"src":${JSON.stringify(OVERSIZED_DATA_URL_PLACEHOLDER)}`).length - 1).toBe(3);
  expect(stored.split(JSON.stringify(`url("${OVERSIZED_DATA_URL_PLACEHOLDER}")`).slice(1, -1)).length - 1).toBe(3);
  expect(longestString(events)).toBeLessThanOrEqual(MAX_DATA_URL_LENGTH);
});

test('a text of megabytes (a log viewer), in the first snapshot and added later, is cut to the longest string the protocol takes: the snapshot and what follows are stored', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/logs?endpoint=${encodeURIComponent(running.url)}`);
  await page.click('#add');
  await page.evaluate(`(() => {
    ${LOG_TEXT}
    const more = document.body.appendChild(document.createElement('pre'));
    more.id = 'more-log';
    more.textContent = logText(3 * 1024 * 1024, 1000000);
  })()`);
  await page.click('#add');
  const events = await storedAfterClicks(page, 2);
  expect(events.some((event) => event.type === 2)).toBe(true);
  const stored = JSON.stringify(events);
  expect(stored).toContain('"id":"more-log"');
  const cut = allStrings(events).filter((text) => text.length === DEFAULT_MAX_STRING_LENGTH);
  expect(cut.map((text) => [text.slice(0, 18), text.at(-1)])).toEqual([
    ['0 GET /api/items/0', '…'],
    ['1000000 GET /api/i', '…'],
  ]);
  expect(longestString(events)).toBe(DEFAULT_MAX_STRING_LENGTH);
});

test('a page that logs, throws and tracks in a loop is recorded within the rate bound, every call accounted for, and the session goes on', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/upload?endpoint=${encodeURIComponent(running.url)}`);
  const LOGS = 20_000;
  const THROWS = 500;
  const TRACKS = 5_000;
  // A router redirecting between two routes in a loop (an auth guard sending back and forth).
  const REDIRECTS = 5_000;
  // The rest of the recorder is here (flush() waits for it): calls are not queued for it.
  await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
  const floodMs = await page.evaluate(
    async ({ logs, throws, tracks, redirects }) => {
      const started = performance.now();
      for (let i = 0; i < logs; i++) console.log('tick', i, { cart: [i, i + 1] });
      const { recorder } = window as unknown as {
        recorder: { track(name: string, props: object): void; markNavigation(marker: object): void };
      };
      for (let i = 0; i < tracks; i++) recorder.track('scrolled', { depth: i });
      for (let i = 0; i < redirects; i++) {
        const route = i % 2 === 0 ? '/login' : '/account';
        recorder.markNavigation({ url: `${location.origin}${route}?try=${i}`, route, navigationType: 'replace' });
      }
      // Uncaught, each in its own task, as a failing timer or handler throws.
      await new Promise<void>((resolve) => {
        for (let i = 0; i < throws; i++)
          setTimeout(() => {
            if (i === throws - 1) setTimeout(resolve);
            throw new Error(`loop ${i}`);
          });
      });
      return performance.now() - started;
    },
    { logs: LOGS, throws: THROWS, tracks: TRACKS, redirects: REDIRECTS },
  );
  // After the flood: what the user does next is still recorded.
  await page.waitForTimeout(500);
  await page.click('#add');
  const events = (await storedAfterClicks(page, 1)) as CapturedEvent[];
  const logged = repriseEvents(events, 'reprise.console');
  const thrown = repriseEvents(events, 'reprise.error');
  const tracked = repriseEvents(events, 'reprise.custom');
  const redirected = repriseEvents(events, 'reprise.navigation').filter((payload) =>
    String(payload.url).includes('?try='),
  );
  // A burst, then the rate for as long as the flood lasted (and the held last one of each kind).
  const bound = RATE_BOUND_BURST + Math.ceil((floodMs / 1000) * RATE_BOUND_PER_SECOND) + 2;
  expect(logged.length).toBeGreaterThanOrEqual(RATE_BOUND_BURST);
  expect(logged.length).toBeLessThanOrEqual(bound);
  expect(thrown.length).toBeGreaterThanOrEqual(RATE_BOUND_BURST);
  expect(thrown.length).toBeLessThanOrEqual(bound);
  expect(accountedFor(logged)).toBe(LOGS);
  expect(accountedFor(thrown)).toBe(THROWS);
  expect(tracked.length).toBeGreaterThanOrEqual(RATE_BOUND_BURST);
  expect(tracked.length).toBeLessThanOrEqual(bound);
  expect(accountedFor(tracked)).toBe(TRACKS);
  expect(tracked.at(-1)).toMatchObject({ name: 'scrolled', props: { depth: TRACKS - 1 } });
  expect(redirected.length).toBeGreaterThanOrEqual(RATE_BOUND_BURST);
  expect(redirected.length).toBeLessThanOrEqual(bound);
  expect(accountedFor(redirected)).toBe(REDIRECTS);
  // The replay ends the loop where the app did.
  expect(redirected.at(-1)).toMatchObject({ route: '/account', url: expect.stringContaining(`?try=${REDIRECTS - 1}`) });
  // The last of each loop is there, saying how many came before it unrecorded.
  expect(logged.at(-1)).toMatchObject({ args: ['tick', String(LOGS - 1), '{"cart": [19999, 20000]}'] });
  expect(thrown.at(-1)).toMatchObject({ message: `loop ${THROWS - 1}` });
});

test('a page that polls a request in a loop is recorded within the rate bound, every request accounted for', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/upload?endpoint=${encodeURIComponent(running.url)}`);
  const FETCHES = 1_000;
  await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
  const floodStarted = Date.now();
  await page.evaluate(async (fetches) => {
    // Polling in a loop, a few at a time: each request is sent again as soon as it is answered.
    let sent = 0;
    const poll = async () => {
      while (sent < fetches) await fetch(`/poll?attempt=${sent++}`).then((response) => response.text());
    };
    await Promise.all(Array.from({ length: 6 }, poll));
  }, FETCHES);
  const session = await page.evaluate(
    () => (window as unknown as { recorder: { sessionId: string } }).recorder.sessionId,
  );
  const polls = async () => {
    await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
    const events = (await readSessionEvents(running.collector, 'dev', session)) as CapturedEvent[];
    return repriseEvents(events, 'reprise.network').filter((payload) => String(payload.url).includes('/poll?'));
  };
  // A request is recorded once the browser's timing of it arrives: wait for all of them to be counted.
  await expect.poll(async () => accountedFor(await polls()), { timeout: 30_000 }).toBe(FETCHES);
  const recordedWithinMs = Date.now() - floodStarted;
  const recorded = await polls();
  expect(recorded.length).toBeGreaterThanOrEqual(RATE_BOUND_BURST);
  expect(recorded.length).toBeLessThanOrEqual(
    RATE_BOUND_BURST + Math.ceil((recordedWithinMs / 1000) * RATE_BOUND_PER_SECOND) + 2,
  );
  expect(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([]);
  await page.close();
});

test('a text of megabytes recorded just before the page is left, in the batch the page frames itself at pagehide, is stored cut: the engine encodes the refused frame again', async () => {
  // The page is kept in the back/forward cache, so its engine runs on after `pagehide` (as the
  // next page's engine would on a reload) and meets the collector's 413 for the page's frame.
  const cached = await launchBrowser({ backForwardCache: true });
  try {
    const page = await cached.newPage();
    await page.goto(`${site.url}/leaving?endpoint=${encodeURIComponent(running.url)}`);
    await page.click('#add');
    const session = await page.evaluate(`(() => {
      ${LOG_TEXT}
      document.getElementById('log').textContent = logText(3 * 1024 * 1024, 0);
      return window.recorder.sessionId;
    })()`);
    await page.goto(`${site.url}/elsewhere`);
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForFunction(() => (window as unknown as { __shown?: boolean[] }).__shown?.length === 2);
    // Otherwise the page was loaded again, and its last batch was never framed at pagehide.
    expect(await page.evaluate(() => (window as unknown as { __shown: boolean[] }).__shown)).toEqual([false, true]);
    await page.click('#add');
    await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
    // The batch framed at pagehide waits out the page's own send (PAGE_SENT_GRACE_MS) first.
    await expect
      .poll(async () => JSON.stringify(await readSessionEvents(running.collector, 'dev', session as string)).length, {
        timeout: 45_000,
        interval: 500,
      })
      .toBeGreaterThan(DEFAULT_MAX_STRING_LENGTH);
    await expect
      .poll(async () => clicksIn(await readSessionEvents(running.collector, 'dev', session as string)), {
        timeout: 20_000,
      })
      .toBe(2);
    expect(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([]);
    const events = await readSessionEvents(running.collector, 'dev', session as string);
    const cut = allStrings(events).filter((text) => text.length === DEFAULT_MAX_STRING_LENGTH);
    expect(cut.map((text) => [text.slice(0, 18), text.at(-1)])).toEqual([['0 GET /api/items/0', '…']]);
    expect(longestString(events)).toBe(DEFAULT_MAX_STRING_LENGTH);
  } finally {
    await cached.close();
  }
});
