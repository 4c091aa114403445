import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, REPO_ROOT, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { CORE_IIFE, EventType, type CapturedEvent } from './capture-helpers.js';

/*
 * The script-tag loader (packages/core/dist/reprise.loader.js; build it first:
 * `cd packages/core && npx rollup -c`): the page includes only the loader, calls made before the
 * full recorder (reprise.iife.js, served here with a delay) arrives are replayed on it in order,
 * the full script is fetched only after the page's load event, and a full script that cannot be
 * loaded is reported through onError while the page keeps working.
 */

const CORE_LOADER = join(REPO_ROOT, 'packages/core/dist/reprise.loader.js');
/** The full script answers this late, so the loader's queue is really used. */
const FULL_SCRIPT_DELAY_MS = 300;

const PAGE_HEAD = `<!doctype html><meta charset="utf-8"><title>loader</title>
<script src="/dist/core/reprise.loader.js"></script>
<script>
  window.__events = [];
  window.__errors = [];
  window.__started = [];
  window.__states = [];
  window.__marks = { loaderReady: performance.now() };
  document.addEventListener('DOMContentLoaded', () => { window.__marks.domContentLoaded = performance.now(); });
  window.addEventListener('load', () => { window.__marks.load = performance.now(); });
</script>`;

/** Starts at once and makes every kind of call, and throws, before the full recorder can be there. */
const EARLY_CALLS_PAGE = `${PAGE_HEAD}
<script>
  window.recorder = Reprise.createRecorder({
    onEvents: (events) => window.__events.push(...events),
    onError: (error) => window.__errors.push({ name: error.name, code: error.code, message: error.message }),
    console: false,
  });
  recorder.on('start', (payload) => window.__started.push(payload.sessionId));
  recorder.subscribe((state) => window.__states.push(state));
  window.__beforeLoad = { isRecording: recorder.isRecording, sessionId: recorder.sessionId };
  recorder.start();
  recorder.identify('user-7', { plan: 'pro' });
  recorder.track('early-track', { step: 1 });
  recorder.markNavigation({ url: location.origin + '/early', route: '/early' });
  window.__earlyFlush = recorder.flush().then(() => { window.__earlyFlushedAt = performance.now(); });
</script>
<script>throw new Error('early boom');</script>
<script>recorder.track('after-error', { step: 2 });</script>
<main><h1>loader page</h1><p>text to snapshot</p><button id="ping">ping</button></main>`;

/** The full script's URL is wrong; the page must not notice. */
const FAILED_LOAD_PAGE = `${PAGE_HEAD}
<script>
  window.recorder = Reprise.createRecorder({
    loader: { src: '/missing/reprise.iife.js' },
    onEvents: (events) => window.__events.push(...events),
    onError: (error) => window.__errors.push({ name: error.name, code: error.code, message: error.message, isError: error instanceof Reprise.RecorderError }),
  });
  recorder.on('error', (error) => window.__errors.push({ fromEvent: error.code }));
  recorder.start();
  recorder.track('never-sent');
  window.__flushed = recorder.flush().then(() => 'flushed');
</script>
<button id="ping" onclick="window.__pings = (window.__pings || 0) + 1">ping</button>`;

/** Creates a recorder but never starts it until the test says so. */
const NOT_STARTED_PAGE = `${PAGE_HEAD}
<script>
  window.recorder = Reprise.createRecorder({ onEvents: (events) => window.__events.push(...events), console: false });
</script>`;

/** An app bundled the way a site would, with `@reprise/core/lazy` (resolved through the package's exports to dist/). */
const LAZY_APP_ENTRY = `import { createLazyRecorder } from '@reprise/core/lazy';
window.__events = [];
const recorder = createLazyRecorder({ onEvents: (events) => window.__events.push(...events), console: false });
window.recorder = recorder;
recorder.start();
recorder.identify('user-9');
recorder.track('lazy-early', { step: 1 });
window.__flushed = recorder.flush().then(() => performance.now());
`;

const LAZY_APP_PAGE = `<!doctype html><meta charset="utf-8"><title>lazy</title>
<script type="module" src="/lazy-app/entry.js"></script>
<main><h1>bundled app</h1></main>`;

let browser: TestBrowser;
let server: TestServer;
let lazyAppDir: string;
const fullScriptRequests: number[] = [];

beforeAll(async () => {
  for (const file of [CORE_IIFE, CORE_LOADER]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`cd packages/core && npx rollup -c\` first`);
  }
  const fullScript = readFileSync(CORE_IIFE);
  lazyAppDir = mkdtempSync(join(tmpdir(), 'reprise-lazy-app-'));
  writeFileSync(join(lazyAppDir, 'app.js'), LAZY_APP_ENTRY);
  await build({
    entryPoints: { entry: join(lazyAppDir, 'app.js') },
    absWorkingDir: REPO_ROOT,
    nodePaths: [join(REPO_ROOT, 'node_modules')],
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    outdir: join(lazyAppDir, 'out'),
    logLevel: 'silent',
  });
  server = await serve({
    mounts: { '/lazy-app/': join(lazyAppDir, 'out') },
    pages: {
      '/early': EARLY_CALLS_PAGE,
      '/failed': FAILED_LOAD_PAGE,
      '/idle': NOT_STARTED_PAGE,
      '/lazy': LAZY_APP_PAGE,
    },
    routes: {
      // Routes win over the /dist/core/ mount: the same file, counted and late.
      'GET /dist/core/reprise.iife.js': async (_req, res) => {
        fullScriptRequests.push(Date.now());
        await new Promise((resolve) => setTimeout(resolve, FULL_SCRIPT_DELAY_MS));
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
        res.end(fullScript);
      },
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (lazyAppDir) rmSync(lazyAppDir, { recursive: true, force: true });
});

async function open(path: string): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${server.url}${path}`);
  return { page, pageErrors };
}

/** When the page fetched the full script, in the page's own clock, or undefined if it never did. */
function fullScriptTiming(page: Page): Promise<{ startTime: number; loadEventEnd: number } | undefined> {
  return page.evaluate(() => {
    const entry = performance.getEntriesByType('resource').find((item) => item.name.endsWith('/reprise.iife.js'));
    const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return entry ? { startTime: entry.startTime, loadEventEnd: navigation.loadEventEnd } : undefined;
  });
}

interface LoaderPageGlobals {
  recorder: {
    isRecording: boolean;
    sessionId: string | null;
    flush(): Promise<void>;
    start(): void;
    load(): Promise<boolean>;
  };
  __events: CapturedEvent[];
  __errors: Array<Record<string, unknown>>;
  __started: string[];
  __states: Array<{ isRecording: boolean; sessionId: string | null }>;
  __marks: { loaderReady: number; domContentLoaded: number; load: number };
  __beforeLoad: { isRecording: boolean; sessionId: string | null };
  __earlyFlush: Promise<void>;
  __earlyFlushedAt?: number;
  __flushed: Promise<string>;
  __pings?: number;
}

describe('the script-tag loader', () => {
  test('calls and an uncaught error from before the full recorder arrives are recorded in order; the full script is fetched after the load event', async () => {
    const { page, pageErrors } = await open('/early');
    // The page's own error still reaches the page: the loader only listens.
    expect(pageErrors).toEqual(['early boom']);
    await page.waitForFunction(
      () => (window as unknown as LoaderPageGlobals).__earlyFlushedAt !== undefined,
      undefined,
      { timeout: 10_000 },
    );

    const marks = await page.evaluate(() => (window as unknown as LoaderPageGlobals).__marks);
    const timing = await fullScriptTiming(page);
    expect(timing, 'the full script was fetched').toBeDefined();
    // The loader never blocks: DOMContentLoaded and load come first, then the full script.
    expect(marks.domContentLoaded).toBeLessThan(timing!.startTime);
    expect(marks.load).toBeLessThanOrEqual(timing!.startTime);
    expect(timing!.loadEventEnd).toBeLessThanOrEqual(timing!.startTime);
    const earlyFlushedAt = await page.evaluate(() => (window as unknown as LoaderPageGlobals).__earlyFlushedAt!);
    expect(earlyFlushedAt, 'flush() before the hand-over resolves after the real flush').toBeGreaterThan(
      timing!.startTime + FULL_SCRIPT_DELAY_MS - 50,
    );

    const state = await page.evaluate(() => {
      const w = window as unknown as LoaderPageGlobals;
      return {
        before: w.__beforeLoad,
        isRecording: w.recorder.isRecording,
        sessionId: w.recorder.sessionId,
        started: w.__started,
        states: w.__states,
        errors: w.__errors,
        hasFullExports: typeof (w as unknown as { Reprise: { createNavigationMarkers?: unknown } }).Reprise
          .createNavigationMarkers,
      };
    });
    expect(state.before).toEqual({ isRecording: false, sessionId: null });
    expect(state.isRecording).toBe(true);
    expect(state.sessionId).toMatch(/\S{8,}/);
    expect(state.started, 'on("start") registered before the hand-over').toEqual([state.sessionId]);
    expect(state.states, 'subscribe() registered before the hand-over').toContainEqual({
      isRecording: true,
      sessionId: state.sessionId,
    });
    expect(state.errors).toEqual([]);
    expect(state.hasFullExports, 'window.Reprise gains the full script exports').toBe('function');

    await page.evaluate(() => (window as unknown as LoaderPageGlobals).recorder.flush());
    const events = JSON.parse(
      await page.evaluate(() => JSON.stringify((window as unknown as LoaderPageGlobals).__events)),
    ) as CapturedEvent[];
    expect(events.some((event) => event.type === EventType.FullSnapshot)).toBe(true);
    const early = events
      .filter(
        (event) =>
          event.type === EventType.Custom &&
          ['reprise.identify', 'reprise.custom', 'reprise.error', 'reprise.navigation'].includes(event.data.tag!),
      )
      .map((event) => ({ tag: event.data.tag, payload: event.data.payload }))
      .filter((event) => event.tag !== 'reprise.navigation' || event.payload?.route === '/early');
    expect(early.map((event) => event.tag)).toEqual([
      'reprise.identify',
      'reprise.custom',
      'reprise.navigation',
      'reprise.error',
      'reprise.custom',
    ]);
    expect(early[0]!.payload).toEqual({ userId: 'user-7', traits: { plan: 'pro' } });
    expect(early[1]!.payload).toEqual({ name: 'early-track', props: { step: 1 } });
    expect(early[2]!.payload).toMatchObject({ url: `${server.url}/early`, route: '/early' });
    expect(early[3]!.payload).toMatchObject({ message: 'early boom', name: 'Error' });
    expect(early[4]!.payload).toEqual({ name: 'after-error', props: { step: 2 } });

    // From now on calls go straight through, and the real error capture has taken over: one
    // uncaught error is recorded once, not also by the loader.
    const before = events.length;
    await page.evaluate(() => {
      const w = window as unknown as { recorder: { track(name: string): void } };
      w.recorder.track('after-load');
      setTimeout(() => {
        throw new Error('late boom');
      }, 0);
      return new Promise((resolve) => setTimeout(resolve, 50));
    });
    await page.evaluate(() => (window as unknown as LoaderPageGlobals).recorder.flush());
    const later = (
      JSON.parse(
        await page.evaluate(() => JSON.stringify((window as unknown as LoaderPageGlobals).__events)),
      ) as CapturedEvent[]
    ).slice(before);
    expect(later.filter((event) => event.data.tag === 'reprise.custom').map((event) => event.data.payload)).toEqual([
      { name: 'after-load' },
    ]);
    expect(
      later.filter((event) => event.data.tag === 'reprise.error').map((event) => event.data.payload?.message),
    ).toEqual(['late boom']);
    await page.close();
  });

  test('nothing is fetched until recording starts; start() after the load event fetches and records', async () => {
    const requestsBefore = fullScriptRequests.length;
    const { page } = await open('/idle');
    await page.waitForFunction(() => document.readyState === 'complete');
    await page.waitForTimeout(300);
    expect(await fullScriptTiming(page)).toBeUndefined();
    expect(fullScriptRequests.length).toBe(requestsBefore);

    const loaded = await page.evaluate(() => {
      const w = window as unknown as LoaderPageGlobals;
      w.recorder.start();
      return w.recorder.load();
    });
    expect(loaded).toBe(true);
    expect(fullScriptRequests.length).toBe(requestsBefore + 1);
    expect(await page.evaluate(() => (window as unknown as LoaderPageGlobals).recorder.isRecording)).toBe(true);
    await page.evaluate(() => (window as unknown as LoaderPageGlobals).recorder.flush());
    const events = JSON.parse(
      await page.evaluate(() => JSON.stringify((window as unknown as LoaderPageGlobals).__events)),
    ) as CapturedEvent[];
    expect(events.some((event) => event.type === EventType.FullSnapshot)).toBe(true);
    await page.close();
  });

  test('a full script that cannot be loaded is reported through onError and the error event; the page keeps working', async () => {
    const { page, pageErrors } = await open('/failed');
    await page.waitForFunction(() => (window as unknown as LoaderPageGlobals).__errors.length >= 2, undefined, {
      timeout: 10_000,
    });
    const errors = await page.evaluate(() => (window as unknown as LoaderPageGlobals).__errors);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ name: 'RecorderError', code: 'load', isError: true });
    expect(errors[0]!.message).toBe(
      `[@reprise/core] could not load the full recorder from ${server.url}/missing/reprise.iife.js (network error, 404 or blocked by a Content-Security-Policy): check loader.src and that the file is served. Nothing is recorded on this page.`,
    );
    expect(errors[1]).toEqual({ fromEvent: 'load' });

    // A flush() that was waiting settles; later calls are harmless no-ops; nothing was thrown into the page.
    expect(await page.evaluate(() => (window as unknown as LoaderPageGlobals).__flushed)).toBe('flushed');
    await page.click('#ping');
    const after = await page.evaluate(async () => {
      const w = window as unknown as LoaderPageGlobals & { recorder: { track(name: string): void; stop(): void } };
      w.recorder.track('after-failure');
      w.recorder.stop();
      await w.recorder.flush();
      return {
        pings: w.__pings,
        isRecording: w.recorder.isRecording,
        sessionId: w.recorder.sessionId,
        events: w.__events.length,
        loaded: await w.recorder.load(),
      };
    });
    expect(after).toEqual({ pings: 1, isRecording: false, sessionId: null, events: 0, loaded: false });
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});

describe('@reprise/core/lazy in a bundled app', () => {
  test('the core is a separate chunk imported after the load event; calls made before it arrives are recorded in order', async () => {
    const out = join(lazyAppDir, 'out');
    const entryBytes = statSync(join(out, 'entry.js')).size;
    const chunks = readdirSync(out).filter((name) => name !== 'entry.js');
    // rrweb and the delivery code live in the split chunk, not in the app's entry.
    expect(entryBytes).toBeLessThan(15_000);
    // esbuild also splits out small chunks the entry imports statically (and the delivery engine
    // the core imports lazily); the core, with rrweb's ~75 KB, is the big one.
    const coreChunks = chunks.filter((name) => statSync(join(out, name)).size > 60_000);
    expect(coreChunks).toHaveLength(1);

    const { page, pageErrors } = await open('/lazy');
    const flushedAt = await page.evaluate(() => (window as unknown as { __flushed: Promise<number> }).__flushed);
    const timing = await page.evaluate((coreChunk) => {
      const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const chunkStarts = performance
        .getEntriesByType('resource')
        .filter((entry) => entry.name.endsWith(`/lazy-app/${coreChunk}`))
        .map((entry) => entry.startTime);
      return { loadEventEnd: navigation.loadEventEnd, chunkStarts };
    }, coreChunks[0]!);
    expect(timing.chunkStarts).toHaveLength(1);
    for (const start of timing.chunkStarts) expect(start).toBeGreaterThanOrEqual(timing.loadEventEnd);
    expect(flushedAt).toBeGreaterThan(Math.min(...timing.chunkStarts));

    const events = JSON.parse(
      await page.evaluate(() => JSON.stringify((window as unknown as LoaderPageGlobals).__events)),
    ) as CapturedEvent[];
    expect(events.some((event) => event.type === EventType.FullSnapshot)).toBe(true);
    const custom = events
      .filter((event) => event.data.tag === 'reprise.identify' || event.data.tag === 'reprise.custom')
      .map((event) => event.data.payload);
    expect(custom).toEqual([{ userId: 'user-9' }, { name: 'lazy-early', props: { step: 1 } }]);
    expect(await page.evaluate(() => (window as unknown as LoaderPageGlobals).recorder.isRecording)).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
