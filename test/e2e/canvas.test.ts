// Canvas recording (issue 18), in Chromium: opt-in `canvas: { fps, quality }` records 2D and WebGL
// canvases as frames; the player draws them without rrweb's UNSAFE_replayCanvas (no scripts in the
// replay document). Off by default: a canvas replays as an empty one of its size.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, REPO_ROOT, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { CAPTURE_FIXTURES, capturedEvents, type CapturedEvent } from './capture-helpers.js';
import { FIXTURE_DIR } from '../fixtures/player/session.js';

const CANVAS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>canvas fixture</title>
  <script src="/dist/core/reprise.iife.js"></script>
  <script src="/recorder-setup.js"></script>
  <style>body { margin: 0 } canvas { display: block; margin: 8px }</style>
</head>
<body>
  <canvas id="flat" width="120" height="80"></canvas>
  <canvas id="gl" width="120" height="80"></canvas>
  <script>
    window.paintFlat = (color) => {
      const context = document.getElementById('flat').getContext('2d');
      context.fillStyle = color;
      context.fillRect(0, 0, 120, 80);
    };
    // The WebGL context is created after recording starts, as an app's usually is.
    window.paintGl = (r, g, b) => {
      const gl = document.getElementById('gl').getContext('webgl');
      gl.clearColor(r, g, b, 1);
      gl.clear(gl.COLOR_BUFFER_BIT);
    };
  </script>
</body>
</html>`;

const CANVAS_MUTATION = 9;

let server: TestServer;
let browser: TestBrowser;

beforeAll(async () => {
  server = await serve({
    mounts: {
      '/': CAPTURE_FIXTURES,
      '/fixture/': FIXTURE_DIR,
      '/dist/player/': join(REPO_ROOT, 'packages/player/dist'),
    },
    pages: {
      '/canvas': CANVAS_PAGE,
      '/canvas-trusted-types': CANVAS_PAGE.replace(
        '<head>',
        `<head><meta http-equiv="Content-Security-Policy" content="require-trusted-types-for 'script'">`,
      ),
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Record the fixture: red and green, then (at the returned moment, epoch ms) blue and yellow. */
async function record(
  options: Record<string, unknown>,
): Promise<{ events: CapturedEvent[]; switchedAt: number; livePixel: number[] }> {
  const tab = await browser.newPage();
  try {
    await tab.goto(`${server.url}/canvas`);
    await tab.evaluate((options) => {
      (window as unknown as { __startRecorder(o: unknown): void }).__startRecorder(options);
    }, options);
    await tab.evaluate(() => {
      const page = window as unknown as { paintFlat(c: string): void; paintGl(r: number, g: number, b: number): void };
      page.paintFlat('rgb(220, 30, 30)');
      page.paintGl(0, 0.8, 0);
    });
    await tab.waitForTimeout(900);
    const switchedAt = await tab.evaluate(() => {
      const page = window as unknown as { paintFlat(c: string): void; paintGl(r: number, g: number, b: number): void };
      page.paintFlat('rgb(30, 30, 220)');
      page.paintGl(0.9, 0.9, 0);
      return Date.now();
    });
    await tab.waitForTimeout(900);
    // What the page's WebGL canvas shows now (read back after it was presented).
    const livePixel = await tab.evaluate(() => {
      const gl = document.getElementById('gl') as HTMLCanvasElement;
      const copy = document.createElement('canvas');
      copy.width = 1;
      copy.height = 1;
      const context = copy.getContext('2d')!;
      context.drawImage(gl, -60, -40);
      return [...context.getImageData(0, 0, 1, 1).data];
    });
    return { events: await capturedEvents(tab), switchedAt, livePixel };
  } finally {
    await tab.close();
  }
}

/** The player on the events, paused at `at` (ms from the start): the centre pixel of each replayed canvas. */
async function replayedPixels(page: Page, at: number): Promise<{ flat: number[]; gl: number[]; size: number[] }> {
  await page.evaluate(
    (at) => (window as unknown as { player: { seek(t: number): Promise<void> } }).player.seek(at),
    at,
  );
  // The plugin draws after rrweb's synchronous work, once the picture is decoded.
  await page.waitForTimeout(300);
  return page.evaluate(() => {
    const player = (window as unknown as { player: { getIframe(): HTMLIFrameElement } }).player;
    const doc = player.getIframe().contentDocument!;
    const pixel = (id: string) => {
      const canvas = doc.getElementById(id) as HTMLCanvasElement;
      return [...canvas.getContext('2d')!.getImageData(60, 40, 1, 1).data];
    };
    const flat = doc.getElementById('flat') as HTMLCanvasElement;
    return { flat: pixel('flat'), gl: pixel('gl'), size: [flat.width, flat.height] };
  });
}

async function openPlayer(events: CapturedEvent[]): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${server.url}/fixture/player.html`);
  await page.evaluate((events) => {
    const w = window as unknown as {
      player: unknown;
      ReprisePlayer: { Player: new (el: Element, o: unknown) => unknown };
    };
    w.player = new w.ReprisePlayer.Player(document.getElementById('mount')!, {
      source: events,
      autoplay: false,
      panels: false,
    });
  }, events);
  await page.waitForFunction(
    () => (window as unknown as { player: { getState(): string } }).player.getState() === 'paused',
  );
  return page;
}

/** Within the lossy encoding's error of the colour. */
function near(pixel: number[], rgb: [number, number, number]): boolean {
  return rgb.every((value, index) => Math.abs(pixel[index]! - value) <= 24) && pixel[3]! > 200;
}

describe('canvas recording', () => {
  test('with canvas on, 2D and WebGL canvases are recorded as frames and the player draws the frame of each moment', async () => {
    const { events, switchedAt, livePixel } = await record({ canvas: { fps: 5 } });
    // The page's own canvas still shows what it drew: taking frames never cleared it.
    expect(livePixel.slice(0, 3)).toEqual([230, 230, 0]);
    const frames = events.filter(
      (event) => event.type === 3 && event.data.source === CANVAS_MUTATION && JSON.stringify(event).includes('base64'),
    );
    const ids = new Set(frames.map((event) => event.data.id));
    expect(ids.size, 'frames of both canvases').toBe(2);
    const start = events[0]!.timestamp;
    const end = events.at(-1)!.timestamp - start;
    const page = await openPlayer(events);
    try {
      const before = await replayedPixels(page, switchedAt - start - 100);
      expect(near(before.flat, [220, 30, 30]), `2D canvas before the switch: ${before.flat}`).toBe(true);
      expect(near(before.gl, [0, 204, 0]), `WebGL canvas before the switch: ${before.gl}`).toBe(true);
      const after = await replayedPixels(page, end);
      expect(near(after.flat, [30, 30, 220]), `2D canvas at the end: ${after.flat}`).toBe(true);
      expect(near(after.gl, [230, 230, 0]), `WebGL canvas at the end: ${after.gl}`).toBe(true);
      // Back again: the earlier frame, not the last one drawn.
      const again = await replayedPixels(page, switchedAt - start - 100);
      expect(near(again.flat, [220, 30, 30]), `2D canvas back before the switch: ${again.flat}`).toBe(true);
      // rrweb's own canvas replay stays off: no scripts may run in the replay document.
      const sandbox = await page.evaluate(
        () =>
          (window as unknown as { player: { getIframe(): HTMLIFrameElement } }).player
            .getIframe()
            .getAttribute('sandbox') ?? '',
      );
      expect(sandbox).not.toContain('allow-scripts');
    } finally {
      await page.close();
    }
  }, 60_000);

  test('a frame that is not base64 (a damaged recording) is skipped: no error in the page, the other canvas still drawn', async () => {
    const { events } = await record({ canvas: { fps: 5 } });
    const frames = events.filter((event) => event.type === 3 && event.data.source === CANVAS_MUTATION);
    const last = events.at(-1)!;
    const lastFrameOf = (id: unknown) => frames.filter((event) => event.data.id === id).at(-1)!;
    // A damaged picture for each canvas, then a good one for the first: at the end, one canvas's
    // last picture is damaged and the other's is good, whichever the player draws first.
    for (const id of new Set(frames.map((event) => event.data.id))) {
      const copy = JSON.stringify(lastFrameOf(id));
      const damaged = JSON.parse(copy.replace(/"base64":"[^"]*"/, '"base64":"%%% not base64"')) as CapturedEvent;
      events.push({ ...damaged, timestamp: last.timestamp + 1 });
    }
    events.push({ ...lastFrameOf(frames[0]!.data.id), timestamp: last.timestamp + 2 });
    const page = await openPlayer(events);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    try {
      const { flat, gl } = await replayedPixels(page, last.timestamp + 2 - events[0]!.timestamp);
      expect(errors).toEqual([]);
      expect(flat[3]! > 200 || gl[3]! > 200, `the good picture is drawn: ${flat} / ${gl}`).toBe(true);
    } finally {
      await page.close();
    }
  }, 60_000);

  test('off by default: nothing of a canvas is recorded, and it replays as an empty canvas of its size', async () => {
    const { events } = await record({});
    expect(events.some((event) => event.type === 3 && event.data.source === CANVAS_MUTATION)).toBe(false);
    expect(JSON.stringify(events)).not.toContain('rr_dataURL');
    const page = await openPlayer(events);
    try {
      const end = events.at(-1)!.timestamp - events[0]!.timestamp;
      const replayed = await replayedPixels(page, end);
      expect(replayed.size).toEqual([120, 80]);
      expect(replayed.flat[3]).toBe(0);
      expect(replayed.gl[3]).toBe(0);
    } finally {
      await page.close();
    }
  }, 60_000);
});

test("under Trusted Types, which refuse rrweb's canvas worker, the page is recorded without its canvases, onError says why, and getContext is left as it was", async () => {
  const tab = await browser.newPage();
  try {
    await tab.goto(`${server.url}/canvas-trusted-types`);
    await tab.evaluate(() => {
      (window as unknown as { __startRecorder(o: unknown): void }).__startRecorder({ canvas: { fps: 4 } });
    });
    await tab.evaluate(() => (window as unknown as { paintFlat(c: string): void }).paintFlat('rgb(220, 30, 30)'));
    await tab.waitForFunction(() => (window as unknown as { __errors: string[] }).__errors.length > 0);
    await tab.waitForTimeout(600);
    const events = await capturedEvents(tab);
    expect(events.some((event) => event.type === 2)).toBe(true);
    expect(
      events.filter((event) => event.type === 3 && (event.data as { source?: number }).source === CANVAS_MUTATION),
    ).toEqual([]);
    expect(await tab.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([
      expect.stringContaining('canvas is not recorded: this page enforces Trusted Types'),
    ]);
    expect(
      await tab.evaluate(() => (window as unknown as { recorder: { isRecording: boolean } }).recorder.isRecording),
    ).toBe(true);
    // rrweb patches getContext before it starts its worker: a record() that threw left it patched.
    expect(await tab.evaluate(() => HTMLCanvasElement.prototype.getContext.toString())).toContain('[native code]');
  } finally {
    await tab.close();
  }
});
