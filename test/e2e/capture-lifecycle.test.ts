import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { CORE_IIFE, EventType, loadWholeRecorder, repriseEvents, type CapturedEvent } from './capture-helpers.js';

/*
 * The recorder's lifecycle as framework adapters use it, through the script-tag build
 * (packages/core/dist/reprise.iife.js; build it first: `cd packages/core && npx rollup -c`):
 * a released recorder giving way to a new one, navigation state across starts, claimNavigation(),
 * subscribe(), and `debug` in the production-compiled script tag. The page is a single-page app
 * served from a mounted folder with the harness's `spaFallback`.
 */

const SPA_PAGE = `<!doctype html><meta charset="utf-8"><title>spa</title>
<script src="/dist/core/reprise.iife.js"></script>
<main><h1>single-page app</h1><p>some text to snapshot</p></main>
<script>
  window.__events = [];
  window.__errors = [];
  // Every recorder of the page writes to the same list, as remounted providers would.
  window.make = (options = {}) => Reprise.createRecorder({
    onEvents: (events) => window.__events.push(...events),
    onError: (error) => window.__errors.push(error.message),
    console: false,
    ...options,
  });
  window.tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));
</script>`;

let browser: TestBrowser;
let server: TestServer;
let spaDir: string;

interface PageGlobals {
  Reprise: typeof import('@reprise/core');
  make(options?: Record<string, unknown>): import('@reprise/core').Recorder;
  tick(ms?: number): Promise<void>;
  __events: CapturedEvent[];
  __errors: string[];
}

beforeAll(async () => {
  if (!existsSync(CORE_IIFE))
    throw new Error(`${CORE_IIFE} is missing: run \`cd packages/core && npx rollup -c\` first`);
  spaDir = mkdtempSync(join(tmpdir(), 'reprise-spa-'));
  writeFileSync(join(spaDir, 'index.html'), SPA_PAGE);
  server = await serve({ mounts: { '/spa/': spaDir }, spaFallback: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (spaDir) rmSync(spaDir, { recursive: true, force: true });
});

async function openSpa(path = '/spa/'): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${server.url}${path}`);
  await loadWholeRecorder(page);
  return page;
}

const navigations = (events: CapturedEvent[]) => repriseEvents(events, 'reprise.navigation');

describe('the harness serves a mounted single-page app', () => {
  test('the mount root answers with index.html, with or without the slash; SPA paths fall back to it; missing files stay 404', async () => {
    for (const path of ['/spa', '/spa/', '/spa/users/42']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toContain('<title>spa</title>');
    }
    expect((await fetch(`${server.url}/spa/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/dist/core/missing.js`)).status).toBe(404);
    const plain = await serve({ mounts: { '/spa/': spaDir } });
    try {
      expect((await fetch(`${plain.url}/spa`)).status).toBe(200);
      expect((await fetch(`${plain.url}/spa/users/42`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe('a released recorder gives way', () => {
  test('a new recorder starting before the released one stopped records, in the same session; an active one still refuses', async () => {
    const page = await openSpa();
    const result = await page.evaluate(async () => {
      const w = window as unknown as PageGlobals;
      const first = w.make();
      const releaseFirst = first.mount();
      await w.tick(50);
      const firstSession = first.sessionId;
      // A provider remounted with a new key: the old recorder is released, a new one mounts at once.
      releaseFirst();
      const second = w.make();
      const releaseSecond = second.mount();
      const right = {
        first: first.isRecording,
        second: second.isRecording,
        sameSession: second.sessionId === firstSession,
      };
      await w.tick(50);
      const later = { first: first.isRecording, second: second.isRecording };
      // Nobody released this one: a third recorder is refused, as before.
      const third = w.make();
      third.start();
      const refused = { third: third.isRecording, second: second.isRecording };
      second.track('still recording');
      await second.flush();
      releaseSecond();
      await w.tick(10);
      return { right, later, refused, stopped: second.isRecording, errors: w.__errors, events: w.__events };
    });
    await page.close();
    expect(result.right).toEqual({ first: false, second: true, sameSession: true });
    expect(result.later).toEqual({ first: false, second: true });
    expect(result.refused).toEqual({ third: false, second: true });
    expect(result.stopped).toBe(false);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('another recorder is already recording this page');
    expect(result.events.filter((event) => event.type === EventType.FullSnapshot)).toHaveLength(2);
    expect(repriseEvents(result.events, 'reprise.custom')).toEqual([{ name: 'still recording' }]);
  });
});

describe('navigation state', () => {
  test('a marker given before start is recorded on start, repeats are dropped, and every restart records the current one', async () => {
    const page = await openSpa();
    const events = await page.evaluate(async () => {
      const w = window as unknown as PageGlobals;
      const recorder = w.make({ navigation: 'manual' });
      recorder.markNavigation({
        url: 'https://app.test/users/1',
        route: '/users/:id',
        params: { id: '1' },
        navigationType: 'push',
      });
      recorder.start();
      recorder.markNavigation({
        url: 'https://app.test/users/1',
        route: '/users/:id',
        params: { id: '1' },
        navigationType: 'pop',
      });
      recorder.markNavigation({ url: 'https://app.test/teams', route: '/teams', navigationType: 'push' });
      recorder.markNavigation({ url: 'https://app.test/teams', route: '/teams', navigationType: 'replace' });
      await recorder.flush();
      recorder.stop();
      recorder.markNavigation({ url: 'https://app.test/settings', route: '/settings', navigationType: 'push' });
      recorder.start();
      recorder.markNavigation({ url: 'https://app.test/settings', route: '/settings', navigationType: 'push' });
      await recorder.flush();
      recorder.stop();
      return w.__events;
    });
    await page.close();
    expect(navigations(events).map(({ url, route, navigationType }) => [url, route, navigationType])).toEqual([
      ['https://app.test/users/1', '/users/:id', 'initial'],
      ['https://app.test/teams', '/teams', 'push'],
      ['https://app.test/settings', '/settings', 'initial'],
    ]);
    // Each recording's marker comes with its snapshot, not before it.
    const types = events.map((event) => (event.type === EventType.Custom ? event.data.tag : event.type));
    expect(types.indexOf(EventType.FullSnapshot)).toBeLessThan(types.indexOf('reprise.navigation'));
  });

  test('history mode also records what the Navigation API navigates to (navigate(), links it intercepts), which calls no history method', async () => {
    const page = await openSpa('/spa/');
    const result = await page.evaluate(async () => {
      const w = window as unknown as PageGlobals;
      const api = (
        window as unknown as {
          navigation: EventTarget & {
            navigate(url: string, o?: object): { finished: Promise<unknown> };
            back(): { finished: Promise<unknown> };
          };
        }
      ).navigation;
      // A router built on the Navigation API: it intercepts every same-document navigation.
      api.addEventListener('navigate', (event) => {
        const navigate = event as Event & { canIntercept: boolean; intercept(o: object): void };
        if (navigate.canIntercept) navigate.intercept({ handler: async () => {} });
      });
      const recorder = w.make();
      recorder.start();
      await api.navigate('/spa/orders').finished;
      const link = document.body.appendChild(document.createElement('a'));
      link.href = '/spa/orders/7';
      link.click();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await api.navigate('/spa/orders/8', { history: 'replace' }).finished;
      await api.back().finished;
      await recorder.flush();
      recorder.stop();
      return w.__events;
    });
    await page.close();
    const origin = server.url;
    expect(navigations(result).map(({ url, navigationType }) => [url, navigationType])).toEqual([
      [`${origin}/spa/`, 'initial'],
      [`${origin}/spa/orders`, 'push'],
      [`${origin}/spa/orders/7`, 'push'],
      [`${origin}/spa/orders/8`, 'replace'],
      [`${origin}/spa/orders`, 'pop'],
    ]);
  });

  test('history mode records the page the SPA was served at, once, and claimNavigation() switches it off until released', async () => {
    const page = await openSpa('/spa/users/42');
    const result = await page.evaluate(async () => {
      const w = window as unknown as PageGlobals;
      const recorder = w.make();
      recorder.start();
      history.replaceState({ state: 'only' }, ''); // same URL: not a navigation
      const release = recorder.claimNavigation();
      const patchedWhileClaimed = Object.prototype.hasOwnProperty.call(history, 'pushState');
      history.pushState(null, '', '/spa/claimed');
      recorder.markNavigation({ route: '/claimed' });
      release();
      const patchedAfterRelease = Object.prototype.hasOwnProperty.call(history, 'pushState');
      history.pushState(null, '', '/spa/free');
      await recorder.flush();
      recorder.stop();

      // Claimed before start: not even the initial page comes from history tracking.
      const router = w.make();
      const releaseRouter = router.claimNavigation();
      router.markNavigation({ url: `${location.origin}/spa/free`, route: '/free' });
      router.start();
      history.pushState(null, '', '/spa/elsewhere');
      await router.flush();
      router.stop();
      releaseRouter();
      return { patchedWhileClaimed, patchedAfterRelease, events: w.__events };
    });
    await page.close();
    const origin = server.url;
    expect(result.patchedWhileClaimed).toBe(false);
    expect(result.patchedAfterRelease).toBe(true);
    expect(navigations(result.events).map(({ url, route, navigationType }) => [url, route, navigationType])).toEqual([
      [`${origin}/spa/users/42`, undefined, 'initial'],
      [`${origin}/spa/claimed`, '/claimed', undefined],
      [`${origin}/spa/free`, undefined, 'push'],
      [`${origin}/spa/free`, '/free', 'initial'],
    ]);
  });
});

describe('subscribe()', () => {
  test('listeners hear every change of isRecording and sessionId, once each, until they unsubscribe', async () => {
    const page = await openSpa();
    const result = await page.evaluate(async () => {
      const w = window as unknown as PageGlobals;
      const recorder = w.make();
      const states: unknown[] = [];
      const unsubscribe = recorder.subscribe((state) => states.push(state));
      recorder.start();
      recorder.start();
      const release = recorder.mount();
      release();
      const beforeTick = states.length;
      await w.tick(10);
      recorder.start();
      recorder.optOut();
      unsubscribe();
      localStorage.removeItem('reprise:opt-out');
      recorder.start();
      recorder.stop();
      return { states, beforeTick };
    });
    await page.close();
    const [started] = result.states as Array<{ sessionId: string }>;
    expect(started!.sessionId).toMatch(/^[0-9a-f]{16,}$/);
    const id = started!.sessionId;
    expect(result.beforeTick).toBe(1); // the release stops a tick later
    expect(result.states).toEqual([
      { isRecording: true, sessionId: id },
      { isRecording: false, sessionId: id },
      { isRecording: true, sessionId: id },
      { isRecording: false, sessionId: id },
      { isRecording: false, sessionId: null },
    ]);
  });
});

describe('the script-tag build', () => {
  test('`debug: true` prints recorder warnings although the build is compiled as production; without it, nothing', async () => {
    const page = await openSpa();
    const warnings: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    await page.evaluate(() => {
      const { Reprise } = window as unknown as PageGlobals;
      const quiet = Reprise.createRecorder({ console: false });
      quiet.track('before start');
      quiet.start();
      quiet.stop();
      const loud = Reprise.createRecorder({ console: false, debug: true });
      loud.track('before start');
      loud.start();
      loud.stop();
    });
    await page.waitForTimeout(50);
    await page.close();
    expect(warnings).toEqual([
      '[@reprise/core] custom ignored: the recorder is not recording (call start() first).',
      '[@reprise/core] recording, but events go nowhere: set `project` and `endpoint` to send them, or `onEvents` to receive them.',
    ]);
  });

  test('exports the privacy attribute and class names', async () => {
    const page = await openSpa();
    const names = await page.evaluate(() => {
      const { Reprise } = window as unknown as PageGlobals;
      return [
        Reprise.MASK_ATTRIBUTE,
        Reprise.BLOCK_ATTRIBUTE,
        Reprise.UNMASK_ATTRIBUTE,
        Reprise.MASK_CLASS,
        Reprise.BLOCK_CLASS,
      ];
    });
    await page.close();
    expect(names).toEqual([
      'data-reprise-mask',
      'data-reprise-block',
      'data-reprise-unmask',
      'reprise-mask',
      'reprise-block',
    ]);
  });
});
