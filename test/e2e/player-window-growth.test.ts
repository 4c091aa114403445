// The player hands rrweb a window of the recording and grows it as events arrive (replayer-window.ts).
// Two streams fill the player's store at once: the whole-session stream and a window fetched around
// a seek target. Here the player's own modules (from source, bundled as an app would) run in
// Chromium with rrweb, and the test stores events in the order such streams deliver them.
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchBrowser, REPO_ROOT, serve, type TestBrowser, type TestServer } from '../harness/index.js';

const ENTRY = `
import { EventStore } from './packages/player/src/event-store.ts';
import { CanvasFrames } from './packages/player/src/canvas.ts';
import { createReplayerWindow } from './packages/player/src/replayer-window.ts';
window.playerParts = { EventStore, CanvasFrames, createReplayerWindow };
`;

let browser: TestBrowser;
let site: TestServer;

beforeAll(async () => {
  const bundle = await build({
    stdin: { contents: ENTRY, resolveDir: REPO_ROOT, sourcefile: 'entry.ts', loader: 'ts' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    conditions: ['@reprise/source'],
    nodePaths: [join(REPO_ROOT, 'node_modules')],
    write: false,
    logLevel: 'error',
  });
  const script = bundle.outputFiles[0]!.text;
  site = await serve({
    pages: { '/': '<!doctype html><html><body><div id="mount"></div><script src="/parts.js"></script></body></html>' },
    routes: {
      '/parts.js': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(script);
      },
    },
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test('events another stream stored ahead, before the two stretches met, join the replayer window, and a paused frame among them shows them', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/`);
  const result = await page.evaluate(() => {
    type Event = { type: number; timestamp: number; data: unknown };
    type Store = {
      add(event: Event): void;
      cover(start: number, end: number): void;
      window(at: number, ahead: number): Event[];
    };
    type ReplayerWindow = {
      grow(event: Event, current: number): void;
      showFrame(at: number): void;
      replayer: { iframe: HTMLIFrameElement; service: { state: { context: { events: Event[] } } } };
    };
    const parts = (
      window as unknown as {
        playerParts: {
          EventStore: new () => Store;
          CanvasFrames: new () => unknown;
          createReplayerWindow(
            first: number,
            root: HTMLElement,
            speed: number,
            recording: { store: Store; canvases: unknown },
            loader: { streamEnd: number | undefined; ensureLoaded(at: number): void },
          ): ReplayerWindow;
        };
      }
    ).playerParts;
    const T0 = 1_700_000_000_000;
    const SECOND = 1000;
    // A page whose paragraph counts the seconds: one DOM change a second replaces its text.
    const events: Event[] = [
      { type: 4, timestamp: T0, data: { href: 'https://shop.test/', width: 800, height: 600 } },
      {
        type: 2,
        timestamp: T0 + 1,
        data: {
          node: {
            type: 0,
            id: 1,
            childNodes: [
              {
                type: 2,
                id: 2,
                tagName: 'html',
                attributes: {},
                childNodes: [
                  { type: 2, id: 3, tagName: 'head', attributes: {}, childNodes: [] },
                  {
                    type: 2,
                    id: 4,
                    tagName: 'body',
                    attributes: {},
                    childNodes: [
                      {
                        type: 2,
                        id: 5,
                        tagName: 'p',
                        attributes: {},
                        childNodes: [{ type: 3, id: 100, textContent: '0' }],
                      },
                    ],
                  },
                ],
              },
            ],
          },
          initialOffset: { left: 0, top: 0 },
        },
      },
    ];
    for (let second = 1; second <= 60; second++) {
      events.push({
        type: 3,
        timestamp: T0 + second * SECOND,
        data: {
          source: 0,
          texts: [],
          attributes: [],
          removes: [{ parentId: 5, id: 99 + second }],
          adds: [{ parentId: 5, nextId: null, node: { type: 3, id: 100 + second, textContent: String(second) } }],
        },
      });
    }
    const at = (second: number) => events.find((event) => event.timestamp === T0 + second * SECOND)!;
    const store = new parts.EventStore();
    // The whole-session stream has brought the first 20 s when the replayer starts.
    const main = events.filter((event) => event.timestamp <= T0 + 20 * SECOND);
    for (const event of main) {
      store.add(event);
      store.cover(T0, event.timestamp);
    }
    const replay = parts.createReplayerWindow(
      T0 + 1,
      document.getElementById('mount')!,
      1,
      {
        store,
        canvases: new parts.CanvasFrames(),
      },
      { streamEnd: undefined, ensureLoaded: () => {} },
    );
    const current = T0 + 10 * SECOND;
    const deliver = (event: Event, from: number) => {
      store.add(event);
      store.cover(from, event.timestamp);
      replay.grow(event, current);
    };
    // A window fetched ahead brings 31-40 s (its stretch starts where the segment before ended, 30.5 s).
    for (let second = 31; second <= 40; second++) deliver(at(second), T0 + 30_500);
    // The whole-session stream brings 21-30 s, then skips the segment the window delivered (its
    // stretch now reaches the window's), and goes on from 41 s.
    for (let second = 21; second <= 30; second++) deliver(at(second), T0);
    store.cover(T0, T0 + 30_500);
    for (let second = 41; second <= 45; second++) deliver(at(second), T0);
    replay.showFrame(T0 + 35_500);
    const times = (list: Event[]) => list.map((event) => event.timestamp - T0);
    return {
      shown: replay.replayer.iframe.contentDocument?.querySelector('p')?.textContent,
      held: times(replay.replayer.service.state.context.events),
      loaded: times(store.window(T0 + 35_500, 3 * 60_000)),
    };
  });
  expect(result.held).toEqual(result.loaded);
  expect(result.loaded).toHaveLength(2 + 45);
  expect(result.shown).toBe('35');
  await page.close();
}, 60_000);
