import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, REPO_ROOT, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import {
  expectTakenOver,
  HeldRest,
  restNeverArrives,
  takeOverAfterActing,
  type CapturedEvent,
} from './capture-helpers.js';

/*
 * `import { createRecorder } from '@reprise/core'` in an app, bundled as an app's bundler does it
 * (esbuild, code splitting, from packages/core/dist: build it first). The app's first chunk
 * carries rrweb and starts DOM capture at start(); the rest of the recorder is a lazy chunk (held
 * back here until the test lets it through) that takes the recording over when it arrives. As
 * with the script tag (capture-early.test.ts): nothing the page did meanwhile is missing, one
 * snapshot, privacy from the first event, and a rest that never comes leaves nothing running.
 */

const TYPED_SECRET = 'Typed before the rest arrived';

const APP = `
import { createRecorder, loadRecorder } from '@reprise/core';

window.createRecorder = createRecorder;
window.loadRecorder = loadRecorder;
window.__events = [];
window.__errors = [];
window.__started = [];
window.__states = [];
// ?manual: the test creates the recorder itself.
if (!location.search.includes('manual')) {
  const recorder = createRecorder({
    onEvents: (events) => window.__events.push(...JSON.parse(JSON.stringify(events))),
    onError: (error) => window.__errors.push({ code: error.code, message: error.message }),
    console: false,
  });
  window.recorder = recorder;
  recorder.subscribe((state) => window.__states.push(state));
  recorder.on('start', (payload) => window.__started.push(payload.sessionId));
  recorder.start();
  window.__atStart = { isRecording: recorder.isRecording, sessionId: recorder.sessionId };
}
window.addItem = (text) => {
  const item = document.createElement('li');
  item.textContent = text;
  document.getElementById('list').appendChild(item);
};
`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>bundled</title>
<main><h1>bundled app</h1><ul id="list"><li>at load</li></ul><input id="name" type="text"></main>
<script type="module" src="/app/app.js"></script>`;

interface AppRecorder {
  isRecording: boolean;
  sessionId: string | null;
  start(): void;
  flush(): Promise<void>;
}

interface AppGlobals {
  recorder: AppRecorder;
  createRecorder(options: object): AppRecorder;
  loadRecorder(): Promise<void>;
  __events: CapturedEvent[];
  __errors: Array<{ code: string; message: string }>;
  __started: string[];
  __states: Array<{ isRecording: boolean; sessionId: string | null }>;
  __atStart: { isRecording: boolean; sessionId: string | null };
  addItem(text: string): void;
}

let browser: TestBrowser;
let server: TestServer;
let workDir: string;
/** The app's chunk that holds the rest of the recorder, as the page requests it. */
let restPath: string;
/** The rest's chunk, held back until the test lets it through. */
let gate: HeldRest;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'reprise-bundled-'));
  const outdir = join(workDir, 'out');
  writeFileSync(join(workDir, 'app.js'), APP);
  const result = await build({
    entryPoints: { app: join(workDir, 'app.js') },
    // The workspace's node_modules, where @reprise/core resolves to its dist.
    nodePaths: [join(REPO_ROOT, 'node_modules')],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    outdir,
    // Metafile paths relative to this folder.
    absWorkingDir: workDir,
    metafile: true,
    logLevel: 'error',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const rest = outputs.find(([, output]) =>
    Object.keys(output.inputs).some((input) => input.endsWith('packages/core/dist/recorder.js')),
  );
  if (!rest) throw new Error('the app build has no chunk with the full recorder (packages/core/dist/recorder.js)');
  const entry = outputs.find(([, output]) => output.entryPoint?.endsWith('app.js'));
  // The rest is not in what the page loads first: the entry and its static imports.
  const staticImports = entry![1].imports.filter((item) => item.kind === 'import-statement').map((item) => item.path);
  expect([entry![0], ...staticImports]).not.toContain(rest[0]);
  const restFile = join(workDir, rest[0]);
  restPath = `/app/${relative(outdir, restFile)}`;
  gate = new HeldRest(readFileSync(restFile));
  server = await serve({
    mounts: { '/app/': outdir },
    pages: { '/bundled': PAGE },
    routes: { [`GET ${restPath}`]: gate.route },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  gate?.open();
  await browser?.close();
  await server?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function openHeld(missing = false): Promise<{ page: Page; pageErrors: string[] }> {
  return gate.openPage(browser, `${server.url}/bundled`, missing);
}

describe('an app bundling createRecorder records from start(), before the rest of the recorder arrives', () => {
  test('what the page did meanwhile is taken over in order, with one full snapshot, privacy from the first event, and one state change', async () => {
    const { page, pageErrors } = await openHeld();
    const atStart = await takeOverAfterActing(page, gate, TYPED_SECRET);

    const app = await page.evaluate(() => {
      const w = window as unknown as AppGlobals;
      return { events: w.__events, started: w.__started, errors: w.__errors, states: w.__states };
    });
    expect(app.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(app.started).toEqual([atStart.sessionId]);
    // subscribe() heard recording begin once, at start(), and nothing again at the take-over.
    expect(app.states).toEqual([{ isRecording: true, sessionId: atStart.sessionId }]);

    expectTakenOver(app.events, TYPED_SECRET);
    await page.close();
  });

  test('a rest that never arrives is reported once, stops the early capture, and subscribe() hears it', async () => {
    const { page, pageErrors } = await openHeld(true);
    const result = await restNeverArrives(page, gate);
    const { states, atStart } = await page.evaluate(() => {
      const w = window as unknown as AppGlobals;
      return { states: w.__states, atStart: w.__atStart };
    });
    expect(result.errors).toEqual([
      { code: 'load', message: expect.stringContaining('could not load the full recorder') },
    ]);
    expect(result).toMatchObject({ isRecording: false, sessionId: null, events: 0 });
    expect(states).toEqual([
      { isRecording: true, sessionId: atStart.sessionId },
      { isRecording: false, sessionId: null },
    ]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test('after loadRecorder(), createRecorder() is the whole recorder: a console message from the first line is recorded', async () => {
    gate.close();
    gate.open();
    const page = await browser.newPage();
    await page.goto(`${server.url}/bundled?manual`, { waitUntil: 'load' });
    const result = await page.evaluate(async () => {
      const w = window as unknown as AppGlobals;
      await w.loadRecorder();
      const recorder = w.createRecorder({
        onEvents: (events: unknown[]) => w.__events.push(...(JSON.parse(JSON.stringify(events)) as CapturedEvent[])),
      });
      recorder.start();
      console.info('logged on the first line after start');
      await recorder.flush();
      // The queueing stand-in has load(); the whole recorder has not.
      return { standIn: 'load' in recorder, events: w.__events };
    });
    expect(result.standIn).toBe(false);
    expect(gate.requests).toBe(1);
    expect(JSON.stringify(result.events)).toContain('logged on the first line after start');
    await page.close();
  });
});
