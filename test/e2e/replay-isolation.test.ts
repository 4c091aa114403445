// A replay contacts no one: a crafted session whose recorded page loads images, stylesheets, CSS
// url()s, fonts and videos from the collector's own API (another session's export) and from
// another loopback server is replayed in the admin UI in Chromium. Neither receives a request,
// with or without `crossorigin="use-credentials"`, and no audit row is written for the other
// session. The per-replay switch lets the third-party requests through, while the collector still
// refuses cookie-carrying loads that are not the admin UI's own fetches.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRepriseEvent, EventType, type RecordedEvent } from '@reprise/protocol';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser } from '../../server/src/access/access-store.js';
import { setScryptParams } from '../../server/src/access/passwords.js';
import { queryAudit } from '../../server/src/audit/audit-log.js';
import { findSessionsById } from '../../server/src/index-db/sessions-store.js';
import { replayFrame } from '../fixtures/admin/replay-frame.js';
import { ingestEvents, startCollector, type RunningCollector } from '../fixtures/admin/session.js';
import { launchBrowser, type TestBrowser } from '../harness/index.js';
import { documentNode, element, text } from '../fixtures/player/nodes.js';

let running: RunningCollector;
let browser: TestBrowser;
let page: Page;
let thirdParty: Server;
let thirdPartyUrl: string;
/** Paths the third-party server was asked for, with whether a cookie came along. */
const thirdPartyHits: Array<{ path: string; cookie: boolean }> = [];
/** Every request the admin's browser made, from the page or the replay's frame. */
const browserRequests: string[] = [];
/** What the admin page and the replay's frame logged as errors (CSP refusals among them). */
const consoleErrors: string[] = [];

const PASSWORD = 'correct horse battery';
const T = Date.now() - 600_000;
const CRAFTED = 's-crafted';
const OTHER = 's-other';

/** The crafted page: every kind of resource, at the collector's API and at the third party. */
function craftedVisit(collector: string, third: string): RecordedEvent[] {
  const api = (what: string) => `${collector}/v1/sessions/${OTHER}/export?project=dev&via=${what}`;
  const remote = (what: string) => `${third}/${what}`;
  let id = 10;
  const next = () => (id += 1);
  const loaders = (credentials: string | undefined) => {
    const extra: Record<string, string> = credentials ? { crossorigin: credentials } : {};
    const tag = credentials ?? 'none';
    return [
      element(next(), 'img', { src: api(`img-${tag}`), ...extra }),
      element(next(), 'img', { src: remote(`img-${tag}.png`), srcset: `${remote(`img2x-${tag}.png`)} 2x`, ...extra }),
      element(next(), 'link', { rel: 'stylesheet', href: api(`link-${tag}`), ...extra }),
      element(next(), 'link', { rel: 'stylesheet', href: remote(`link-${tag}.css`), ...extra }),
      element(next(), 'link', { rel: 'preload', as: 'font', href: remote(`preload-${tag}.woff2`), ...extra }),
      element(next(), 'video', { src: api(`video-${tag}`), poster: remote(`poster-${tag}.png`), ...extra }),
      element(next(), 'video', { src: remote(`video-${tag}.mp4`), poster: api(`poster-${tag}`), ...extra }),
    ];
  };
  const css = [
    `@font-face { font-family: Crafted; src: url("${remote('font.woff2')}") format("woff2"), url(${api('font')}); }`,
    `@import url("${remote('import.css')}");`,
    `h1 { font-family: Crafted, sans-serif; }`,
    `.api-bg { width: 20px; height: 20px; background-image: url('${api('css-url')}'); }`,
    `.remote-bg { width: 20px; height: 20px; background-image: url(${remote('css-url.png')}); }`,
  ].join('\n');
  const node = documentNode(css, [
    element(8, 'h1', {}, [text(9, 'Crafted page')]),
    element(10, 'div', { class: 'api-bg' }),
    element(next(), 'div', { class: 'remote-bg', style: `background: url(${remote('inline-style.png')})` }),
    element(next(), 'div', { style: `background-image: url(${api('inline-style')})` }),
    // As an Angular app's `<base href="/">` is recorded: resolved already, like every recorded URL.
    element(next(), 'base', { href: remote('base/') }),
    ...loaders(undefined),
    ...loaders('use-credentials'),
    ...loaders('anonymous'),
  ]);
  const added = next();
  return [
    { type: EventType.Meta, timestamp: T, data: { href: `${third}/page`, width: 800, height: 500 } },
    { type: EventType.FullSnapshot, timestamp: T + 1, data: { node, initialOffset: { left: 0, top: 0 } } },
    createRepriseEvent('identify', { userId: 'mallory' }, T + 2),
    {
      type: EventType.IncrementalSnapshot,
      timestamp: T + 500,
      data: {
        source: 0,
        texts: [],
        attributes: [{ id: 10, attributes: { style: `background: url(${api('attribute-change')})` } }],
        removes: [],
        adds: [
          {
            parentId: 7,
            nextId: null,
            node: element(added, 'p', { id: 'late', style: `background: url(${remote('late.png')})` }),
          },
          // A mutation's nodes come one by one, each with its parent.
          { parentId: added, nextId: null, node: text(added + 1, 'Added later') },
          { parentId: 7, nextId: null, node: element(added + 2, 'img', { src: api('added-img') }) },
          { parentId: 7, nextId: null, node: element(added + 3, 'img', { src: remote('added-img.png') }) },
        ],
      },
    },
    { type: EventType.IncrementalSnapshot, timestamp: T + 1_000, data: { source: 2, type: 2, id: 8, x: 10, y: 10 } },
  ];
}

/** The other session's audit rows: any read of it by the replay would write one. */
const otherSessionAudit = async () =>
  (await queryAudit(running.sessions.index.db, { projects: 'all', sessionId: OTHER })).entries;

const reachedCollectorApi = () => browserRequests.filter((url) => url.includes(`/v1/sessions/${OTHER}/`));
const reachedThirdParty = () => browserRequests.filter((url) => url.startsWith(thirdPartyUrl));

/** Opens the crafted session and waits until the replay has drawn the page and applied the late mutation. */
async function replayCrafted(query = ''): Promise<void> {
  await page.goto(`${running.url}/sessions/${CRAFTED}?project=dev${query}`);
  const frame = await replayFrame(page);
  await frame.waitForFunction(() => {
    type P = { getProgress(): { done: boolean }; getIframe(): HTMLIFrameElement | undefined; seek(ms: number): void };
    const player = (window as unknown as { reprisePlayer?: P }).reprisePlayer;
    return !!player && player.getProgress().done && !!player.getIframe()?.contentDocument?.querySelector('h1');
  });
  // Show the end of the recording, where the late mutation has added its nodes.
  await frame.evaluate(() =>
    (window as unknown as { reprisePlayer: { seek(ms: number): void } }).reprisePlayer.seek(5_000),
  );
  await frame
    .waitForFunction(() => {
      const player = (window as unknown as { reprisePlayer?: { getIframe(): HTMLIFrameElement | undefined } })
        .reprisePlayer;
      return player?.getIframe()?.contentDocument?.querySelector('#late')?.textContent === 'Added later';
    })
    .catch(async (error: unknown) => {
      console.log(
        await frame.evaluate(() => {
          const player = (
            window as unknown as {
              reprisePlayer: {
                getIframe(): HTMLIFrameElement;
                getCurrentTime(): number;
                getDuration(): number;
                getState(): string;
              };
            }
          ).reprisePlayer;
          return [
            player.getCurrentTime(),
            player.getDuration(),
            player.getState(),
            player.getIframe().contentDocument?.body?.outerHTML,
          ];
        }),
      );
      throw error;
    });
}

/**
 * Absence needs a settled browser: a round trip to each server through the replay's own frame
 * is answered only after the loads queued before it have started (same connection pool).
 */
async function settle(): Promise<void> {
  await page.evaluate(async () => {
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    await fetch('/v1/auth/me');
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
}

beforeAll(async () => {
  setScryptParams({ N: 2 ** 14, r: 8, p: 1 });
  running = await startCollector();
  thirdParty = createServer((req, res) => {
    thirdPartyHits.push({ path: req.url ?? '', cookie: req.headers.cookie !== undefined });
    const css = req.url?.endsWith('.css');
    res.writeHead(200, {
      'content-type': css ? 'text/css' : 'image/png',
      'access-control-allow-origin': req.headers.origin ?? '*',
      'access-control-allow-credentials': 'true',
    });
    res.end(css ? 'p { color: red }' : '');
  });
  await new Promise<void>((resolve) => thirdParty.listen(0, '127.0.0.1', resolve));
  thirdPartyUrl = `http://127.0.0.1:${(thirdParty.address() as AddressInfo).port}`;
  await createUser(running.sessions.index.db, { username: 'ada', password: PASSWORD, roles: { '*': 'admin' } });
  await ingestEvents(running.url, OTHER, [
    { type: EventType.Meta, timestamp: T, data: { href: 'https://shop.test/', width: 800, height: 500 } },
    createRepriseEvent('identify', { userId: 'victim' }, T + 1),
  ]);
  await ingestEvents(running.url, CRAFTED, craftedVisit(running.url, thirdPartyUrl));
  const deadline = Date.now() + 30_000;
  for (const id of [OTHER, CRAFTED]) {
    while ((await findSessionsById(running.sessions.index.db, id)).length === 0) {
      if (Date.now() > deadline) throw new Error(`[replay isolation e2e] session ${id} was not indexed within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
  browser.context.on('request', (request: Request) => browserRequests.push(request.url()));

  page = await browser.newPage();
  page.on('pageerror', (error) => console.error('admin page error:', error));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.setDefaultTimeout(20_000);
  await page.goto(`${running.url}/login`);
  await page.fill('input[name=username]', 'ada');
  await page.fill('input[name=password]', PASSWORD);
  await page.press('input[name=password]', 'Enter');
  await page.waitForURL(`${running.url}/sessions`);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => thirdParty?.close(resolve));
  await running?.stop();
});

describe('a replay contacts no one', () => {
  test('by default no recorded URL reaches the collector or another server, and no audit row appears', async () => {
    browserRequests.length = 0;
    await replayCrafted();
    await settle();
    expect(reachedCollectorApi()).toEqual([]);
    expect(reachedThirdParty()).toEqual([]);
    expect(thirdPartyHits).toEqual([]);
    expect(await otherSessionAudit()).toEqual([]);
    // The page itself was replayed: the text is there, the resources are not.
    const replayed = await (
      await replayFrame(page)
    ).evaluate(() => {
      const player = (window as unknown as { reprisePlayer: { getIframe(): HTMLIFrameElement } }).reprisePlayer;
      const doc = player.getIframe().contentDocument!;
      return {
        h1: doc.querySelector('h1')?.textContent,
        images: doc.querySelectorAll('img').length,
        withSrc: doc.querySelectorAll('img[src]').length,
      };
    });
    expect(replayed).toEqual({ h1: 'Crafted page', images: 8, withSrc: 0 });
    // The recorded <base> reached the replay without its href: no refusal logged on every load.
    expect(consoleErrors.filter((message) => message.includes('base URI'))).toEqual([]);
    // The switch says what it does.
    expect(await page.textContent('[data-testid=original-resources]')).toMatch(/your browser contacts those sites/);
  });

  test("the replay frame's CSP stops a recorded URL the player would have let through", async () => {
    browserRequests.length = 0;
    await (
      await replayFrame(page)
    ).evaluate((third) => {
      const player = (window as unknown as { reprisePlayer: { getIframe(): HTMLIFrameElement } }).reprisePlayer;
      const doc = player.getIframe().contentDocument!;
      const img = doc.createElement('img');
      img.src = `${third}/slipped-through.png`;
      doc.body.append(img);
      const style = doc.createElement('style');
      style.textContent = `body { background: url(${third}/slipped.png) } @font-face { font-family: S; src: url(${third}/slipped.woff2) } h1 { font-family: S }`;
      doc.head.append(style);
    }, thirdPartyUrl);
    await settle();
    // Chromium announces each load (so the test would see them go out) and the server got none.
    expect(thirdPartyHits).toEqual([]);
    expect([...new Set(reachedThirdParty())].sort()).toEqual(
      ['slipped-through.png', 'slipped.png', 'slipped.woff2'].map((name) => `${thirdPartyUrl}/${name}`).sort(),
    );
  });

  test('the replay has an origin of its own: no way into the admin page, its cookies or the API', async () => {
    await replayCrafted();
    const frame = await replayFrame(page);
    const reach = await frame.evaluate(async (other) => {
      const attempt = async (what: () => unknown) => {
        try {
          return String(await what());
        } catch (error) {
          return `refused: ${(error as Error).name}`;
        }
      };
      const replayed = (
        window as unknown as { reprisePlayer: { getIframe(): HTMLIFrameElement } }
      ).reprisePlayer.getIframe().contentWindow!;
      return {
        frameOrigin: origin,
        replayOrigin: replayed.origin,
        adminDocument: await attempt(() => window.parent.document.title),
        adminStorage: await attempt(() => window.parent.localStorage.length),
        cookie: await attempt(() => document.cookie),
        api: await attempt(async () => (await fetch(`/v1/sessions/${other}/export?project=dev`)).status),
      };
    }, OTHER);
    // The admin is on 127.0.0.1, the replay on localhost: another site, so the login cookie
    // (SameSite=Strict, host-only) is neither readable there nor sent from there.
    const replayOrigin = running.url.replace('127.0.0.1', 'localhost');
    expect(reach).toEqual({
      frameOrigin: replayOrigin,
      replayOrigin,
      adminDocument: 'refused: SecurityError',
      adminStorage: 'refused: SecurityError',
      cookie: '',
      // The frame connects nowhere (its CSP); the player's requests are the admin page's.
      api: 'refused: TypeError',
    });
    expect(await otherSessionAudit()).toEqual([]);
  });

  test('the login cookie does not read the API from an <img>, <link> or <video>, even on the admin page itself', async () => {
    const statuses = await page.evaluate(async (other) => {
      const url = (via: string) => `/v1/sessions/${other}/export?project=dev&via=${via}`;
      const load = (tag: 'img' | 'link' | 'video', via: string) =>
        new Promise<string>((resolve) => {
          const el = document.createElement(tag);
          el.addEventListener('load', () => resolve('loaded'));
          el.addEventListener('loadeddata', () => resolve('loaded'));
          el.addEventListener('error', () => resolve('error'));
          if (el instanceof HTMLLinkElement) {
            el.rel = 'stylesheet';
            el.href = url(via);
          } else el.src = url(via);
          document.body.append(el);
        });
      const own = await fetch(url('own-fetch'));
      return {
        img: await load('img', 'own-img'),
        link: await load('link', 'own-link'),
        video: await load('video', 'own-video'),
        fetch: own.status,
      };
    }, OTHER);
    // The admin UI's own fetch works (and is audited); the element loads were refused.
    expect(statuses).toEqual({ img: 'error', link: 'error', video: 'error', fetch: 200 });
    const audited = (await otherSessionAudit()).map((entry) => entry.detail);
    expect(audited).toHaveLength(1);
    const refused = await fetch(`${running.url}/v1/sessions/${OTHER}/export?project=dev`, {
      headers: {
        cookie: (await browser.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; '),
        'sec-fetch-site': 'same-origin',
        'sec-fetch-mode': 'no-cors',
        'sec-fetch-dest': 'image',
      },
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('not_admin_request');
    expect(await otherSessionAudit()).toHaveLength(1);
  });

  test('the per-replay switch lets the viewer load the recorded sites; the collector still refuses its own API', async () => {
    const before = (await otherSessionAudit()).length;
    browserRequests.length = 0;
    await page.goto(`${running.url}/sessions/${CRAFTED}?project=dev`);
    await page.click('[data-testid=original-resources] input');
    await page.waitForURL(/resources=original/);
    await replayCrafted('&resources=original');
    await expect.poll(() => thirdPartyHits.length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(thirdPartyHits.map((hit) => hit.path)).toContain('/img-none.png');
    // The requests to the API went out (the switch is on) and were all refused: no audit row.
    await settle();
    expect(reachedCollectorApi().length).toBeGreaterThan(0);
    expect(await otherSessionAudit()).toHaveLength(before);
    expect(await page.isChecked('[data-testid=original-resources] input')).toBe(true);
  });
});
