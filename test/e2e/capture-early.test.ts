import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, REPO_ROOT, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { allStrings, CORE_IIFE, EventType, IncrementalSource, type CapturedEvent } from './capture-helpers.js';

/*
 * The script tag's two files (packages/core/dist; build them first: `cd packages/core && npx
 * rollup -c`): reprise.iife.js carries rrweb and starts DOM capture at start(); the rest of the
 * recorder (reprise.recorder.js, held back here until the test lets it through) is fetched at
 * the same moment and takes the recording over. Nothing the page did meanwhile may be missing,
 * the page is snapshotted once, privacy holds from the first event, and a rest that never comes
 * leaves nothing running.
 */

const CORE_REST = join(REPO_ROOT, 'packages/core/dist/reprise.recorder.js');
/** Above the early buffer's cap (MAX_EARLY_EVENTS in packages/core/src/loader/early-capture.ts). */
const OVER_EARLY_CAP = 2300;
const TYPED_SECRET = 'Typed before the rest arrived';
/** packages/core/src/privacy.ts */
const MASKED_VALUE_PLACEHOLDER = '********';

const PAGE = `<!doctype html><meta charset="utf-8"><title>early</title>
<script src="/dist/core/reprise.iife.js"></script>
<main><h1>early page</h1><ul id="list"><li>at load</li></ul><input id="name" type="text"><p id="counter">0</p></main>
<script>
  window.__events = [];
  window.__errors = [];
  window.__started = [];
  window.recorder = Reprise.createRecorder({
    onEvents: (events) => window.__events.push(...JSON.parse(JSON.stringify(events))),
    onError: (error) => window.__errors.push({ code: error.code, message: error.message }),
    console: false,
  });
  recorder.on('start', (payload) => window.__started.push(payload.sessionId));
  recorder.start();
  window.__atStart = { isRecording: recorder.isRecording, sessionId: recorder.sessionId };
  window.addItem = (text) => {
    const item = document.createElement('li');
    item.textContent = text;
    document.getElementById('list').appendChild(item);
  };
</script>`;

interface EarlyPageGlobals {
  recorder: { isRecording: boolean; sessionId: string | null; flush(): Promise<void> };
  __events: CapturedEvent[];
  __errors: Array<{ code: string; message: string }>;
  __started: string[];
  __atStart: { isRecording: boolean; sessionId: string | null };
  addItem(text: string): void;
}

let browser: TestBrowser;
let server: TestServer;
let rest: Buffer;
/** Requests for reprise.recorder.js wait here until the test opens the gate; `missing` answers 404. */
let gate: { open: () => void; opened: Promise<void>; requests: number; missing: boolean };

function closeGate(missing = false): void {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  gate = { open, opened, requests: 0, missing };
}

beforeAll(async () => {
  for (const file of [CORE_IIFE, CORE_REST]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`cd packages/core && npx rollup -c\` first`);
  }
  rest = readFileSync(CORE_REST);
  closeGate();
  server = await serve({
    pages: { '/early': PAGE },
    routes: {
      'GET /dist/core/reprise.recorder.js': async (_req, res) => {
        gate.requests++;
        await gate.opened;
        if (gate.missing) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
        res.end(rest);
      },
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  gate?.open();
  await browser?.close();
  await server?.close();
});

async function openHeld(missing = false): Promise<{ page: Page; pageErrors: string[] }> {
  closeGate(missing);
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The injected rest holds the load event back while the gate is shut: wait for the DOM only.
  await page.goto(`${server.url}/early`, { waitUntil: 'domcontentloaded' });
  await expect.poll(() => gate.requests, { message: 'start() fetched the rest at once', timeout: 10_000 }).toBe(1);
  return { page, pageErrors };
}

describe('the script tag records from start(), before the rest of the recorder arrives', () => {
  test('what the page did meanwhile is taken over in order, with one full snapshot and privacy from the first event', async () => {
    const { page, pageErrors } = await openHeld();
    const atStart = await page.evaluate(() => (window as unknown as EarlyPageGlobals).__atStart);
    expect(atStart.isRecording).toBe(true);
    expect(atStart.sessionId).toMatch(/^[A-Za-z0-9_-]{16,64}$/);

    // While the rest is held back: the DOM changes and a field is typed into.
    await page.evaluate(() => (window as unknown as EarlyPageGlobals).addItem('added while loading'));
    await page.locator('#name').pressSequentially(TYPED_SECRET);
    await page.locator('h1').click();
    expect(await page.evaluate(() => (window as unknown as EarlyPageGlobals).__events.length)).toBe(0);

    gate.open();
    await page.waitForFunction(() => (window as unknown as EarlyPageGlobals).__started.length === 1);
    await page.evaluate(() => (window as unknown as EarlyPageGlobals).addItem('added after the take-over'));
    await page.evaluate(() => (window as unknown as EarlyPageGlobals).recorder.flush());
    await page.waitForFunction(() =>
      JSON.stringify((window as unknown as EarlyPageGlobals).__events).includes('added after the take-over'),
    );

    const {
      __events: events,
      __started: started,
      __errors: errors,
    } = await page.evaluate(() => {
      const w = window as unknown as EarlyPageGlobals;
      return { __events: w.__events, __started: w.__started, __errors: w.__errors };
    });
    expect(errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(started).toEqual([atStart.sessionId]);
    expect(await page.evaluate(() => (window as unknown as EarlyPageGlobals).recorder.sessionId)).toBe(
      atStart.sessionId,
    );

    // rrweb ran once: one Meta and one full snapshot, first, and the early mutation after them.
    expect(events.filter((event) => event.type === EventType.Meta)).toHaveLength(1);
    expect(events.filter((event) => event.type === EventType.FullSnapshot)).toHaveLength(1);
    const snapshotAt = events.findIndex((event) => event.type === EventType.FullSnapshot);
    const indexOfText = (text: string) =>
      events.findIndex(
        (event) =>
          event.type === EventType.IncrementalSnapshot &&
          (event.data as { source?: number }).source === IncrementalSource.Mutation &&
          allStrings(event.data).includes(text),
      );
    const early = indexOfText('added while loading');
    const late = indexOfText('added after the take-over');
    expect(early).toBeGreaterThan(snapshotAt);
    expect(late).toBeGreaterThan(early);
    expect(events[late]!.timestamp).toBeGreaterThanOrEqual(events[early]!.timestamp);

    // Typed text from before the take-over was recorded, masked (inputs are masked by default).
    const inputs = events.filter(
      (event) =>
        event.type === EventType.IncrementalSnapshot &&
        (event.data as { source?: number }).source === IncrementalSource.Input,
    );
    expect(inputs.length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain(TYPED_SECRET);
    expect(allStrings(inputs.map((event) => event.data))).toContain(MASKED_VALUE_PLACEHOLDER);

    // The rest's own capture joined: the initial page's navigation marker.
    expect(
      events.some(
        (event) => event.type === EventType.Custom && (event.data as { tag?: string }).tag === 'reprise.navigation',
      ),
    ).toBe(true);
    await page.close();
  });

  test('a page that changes more than the early buffer holds: the rest starts again with a fresh full snapshot', async () => {
    const { page } = await openHeld();
    await page.evaluate(async (count) => {
      const counter = document.getElementById('counter')!;
      for (let i = 1; i <= count; i++) {
        counter.textContent = `change ${i}`;
        // One mutation record batch, one rrweb event, per turn.
        await new Promise<void>((resolve) => queueMicrotask(resolve));
      }
    }, OVER_EARLY_CAP);
    gate.open();
    await page.waitForFunction(() => (window as unknown as EarlyPageGlobals).__started.length === 1);
    await page.evaluate(() => (window as unknown as EarlyPageGlobals).recorder.flush());
    const events = await page.evaluate(() => (window as unknown as EarlyPageGlobals).__events);
    const snapshots = events.filter((event) => event.type === EventType.FullSnapshot);
    // The dropped buffer's snapshot is gone; the new one shows the page as the rest found it.
    expect(snapshots).toHaveLength(1);
    expect(allStrings(snapshots[0]!.data)).toContain(`change ${OVER_EARLY_CAP}`);
    expect(JSON.stringify(events)).not.toContain('"change 1"');
    await page.close();
  });

  test('a rest that never arrives is reported once, stops the early capture and leaves the page working', async () => {
    const { page, pageErrors } = await openHeld(true);
    gate.open();
    await page.waitForFunction(() => (window as unknown as EarlyPageGlobals).__errors.length > 0);
    const result = await page.evaluate(() => {
      const w = window as unknown as EarlyPageGlobals;
      w.addItem('after the failure');
      return {
        errors: w.__errors,
        isRecording: w.recorder.isRecording,
        sessionId: w.recorder.sessionId,
        events: w.__events.length,
      };
    });
    expect(result.errors).toEqual([{ code: 'load', message: expect.stringContaining('reprise.recorder.js') }]);
    expect(result).toMatchObject({ isRecording: false, sessionId: null, events: 0 });
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
