// Delivery end to end: the built @reprise/core IIFE in Chromium, recording real DOM activity,
// delivering to a loopback fake collector (test/harness/ingest-server.ts) that decodes every body
// with @reprise/protocol. One Chromium for the file.
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import type { Page, Route } from 'playwright-core';
import { Codec, PROTOCOL_VERSION, encodeBatchFrame } from '@reprise/protocol';
import {
  batchOrder,
  launchBrowser,
  serve,
  startIngestServer,
  type IngestServer,
  type TestBrowser,
  type TestServer,
} from '../harness/index.js';
import { clicksIn, loadWholeRecorder } from './capture-helpers.js';

let browser: TestBrowser;
let site: TestServer;
/** Serves the same files from another origin, as a CDN would. */
let cdn: TestServer;
let ingest: IngestServer;

const PAGE_BODY = `<h1>Delivery</h1><button id="add">add</button><ul id="list"></ul>
<script>document.getElementById('add').onclick = () => { const li = document.createElement('li'); li.textContent = 'item ' + document.querySelectorAll('li').length; document.getElementById('list').appendChild(li); };</script>`;

/** A page that starts a recorder; `delivery` options and the endpoint come from the query string. */
function recorderPage(csp?: string, before = ''): string {
  return `<!doctype html><html><head>${csp ? `<meta http-equiv="Content-Security-Policy" content="${csp}">` : ''}<title>delivery</title></head><body>${PAGE_BODY}
${before}<script src="/dist/core/reprise.iife.js"></script>
<script>
  const params = new URLSearchParams(location.search);
  window.__errors = [];
  window.__emitted = 0;
  window.recorder = Reprise.createRecorder({
    project: 'e2e',
    endpoint: params.get('endpoint'),
    delivery: JSON.parse(params.get('delivery') || '{}'),
    onEvents: (events) => { window.__emitted += events.length; },
    onError: (error) => window.__errors.push(error.message),
    ...JSON.parse(params.get('options') || '{}'),
  });
  if (params.get('autostart') !== '0') window.recorder.start();
</script></body></html>`;
}

/**
 * Trusted Types enforced, with the policies the page allows listed by name: a script's or a
 * worker's URL may not be a plain string.
 */
const TRUSTED_TYPES = "require-trusted-types-for 'script'; trusted-types reprise 'allow-duplicates'";

beforeAll(async () => {
  ingest = await startIngestServer();
  cdn = await serve({});
  const fromCdn = (csp: string) =>
    `<!doctype html><html><head>${csp ? `<meta http-equiv="Content-Security-Policy" content="${csp}">` : ''}</head><body><script src="${cdn.url}/dist/core/reprise.iife.js"></script></body></html>`;
  site = await serve({
    routes: {
      // A proxy on the page's own origin in front of the collector (a relative endpoint).
      'POST /proxy/v1/ingest': async (req, res, body) => {
        const query = req.url!.includes('?') ? req.url!.slice(req.url!.indexOf('?')) : '';
        const answer = await fetch(`${ingest.url}/v1/ingest${query}`, {
          method: 'POST',
          headers: { 'content-type': String(req.headers['content-type']) },
          body: new Uint8Array(body),
        });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(await answer.text());
      },
    },
    pages: {
      '/from-cdn': fromCdn(''),
      '/from-cdn-trusted-types': fromCdn(TRUSTED_TYPES),
      '/app': recorderPage(),
      '/csp': recorderPage("worker-src 'self'"),
      // A browser without Web Locks on the page (the worker running the engine keeps its own).
      '/app-without-locks': recorderPage(
        undefined,
        `<script>Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined });</script>`,
      ),
      // Notes what the page posts to its worker: an event-carrying message by the type of its body.
      '/app-posts-watched': recorderPage(
        undefined,
        `<script>window.__posted = []; const post = Worker.prototype.postMessage; Worker.prototype.postMessage = function (message, ...rest) { window.__posted.push(message.type === 'eventsJson' ? 'eventsJson:' + typeof message.json : message.type); return post.call(this, message, ...rest); };</script>`,
      ),
      '/away': '<!doctype html><title>away</title><p>another page</p>',
      '/delivery-only': `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="worker-src 'self'"></head><body><script src="/dist/core/reprise.iife.js"></script></body></html>`,
      '/no-workers': `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="worker-src 'none'"></head><body><script src="/dist/core/reprise.iife.js"></script></body></html>`,
      // A sandboxed frame without allow-same-origin: an opaque origin, refused Web Locks, storage and IndexedDB.
      '/sandbox-host': `<!doctype html><title>host</title><iframe id="sandboxed" sandbox="allow-scripts"></iframe>
<script>document.getElementById('sandboxed').src = '/app' + location.search;</script>`,
      // No worker may start, so the page's own requests carry the batches, under its connect-src.
      '/connect-src-self': recorderPage("connect-src 'self'; worker-src 'none'"),
      '/connect-src-collector': recorderPage(`connect-src 'self' ${ingest.url}; worker-src 'none'`),
      // Prototype.js before 1.7: every array serialises as a string of its JSON.
      '/prototype-js': recorderPage(
        undefined,
        `<script>Array.prototype.toJSON = function () { return '[' + this.map(function (item) { return JSON.stringify(item); }).join(', ') + ']'; };</script>`,
      ),
      // A browser that says offline on a working network (Chromium on Linux without NetworkManager).
      '/says-offline': recorderPage(
        undefined,
        `<script>Object.defineProperty(Navigator.prototype, 'onLine', { get: () => false });</script>`,
      ),
      '/trusted-types': recorderPage(TRUSTED_TYPES),
      '/trusted-types-loader': `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${TRUSTED_TYPES}"></head><body>${PAGE_BODY}
<script src="/dist/core/reprise.loader.js"></script>
<script>
  window.__errors = [];
  window.recorder = Reprise.createRecorder({
    project: 'e2e',
    endpoint: new URLSearchParams(location.search).get('endpoint'),
    onError: (error) => window.__errors.push(error.message),
  });
  window.recorder.start();
</script></body></html>`,
      '/trusted-types-delivery-only': `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${TRUSTED_TYPES}"></head><body><script src="/dist/core/reprise.iife.js"></script></body></html>`,
      '/trusted-types-no-workers': `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${TRUSTED_TYPES}; worker-src 'none'"></head><body><script src="/dist/core/reprise.iife.js"></script></body></html>`,
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await cdn?.close();
  await ingest?.close();
});

beforeEach(async () => {
  // Every test starts with an empty outbox and no unload spool, so nothing an earlier test left is resumed.
  const page = await browser.newPage();
  await page.goto(`${site.url}/away`);
  await page.evaluate(() => localStorage.clear());
  await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const request = indexedDB.deleteDatabase('reprise');
        request.onsuccess = request.onblocked = resolve;
        request.onerror = () => reject(request.error);
      }),
  );
  await page.close();
  ingest.set({});
  ingest.reset();
});

function appUrl(
  delivery: Record<string, unknown> = {},
  extra: { options?: Record<string, unknown>; autostart?: boolean } = {},
): string {
  const options = extra.options ? `&options=${encodeURIComponent(JSON.stringify(extra.options))}` : '';
  const autostart = extra.autostart === false ? '&autostart=0' : '';
  return `${site.url}/app?endpoint=${encodeURIComponent(ingest.url)}&delivery=${encodeURIComponent(JSON.stringify(delivery))}${options}${autostart}`;
}

async function clickTimes(page: Page, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await page.click('#add');
}

/** Events emitted so far on this page, all of them flushed into batches (read first: rrweb keeps emitting). */
const emittedThenFlush = (page: Page) =>
  page.evaluate(async () => {
    const win = window as unknown as { __emitted: number; recorder: { flush(): Promise<void> } };
    const emitted = win.__emitted;
    await win.recorder.flush();
    return emitted;
  });

const sessionOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { recorder: { sessionId: string } }).recorder.sessionId);

/** Outbox records of this origin, read straight from IndexedDB. */
const outboxRecords = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<Array<{ session: string; tab: string; seq: number; owner: string }>>((resolve, reject) => {
        const open = indexedDB.open('reprise');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('outbox')) return resolve([]);
          const req = db.transaction('outbox').objectStore('outbox').getAll();
          req.onsuccess = () => {
            resolve(
              req.result.map((r: { session: string; tab: string; seq: number; owner: string }) => ({
                session: r.session,
                tab: r.tab,
                seq: r.seq,
                owner: r.owner,
              })),
            );
            db.close();
          };
          req.onerror = () => reject(req.error);
        };
      }),
  );

test('a session recorded while the collector is down, reloaded, then back online arrives complete, in order, without duplicates', async () => {
  ingest.set({ down: true });
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 300 }));
  await clickTimes(page, 5);
  const session = await sessionOf(page);
  // Batches pile up in IndexedDB while every send fails.
  await expect.poll(async () => (await outboxRecords(page)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  const emittedBefore = await page.evaluate(() => (window as unknown as { __emitted: number }).__emitted);
  await page.reload();
  expect(await sessionOf(page)).toBe(session);
  await clickTimes(page, 4);
  await page.waitForTimeout(500);
  ingest.set({});
  const emittedAfter = await emittedThenFlush(page);
  await ingest.waitFor(
    () => ingest.eventsOf(session).length >= emittedBefore + emittedAfter,
    20_000,
    'every recorded event',
  );

  const batches = ingest.batches.map((item) => item.batch).filter((batch) => batch.session === session);
  const seqs = [...new Set(batches.map((batch) => batch.seq))].sort((a, b) => a - b);
  expect(seqs).toEqual(seqs.map((_, index) => index)); // 0..n, no gap
  expect(ingest.duplicates).toBe(0);
  expect(ingest.conflicts).toBe(0);
  // Arrival order is seq order: the outbox sends each stream in order.
  expect(ingest.batches.map((item) => item.batch).filter((batch) => batch.session === session)).toEqual(
    [...batches].sort(batchOrder),
  );
  const events = ingest.eventsOf(session);
  expect(events.length).toBeGreaterThanOrEqual(emittedBefore + emittedAfter);
  expect(clicksIn(events)).toBe(9);
  expect(events.filter((event) => event.type === 2).length).toBe(2); // a full snapshot per page load
  for (let i = 1; i < events.length; i++)
    expect(events[i]!.timestamp).toBeGreaterThanOrEqual(events[i - 1]!.timestamp - 1000);
  await expect.poll(() => outboxRecords(page)).toEqual([]);
  await page.close();
});

test('a 413 is answered by splitting the batch; every event still arrives', async () => {
  ingest.set({ maxBodyBytes: 700 });
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 60_000 }));
  await clickTimes(page, 12);
  const session = await sessionOf(page);
  const emitted = await emittedThenFlush(page);
  const errors = await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors);
  await ingest
    .waitFor(() => ingest.eventsOf(session).length >= emitted, 15_000, 'all events after splitting')
    .catch((error: Error) => {
      throw new Error(
        `${error.message}; requests ${JSON.stringify(ingest.requests)}; errors ${JSON.stringify(errors)}`,
      );
    });
  expect(ingest.requests.some((request) => request.status === 413)).toBe(true);
  const parts = ingest.batches.map((item) => item.batch.part).filter(Boolean);
  expect(parts.length).toBeGreaterThanOrEqual(2);
  expect(ingest.batches.every((item) => item.bytes <= 700)).toBe(true);
  expect(ingest.eventsOf(session).length).toBeGreaterThanOrEqual(emitted);
  expect(clicksIn(ingest.eventsOf(session))).toBe(12);
  await page.close();
});

test('a 429 waits for Retry-After before sending again', async () => {
  ingest.set({ tooManyRequests: { count: 1, retryAfterSeconds: 2 } });
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 60_000 }));
  await clickTimes(page, 2);
  const session = await sessionOf(page);
  await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
  await ingest.waitFor(() => ingest.batches.length >= 1, 10_000, 'the batch after the 429');
  const [refused, accepted] = ingest.requests;
  expect(refused!.status).toBe(429);
  expect(accepted!.status).toBe(202);
  expect(accepted!.at - refused!.at).toBeGreaterThanOrEqual(1900);
  expect(clicksIn(ingest.eventsOf(session))).toBe(2);
  await page.close();
});

test('optOut() sends nothing more and deletes the session from the outbox', async () => {
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 200 }));
  await clickTimes(page, 2);
  const session = await sessionOf(page);
  await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
  await ingest.waitFor(() => ingest.batches.length >= 1, 10_000, 'the first batches');
  // Now the collector is down: what is recorded next only reaches the outbox.
  ingest.set({ down: true });
  await clickTimes(page, 3);
  await expect
    .poll(async () => (await outboxRecords(page)).filter((record) => record.session === session).length, {
      timeout: 10_000,
    })
    .toBeGreaterThan(0);
  const before = ingest.batches.length;
  await page.evaluate(() => (window as unknown as { recorder: { optOut(): void } }).recorder.optOut());
  await expect
    .poll(async () => (await outboxRecords(page)).filter((record) => record.session === session).length, {
      timeout: 5_000,
    })
    .toBe(0);
  ingest.set({});
  await clickTimes(page, 3);
  await page.waitForTimeout(1_000);
  expect(ingest.batches.length).toBe(before);
  // And after a reload: the opt-out is remembered, nothing is left to resume.
  await page.reload();
  await clickTimes(page, 1);
  await page.waitForTimeout(800);
  expect(ingest.batches.length).toBe(before);
  // The opt-out is per browser: let the next tests record again.
  await page.evaluate(() => localStorage.clear());
  await page.close();
});

test('a page unload sends the last batch (keepalive at pagehide)', async () => {
  const page = await browser.newPage();
  // A cut only every minute: without the unload path the clicks would wait for the next visit.
  await page.goto(appUrl({ maxBatchDelayMs: 60_000 }));
  await clickTimes(page, 3);
  const session = await sessionOf(page);
  await page.goto(`${site.url}/away`);
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 3, 5_000, 'the last batch');
  // Encoded by the page itself, which carries no msgpack or compressor: a JSON frame.
  expect(ingest.requests.some((request) => request.status === 202 && request.codec === 3)).toBe(true);
  // The next page load resends what the worker also stored: same seq, same bytes, stored once.
  const next = await browser.newPage();
  await next.goto(appUrl({ maxBatchDelayMs: 60_000 }));
  // Until its spool is adopted and its outbox drained, whatever it resends has had its answer (a fixed wait could end before the resend).
  const leftOver = async () =>
    (await outboxRecords(next)).filter((record) => record.session === session).length +
    (await next.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('reprise:spool:')).length));
  await expect.poll(leftOver, { timeout: 10_000 }).toBe(0);
  expect(ingest.conflicts).toBe(0);
  expect(clicksIn(ingest.eventsOf(session))).toBe(3);
  await next.close();
  expect(
    ingest.requests.every(
      (request) =>
        request.contentType.startsWith('application/vnd.reprise.batch') || request.contentType.startsWith('text/plain'),
    ),
  ).toBe(true);
  await page.close();
});

test('an unload whose IndexedDB writes never commit loses nothing: the localStorage spool carries the last batch to the next page', async () => {
  ingest.set({ down: true });
  const page = await browser.newPage();
  // Main-thread engine, so the page's IndexedDB is the only outbox; one cut a minute, so the clicks are the unload batch.
  await page.goto(appUrl({ maxBatchDelayMs: 60_000, disableWorker: true }));
  await clickTimes(page, 3);
  const session = await sessionOf(page);
  // What a torn-down document does to its IndexedDB writes (aborts them), made certain: every put fails.
  await page.evaluate(() => {
    IDBObjectStore.prototype.put = () => {
      throw new DOMException('transaction aborted at unload (test)', 'AbortError');
    };
  });
  // Damaged entries under the prefix: not JSON, and a parseable one whose key matches but that lacks the owner and times.
  await page.evaluate((url) => {
    localStorage.setItem('reprise:spool:junk', 'not json');
    localStorage.setItem(
      'reprise:spool:planted|t|000000000000|',
      JSON.stringify({
        key: 'planted|t|000000000000|',
        session: 'planted',
        tab: 't',
        seq: 0,
        part: '',
        url,
        body: 'AAAA',
      }),
    );
  }, ingest.url + '/v1/ingest');
  await page.reload();
  expect(await sessionOf(page)).toBe(session);
  await clickTimes(page, 2);
  // The next page moves the spooled batch into the outbox and clears the spool; damaged entries are dropped, not adopted.
  await expect
    .poll(
      () => page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('reprise:spool:')).length),
      { timeout: 5_000 },
    )
    .toBe(0);
  expect((await outboxRecords(page)).filter((record) => record.session === 'planted')).toEqual([]);
  ingest.set({});
  await emittedThenFlush(page);
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 5, 15_000, 'the clicks of both pages');
  const seqs = [
    ...new Set(
      ingest.batches
        .map((item) => item.batch)
        .filter((batch) => batch.session === session)
        .map((batch) => batch.seq),
    ),
  ].sort((a, b) => a - b);
  expect(seqs).toEqual(seqs.map((_, index) => index));
  expect(ingest.conflicts).toBe(0);
  await page.close();
});

test('offline holds batches in the outbox; the online event sends them without waiting out the backoff', async () => {
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 200 }));
  const session = await sessionOf(page);
  await browser.context.setOffline(true);
  try {
    await clickTimes(page, 3);
    await expect
      .poll(async () => (await outboxRecords(page)).filter((record) => record.session === session).length, {
        timeout: 5_000,
      })
      .toBeGreaterThan(0);
    const offlineRequests = ingest.requests.length;
    await page.waitForTimeout(400);
    expect(ingest.requests.length).toBe(offlineRequests);
  } finally {
    await browser.context.setOffline(false);
  }
  const backOnline = Date.now();
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 3, 5_000, 'the offline clicks');
  // Well before the first backoff step could have elapsed on its own: the online event did it.
  expect(Date.now() - backOnline).toBeLessThan(2_500);
  await page.close();
});

test('requireConsent sends nothing before start(); sampleRate 0 sends nothing at all', async () => {
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 200 }, { options: { requireConsent: true }, autostart: false }));
  await clickTimes(page, 2);
  await page.waitForTimeout(600);
  expect(ingest.requests.length).toBe(0);
  await page.evaluate(() => (window as unknown as { recorder: { start(): void } }).recorder.start());
  await clickTimes(page, 2);
  const session = await sessionOf(page);
  await emittedThenFlush(page);
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 2, 5_000, 'the clicks after consent');

  await page.close();
  const unsampled = await browser.newPage();
  await unsampled.goto(appUrl({ maxBatchDelayMs: 200 }, { options: { sampleRate: 0 } }));
  await clickTimes(unsampled, 2);
  await unsampled.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
  await unsampled.waitForTimeout(600);
  // (The consent page's own unload batch may still land; nothing of any other session does.)
  expect(ingest.batches.filter((item) => item.batch.session !== session)).toEqual([]);
  await unsampled.close();
});

test('a hidden tab sends its tail with keepalive once; the acknowledged copy leaves the outbox, no second send', async () => {
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 60_000 }));
  await clickTimes(page, 2);
  const session = await sessionOf(page);
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 2, 5_000, 'the tail of the hidden tab');
  await expect
    .poll(async () => (await outboxRecords(page)).filter((record) => record.session === session).length, {
      timeout: 5_000,
    })
    .toBe(0);
  await page.waitForTimeout(500);
  expect(ingest.requests.filter((request) => request.status === 202).length).toBe(ingest.batches.length);
  expect(ingest.duplicates).toBe(0);
  await page.close();
});

/** Create deliveries directly in the page (no recorder), push two events into each, flush; returns how each ran. */
function deliverInPage(
  page: Page,
  deliveries: Array<{ tab: string; options: Record<string, unknown> }>,
  endpoint = ingest.url,
): Promise<Array<string | undefined>> {
  return page.evaluate(
    async ({ endpoint, deliveries }) => {
      type Delivery = { push(events: unknown[]): void; flush(): Promise<void> };
      const api = (
        window as unknown as {
          Reprise: { createDelivery(context: unknown): Delivery; deliveryMode(delivery: Delivery): string | undefined };
        }
      ).Reprise;
      const modes: Array<string | undefined> = [];
      for (const { tab, options } of deliveries) {
        const delivery = api.createDelivery({
          project: 'e2e',
          endpoint,
          sessionId: `direct${tab}`,
          tabId: tab,
          options,
          onError: () => {},
        });
        const now = Date.now();
        delivery.push([
          { type: 4, data: { href: location.href, width: 800, height: 600 }, timestamp: now },
          { type: 5, data: { tag: 'reprise.custom', payload: { name: tab } }, timestamp: now + 1 },
        ]);
        await delivery.flush();
        modes.push(api.deliveryMode(delivery));
      }
      return modes;
    },
    { endpoint, deliveries },
  );
}

test("under a CSP the self-hosted worker, the worker beside the script (worker-src 'self'), or the main-thread fallback delivers", async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/delivery-only`);
  await loadWholeRecorder(page);
  const modes = await deliverInPage(page, [
    { tab: 'hosted', options: { workerUrl: '/dist/core/reprise.worker.js' } },
    { tab: 'beside', options: {} },
  ]);
  expect(modes).toEqual(['hosted-worker', 'bundled-worker']);
  // No worker at all: the engine is loaded onto the page (reprise.worker.js as a script) only now.
  const strict = await browser.newPage();
  await strict.goto(`${site.url}/no-workers`);
  await loadWholeRecorder(strict);
  expect(await strict.evaluate(() => '__repriseDeliveryEngine' in window)).toBe(false);
  expect(await deliverInPage(strict, [{ tab: 'fallback', options: {} }])).toEqual(['main-thread']);
  await ingest.waitFor(() => ingest.batches.length >= 3, 5_000, 'the three batches');
  const tabs = ingest.batches.map((item) => item.batch.tab);
  expect(tabs).toEqual(expect.arrayContaining(['hosted', 'beside', 'fallback']));
  await page.close();
  await strict.close();
});

test("under Trusted Types the script tag and the loader fetch the rest of the recorder, and the worker (hosted or beside the script) or the main-thread fallback delivers, through Reprise's own policy", async () => {
  for (const path of ['/trusted-types', '/trusted-types-loader']) {
    const page = await browser.newPage();
    await page.goto(`${site.url}${path}?endpoint=${encodeURIComponent(ingest.url)}`);
    await page.waitForFunction(
      () => (window as unknown as { recorder: { isRecording: boolean } }).recorder.isRecording,
    );
    await clickTimes(page, 2);
    const session = await sessionOf(page);
    await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
    await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 2, 10_000, `the clicks of ${path}`);
    expect(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([]);
    // A worker delivered: the engine was never loaded onto the page.
    expect(await page.evaluate(() => '__repriseDeliveryEngine' in window)).toBe(false);
    await page.close();
  }
  const page = await browser.newPage();
  await page.goto(`${site.url}/trusted-types-delivery-only`);
  await loadWholeRecorder(page);
  expect(
    await deliverInPage(page, [
      { tab: 'tt-hosted', options: { workerUrl: '/dist/core/reprise.worker.js' } },
      { tab: 'tt-beside', options: {} },
    ]),
  ).toEqual(['hosted-worker', 'bundled-worker']);
  const strict = await browser.newPage();
  await strict.goto(`${site.url}/trusted-types-no-workers`);
  await loadWholeRecorder(strict);
  expect(await deliverInPage(strict, [{ tab: 'tt-fallback', options: {} }])).toEqual(['main-thread']);
  await ingest.waitFor(
    () =>
      ['tt-hosted', 'tt-beside', 'tt-fallback'].every((tab) => ingest.batches.some((item) => item.batch.tab === tab)),
    5_000,
    'the three batches',
  );
  await page.close();
  await strict.close();
});

test('the script tag served from another origin (a CDN) starts its worker through a Blob worker that imports it, with Trusted Types enforced or not', async () => {
  for (const path of ['/from-cdn', '/from-cdn-trusted-types']) {
    const page = await browser.newPage();
    await page.goto(`${site.url}${path}`);
    await loadWholeRecorder(page);
    const tab = path.slice(1);
    expect(await deliverInPage(page, [{ tab, options: {} }])).toEqual(['bundled-worker']);
    await ingest.waitFor(() => ingest.batches.some((item) => item.batch.tab === tab), 5_000, `the batch of ${path}`);
    expect(await page.evaluate(() => '__repriseDeliveryEngine' in window)).toBe(false);
    await page.close();
  }
});

test("a relative endpoint (a proxy on the page's origin) delivers through the worker beside the script and through the Blob worker of a script tag from a CDN", async () => {
  for (const [path, endpoint] of [
    ['/delivery-only', 'proxy'],
    ['/from-cdn', '/proxy'],
  ] as const) {
    const page = await browser.newPage();
    await page.goto(`${site.url}${path}`);
    await loadWholeRecorder(page);
    const tab = `relative${path.replace('/', '-')}`;
    expect(await deliverInPage(page, [{ tab, options: {} }], endpoint)).toEqual(['bundled-worker']);
    await ingest.waitFor(() => ingest.batches.some((item) => item.batch.tab === tab), 5_000, `the batch of ${path}`);
    await page.close();
  }
});

test("with a relative endpoint, requests under it are still not recorded as the page's requests", async () => {
  const page = await browser.newPage();
  await page.goto(
    appUrl({ maxBatchDelayMs: 300 }).replace(encodeURIComponent(ingest.url), encodeURIComponent('/proxy')),
  );
  await loadWholeRecorder(page);
  // Network capture is on once the full recorder has taken over (fetch is patched).
  await page.waitForFunction(() => !String(window.fetch).includes('[native code]'));
  const session = await page.evaluate(async () => {
    await fetch('/proxy/v1/ingest?probe=1', { method: 'POST', body: 'not a batch' });
    await fetch('/dist/core/reprise.iife.js?probe=2');
    const { recorder } = window as unknown as { recorder: { sessionId: string; flush(): Promise<void> } };
    await recorder.flush();
    return recorder.sessionId;
  });
  const urls = () =>
    ingest
      .eventsOf(session)
      .filter((event) => (event.data as { tag?: string }).tag === 'reprise.network')
      .map((event) => (event.data as { payload: { url: string } }).payload.url);
  await expect.poll(urls, { timeout: 10_000 }).toContain(`${site.url}/dist/core/reprise.iife.js?probe=2`);
  expect(urls().filter((url) => url.includes('/proxy/'))).toEqual([]);
  await page.close();
});

test('a page in a sandboxed frame (an opaque origin, refused Web Locks and storage) records and delivers, and throws nothing into the page', async () => {
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(appUrl({ maxBatchDelayMs: 60_000 }).replace('/app?', '/sandbox-host?'));
  const frame = await (await page.waitForSelector('#sandboxed')).contentFrame();
  await frame!.waitForFunction(
    () => (window as unknown as { recorder?: { isRecording: boolean } }).recorder?.isRecording,
  );
  expect(await frame!.evaluate(() => origin)).toBe('null');
  for (let i = 0; i < 2; i++) await frame!.click('#add');
  const session = await frame!.evaluate(async () => {
    const { recorder } = window as unknown as { recorder: { sessionId: string; flush(): Promise<void> } };
    await recorder.flush();
    return recorder.sessionId;
  });
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 2, 10_000, 'the clicks of the sandboxed frame');
  expect(pageErrors).toEqual([]);
  await page.close();
});

test('a page whose CSP refuses requests to the collector (connect-src) is told so once through onError; allowed, it delivers without a word', async () => {
  const refused = await browser.newPage();
  await refused.goto(appUrl({ maxBatchDelayMs: 300 }).replace('/app?', '/connect-src-self?'));
  await clickTimes(refused, 2);
  await refused.waitForFunction(() => (window as unknown as { __errors: string[] }).__errors.length > 0);
  // Retries go on (the outbox keeps the batches): still one report.
  await refused.waitForTimeout(2_500);
  const collector = new URL(ingest.url).origin;
  expect(await refused.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([
    `[@reprise/core] this page's Content-Security-Policy refuses requests to the collector (${collector}): add it to connect-src. Batches the page sends itself wait in the outbox meanwhile.`,
  ]);
  expect(ingest.eventsOf(await sessionOf(refused))).toEqual([]);
  await refused.close();
  const allowed = await browser.newPage();
  await allowed.goto(appUrl({ maxBatchDelayMs: 300 }).replace('/app?', '/connect-src-collector?'));
  await clickTimes(allowed, 2);
  const session = await sessionOf(allowed);
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 2, 10_000, 'the clicks of the allowed page');
  expect(await allowed.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([]);
  await allowed.close();
});

test('a page that gave arrays a toJSON of its own (Prototype.js) delivers, through the worker and at unload, and keeps its toJSON', async () => {
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 300 }).replace('/app?', '/prototype-js?'));
  await clickTimes(page, 2);
  const session = await sessionOf(page);
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 2, 10_000, 'the clicks sent by the worker');
  expect(await page.evaluate(() => JSON.stringify([1, [2]]))).toBe('"[1, \\"[2]\\"]"');
  expect(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([]);
  await page.close();
  // A cut only every minute: the clicks leave in the batch the page frames itself at pagehide.
  const leaving = await browser.newPage();
  await leaving.goto(appUrl({ maxBatchDelayMs: 60_000 }).replace('/app?', '/prototype-js?'));
  await clickTimes(leaving, 3);
  const left = await sessionOf(leaving);
  await leaving.goto(`${site.url}/away`);
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(left)) === 3, 10_000, 'the clicks framed at pagehide');
  expect(ingest.requests.some((request) => request.status === 202 && request.codec === 3)).toBe(true);
  expect(ingest.requests.filter((request) => request.status >= 400)).toEqual([]);
  await leaving.close();
});

test('a browser that says it is offline on a working network still delivers', async () => {
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 300 }).replace('/app?', '/says-offline?'));
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  await clickTimes(page, 2);
  const session = await sessionOf(page);
  await ingest.waitFor(
    () => clicksIn(ingest.eventsOf(session)) === 2,
    10_000,
    'the clicks of a page that says offline',
  );
  expect(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([]);
  await page.close();
});

test('an https page whose collector is http (mixed content) is told so at once; an https or a loopback collector is not', async () => {
  // The https site is this test server's pages, served by the browser's request routing.
  const shop = 'https://shop.test';
  const serveShop = async (route: Route) => {
    const url = new URL(route.request().url());
    const local = await fetch(`${site.url}${url.pathname}${url.search}`);
    await route.fulfill({
      status: local.status,
      contentType: local.headers.get('content-type') ?? 'text/html',
      body: Buffer.from(await local.arrayBuffer()),
    });
  };
  const reachedRemote: string[] = [];
  const remote = (route: Route) => {
    reachedRemote.push(route.request().url());
    return route.abort();
  };
  await browser.context.route(`${shop}/**`, serveShop);
  await browser.context.route('http://collector.test/**', remote);
  const errorsWith = async (endpoint: string) => {
    const page = await browser.newPage();
    const delivery = encodeURIComponent(JSON.stringify({ maxBatchDelayMs: 300 }));
    await page.goto(`${shop}/app?endpoint=${encodeURIComponent(endpoint)}&delivery=${delivery}`);
    await clickTimes(page, 2);
    await page.waitForTimeout(1_500);
    const errors = await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors);
    await page.close();
    return errors;
  };
  try {
    expect(await errorsWith('http://collector.test')).toEqual([
      '[@reprise/core] the collector (http://collector.test) is http: on an https: page, which browsers refuse as mixed content, so nothing can reach it. Serve the collector over https.',
    ]);
    // The browser refused its requests before they reached the network: the report was right.
    expect(reachedRemote).toEqual([]);
    // Not mixed content: an https collector (unreachable here), and loopback, which browsers allow over http.
    for (const endpoint of ['https://collector.test', 'http://localhost:9', 'http://127.0.0.1:9'])
      expect((await errorsWith(endpoint)).filter((error) => error.includes('mixed content'))).toEqual([]);
  } finally {
    await browser.context.unroute(`${shop}/**`, serveShop);
    await browser.context.unroute('http://collector.test/**', remote);
  }
});

test('where no worker may start and the engine cannot be fetched either, onError says so once and the page keeps working', async () => {
  const page = await browser.newPage();
  await page.route('**/reprise.worker.js', (route) => route.abort());
  await page.goto(`${site.url}/no-workers`);
  await loadWholeRecorder(page);
  const errors = await page.evaluate(async (endpoint) => {
    type Delivery = { push(events: unknown[]): void };
    const api = (window as unknown as { Reprise: { createDelivery(context: unknown): Delivery } }).Reprise;
    const seen: string[] = [];
    const delivery = api.createDelivery({
      project: 'e2e',
      endpoint,
      sessionId: 'noengine',
      tabId: 'noengine',
      options: {},
      onError: (error: Error) => seen.push(`${error.name}: ${error.message}`),
    });
    for (let index = 0; index < 3; index++)
      delivery.push([
        { type: 5, data: { tag: 'reprise.custom', payload: { name: `n${index}` } }, timestamp: Date.now() },
      ]);
    const deadline = Date.now() + 5_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    delivery.push([{ type: 5, data: { tag: 'reprise.custom', payload: { name: 'after' } }, timestamp: Date.now() }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return seen;
  }, ingest.url);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^RecorderError: \[@reprise\/core\] Delivery could not load its engine/);
  expect(errors[0]).not.toMatch(/\[@reprise\/core\].*\[@reprise\/core\]/);
  await page.close();
});

test('without a CSP the worker beside the script runs the engine; the page itself loads no encoder', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/away`);
  await page.addScriptTag({ url: '/dist/core/reprise.iife.js' });
  await loadWholeRecorder(page);
  expect(await deliverInPage(page, [{ tab: 'beside', options: {} }])).toEqual(['bundled-worker']);
  await ingest.waitFor(() => ingest.batches.some((item) => item.batch.tab === 'beside'), 5_000, "the worker's batch");
  // Compressed by the worker (raw DEFLATE), not the page's JSON.
  expect(ingest.requests.filter((request) => request.status === 202).every((request) => request.codec === 2)).toBe(
    true,
  );
  expect(await page.evaluate(() => '__repriseDeliveryEngine' in window)).toBe(false);
  await page.close();
});

test('events cross to the worker as JSON text, not as cloned objects, and arrive whole', async () => {
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 300 }).replace('/app?', '/app-posts-watched?'));
  const session = await sessionOf(page);
  await clickTimes(page, 3);
  await page.evaluate(() =>
    (window as unknown as { recorder: { track(name: string, props: unknown): void } }).recorder.track('plain', {
      items: ['a', 1.5, true, null],
      nested: { text: 'é ✓' },
    }),
  );
  const emitted = await emittedThenFlush(page);
  await ingest.waitFor(() => ingest.eventsOf(session).length >= emitted, 10_000, 'every recorded event');
  const posted = await page.evaluate(() => (window as unknown as { __posted: string[] }).__posted);
  expect(posted).toContain('eventsJson:string');
  expect(posted).not.toContain('events');
  const events = ingest.eventsOf(session);
  expect(clicksIn(events)).toBe(3);
  const custom = events.find(
    (event) => event.type === 5 && (event.data as { payload?: { name?: string } }).payload?.name === 'plain',
  );
  expect((custom?.data as { payload?: unknown } | undefined)?.payload).toEqual({
    name: 'plain',
    props: { items: ['a', 1.5, true, null], nested: { text: 'é ✓' } },
  });
  await page.close();
});

/**
 * In the page: a delivery made directly (no recorder) that receives `batches` batches, each of one
 * custom event carrying `bytesEach` random (incompressible) characters, flushed one by one.
 */
function pushNoisyBatches(
  page: Page,
  options: { session: string; tab: string; batches: number; bytesEach: number; delivery: Record<string, unknown> },
): Promise<string[]> {
  return page.evaluate(
    async ({ endpoint, session, tab, batches, bytesEach, delivery: deliveryOptions }) => {
      type Delivery = { push(events: unknown[]): void; flush(): Promise<void> };
      const api = (window as unknown as { Reprise: { createDelivery(context: unknown): Delivery } }).Reprise;
      const errors: string[] = [];
      const delivery = api.createDelivery({
        project: 'e2e',
        endpoint,
        sessionId: session,
        tabId: tab,
        options: deliveryOptions,
        onError: (error: Error) => errors.push(error.message),
      });
      Object.assign(window, { __delivery: delivery, __deliveryErrors: errors });
      const noise = (length: number) => {
        const bytes = crypto.getRandomValues(new Uint8Array(length));
        return Array.from(bytes, (byte) => String.fromCharCode(33 + (byte % 90))).join('');
      };
      for (let index = 0; index < batches; index++) {
        delivery.push([
          {
            type: 5,
            data: { tag: 'reprise.custom', payload: { name: `n${index}`, text: noise(bytesEach) } },
            timestamp: Date.now() + index,
          },
        ]);
        await delivery.flush();
      }
      return errors;
    },
    { endpoint: ingest.url, ...options },
  );
}

test('a backlog is sent from the outbox index: each body is read once, to send it; no pass reads every stored body, and the index is not read again per send', async () => {
  // A page that went away offline left 30 batches of ~3 KB.
  const first = await browser.newPage();
  await first.goto(`${site.url}/away`);
  await first.addScriptTag({ url: '/dist/core/reprise.iife.js' });
  await loadWholeRecorder(first);
  // The page's fallback engine is fetched (reprise.worker.js) when a delivery first needs it:
  // while still online, as a page that went offline later would have.
  await first.evaluate(async (endpoint) => {
    type Delivery = object;
    const api = (
      window as unknown as {
        Reprise: { createDelivery(context: unknown): Delivery; deliveryMode(delivery: Delivery): string | undefined };
      }
    ).Reprise;
    const warm = api.createDelivery({
      project: 'e2e',
      endpoint,
      sessionId: 'warmup',
      tabId: 'warm',
      options: { disableWorker: true },
      onError: () => {},
    });
    while (api.deliveryMode(warm) !== 'main-thread') await new Promise((resolve) => setTimeout(resolve, 20));
  }, ingest.url);
  await browser.context.setOffline(true);
  try {
    await pushNoisyBatches(first, {
      session: 'backlog',
      tab: 'left',
      batches: 30,
      bytesEach: 3000,
      delivery: { disableWorker: true },
    });
    await expect.poll(async () => (await outboxRecords(first)).length, { timeout: 10_000 }).toBe(30);
  } finally {
    await first.close();
    await browser.context.setOffline(false);
  }
  // The next page runs the engine on the main thread, so every IndexedDB read it makes is seen here.
  const page = await browser.newPage();
  await page.addInitScript(() => {
    const reads: string[] = [];
    (window as unknown as { __idbReads: string[] }).__idbReads = reads;
    for (const method of ['get', 'getAll', 'openCursor', 'getAllKeys', 'openKeyCursor'] as const) {
      const original = IDBObjectStore.prototype[method] as (...args: unknown[]) => IDBRequest;
      (IDBObjectStore.prototype as unknown as Record<string, unknown>)[method] = function (
        this: IDBObjectStore,
        ...args: unknown[]
      ) {
        reads.push(`${this.name}.${method}`);
        return original.apply(this, args);
      };
    }
  });
  await page.goto(`${site.url}/away`);
  await page.addScriptTag({ url: '/dist/core/reprise.iife.js' });
  await loadWholeRecorder(page);
  await pushNoisyBatches(page, {
    session: 'after-backlog',
    tab: 'new',
    batches: 1,
    bytesEach: 3000,
    delivery: { disableWorker: true },
  });
  await ingest.waitFor(() => ingest.batches.length === 31, 15_000, 'the backlog and the new batch');
  expect(ingest.batches.filter((item) => item.batch.session === 'backlog').map((item) => item.batch.seq)).toEqual(
    Array.from({ length: 30 }, (_, seq) => seq),
  );
  const reads = await page.evaluate(() => (window as unknown as { __idbReads: string[] }).__idbReads.slice());
  await expect.poll(() => outboxRecords(page)).toEqual([]);
  // Bodies live in the `outbox` store: read one at a time, once per send (31, and a few more if
  // the loaded machine made a send time out and go again), never all at once.
  const bodyReads = reads.filter((read) => read.startsWith('outbox.'));
  expect(bodyReads.filter((read) => read !== 'outbox.get')).toEqual([]);
  expect(bodyReads.length).toBeLessThanOrEqual(31 + 5);
  // And the index is read when the engine starts and before each write, not once per send.
  expect(reads.filter((read) => read === 'outbox-index.getAll').length).toBeLessThanOrEqual(4);
  await page.close();
});

test('IndexedDB refusing a write (quota exceeded) still delivers the batch from memory and reports the refusal', async () => {
  // A fresh origin: Chromium applies a quota override only to storage the origin has not opened yet.
  const fresh = await serve({ pages: { '/away': '<!doctype html><title>quota</title>' } });
  const page = await browser.newPage();
  const cdp = await browser.context.newCDPSession(page);
  try {
    await page.goto(`${fresh.url}/away`);
    // A real QuotaExceededError: the database opens, but a ~20 KB frame does not fit.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: fresh.url, quotaSize: 5_000 });
    // The override reaches the storage service asynchronously: start once a 20 KB write is refused.
    await expect
      .poll(
        () =>
          page.evaluate(
            () =>
              new Promise<string>((resolve) => {
                const open = indexedDB.open('quota-probe', 1);
                open.onupgradeneeded = () => open.result.createObjectStore('probe');
                open.onerror = () => resolve(`open: ${open.error?.name}`);
                open.onsuccess = () => {
                  const tx = open.result.transaction('probe', 'readwrite');
                  tx.objectStore('probe').put(crypto.getRandomValues(new Uint8Array(20_000)), 'probe');
                  tx.oncomplete = () => resolve('stored');
                  tx.onabort = () => resolve(tx.error?.name ?? 'aborted');
                  open.result.close();
                };
              }),
          ),
        { timeout: 10_000 },
      )
      .toBe('QuotaExceededError');
    await page.addScriptTag({ url: '/dist/core/reprise.iife.js' });
    await loadWholeRecorder(page);
    await pushNoisyBatches(page, { session: 'quota', tab: 'q', batches: 2, bytesEach: 20_000, delivery: {} });
    await ingest.waitFor(
      () => ingest.batches.filter((item) => item.batch.session === 'quota').length === 2,
      10_000,
      'both batches despite the quota',
    );
    const errors = () => page.evaluate(() => (window as unknown as { __deliveryErrors: string[] }).__deliveryErrors);
    await expect
      .poll(errors)
      .toContainEqual(expect.stringMatching(/IndexedDB put failed \(QuotaExceededError.*delivery goes on from memory/));
    expect(ingest.batches.map((item) => item.batch.events[0]!.data)).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ name: 'n0' }) }),
      expect.objectContaining({ payload: expect.objectContaining({ name: 'n1' }) }),
    ]);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: fresh.url });
    await cdp.detach();
    await page.close();
    await fresh.close();
  }
});

test('a keepalive fetch refused when the tab is hidden (here: the CORS preflight) falls back to sendBeacon; unconfirmed, the batch stays in the outbox and the next page load resends it, stored once', async () => {
  // A fresh origin: Chromium caches a granted preflight (max-age) per origin, and earlier tests got one.
  const fresh = await serve({ pages: { '/app': recorderPage() } });
  const freshAppUrl = appUrl({ maxBatchDelayMs: 60_000 }).replace(site.url, fresh.url);
  ingest.set({ refusePreflight: true });
  const page = await browser.newPage();
  await page.goto(freshAppUrl);
  await clickTimes(page, 3);
  const session = await sessionOf(page);
  // Hidden, not unloaded: the fetch's rejection arrives after the preflight round trip, and only a
  // page that still runs can answer it (at pagehide the document is gone by then).
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  // Only the beacon can pass: a text/plain Blob is a "simple" request, sent without a preflight.
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 3, 5_000, 'the beacon with the tail');
  const accepted = ingest.requests.filter((request) => request.status === 202);
  expect(accepted.length).toBeGreaterThan(0);
  expect(accepted.every((request) => request.contentType.startsWith('text/plain'))).toBe(true);
  // Nobody could confirm the beacon: its batch is still in the outbox.
  expect((await outboxRecords(page)).filter((record) => record.session === session).length).toBeGreaterThan(0);
  await page.close();
  ingest.set({});
  const next = await browser.newPage();
  await next.goto(freshAppUrl);
  await expect
    .poll(async () => (await outboxRecords(next)).filter((record) => record.session === session).length, {
      timeout: 10_000,
    })
    .toBe(0);
  expect(
    ingest.requests.some(
      (request) => request.status === 202 && request.contentType.startsWith('application/vnd.reprise.batch'),
    ),
  ).toBe(true);
  expect(ingest.conflicts).toBe(0);
  expect(clicksIn(ingest.eventsOf(session))).toBe(3);
  await next.close();
  await fresh.close();
});

test('batches a version-1 outbox (one store, no index) left behind are indexed on upgrade and sent', async () => {
  const events = [
    { type: 5, data: { tag: 'reprise.custom', payload: { name: 'left-by-v1' } }, timestamp: 1_700_000_000_000 },
  ];
  const body = encodeBatchFrame(
    {
      v: PROTOCOL_VERSION,
      project: 'e2e',
      session: 'v1-session',
      tab: 'v1-tab',
      seq: 0,
      start: events[0]!.timestamp,
      end: events[0]!.timestamp,
      events,
    },
    Codec.deflateRaw,
  );
  const page = await browser.newPage();
  await page.goto(`${site.url}/away`);
  await page.evaluate(
    ({ url, bytes }) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('reprise', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('outbox', { keyPath: 'key' });
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('outbox', 'readwrite');
          tx.objectStore('outbox').put({
            key: `v1-session|v1-tab|${'0'.padStart(12, '0')}|`,
            session: 'v1-session',
            tab: 'v1-tab',
            seq: 0,
            part: '',
            url,
            body: new Uint8Array(bytes),
            createdAt: Date.now(),
            owner: 'a-page-long-gone',
          });
          tx.oncomplete = () => {
            open.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    { url: `${ingest.url}/v1/ingest`, bytes: [...body] },
  );
  await page.addScriptTag({ url: '/dist/core/reprise.iife.js' });
  await loadWholeRecorder(page);
  await pushNoisyBatches(page, { session: 'after-upgrade', tab: 'new', batches: 1, bytesEach: 100, delivery: {} });
  await ingest.waitFor(
    () => ingest.batches.some((item) => item.batch.session === 'v1-session'),
    10_000,
    'the version-1 batch',
  );
  expect(ingest.eventsOf('v1-session')).toEqual(events);
  await expect.poll(() => outboxRecords(page)).toEqual([]);
  await page.close();
});

test("a tab opened with window.open (sessionStorage is copied, tab id included) keeps the session but takes a tab id of its own: both pages' batches arrive, no 409", async () => {
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 300 }));
  await clickTimes(page, 2);
  const session = await sessionOf(page);
  const tabOf = (target: Page) => target.evaluate(() => sessionStorage.getItem('reprise:tab'));
  const openerTab = await tabOf(page);
  const [popup] = await Promise.all([
    browser.context.waitForEvent('page'),
    page.evaluate((url) => void window.open(url), appUrl({ maxBatchDelayMs: 300 })),
  ]);
  await popup.waitForLoadState();
  expect(await sessionOf(popup)).toBe(session);
  // The popup found the opener holding the copied tab id's lock and stored a fresh one for its reloads.
  await expect.poll(() => tabOf(popup)).not.toBe(openerTab);
  expect(await tabOf(page)).toBe(openerTab);
  await clickTimes(popup, 3);
  await clickTimes(page, 1);
  await Promise.all([emittedThenFlush(page), emittedThenFlush(popup)]);
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 6, 10_000, 'the clicks of both pages');
  expect(ingest.conflicts).toBe(0);
  const batchesOf = (tab: string | null) =>
    ingest.batches.map((item) => item.batch).filter((batch) => batch.session === session && batch.tab === tab);
  expect(
    new Set(ingest.batches.filter((item) => item.batch.session === session).map((item) => item.batch.tab)),
  ).toEqual(new Set([openerTab, await tabOf(popup)]));
  // Each tab numbers its own stream from 0, and each holds its page's full snapshot and clicks.
  for (const [target, clicks] of [
    [page, 3],
    [popup, 3],
  ] as const) {
    const batches = batchesOf(await tabOf(target));
    expect(Math.min(...batches.map((batch) => batch.seq))).toBe(0);
    const events = batches.flatMap((batch) => batch.events);
    expect(events.filter((event) => event.type === 2).length).toBe(1);
    expect(clicksIn(events)).toBe(clicks);
  }
  const errors = [
    ...(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)),
    ...(await popup.evaluate(() => (window as unknown as { __errors: string[] }).__errors)),
  ];
  expect(errors).toEqual([]);
  // A reload is the same tab: the page that held the lock is gone by the time the next one claims.
  const popupTab = await tabOf(popup);
  await popup.reload();
  await clickTimes(popup, 1);
  await emittedThenFlush(popup);
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 7, 10_000, 'the click after the reload');
  expect(await tabOf(popup)).toBe(popupTab);
  expect(ingest.conflicts).toBe(0);
  await popup.close();
  await page.close();
});

/**
 * A page and the tab it window.open'ed without Web Locks on its page: the copy of sessionStorage
 * gives both one (session, tab) stream and one seq counter. Clicks 2 on the page, 3 on the popup,
 * 1 on the page again, then flushes both.
 */
async function pagesSharingOneStream(): Promise<{ page: Page; popup: Page; session: string }> {
  const page = await browser.newPage();
  await page.goto(appUrl({ maxBatchDelayMs: 300 }));
  await clickTimes(page, 2);
  const session = await sessionOf(page);
  const [popup] = await Promise.all([
    browser.context.waitForEvent('page'),
    page.evaluate(
      (url) => void window.open(url),
      appUrl({ maxBatchDelayMs: 300 }).replace('/app?', '/app-without-locks?'),
    ),
  ]);
  await popup.waitForLoadState();
  const tabOf = (target: Page) => target.evaluate(() => sessionStorage.getItem('reprise:tab'));
  expect(await popup.evaluate(() => navigator.locks)).toBeUndefined();
  expect(await sessionOf(popup)).toBe(session);
  expect(await tabOf(popup)).toBe(await tabOf(page));
  await clickTimes(popup, 3);
  await clickTimes(page, 1);
  await Promise.all([emittedThenFlush(page), emittedThenFlush(popup)]);
  return { page, popup, session };
}

/** Both pages of `pagesSharingOneStream` arrived whole, as two tabs; resolves what their `onError` heard. */
async function expectBothPagesDelivered({ page, popup, session }: { page: Page; popup: Page; session: string }) {
  await ingest.waitFor(() => clicksIn(ingest.eventsOf(session)) === 6, 10_000, 'the clicks of both pages');
  // Both pages numbered the same stream: one of them was refused (409) and went on as its own tab.
  expect(ingest.conflicts).toBeGreaterThan(0);
  const tabs = new Set(ingest.batches.filter((item) => item.batch.session === session).map((item) => item.batch.tab));
  expect(tabs.size).toBe(2);
  expect(ingest.eventsOf(session).filter((event) => event.type === 2).length).toBe(2); // both full snapshots
  const errors = [
    ...(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)),
    ...(await popup.evaluate(() => (window as unknown as { __errors: string[] }).__errors)),
  ];
  expect(errors.filter((message) => /dropped/.test(message))).toEqual([]);
  return errors;
}

test("without Web Locks a window.open'ed tab keeps the copied tab id, as before: the 409 on its seqs moves its batches to a tab of their own instead of dropping them", async () => {
  const pages = await pagesSharingOneStream();
  const errors = await expectBothPagesDelivered(pages);
  expect(errors).toContainEqual(expect.stringMatching(/Another page shares tab .* this page sends as tab/));
  await pages.popup.close();
  await pages.page.close();
});

test("without Web Locks two pages that number one stream while the collector is down each keep and send their own batches: neither overwrites nor waits for the other's", async () => {
  ingest.set({ down: true });
  const pages = await pagesSharingOneStream();
  // One outbox for the origin: both pages numbered the copied stream from the copied counter, so
  // some seq is held twice, once per writer.
  const records = (await outboxRecords(pages.page)).filter((record) => record.session === pages.session);
  const writersOfSeq = new Map<number, Set<string>>();
  for (const record of records)
    writersOfSeq.set(record.seq, (writersOfSeq.get(record.seq) ?? new Set()).add(record.owner));
  expect([...writersOfSeq.values()].some((writers) => writers.size === 2)).toBe(true);
  ingest.set({});
  // Back online: each engine sends at once (not after its backoff), each its own batches.
  await Promise.all(
    [pages.page, pages.popup].map((target) => target.evaluate(() => void dispatchEvent(new Event('online')))),
  );
  await expectBothPagesDelivered(pages);
  await pages.popup.close();
  await pages.page.close();
});
