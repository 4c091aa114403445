// A page the browser prerenders (Speculation Rules) runs its scripts before the visitor may ever
// open it. The recorder waits until the page is shown (`prerenderingchange`): a prerendered link
// the visitor never follows records nothing, and one they follow records from the moment it is
// shown, as the page it then is.
//
// Chromium refuses to prerender while DevTools is attached (PrerenderingDisabledByDevTools), so
// Playwright cannot drive this: the test starts Chromium itself, and the pages report to the test
// server with fetch.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  serve,
  startIngestServer,
  type IngestServer,
  type TestServer,
} from '../harness/index.js';

/** What the pages reported, in order. */
const reports: Array<Record<string, unknown>> = [];
/** The first page follows its link once this is set. */
let follow = false;
/** Times the second page was asked for, and whether as a prerender. */
const loads: string[] = [];

let site: TestServer;
let ingest: IngestServer;
let chromium: ChildProcess | undefined;
let profile: string | undefined;

/** A page whose link to `next` the browser prerenders; the visitor follows it when the test says so. */
const firstPage = (next: string) => `<!doctype html><html><head><title>first</title>
<script type="speculationrules">{"prerender":[{"source":"list","urls":[${JSON.stringify(next)}]}]}</script>
</head><body><a id="next" href=${JSON.stringify(next)}>next</a>
<script>
  const timer = setInterval(async () => {
    if ((await fetch('/follow')).status === 200) {
      clearInterval(timer);
      document.getElementById('next').click();
    }
  }, 100);
</script></body></html>`;

const secondPage = (endpoint: string) => `<!doctype html><html><head><title>second</title></head><body>
<p id="state">loaded</p>
<script src="/dist/core/reprise.iife.js"></script>
<script>
  const report = (what) =>
    fetch('/report', { method: 'POST', body: JSON.stringify({ ...what, now: Date.now() }) });
  const recorder = Reprise.createRecorder({
    project: 'dev',
    endpoint: ${JSON.stringify(endpoint)},
    delivery: { maxBatchDelayMs: 300 },
    onError: (error) => report({ error: error.message }),
  });
  recorder.start();
  // ?stop: the app stops the recorder again before the page is shown.
  if (location.search.includes('stop')) recorder.stop();
  // What the page does before it is shown is part of the page the visitor then sees.
  document.getElementById('state').textContent = 'changed while prerendered';
  report({ started: true, prerendering: document.prerendering === true, recording: recorder.isRecording });
  document.addEventListener('prerenderingchange', () =>
    report({ shown: performance.timeOrigin + performance.getEntriesByType('navigation')[0].activationStart }),
  );
  setTimeout(() => report({ later: true, recording: recorder.isRecording, sessionId: recorder.sessionId }), 1500);
</script></body></html>`;

beforeAll(async () => {
  ingest = await startIngestServer();
  site = await serve({
    pages: { '/first': firstPage('/second'), '/first-stopping': firstPage('/second?stop') },
    routes: {
      '/second': (req: IncomingMessage, res: ServerResponse) => {
        loads.push(String(req.headers['sec-purpose'] ?? 'visit'));
        res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
        res.end(secondPage(ingest.url));
      },
      '/report': (_req: IncomingMessage, res: ServerResponse, body: Buffer) => {
        reports.push(JSON.parse(body.toString('utf8')) as Record<string, unknown>);
        res.writeHead(204);
        res.end();
      },
      '/follow': (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(follow ? 200 : 204, { 'cache-control': 'no-store' });
        res.end();
      },
    },
  });
}, 60_000);

async function closeChromium(): Promise<void> {
  if (chromium && chromium.exitCode === null) {
    const exited = new Promise((resolve) => chromium!.once('exit', resolve));
    // The whole process group: Chromium's own processes (renderers, utility) outlive the main one
    // for a moment and go on writing its profile, which then cannot be removed.
    process.kill(-chromium.pid!, 'SIGKILL');
    await exited;
  }
  chromium = undefined;
  if (profile) rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
  profile = undefined;
}

afterAll(async () => {
  await closeChromium();
  await site?.close();
  await ingest?.close();
});

/** Chromium on its own (no DevTools) opens `path`; the page it links to is prerendered. Resolves once it ran a while. */
async function prerender(path: string): Promise<void> {
  await closeChromium();
  reports.length = 0;
  loads.length = 0;
  follow = false;
  ingest.batches.length = 0;
  ingest.requests.length = 0;
  profile = mkdtempSync(join(tmpdir(), 'reprise-prerender-'));
  chromium = spawn(
    CHROMIUM_PATH,
    [...CHROMIUM_ARGS, '--headless=new', `--user-data-dir=${profile}`, `${site.url}${path}`],
    {
      // Its own process group, so that closeChromium ends every process it starts.
      detached: true,
      stdio: 'ignore',
    },
  );
  // Prerendered: its scripts ran, the recorder was started and has had time to send a batch.
  await expect.poll(() => reports.find((report) => report.later), { timeout: 30_000 }).toBeTruthy();
  expect(loads).toEqual(['prefetch;prerender']);
  expect(reports.find((report) => report.started)).toMatchObject({ prerendering: true, recording: false });
  expect(reports.find((report) => report.later)).toMatchObject({ recording: false, sessionId: null });
  expect(ingest.requests).toEqual([]);
}

test('a prerendered page records nothing until it is shown, then records the page as it is shown', async () => {
  await prerender('/first');
  follow = true;
  await expect.poll(() => reports.find((report) => report.shown), { timeout: 20_000 }).toBeTruthy();
  const shownAt = reports.find((report) => report.shown)!.shown as number;
  await expect
    .poll(() => ingest.batches.flatMap(({ batch }) => batch.events).filter((event) => event.type === 2).length, {
      timeout: 20_000,
    })
    .toBe(1);
  // The prerendered page was used as it was, not loaded again.
  expect(loads).toEqual(['prefetch;prerender']);
  const events = ingest.batches.flatMap(({ batch }) => batch.events);
  expect(events[0]!.type).toBe(4);
  expect(events[0]!.timestamp).toBeGreaterThanOrEqual(Math.floor(shownAt));
  expect(JSON.stringify(events.find((event) => event.type === 2))).toContain('changed while prerendered');
  expect(reports.filter((report) => report.error)).toEqual([]);
}, 90_000);

test('a recorder stopped while its page was prerendered does not start when the page is shown', async () => {
  await prerender('/first-stopping');
  follow = true;
  await expect.poll(() => reports.find((report) => report.shown), { timeout: 20_000 }).toBeTruthy();
  // Long enough for a batch (300 ms) to have been sent.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(ingest.requests).toEqual([]);
  expect(reports.filter((report) => report.error)).toEqual([]);
}, 90_000);
