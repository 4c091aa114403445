// Hover follows the element under the pointer: a recorded pointer rests over one element, then
// the page changes or scrolls under it. The replay must hover what is under the pointer now,
// not the element the last mouse event named, both when seeking and while playing. Hover needs
// the replayer's live postcss copy (it rewrites `:hover` rules), so the player is tried both from
// its script tag and bundled from npm by an app, where the package carries its own replayer copy.
import type { Page } from 'playwright-core';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, REPO_ROOT, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { documentNode, element, text } from '../fixtures/player/nodes.js';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

let browser: TestBrowser;
let server: TestServer;
let appDir: string;
const T = 1_700_000_000_000;

/** Three 200 px blocks; the pointer rests at y = 100 over the first, which is then removed, then the page scrolls by 200 px. */
function session(): unknown[] {
  const css =
    'body { margin: 0 } .block { height: 200px } .block:hover { background: rgb(255, 0, 0) } .spacer { height: 2000px }';
  const node = documentNode(css, [
    element(8, 'div', { class: 'block', id: 'a' }, [text(9, 'A')]),
    element(10, 'div', { class: 'block', id: 'b' }, [text(11, 'B')]),
    element(12, 'div', { class: 'block', id: 'c' }, [text(13, 'C')]),
    element(14, 'div', { class: 'spacer' }),
  ]);
  return [
    { type: 4, timestamp: T, data: { href: 'http://site.test/', width: 400, height: 300 } },
    { type: 2, timestamp: T + 1, data: { node, initialOffset: { left: 0, top: 0 } } },
    { type: 3, timestamp: T + 200, data: { source: 1, positions: [{ x: 50, y: 100, id: 8, timeOffset: 0 }] } },
    // A removed: B moves up under the still pointer.
    {
      type: 3,
      timestamp: T + 600,
      data: { source: 0, texts: [], attributes: [], removes: [{ parentId: 7, id: 8 }], adds: [] },
    },
    // Scrolled by 200 px under the still pointer: C is under it now.
    { type: 3, timestamp: T + 1_400, data: { source: 3, id: 1, x: 0, y: 200 } },
    { type: 3, timestamp: T + 2_200, data: { source: 2, type: 6, id: 7 } },
  ];
}

const SCRIPT_TAG_PAGE = readFileSync(join(REPO_ROOT, 'test/fixtures/player/player.html'), 'utf8');
// The same page with the player an app's bundler made from `@reprise/player` (its dist, as npm ships it).
const BUNDLED_PAGE = SCRIPT_TAG_PAGE.replace(
  '<script src="/dist/player/reprise-player.iife.js"></script>',
  '<script type="module" src="/app/app.js"></script>',
);

beforeAll(async () => {
  appDir = mkdtempSync(join(tmpdir(), 'reprise-player-app-'));
  writeFileSync(
    join(appDir, 'entry.js'),
    "import { Player } from '@reprise/player';\nwindow.ReprisePlayer = { Player };\n",
  );
  await build({
    entryPoints: { app: join(appDir, 'entry.js') },
    nodePaths: [join(REPO_ROOT, 'node_modules')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    outdir: join(appDir, 'out'),
    logLevel: 'error',
  });
  server = await serve({
    pages: { '/player.html': SCRIPT_TAG_PAGE, '/bundled.html': BUNDLED_PAGE },
    mounts: { '/dist/player/': join(REPO_ROOT, 'packages/player/dist'), '/app/': join(appDir, 'out') },
  });
  browser = await launchBrowser({ viewport: { width: 1000, height: 700 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

async function open(autoplay: boolean, pagePath = '/player.html'): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('player page error:', error));
  await page.goto(`${server.url}${pagePath}`);
  await page.waitForFunction(() => 'ReprisePlayer' in window);
  await page.evaluate(
    ({ events, autoplay }) => {
      const w = window as unknown as {
        player: unknown;
        ReprisePlayer: { Player: new (el: Element, o: unknown) => unknown };
      };
      w.player = new w.ReprisePlayer.Player(document.getElementById('mount')!, {
        source: events,
        autoplay,
        skipInactive: false,
      });
    },
    { events: session(), autoplay },
  );
  await page.waitForSelector('.rp-ready');
  return page;
}

type PlayerWindow = Window & {
  player: { getIframe(): HTMLIFrameElement | undefined; seek(ms: number): void; getState(): string };
};
const hovered = (page: Page) =>
  page.evaluate(() =>
    [...((window as unknown as PlayerWindow).player.getIframe()?.contentDocument?.querySelectorAll('.block') ?? [])]
      .filter((block) => block.classList.contains(':hover'))
      .map((block) => block.id),
  );

const backgroundOf = (page: Page, id: string) =>
  page.evaluate((blockId) => {
    const frame = (window as unknown as PlayerWindow).player.getIframe()!;
    return frame.contentWindow!.getComputedStyle(frame.contentDocument!.getElementById(blockId)!).backgroundColor;
  }, id);

describe('hover in the replay', () => {
  test.each([
    ['the script tag', '/player.html'],
    ['bundled from npm', '/bundled.html'],
  ])('seeking (%s): the element under the pointer after a removal and after a scroll is hovered', async (_, path) => {
    const page = await open(false, path);
    try {
      const seek = (ms: number) => page.evaluate((at) => (window as unknown as PlayerWindow).player.seek(at), ms);
      await seek(400);
      await expect.poll(() => hovered(page)).toEqual(['a']);
      // The recorded `:hover` rule styles it: the replayer rewrote the stylesheet (with postcss) for its hover class.
      expect(await backgroundOf(page, 'a')).toBe('rgb(255, 0, 0)');
      expect(await backgroundOf(page, 'b')).toBe('rgba(0, 0, 0, 0)');
      await seek(1_000);
      await expect.poll(() => hovered(page)).toEqual(['b']);
      await seek(2_000);
      await expect.poll(() => hovered(page)).toEqual(['c']);
    } finally {
      await page.close();
    }
  });

  test('playing: hover follows the removal and the smooth scroll', async () => {
    const page = await open(true);
    try {
      await page.waitForFunction(() => (window as unknown as PlayerWindow).player.getState() === 'ended', undefined, {
        timeout: 20_000,
      });
      await expect.poll(() => hovered(page)).toEqual(['c']);
    } finally {
      await page.close();
    }
  });
});
