import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import {
  allStrings,
  EventType,
  restNeverArrives,
  takeOverAfterActing,
  expectTakenOver,
  HeldRest,
  holdScriptTagRest,
  type CapturedEvent,
} from './capture-helpers.js';

/*
 * The script tag's two files (packages/core/dist; build them first: `cd packages/core && npx
 * rollup -c`): reprise.iife.js carries rrweb and starts DOM capture at start(); the rest of the
 * recorder (reprise.recorder.js, held back here until the test lets it through) is fetched at
 * the same moment and takes the recording over. Nothing the page did meanwhile may be missing,
 * the page is snapshotted once, privacy holds from the first event, and a rest that never comes
 * leaves nothing running.
 */

/** Above the early buffer's cap (MAX_EARLY_EVENTS in packages/core/src/loader/early-capture.ts). */
const OVER_EARLY_CAP = 2300;
const TYPED_SECRET = 'Typed before the rest arrived';

const PAGE = `<!doctype html><meta charset="utf-8"><title>early</title>
<script src="/dist/core/reprise.iife.js"></script>
<main><h1>early page</h1><ul id="list"><li>at load</li></ul><input id="name" type="text"><p id="counter">0</p></main>
<script>
  window.__events = [];
  window.__errors = [];
  window.__started = [];
  window.__told = [];
  window.recorder = Reprise.createRecorder({
    onEvents: (events) => window.__events.push(...JSON.parse(JSON.stringify(events))),
    onError: (error) => window.__errors.push({ code: error.code, message: error.message }),
    console: false,
    // No endpoint (nothing is sent): the project and the admin's address make replayUrl() answer.
    project: 'dev',
    adminUrl: 'https://admin.example/replay/',
  });
  recorder.on('start', (payload) => window.__started.push(payload.sessionId));
  recorder.on('start', () => window.__told.push({ name: 'start' }));
  recorder.on('breaker', (payload) => window.__told.push({ name: 'breaker', ...payload }));
  recorder.start();
  window.__atStart = { isRecording: recorder.isRecording, sessionId: recorder.sessionId };
  window.__linkAtStart = recorder.replayUrl();
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
  __told: Array<{ name: string; state?: string; mutations?: number }>;
  __atStart: { isRecording: boolean; sessionId: string | null };
  __linkAtStart: string | null;
  addItem(text: string): void;
}

let browser: TestBrowser;
let server: TestServer;
/** reprise.recorder.js, held back until the test lets it through. */
let gate: HeldRest;

beforeAll(async () => {
  gate = holdScriptTagRest();
  server = await serve({
    pages: { '/early': PAGE },
    routes: { 'GET /dist/core/reprise.recorder.js': gate.route },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  gate?.open();
  await browser?.close();
  await server?.close();
});

function openHeld(missing = false): Promise<{ page: Page; pageErrors: string[] }> {
  return gate.openPage(browser, `${server.url}/early`, missing);
}

describe('the script tag records from start(), before the rest of the recorder arrives', () => {
  test('what the page did meanwhile is taken over in order, with one full snapshot and privacy from the first event', async () => {
    const { page, pageErrors } = await openHeld();
    const atStart = await takeOverAfterActing(page, gate, TYPED_SECRET);

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

    expectTakenOver(events, TYPED_SECRET);
    // The link an app asks for at start(), before the rest of the recorder arrives, names the session.
    expect(await page.evaluate(() => (window as unknown as EarlyPageGlobals).__linkAtStart)).toBe(
      `https://admin.example/replay/sessions/${atStart.sessionId}?project=dev`,
    );
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

  test("a storm before the rest arrives: the breaker's pause and resume reach on('breaker') listeners after the take-over's start", async () => {
    const { page } = await openHeld();
    await page.evaluate(() => {
      const list = document.getElementById('list')!;
      for (let i = 0; i < 20_000; i++) list.appendChild(document.createElement('li')).textContent = `storm ${i}`;
    });
    // Calm for the breaker's resumeAfterMs (1 s by default): the early capture resumes, with a new snapshot.
    await page.waitForTimeout(1500);
    gate.open();
    await page.waitForFunction(() => (window as unknown as EarlyPageGlobals).__started.length === 1);
    await expect
      .poll(() => page.evaluate(() => (window as unknown as EarlyPageGlobals).__told))
      .toEqual([
        { name: 'start' },
        { name: 'breaker', state: 'paused', mutations: expect.any(Number) },
        { name: 'breaker', state: 'resumed', mutations: expect.any(Number) },
      ]);
    const told = await page.evaluate(() => (window as unknown as EarlyPageGlobals).__told);
    expect(told[1]!.mutations).toBeGreaterThanOrEqual(20_000);
    await page.close();
  });

  test('a rest that never arrives is reported once, stops the early capture and leaves the page working', async () => {
    const { page, pageErrors } = await openHeld(true);
    const result = await restNeverArrives(page, gate);
    expect(result.errors).toEqual([{ code: 'load', message: expect.stringContaining('reprise.recorder.js') }]);
    expect(result).toMatchObject({ isRecording: false, sessionId: null, events: 0 });
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
