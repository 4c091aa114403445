// A page with the recorder inside a frame of another page. rrweb records a same-origin frame as
// part of the page around it, and the frame shares that page's sessionStorage (so its session):
// a recorder in the frame that recorded too sent a second page stream into the same session, and
// the player took the frame's later snapshot for the page the visitor saw. The frame now leaves
// it to the page above; a frame of another origin, which that page cannot see into, records itself.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  launchBrowser,
  serve,
  startIngestServer,
  type IngestServer,
  type TestBrowser,
  type TestServer,
} from '../harness/index.js';

let browser: TestBrowser;
let site: TestServer;
/** Another origin (another port) serving the same frame. */
let otherSite: TestServer;
let ingest: IngestServer;

/** `later`: the page starts its recorder when the test calls `startRecorder()`, as a tag manager starts one after load. */
const recorder = (endpoint: string, later = false) => `<script src="/dist/core/reprise.iife.js"></script>
<script>
  window.recorder = Reprise.createRecorder({
    project: 'dev',
    endpoint: ${JSON.stringify(endpoint)},
    delivery: { maxBatchDelayMs: 300 },
  });
  window.startRecorder = () => window.recorder.start();
  ${later ? '' : 'window.startRecorder();'}
</script>`;

const html = (body: string) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html><body>${body}</body></html>`);
};

beforeAll(async () => {
  ingest = await startIngestServer();
  const frame = html(
    `<h2>frame</h2><input id="field" data-reprise-unmask><button id="inner">press</button>
    <script>
      document.getElementById('inner').onclick = async (event) => {
        event.target.textContent = 'pressed in the frame';
        document.getElementById('field').value = 'set by the frame script';
        console.warn('the frame says so');
        await (await fetch('/frame-api?asked=1')).text();
        window.asked = true;
      };
    </script>${recorder(ingest.url)}`,
  );
  const api = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
    res.end('{"ok":true}');
  };
  otherSite = await serve({ routes: { '/frame': frame, '/frame-api': api } });
  const parent =
    (frameUrl: () => string, start: 'now' | 'later' | 'never', frameAttributes = '') =>
    (req: IncomingMessage, res: ServerResponse) =>
      html(
        `<h1>parent</h1><button id="outer" onclick="this.textContent = 'pressed outside'">press</button>
      <iframe src="${frameUrl()}" width="400" height="200" ${frameAttributes}></iframe>${start === 'never' ? '' : recorder(ingest.url, start === 'later')}`,
      )(req, res);
  site = await serve({
    routes: {
      '/frame': frame,
      '/frame-api': api,
      '/parent': parent(() => '/frame', 'now'),
      '/late-parent': parent(() => '/frame', 'later'),
      '/parent-blocking-frame': parent(() => '/frame', 'now', 'data-reprise-block'),
      // The frame inside a blocked web component's shadow root: the block is on its host.
      '/parent-blocking-component': html(
        `<h1>parent</h1><button id="outer" onclick="this.textContent = 'pressed outside'">press</button>
        <div data-reprise-block><template shadowrootmode="open"><iframe src="/frame" width="400" height="200"></iframe></template></div>
        ${recorder(ingest.url)}`,
      ),
      // The frame inside a frame without Reprise.
      '/late-grandparent': parent(() => '/frame-host', 'later'),
      '/frame-host': html('<iframe src="/frame" width="400" height="200"></iframe>'),
      '/parent-of-other-origin': parent(() => `${otherSite.url}/frame`, 'now'),
      '/plain-parent': parent(() => '/frame', 'never'),
    },
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await otherSite?.close();
  await ingest?.close();
});

/** Open `path`, press the button in the frame and the one outside, and return each stream's events by `session/tab`. */
async function pressBoth(path: string) {
  ingest.batches.length = 0;
  const page = await browser.newPage();
  await page.goto(`${site.url}${path}`);
  const frame = page.frameLocator('iframe');
  await frame.locator('#inner').click();
  await page.click('#outer');
  const received = () => JSON.stringify(ingest.batches.map(({ batch }) => batch.events));
  await expect.poll(received).toContain('pressed outside');
  await expect.poll(received).toContain('pressed in the frame');
  await expect.poll(received).toContain('frame-api');
  const state = {
    page: await page.evaluate(
      () => (window as unknown as { recorder?: { isRecording: boolean } }).recorder?.isRecording,
    ),
    frame: await page
      .frames()[1]!
      .evaluate(() => (window as unknown as { recorder: { isRecording: boolean } }).recorder.isRecording),
  };
  await page.close();
  const streams = new Map<string, string>();
  for (const { batch } of ingest.batches) {
    const key = `${batch.session}/${batch.tab}`;
    streams.set(key, (streams.get(key) ?? '') + JSON.stringify(batch.events));
  }
  return { state, streams: [...streams.values()] };
}

test("a same-origin frame of a recorded page does not record its own stream: its DOM, console and requests are in the page's", async () => {
  const { state, streams } = await pressBoth('/parent');
  expect(state).toEqual({ page: true, frame: false });
  expect(streams).toHaveLength(1);
  // The frame's page and what was done in it are in the page's recording: one page load.
  expect(streams[0]).toContain('pressed in the frame');
  expect(streams[0]).toContain('pressed outside');
  expect(streams[0]!.match(/"type":4,/g)).toHaveLength(1);
  // Its console and its request, through the page's recorder.
  expect(streams[0]).toContain('the frame says so');
  // Set by a script, so heard through rrweb's hook on the frame's input setter: the frame's own
  // early capture, started and dropped there, left the page's hook in place.
  expect(streams[0]).toContain('set by the frame script');
  expect(streams[0]).toMatch(/"tag":"reprise\.network","payload":\{[^}]*"url":"[^"]*\/frame-api\?asked=1"/);
});

test.each([
  ['/parent-blocking-frame', 'iframe'],
  ['/parent-blocking-component', 'div'],
])(
  'a frame the page blocks (%s) is recorded nowhere: not its document (which rrweb attaches regardless), its console or its requests',
  async (path, placeholder) => {
    ingest.batches.length = 0;
    const page = await browser.newPage();
    await page.goto(`${site.url}${path}`);
    const frame = page.frames()[1]!;
    await frame.waitForFunction(() => 'recorder' in window);
    await frame.locator('#inner').click();
    await frame.waitForFunction(() => (window as unknown as { asked?: boolean }).asked === true);
    await page.click('#outer');
    await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
    const received = () => JSON.stringify(ingest.batches.map(({ batch }) => batch));
    await expect.poll(received).toContain('pressed outside');
    expect(
      await frame.evaluate(() => (window as unknown as { recorder: { isRecording: boolean } }).recorder.isRecording),
    ).toBe(false);
    expect(new Set(ingest.batches.map(({ batch }) => batch.tab)).size).toBe(1);
    // The blocked element (the frame, or the component holding it) is in the page's recording, as a placeholder of its size.
    expect(received()).toMatch(
      new RegExp(
        `"tagName":"${placeholder}","attributes":\\{"rr_width":"\\d+px","rr_height":"\\d+px"\\},"childNodes":\\[\\]`,
      ),
    );
    for (const text of [
      '"textContent":"frame"',
      'pressed in the frame',
      'set by the frame script',
      'the frame says so',
      'frame-api',
    ])
      expect(received()).not.toContain(text);
    await page.close();
  },
);

test('a frame of another origin records itself (the page cannot see into it), and so does a frame of a page without Reprise', async () => {
  const crossOrigin = await pressBoth('/parent-of-other-origin');
  expect(crossOrigin.state).toEqual({ page: true, frame: true });
  expect(crossOrigin.streams).toHaveLength(2);
  const frameStream = crossOrigin.streams.find((stream) => stream.includes('pressed in the frame'))!;
  expect(frameStream).toContain('the frame says so');
  expect(crossOrigin.streams.filter((stream) => stream.includes('the frame says so'))).toHaveLength(1);

  ingest.batches.length = 0;
  const page = await browser.newPage();
  await page.goto(`${site.url}/plain-parent`);
  await page.frameLocator('iframe').locator('#inner').click();
  await expect
    .poll(() => JSON.stringify(ingest.batches.map(({ batch }) => batch.events)))
    .toContain('pressed in the frame');
  await page.close();
});

test.each([
  ['/late-parent', 'a frame'],
  ['/late-grandparent', 'a frame inside a frame'],
])(
  '%s: %s already recording its own stream when the page above starts (a recorder started after load) yields to the page',
  async (path) => {
    ingest.batches.length = 0;
    const page = await browser.newPage();
    await page.goto(`${site.url}${path}`);
    const frame = page.frames().find((candidate) => candidate.url().endsWith('/frame'))!;
    const frameRecording = () =>
      frame.evaluate(() => (window as unknown as { recorder: { isRecording: boolean } }).recorder.isRecording);
    await expect.poll(frameRecording).toBe(true);
    const frameSession = await frame.evaluate(
      () => (window as unknown as { recorder: { sessionId: string } }).recorder.sessionId,
    );
    await expect.poll(() => ingest.batches.length).toBeGreaterThan(0);
    const ownTab = ingest.batches[0]!.batch.tab;

    await page.evaluate(() => (window as unknown as { startRecorder(): void }).startRecorder());
    await expect.poll(frameRecording).toBe(false);
    await frame.locator('#inner').click();
    const received = () => ingest.batches.filter(({ batch }) => batch.tab !== ownTab).map(({ batch }) => batch);
    await expect.poll(() => JSON.stringify(received().map((batch) => batch.events))).toContain('the frame says so');
    // The page's stream, in the same session, holds what the frame did from then on; the frame's own stream does not.
    expect(new Set(received().map((batch) => batch.session))).toEqual(new Set([frameSession]));
    expect(JSON.stringify(received())).toContain('pressed in the frame');
    const ownStream = JSON.stringify(
      ingest.batches.filter(({ batch }) => batch.tab === ownTab).map(({ batch }) => batch),
    );
    expect(ownStream).not.toContain('pressed in the frame');
    expect(ownStream).not.toContain('the frame says so');
    await page.close();
  },
);
