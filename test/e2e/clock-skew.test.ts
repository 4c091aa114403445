// A visitor whose device clock is days off, recorded into a real collector. rrweb and the recorder
// stamp every event by that clock; the collector's window (a day) refused every batch, and the
// whole session was lost. Each request now says when it was sent by the same clock (`?sent=`), and
// the collector moves the batch onto its own clock (server/src/ingest/clock.ts).
//
// The device clock is the one thing faked here: `Date` three days ahead in the page (an init
// script) and in the delivery worker (the same lines before the worker's own file), as a
// wrongly set system clock would be in both.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readSessionEvents } from '../../server/src/segment/reader.js';
import { startCollector, type RunningCollector } from '../fixtures/admin/session.js';
import { launchBrowser, REPO_ROOT, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { clicksIn } from './capture-helpers.js';

const SKEW_MS = 3 * 86_400_000;

/** `Date` running `SKEW_MS` ahead of the real clock, in whatever global scope runs it first. */
const SKEWED_CLOCK = `(() => {
  const RealDate = Date;
  const skew = ${SKEW_MS};
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + skew);
      else super(...args);
    }
    static now() {
      return RealDate.now() + skew;
    }
  }
  globalThis.Date = SkewedDate;
})();
`;

/**
 * Its batches leave on `flush()` (through the worker) or at `pagehide` (the batch the page frames
 * itself), so the test knows which way each went.
 */
const PAGE = `<!doctype html><html><head><title>skewed</title></head><body>
<button id="add">add</button><ul id="list"></ul>
<script>
  document.getElementById('add').onclick = () => {
    document.getElementById('list').appendChild(document.createElement('li')).textContent = 'item';
  };
</script>
<script src="/skewed/reprise.iife.js"></script>
<script>
  window.__errors = [];
  window.recorder = Reprise.createRecorder({
    project: 'dev',
    endpoint: new URLSearchParams(location.search).get('endpoint'),
    delivery: { maxBatchDelayMs: 60000 },
    onError: (error) => window.__errors.push(error.message),
  });
  window.recorder.start();
</script></body></html>`;

let browser: TestBrowser;
let site: TestServer;
let running: RunningCollector;

beforeAll(async () => {
  running = await startCollector();
  const coreDist = join(REPO_ROOT, 'packages/core/dist');
  const worker = SKEWED_CLOCK + readFileSync(join(coreDist, 'reprise.worker.js'), 'utf8');
  site = await serve({
    pages: { '/skewed': PAGE, '/elsewhere': '<!doctype html><title>elsewhere</title><p>no recorder here</p>' },
    routes: {
      '/skewed/reprise.worker.js': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(worker);
      },
    },
    mounts: { '/skewed/': coreDist },
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await running?.stop();
});

test('a device clock three days ahead: the session is stored, on the collector clock, from the worker and from the page at pagehide', async () => {
  const page = await browser.newPage();
  await page.addInitScript(SKEWED_CLOCK);
  const loadedAt = Date.now();
  await page.goto(`${site.url}/skewed?endpoint=${encodeURIComponent(running.url)}`);
  const pageClock = await page.evaluate(() => Date.now());
  expect(pageClock - Date.now()).toBeGreaterThan(SKEW_MS - 60_000);
  const session = (await page.evaluate('window.recorder.sessionId')) as string;
  await page.click('#add');
  await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
  await expect
    .poll(async () => clicksIn(await readSessionEvents(running.collector, 'dev', session)), { timeout: 20_000 })
    .toBe(1);
  // The second click leaves in the batch the page frames at pagehide.
  await page.click('#add');
  await page.goto(`${site.url}/elsewhere`);
  await expect
    .poll(async () => clicksIn(await readSessionEvents(running.collector, 'dev', session)), { timeout: 20_000 })
    .toBe(2);
  const events = await readSessionEvents(running.collector, 'dev', session);
  const times = events.map((event) => event.timestamp);
  // On the collector's clock: between the page's load and now, not three days ahead.
  expect(Math.min(...times)).toBeGreaterThanOrEqual(loadedAt - 5_000);
  expect(Math.max(...times)).toBeLessThanOrEqual(Date.now() + 5_000);
  // In the order they were recorded, the worker's batch before the page's.
  expect(times).toEqual([...times].sort((a, b) => a - b));
  await page.close();
}, 60_000);
