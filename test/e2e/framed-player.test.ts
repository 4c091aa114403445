// FramedPlayer: the player in a frame on another origin (here localhost, the host page being on
// 127.0.0.1), driven from the host page. The host makes the requests and streams the bytes in;
// it fetches for the frame nothing but the playback stream and its windows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, REPO_ROOT, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { FIXTURE_DIR } from '../fixtures/player/session.js';

const stream = readFileSync(join(FIXTURE_DIR, 'basket-session.ndjson'));
const PLAYER_SCRIPT = '<script src="/dist/player/reprise-player.iife.js"></script>';
const HOST_SCRIPT = '<script src="/dist/player/reprise-framed-player.iife.js"></script>';

let browser: TestBrowser;
let server: TestServer;
/** Requests the server saw for the stream and for the URL no frame may have fetched. */
const hits: string[] = [];

/** A frame that speaks the protocol itself and asks the host for URLs the player would never need. */
const ROGUE_FRAME = `<!doctype html><html><body><script>
addEventListener('message', (message) => {
  const port = message.ports[0];
  const source = message.data.options.source;
  const asks = [
    new URL('/secret', source).href,
    source + '&x=1',
    source.replace('/session.ndjson', '/session.ndjson/../secret') + '&from=0&to=500',
    source.replace('127.0.0.1', 'localhost'),
    source + '&from=0&to=500',
  ];
  window.asks = asks;
  window.answers = {};
  port.onmessage = ({ data }) => {
    if (data.kind === 'response') port.postMessage({ kind: 'cancel', id: data.id });
    if (data.kind === 'response' || data.kind === 'failed') window.answers[asks[data.id - 1]] = data.kind === 'failed' ? data.message : data.status;
  };
  asks.forEach((url, index) => port.postMessage({ kind: 'fetch', id: index + 1, url }));
});
parent.postMessage({ type: 'reprise-player-frame/1', kind: 'waiting' }, '*');
</script></body></html>`;

beforeAll(async () => {
  server = await serve({
    pages: {
      '/host.html': `<!doctype html><html><head>${HOST_SCRIPT}</head><body><div id="mount" style="height:600px"></div></body></html>`,
      '/frame.html': `<!doctype html><html><head>${PLAYER_SCRIPT}</head><body style="margin:0;height:100vh"><script>ReprisePlayer.servePlayerFrame()</script></body></html>`,
      '/rogue-frame.html': ROGUE_FRAME,
      '/not-a-player.html': '<!doctype html><title>Something else</title>',
    },
    routes: {
      '/session.ndjson': (req, res) => {
        hits.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        res.end(stream);
      },
      '/secret': (req, res) => {
        hits.push(req.url ?? '');
        res.writeHead(200).end('secret');
      },
    },
    mounts: { '/dist/player/': join(REPO_ROOT, 'packages/player/dist') },
  });
  browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openHost(
  frame: string,
  requests: Array<{ url: string; fromHost: boolean }> = [],
  extra: Record<string, unknown> = {},
): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('host page error:', error));
  page.on('request', (request) =>
    requests.push({ url: request.url(), fromHost: request.frame() === page.mainFrame() }),
  );
  await page.goto(`${server.url}/host.html`);
  await page.evaluate(
    ([frameUrl, more]) => {
      type Framed = { on(name: string, listener: (value: unknown) => void): unknown };
      const w = window as unknown as {
        player: Framed;
        heard: Record<string, unknown[]>;
        RepriseFramedPlayer: { FramedPlayer: new (el: Element, o: unknown) => Framed };
      };
      w.heard = { ready: [], markers: [], state: [], error: [] };
      w.player = new w.RepriseFramedPlayer.FramedPlayer(document.getElementById('mount')!, {
        frameUrl,
        source: '/session.ndjson?project=dev',
        autoplay: false,
        ...more,
      });
      for (const name of Object.keys(w.heard))
        w.player.on(name, (value) => w.heard[name]!.push(value instanceof Error ? value.message : value));
    },
    [`${server.url.replace('127.0.0.1', 'localhost')}/${frame}`, extra] as const,
  );
  return page;
}

describe('FramedPlayer', () => {
  test('plays a session in a frame on another origin, with its state mirrored and its requests made by the host', async () => {
    hits.length = 0;
    const requests: Array<{ url: string; fromHost: boolean }> = [];
    const page = await openHost('frame.html', requests);
    type Host = {
      getState(): string;
      getCurrentTime(): number;
      getMarkers(): unknown[];
      getStatus(): Record<string, unknown>;
      seek(t: number): Promise<void>;
    };
    await page.waitForFunction(() => (window as unknown as { player: Host }).player.getState() === 'paused');
    const after = await page.evaluate(async () => {
      const w = window as unknown as { player: Host; heard: Record<string, unknown[]> };
      await w.player.seek(4000);
      // The marker list is forwarded because the page listens to `markers` (it is not otherwise).
      const lists = w.heard.markers as unknown[][];
      return {
        time: w.player.getCurrentTime(),
        status: w.player.getStatus(),
        markers: lists.at(-1)?.length ?? 0,
        heard: w.heard,
      };
    });
    expect(after.time).toBe(4000);
    expect(after.markers).toBeGreaterThan(0);
    expect(after.heard.ready).toEqual([{ width: 800, height: 500 }]);
    expect(after.heard.state).toContain('paused');
    const frame = (await (await page.waitForSelector('iframe.reprise-player-frame')).contentFrame())!;
    const inside = await frame.evaluate(() => {
      const player = (
        window as unknown as {
          reprisePlayer: {
            getCurrentTime(): number;
            getIframe(): HTMLIFrameElement;
            getStatus(): Record<string, unknown>;
          };
        }
      ).reprisePlayer;
      return {
        origin,
        time: player.getCurrentTime(),
        status: player.getStatus(),
        title: player.getIframe().contentDocument?.querySelector('h1')?.textContent ?? null,
      };
    });
    expect(inside.origin).toBe(server.url.replace('127.0.0.1', 'localhost'));
    expect(inside.time).toBe(4000);
    expect(inside.title).toBeTruthy();
    // The host answers what the player in the frame does.
    expect(after.status).toMatchObject({ time: 4000, state: 'paused', viewport: { width: 800, height: 500 } });
    for (const key of ['time', 'duration', 'state', 'speed', 'skipInactive', 'viewport', 'startTimestamp'])
      expect(after.status[key], key).toEqual(inside.status[key]);
    // The stream was fetched once, by the host page, not by the frame.
    expect(hits).toEqual(['/session.ndjson?project=dev']);
    expect(requests.filter((request) => request.url.includes('/session.ndjson'))).toEqual([
      { url: `${server.url}/session.ndjson?project=dev`, fromHost: true },
    ]);
    await page.close();
  });

  test('fetches for the frame nothing but the playback stream and its windows', async () => {
    hits.length = 0;
    const page = await openHost('rogue-frame.html');
    const frame = (await (await page.waitForSelector('iframe.reprise-player-frame')).contentFrame())!;
    await frame.waitForURL(/rogue-frame/);
    await frame.waitForFunction(
      () => Object.keys((window as unknown as { answers?: object }).answers ?? {}).length === 5,
    );
    const { asks, answers } = await frame.evaluate(() => {
      const w = window as unknown as { asks: string[]; answers: Record<string, unknown> };
      return { asks: w.asks, answers: w.answers };
    });
    // Another path (also by `..`), another query, another origin: refused. A window: fetched.
    const window = asks.pop()!;
    expect(window).toBe(`${server.url}/session.ndjson?project=dev&from=0&to=500`);
    expect(answers[window]).toBe(200);
    for (const url of asks) expect(answers[url], url).toMatch(/may fetch only its playback stream/);
    expect(hits).toEqual(['/session.ndjson?project=dev&from=0&to=500']);
    await page.close();
  });

  test('a frame started early with warm is hidden, then taken over by the player without loading its page again', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${server.url}/host.html`);
    const frameUrl = `${server.url.replace('127.0.0.1', 'localhost')}/frame.html`;
    await page.evaluate((url) => {
      const w = window as unknown as {
        warmed: HTMLIFrameElement;
        RepriseFramedPlayer: { FramedPlayer: { warm(url: string): HTMLIFrameElement } };
      };
      w.warmed = w.RepriseFramedPlayer.FramedPlayer.warm(url);
    }, frameUrl);
    const element = await page.waitForSelector('body > iframe', { state: 'attached' });
    const frame = (await element.contentFrame())!;
    // The page and its script load and run in the frame (its process and caches are then warm).
    // Polled on a timer: a hidden frame on another site gets no animation frames (Chromium throttles it).
    await frame.waitForFunction(
      () => typeof (window as unknown as { ReprisePlayer?: unknown }).ReprisePlayer === 'object',
      undefined,
      { polling: 50 },
    );
    expect(await frame.evaluate(() => origin)).toBe(server.url.replace('127.0.0.1', 'localhost'));
    // Hidden from sight, from assistive technology and from the keyboard, and sandboxed as the player's frame is.
    expect(
      await element.evaluate((iframe) => ({
        sandbox: iframe.getAttribute('sandbox'),
        hidden: iframe.getAttribute('aria-hidden'),
        tabIndex: (iframe as HTMLIFrameElement).tabIndex,
        size: [iframe.getBoundingClientRect().width, iframe.getBoundingClientRect().height],
        visibility: getComputedStyle(iframe).visibility,
      })),
    ).toEqual({
      sandbox: 'allow-scripts allow-same-origin',
      hidden: 'true',
      tabIndex: -1,
      size: [0, 0],
      visibility: 'hidden',
    });
    // A mark in the warm page's window: the same page must run the player (moved, not reloaded).
    await frame.evaluate(() => ((window as unknown as { warmMark: number }).warmMark = 42));
    await page.evaluate((url) => {
      type Framed = { getState(): string; root: HTMLIFrameElement };
      const w = window as unknown as {
        warmed: HTMLIFrameElement;
        player: Framed;
        RepriseFramedPlayer: { FramedPlayer: new (el: Element, o: unknown) => Framed };
      };
      w.player = new w.RepriseFramedPlayer.FramedPlayer(document.getElementById('mount')!, {
        frameUrl: url,
        frame: w.warmed,
        source: '/session.ndjson?project=dev',
        autoplay: false,
      });
    }, frameUrl);
    await page.waitForFunction(
      () => (window as unknown as { player: { getState(): string } }).player.getState() === 'paused',
    );
    const taken = await page.evaluate(() => {
      const w = window as unknown as { warmed: HTMLIFrameElement; player: { root: HTMLIFrameElement } };
      const rect = w.warmed.getBoundingClientRect();
      return {
        same: w.player.root === w.warmed,
        parent: w.warmed.parentElement?.id,
        hidden: w.warmed.getAttribute('aria-hidden'),
        visibility: getComputedStyle(w.warmed).visibility,
        size: rect.width > 0 && rect.height > 0,
        frames: document.querySelectorAll('iframe').length,
      };
    });
    expect(taken).toEqual({ same: true, parent: 'mount', hidden: null, visibility: 'visible', size: true, frames: 1 });
    expect(frame.isDetached()).toBe(false);
    expect(await frame.evaluate(() => (window as unknown as { warmMark?: number }).warmMark)).toBe(42);
    expect(requests.filter((url) => url === frameUrl)).toHaveLength(1);
    await page.close();
  });

  test('moveTo carries a running player to another place on the page without reloading it', async () => {
    const page = await openHost('frame.html');
    type Host = { getState(): string; seek(t: number): Promise<void>; getCurrentTime(): number };
    await page.waitForFunction(() => (window as unknown as { player: Host }).player.getState() === 'paused');
    const frame = (await (await page.waitForSelector('iframe.reprise-player-frame')).contentFrame())!;
    await frame.evaluate(() => ((window as unknown as { moveMark: number }).moveMark = 7));
    const moved = await page.evaluate(async () => {
      const w = window as unknown as { player: Host & { root: HTMLIFrameElement; moveTo(el: Element): boolean } };
      const place = document.createElement('div');
      place.id = 'elsewhere';
      place.style.height = '400px';
      document.body.append(place);
      const detached = document.createElement('div');
      const refused = w.player.moveTo(detached);
      // A place inside the frame element itself: the move throws, moveTo says no.
      const inside = document.createElement('div');
      w.player.root.append(inside);
      const refusedInside = w.player.moveTo(inside);
      inside.remove();
      const done = w.player.moveTo(place);
      await w.player.seek(3000);
      return { refused, refusedInside, done, parent: w.player.root.parentElement?.id, time: w.player.getCurrentTime() };
    });
    expect(moved).toEqual({ refused: false, refusedInside: false, done: true, parent: 'elsewhere', time: 3000 });
    expect(frame.isDetached()).toBe(false);
    expect(await frame.evaluate(() => (window as unknown as { moveMark?: number }).moveMark)).toBe(7);
    expect(
      await frame.evaluate(() =>
        (window as unknown as { reprisePlayer: { getCurrentTime(): number } }).reprisePlayer.getCurrentTime(),
      ),
    ).toBe(3000);
    await page.close();
  });

  test('a frame started early for another page is removed, and the player loads its own', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/host.html`);
    const localhost = server.url.replace('127.0.0.1', 'localhost');
    await page.evaluate((base) => {
      type Framed = { getState(): string; root: HTMLIFrameElement };
      const w = window as unknown as {
        warmed: HTMLIFrameElement;
        player: Framed;
        RepriseFramedPlayer: {
          FramedPlayer: { warm(url: string): HTMLIFrameElement; new (el: Element, o: unknown): Framed };
        };
      };
      w.warmed = w.RepriseFramedPlayer.FramedPlayer.warm(`${base}/frame.html?other`);
      w.player = new w.RepriseFramedPlayer.FramedPlayer(document.getElementById('mount')!, {
        frameUrl: `${base}/frame.html`,
        frame: w.warmed,
        source: '/session.ndjson?project=dev',
        autoplay: false,
      });
    }, localhost);
    await page.waitForFunction(
      () => (window as unknown as { player: { getState(): string } }).player.getState() === 'paused',
    );
    expect(
      await page.evaluate(() => {
        const w = window as unknown as { warmed: HTMLIFrameElement; player: { root: HTMLIFrameElement } };
        return {
          warmedConnected: w.warmed.isConnected,
          src: w.player.root.src,
          frames: document.querySelectorAll('iframe').length,
        };
      }),
    ).toEqual({ warmedConnected: false, src: `${localhost}/frame.html`, frames: 1 });
    await page.close();
  });

  test('a frame page that never starts the player is reported as an error, not an endless load', async () => {
    const page = await openHost('not-a-player.html', [], { frameTimeoutMs: 500 });
    await page.waitForFunction(() => (window as unknown as { heard: { error: unknown[] } }).heard.error.length > 0);
    const heard = await page.evaluate(() => (window as unknown as { heard: Record<string, unknown[]> }).heard);
    expect(heard.error).toEqual([
      expect.stringMatching(/player frame at .*not-a-player\.html did not start within 500 ms/),
    ]);
    expect(heard.state).toEqual(['error']);
    expect(await page.evaluate(() => (window as unknown as { player: { getState(): string } }).player.getState())).toBe(
      'error',
    );
    await page.close();
  });
});
