import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchBrowser, REPO_ROOT, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import {
  CAPTURE_FIXTURES,
  capturedEvents,
  EventType,
  IncrementalSource,
  loadWholeRecorder,
  repriseEvents,
  type CapturedEvent,
} from './capture-helpers.js';

/*
 * The mutation circuit-breaker in Chromium: a storm of 20,000 added nodes trips it (default limit
 * 10,000 node changes per second), the page stays responsive, and capture resumes with a full
 * snapshot once the page is calm.
 */

let browser: TestBrowser;
let server: TestServer;

beforeAll(async () => {
  // A big page whose recorder starts from <head>, before the parser has built the body.
  const rows = Array.from({ length: 15_000 }, (_, i) => `<li>parsed row ${i}</li>`).join('');
  const bigPage = `<!doctype html><html><head><script src="/dist/core/reprise.iife.js"></script><script src="/recorder-setup.js"></script>
    <script>__startRecorder({})</script></head><body><ul id="list">${rows}</ul></body></html>`;
  server = await serve({ mounts: { '/': CAPTURE_FIXTURES }, pages: { '/big.html': bigPage } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Element nodes named `tag` anywhere in a serialized (rrweb) node tree. */
function countElements(node: unknown, tag: string): number {
  if (!node || typeof node !== 'object') return 0;
  const { tagName, childNodes } = node as { tagName?: string; childNodes?: unknown[] };
  let count = tagName === tag ? 1 : 0;
  for (const child of childNodes ?? []) count += countElements(child, tag);
  return count;
}

/** List items added through incremental (mutation) capture. */
function itemsAddedInMutations(events: CapturedEvent[]): number {
  return events
    .filter((event) => event.type === EventType.IncrementalSnapshot && event.data.source === IncrementalSource.Mutation)
    .reduce(
      (sum, event) =>
        sum +
        (event.data.adds as Array<{ node: { tagName?: string } }>).filter((add) => add.node.tagName === 'li').length,
      0,
    );
}

test('a 20,000-node storm trips the breaker, the tab stays responsive, capture resumes with a full snapshot', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/storm.html`);
  // The whole recorder first: this test is about the full recorder's breaker and its events. Under
  // load the script tag's rest could arrive after the storm, which then met the early capture
  // alone (its events held in a capped buffer, capture-early.test.ts) and no breaker event came.
  await loadWholeRecorder(page);
  await page.evaluate(() =>
    (window as unknown as { __startRecorder(o: unknown): void }).__startRecorder({
      mutationBreaker: { resumeAfterMs: 500 },
    }),
  );
  await page.waitForTimeout(100);

  const storm = await page.evaluate(async () => {
    const w = window as unknown as {
      storm(total: number, chunk: number): Promise<number>;
      __recorderEvents: Array<{ name: string; payload: { state: string; mutations: number } }>;
    };
    // A few items recorded normally, then the storm: 20,000 items in one burst.
    await w.storm(100, 100);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const burstDone = w.storm(20_000, 20_000);
    const afterBurst = performance.now();
    // Mutation observers were queued by the burst's first change, so they run before this await
    // resumes: the time it takes is the observers' work (the breaker's, and rrweb's if it ran).
    await burstDone;
    const observersMs = performance.now() - afterBurst;
    return {
      observersMs,
      breakerEvents: w.__recorderEvents.filter((event) => event.name === 'breaker').map((event) => event.payload),
    };
  });
  // Tripped by the storm, with everything in the window counted.
  expect(storm.breakerEvents[0]).toEqual({ state: 'paused', mutations: expect.any(Number) });
  expect(storm.breakerEvents[0]!.mutations).toBeGreaterThanOrEqual(20_000);
  // The tab stays responsive: the observers spent milliseconds on the burst (rrweb alone takes
  // ~300 ms on this machine for it without the breaker; laying out 20,000 rows is the browser's
  // own ~0.5 s with or without a recorder), and the page answers right away.
  expect(storm.observersMs).toBeLessThan(150);
  expect(await page.evaluate(() => document.querySelectorAll('#list li').length)).toBe(20_100);

  // Calm for resumeAfterMs: capture resumes, starting again from a full snapshot of the whole list.
  await page.waitForFunction(
    () =>
      (
        window as unknown as { __recorderEvents: Array<{ name: string; payload: { state: string } }> }
      ).__recorderEvents.some((event) => event.name === 'breaker' && event.payload.state === 'resumed'),
    undefined,
    { timeout: 5000 },
  );
  await page.evaluate(() => {
    const li = document.createElement('li');
    li.textContent = 'after the storm';
    document.getElementById('list')!.appendChild(li);
  });
  await page.waitForTimeout(50);
  const events = await capturedEvents(page);
  const markers = repriseEvents(events, 'reprise.breaker');
  expect(markers.map((marker) => marker.state)).toEqual(['paused', 'resumed']);
  expect(markers[0]).toMatchObject({ windowMs: 1000 });

  const pausedAt = events.findIndex(
    (event) => event.data.tag === 'reprise.breaker' && event.data.payload!.state === 'paused',
  );
  const resumedAt = events.findIndex(
    (event) => event.data.tag === 'reprise.breaker' && event.data.payload!.state === 'resumed',
  );
  // Nothing of the storm was serialized after the breaker tripped...
  expect(itemsAddedInMutations(events.slice(pausedAt, resumedAt))).toBe(0);
  // ...nor before: the breaker saw the burst first and stopped rrweb before it processed any of it,
  // while the warm-up items before the storm were recorded normally.
  expect(itemsAddedInMutations(events.slice(0, pausedAt))).toBe(100);
  const snapshotsAfterResume = events.slice(pausedAt).filter((event) => event.type === EventType.FullSnapshot);
  expect(snapshotsAfterResume).toHaveLength(1);
  expect(countElements(snapshotsAfterResume[0]!.data.node, 'li')).toBe(20_100);
  // Incremental capture works again after the resume.
  expect(JSON.stringify(events.slice(resumedAt))).toContain('after the storm');

  await page.evaluate(() => (window as unknown as { recorder: { stop(): void } }).recorder.stop());
  await page.close();
});

test('the parser building a big page is not a storm: no breaker, one full snapshot with every row', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/big.html`);
  await page.waitForTimeout(200);
  const breakerEvents = await page.evaluate(() =>
    (window as unknown as { __recorderEvents: Array<{ name: string }> }).__recorderEvents.filter(
      (event) => event.name === 'breaker',
    ),
  );
  const events = await capturedEvents(page);
  expect(breakerEvents).toEqual([]);
  // The early capture's breaker reports to the recorder only once the rest has taken over, but its
  // marker is in the events either way.
  expect(repriseEvents(events, 'reprise.breaker')).toEqual([]);
  const snapshots = events.filter((event) => event.type === EventType.FullSnapshot);
  expect(snapshots).toHaveLength(1);
  expect(countElements(snapshots[0]!.data.node, 'li')).toBe(15_000);
  await page.close();
});

test("the parser's last insertions, which reach the observer after loading ends, are not a storm; a script's are", async () => {
  // The breaker alone, in a document the test parses on demand: document.write parses 20,000 rows
  // and document.close ends loading in the same task, so every record of the parse is delivered
  // after the document has stopped loading (on big.html above only the parser's last slice is,
  // and how big that is depends on the machine's speed).
  const breaker = await build({
    entryPoints: [join(REPO_ROOT, 'packages/core/src/capture/breaker.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'RepriseBreaker',
  });
  const page = await browser.newPage();
  await page.setContent('<!doctype html><body></body>');
  await page.addScriptTag({ content: breaker.outputFiles[0]!.text });
  const pauses = await page.evaluate(async () => {
    type Start = typeof import('../../packages/core/src/capture/breaker.js').startMutationBreaker;
    const { startMutationBreaker } = (window as unknown as { RepriseBreaker: { startMutationBreaker: Start } })
      .RepriseBreaker;
    const frame = document.createElement('iframe');
    document.body.append(frame);
    const doc = frame.contentDocument!;
    const pauses: Array<{ mutations: number; during: string }> = [];
    let during = 'parse';
    doc.open();
    const stop = startMutationBreaker(
      doc,
      { maxMutations: 10_000, windowMs: 1000, resumeAfterMs: 500 },
      {
        onPause: (mutations) => pauses.push({ mutations, during }),
        onResume: () => undefined,
        onError: (error) => pauses.push({ mutations: -1, during: String(error) }),
      },
    );
    const rows = (label: string) => Array.from({ length: 20_000 }, (_, i) => `<li>${label} ${i}</li>`).join('');
    doc.write(`<!doctype html><html><body><ul id="parsed">${rows('parsed')}</ul></body></html>`);
    doc.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // As many rows added one by one by a script once the page is parsed: a storm.
    during = 'script';
    const list = doc.getElementById('parsed')!;
    for (let i = 0; i < 20_000; i++) list.appendChild(doc.createElement('li')).textContent = `added ${i}`;
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    return pauses;
  });
  expect(pauses).toEqual([{ mutations: expect.any(Number), during: 'script' }]);
  await page.close();
});
