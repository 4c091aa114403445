// The admin UI end to end: a fixture page recorded through the real collector (core IIFE ->
// POST /v1/ingest -> log -> encrypted segments -> index) is found, opened and played in the
// admin UI served by that same collector, in Debian's Chromium.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import type { Frame, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findSessionsById, listSegments } from '../../server/src/index-db/sessions-store.js';
import {
  fixtureSite,
  RECORDED_VIEWPORT,
  recordFixture,
  compareReplayedFrame,
  startCollector,
  type RecordedFixture,
  type RunningCollector,
} from '../fixtures/admin/session.js';
import { replayFrame } from '../fixtures/admin/replay-frame.js';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';

let running: RunningCollector;
let site: TestServer;
let browser: TestBrowser;
let recorded: RecordedFixture;
/** The session as the index has it: `startedAt` is the player's time zero. */
let startedAt: number;
/** One tab logged in as the admin, shared by the tests in order. */
let admin: Page;
const USERNAME = 'ada';
const PASSWORD = 'correct horse battery';
/** Set REPRISE_ADMIN_SHOTS=/some/dir to keep full-page screenshots of each screen for review. */
const SHOTS_DIR = process.env.REPRISE_ADMIN_SHOTS;

const keepShot = async (page: Page, name: string) => {
  if (SHOTS_DIR) await page.screenshot({ path: join(SHOTS_DIR, `${name}.png`), fullPage: true });
};

/** The player on the session page (window.reprisePlayer), as the tests drive it. */
interface PagePlayer {
  getState(): string;
  getCurrentTime(): number;
  getDuration(): number;
  getSpeed(): number;
  getSkipInactive(): boolean;
  getProgress(): { done: boolean; events: number };
  getMarkers(): Array<{ kind: string; time: number; endTime?: number; label: string }>;
  getInactivePeriods(): Array<{ start: number; end: number }>;
  getIframe(): HTMLIFrameElement | undefined;
  play(): void;
  pause(): void;
  seek(ms: number): void;
  setSpeed(speed: number): void;
  setSkipInactive(skip: boolean): void;
}
type PlayerWindow = Window & { reprisePlayer?: PagePlayer };

/** Runs `fn` in the replay frame, on the player itself (the page's `reprisePlayer` mirrors its state). */
const onPlayer = async <T, A = undefined>(page: Page, fn: (player: PagePlayer, arg: A) => T, arg?: A): Promise<T> =>
  (await replayFrame(page)).evaluate(
    ({ source, arg: value }) => {
      const player = (window as unknown as PlayerWindow).reprisePlayer;
      if (!player) throw new Error('no player on this page');
      return (new Function(`return (${source})`)() as (p: PagePlayer, a: unknown) => T)(player, value);
    },
    { source: fn.toString(), arg },
  ) as Promise<T>;
const frameText = (page: Page) =>
  onPlayer(page, (player) => player.getIframe()?.contentDocument?.body?.textContent ?? '');
const frameQuery = (page: Page, selector: string) =>
  onPlayer(
    page,
    (player, sel) => player.getIframe()?.contentDocument?.querySelector(sel as string)?.textContent ?? null,
    selector,
  );

/** The player's own controls, inside the replay frame. */
const playerUi = (page: Page) => page.frameLocator('iframe.reprise-player-frame');

/** Opens the session page and waits until the whole recording has loaded. */
/**
 * Requests whose URL `match` accepts wait until `release()` (the page that asked may be gone by
 * then); `stop()` releases them and removes the route.
 */
async function holdRequests(
  page: Page,
  match: (url: URL) => boolean,
): Promise<{ release(): void; stop(): Promise<void> }> {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const handler = async (route: Route) => {
    await held;
    await route.continue().catch(() => {});
  };
  await page.route(match, handler);
  return {
    release: () => release(),
    stop: async () => {
      release();
      await page.unroute(match, handler);
    },
  };
}

async function openSession(page: Page, suffix = ''): Promise<void> {
  await openPlayerAt(page, `${running.url}/sessions/${recorded.sessionId}?project=dev${suffix}`);
}

/** Open a session page's address and wait until its player has loaded the recording. */
async function openPlayerAt(page: Page, url: string): Promise<void> {
  // A change of hash alone would not reload the page: start from a blank one.
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForFunction(() => {
    const player = (window as unknown as PlayerWindow).reprisePlayer;
    return !!player && player.getProgress().done && player.getState() !== 'loading';
  });
}

beforeAll(async () => {
  running = await startCollector();
  site = await serve(fixtureSite);
  // Wide enough that the 800 × 500 recording replays at 100% beside the panels and the details.
  browser = await launchBrowser({ viewport: { width: 1800, height: 1000 } });
  const page = await browser.newPage();
  recorded = await recordFixture(page, site.url, running.url);
  await page.close();
  // Indexed means: the last click's batch is in a stored segment and the log is drained.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [row] = await findSessionsById(running.sessions.index.db, recorded.sessionId);
    if (row && row.ended_at >= recorded.lastInputAt && running.collector.log.lag() === 0) {
      startedAt = row.started_at;
      break;
    }
    if (Date.now() > deadline)
      throw new Error(`[admin e2e] session ${recorded.sessionId} was not indexed within 20 s: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  admin = await browser.newPage();
  admin.on('pageerror', (error) => console.error('admin page error:', error));
  admin.setDefaultTimeout(10_000);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await running?.stop();
});

describe('admin UI served by the collector', () => {
  test('assets: hashed files cached for a year, pages revalidated, client routes survive a reload, API paths untouched', async () => {
    const index = await fetch(`${running.url}/`, { headers: { accept: 'text/html' } });
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${running.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-type')).toContain('javascript');
    // A deep client route answers the same page; a missing asset and an unknown API path do not.
    const deep = await fetch(`${running.url}/audit?page=2`, { headers: { accept: 'text/html' } });
    expect(await deep.text()).toBe(html);
    // A session page also starts its replay frame's page as it parses, on the other loopback name.
    const session = await (
      await fetch(`${running.url}/sessions/abc?project=dev`, { headers: { accept: 'text/html' } })
    ).text();
    const warm = /<iframe id="reprise-replay-warm" src="([^"]+)"[^>]*><\/iframe>/.exec(session);
    expect(warm?.[1]).toMatch(
      new RegExp(`^${running.url.replace('127.0.0.1', 'localhost')}/replay-frame\\.html\\?v=[0-9a-f]{12}$`),
    );
    expect(session.replace(warm![0], '')).toBe(html);
    expect((await fetch(`${running.url}/assets/missing-123.js`)).status).toBe(404);
    const api = await fetch(`${running.url}/v1/nothing-here`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('json');
    expect((await fetch(`${running.url}/v1/sessions`)).status).toBe(401);
  });

  test('first start: the one-time setup link creates the admin, logs in, and cannot be used twice', async () => {
    await admin.goto(`${running.url}/setup#token=${running.setupToken}`);
    await admin.waitForSelector('text=Create the first admin');
    // The token leaves the address bar (and so history and Referer) at once.
    expect(new URL(admin.url()).hash).toBe('');
    await keepShot(admin, 'setup');
    await admin.fill('input[name=username]', USERNAME);
    await admin.fill('input[name=new-password]', 'short');
    await admin.fill('input[name=confirm-password]', 'short');
    await admin.click('button[type=submit]');
    await expect.poll(() => admin.textContent('[role=alert]')).toContain('at least 12 characters');
    await admin.fill('input[name=new-password]', PASSWORD);
    await admin.fill('input[name=confirm-password]', PASSWORD);
    await admin.click('button[type=submit]');
    await admin.waitForURL(`${running.url}/sessions`);
    expect(await admin.textContent('.user-name')).toBe(USERNAME);

    const replay = await fetch(`${running.url}/v1/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: running.setupToken, username: 'mallory', password: 'another long password' }),
    });
    expect(replay.status).toBe(403);
  });

  test('login: a wrong password is refused in words; the right one returns to the page asked for', async () => {
    await admin.click('text=Log out');
    await admin.waitForURL(/\/login/);
    await admin.goto(`${running.url}/audit`);
    await admin.waitForURL(/\/login\?next=%2Faudit/);
    await admin.fill('input[name=username]', USERNAME);
    await admin.fill('input[name=password]', 'not the password');
    await admin.press('input[name=password]', 'Enter');
    await expect.poll(() => admin.textContent('#login-error')).toContain('do not match');
    await keepShot(admin, 'login-error');
    await admin.fill('input[name=password]', PASSWORD);
    await admin.press('input[name=password]', 'Enter');
    await admin.waitForURL(`${running.url}/audit`);
    await admin.waitForSelector('.audit-table');
  });

  test('the session list shows the recorded session; filters, sorting and cursor pages work', async () => {
    await admin.goto(`${running.url}/sessions`);
    const row = admin.locator(`tr[data-session-id="${recorded.sessionId}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toBe('baker-7');
    const durationSeconds = Math.round((recorded.lastInputAt - startedAt) / 1000);
    expect(cells[2]).toMatch(/^\d+s$/);
    expect(Math.abs(Number(cells[2]!.replace('s', '')) - durationSeconds)).toBeLessThanOrEqual(2);
    expect(cells[3]).toBe('3'); // /app/, /app/orders/12, back to /app/
    expect(cells[4]).toBe('1'); // the thrown TypeError
    await keepShot(admin, 'sessions');

    // Each filter narrows through the real search API: matching keeps the row, not matching empties the list.
    const expectRows = async (query: string, count: number) => {
      await admin.goto(`${running.url}/sessions?${query}`);
      if (count === 0) await admin.waitForSelector('text=No session matches these filters');
      else await row.waitFor();
      expect(await admin.locator('.sessions-table tbody tr').count()).toBe(count);
    };
    await expectRows('url=orders%2F12', 1);
    await expectRows('url=checkout', 0);
    await keepShot(admin, 'sessions-empty');
    await expectRows('user=baker-7', 1);
    await expectRows('user=someone-else', 0);
    await expectRows('errors=yes', 1);
    await expectRows('errors=no', 0);
    // The baker clicked the broken button again and again: a rage click (the session page counts it).
    await expectRows('rage=yes', 1);
    await expectRows('rage=yes&url=checkout', 0);
    await expectRows('error=BASKET%20IS%20undefined', 1);
    await expectRows('error=never%20thrown', 0);
    await expectRows('event=loaves-loaded', 1);
    await expectRows('event=never-sent', 0);
    await expectRows('minDuration=5', 1);
    await expectRows('minDuration=600', 0);
    await expectRows('range=1h', 1);
    await expectRows(`range=custom&from=2001-01-01T00%3A00&to=2001-01-02T00%3A00`, 0);

    // A session that is not there (deleted, or a mistyped link) is said in words, with a way back.
    await admin.goto(`${running.url}/sessions/no-such-session?project=dev`);
    await admin.waitForSelector('text=Session not found');
    expect(await admin.locator('[role=alert]').textContent()).toContain('deleted');
    await admin.click('text=All sessions');
    await row.waitFor();

    // The form drives the same filters: typing a URL and pressing Enter puts it in the address.
    await admin.goto(`${running.url}/sessions`);
    await admin.fill('input[placeholder="/checkout"]', 'no-such-page');
    await admin.press('input[placeholder="/checkout"]', 'Enter');
    await admin.waitForSelector('text=No session matches these filters');
    expect(new URL(admin.url()).searchParams.get('url')).toBe('no-such-page');
    await admin.click('text=Clear all filters');
    await row.waitFor();

    // Sorting: the column header toggles the order and says so to assistive technology.
    const started = admin.locator('th', { hasText: 'Started' });
    expect(await started.getAttribute('aria-sort')).toBe('descending');
    await started.locator('button').click();
    await expect.poll(() => started.getAttribute('aria-sort')).toBe('ascending');
    await admin.locator('th', { hasText: 'Duration' }).locator('button').click();
    await expect.poll(() => admin.locator('th', { hasText: 'Duration' }).getAttribute('aria-sort')).toBe('descending');
    expect(new URL(admin.url()).searchParams.get('sort')).toBe('duration');
  });

  test('cursor pages: with one session per page, Next and Previous walk the pages', async () => {
    // A second, short session from the same fixture site, so there are two pages of one.
    const page = await browser.newPage();
    await page.setViewportSize(RECORDED_VIEWPORT);
    await page.goto(`${site.url}/app/?endpoint=${encodeURIComponent(running.url)}`);
    await page.click('#add');
    const other = await page.evaluate(async () => {
      const recorder = (window as unknown as { recorder: { sessionId: string; flush(): Promise<void> } }).recorder;
      await recorder.flush();
      return recorder.sessionId;
    });
    await page.close();
    expect(other).not.toBe(recorded.sessionId);
    await expect
      .poll(async () => (await findSessionsById(running.sessions.index.db, other)).length, { timeout: 15_000 })
      .toBe(1);

    await admin.goto(`${running.url}/sessions?limit=1`);
    const ids = async () =>
      admin
        .locator('.sessions-table tbody tr')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-session-id')));
    await admin.waitForSelector('.sessions-table');
    const first = await ids();
    expect(first).toHaveLength(1);
    expect(await admin.locator('button', { hasText: 'Previous' }).isDisabled()).toBe(true);
    await admin.click('button:has-text("Next")');
    await admin.waitForURL(/cursor=/);
    // The list empties while the next page loads: wait for a full page that is not the first one.
    await expect
      .poll(async () => {
        const rows = await ids();
        return rows.length === 1 && rows[0] !== first[0];
      })
      .toBe(true);
    const second = await ids();
    expect(new Set([...first, ...second])).toEqual(new Set([other, recorded.sessionId]));
    expect(await admin.locator('button', { hasText: 'Next' }).isDisabled()).toBe(true);
    await admin.click('button:has-text("Previous")');
    await expect.poll(ids).toEqual(first);
  });

  test('the session page plays the recording, with its metadata, and its frames match the live page at five moments', async () => {
    await admin.goto(`${running.url}/sessions`);
    await admin.locator(`tr[data-session-id="${recorded.sessionId}"] a`).first().click();
    await admin.waitForURL(new RegExp(`/sessions/${recorded.sessionId}`));
    // Played straight away, from the real playback stream.
    await admin.waitForFunction(() =>
      ['playing', 'ended'].includes((window as unknown as PlayerWindow).reprisePlayer?.getState() ?? ''),
    );
    await admin.waitForFunction(() => ((window as unknown as PlayerWindow).reprisePlayer?.getCurrentTime() ?? 0) > 300);
    const details = await admin.locator('.meta-card').textContent();
    for (const expected of [
      'baker-7',
      'plan',
      'wholesale',
      'Lyon',
      '800 × 500',
      'loaves-loaded',
      'dev',
      recorded.sessionId,
      '1 rage click',
    ])
      expect(details).toContain(expected);
    // The errors it threw, by their text (the search's `error` filter matches the same titles), with when.
    expect(await admin.locator('.meta-card .error-list .error-title').allTextContents()).toEqual([
      expect.stringMatching(/^(Uncaught )?TypeError: basket is undefined$/),
    ]);
    // A click there jumps to it: the player's error marker is that moment.
    await onPlayer(admin, (player) => player.pause());
    await admin.locator('.meta-card .error-list button').click();
    const errorMarker = (await onPlayer(admin, (player) => player.getMarkers())).find(
      (marker) => marker.kind === 'error',
    );
    await expect.poll(() => onPlayer(admin, (player) => player.getCurrentTime())).toBe(errorMarker!.time);
    // Its moment reads as the player's clock reads there (not rounded up past it).
    const clockThere = (await playerUi(admin).locator('.rp-clock').textContent())!.split(' / ')[0];
    expect(await admin.locator('.meta-card .error-list .page-time').textContent()).toBe(clockThere);
    await keepShot(admin, 'session-playing');

    const ratios: Record<string, number> = {};
    const replayed: Record<string, PNG> = {};
    for (const shot of recorded.shots) {
      // Each moment opened fresh from its deep link (seeking on one open page is the markers test's).
      await openSession(admin, `#t=${((shot.at - startedAt) / 1000).toFixed(3)}`);
      await (
        await replayFrame(admin)
      ).addStyleTag({ content: '.replayer-mouse, .replayer-mouse-tail { display: none !important; }' });
      expect(await frameQuery(admin, '.card'), shot.name).toBe(shot.status);
      expect(await playerUi(admin).locator('.rp-viewport').textContent()).toBe(
        `${RECORDED_VIEWPORT.width} × ${RECORDED_VIEWPORT.height} · 100%`,
      );
      const { replay, mismatch } = await compareReplayedFrame(admin, shot.png, await replayFrame(admin));
      ratios[shot.name] = mismatch;
      replayed[shot.name] = replay;
      if (SHOTS_DIR) {
        writeFileSync(join(SHOTS_DIR, `moment-${shot.name}-replay.png`), PNG.sync.write(replay));
        writeFileSync(join(SHOTS_DIR, `moment-${shot.name}-live.png`), shot.png);
      }
    }
    console.log('admin replay: pixel mismatch ratio per moment', ratios);
    expect(Object.keys(ratios)).toHaveLength(5);
    for (const [name, ratio] of Object.entries(ratios)) expect(ratio, name).toBeLessThan(0.005);
    // The comparison can fail: the replayed home page differs from the live page of another moment.
    const home = replayed.home!;
    const loaded = PNG.sync.read(recorded.shots.find((shot) => shot.name === 'loaded')!.png);
    expect(
      pixelmatch(home.data, loaded.data, undefined, home.width, home.height, { threshold: 0.1 }) /
        (home.width * home.height),
    ).toBeGreaterThan(0.03);
  });

  test('seeking to each marker shows the state at that moment', async () => {
    await openSession(admin, '#t=0');
    const markers = (await onPlayer(admin, (player) => player.getMarkers())).filter((marker) => marker.kind !== 'gap');
    const kinds = new Set(markers.map((marker) => marker.kind));
    for (const kind of ['navigation', 'click', 'rage-click', 'error', 'custom', 'identify'])
      expect(kinds, kind).toContain(kind);
    const orderShot = recorded.shots.find((shot) => shot.name === 'order')!;
    const loadedAt = markers.find((marker) => marker.kind === 'custom')!.time;
    // "Add a loaf" is the first click of the scenario; each click at its spot adds one to the basket.
    const addLabel = markers.find((marker) => marker.kind === 'click')!.label;
    const addClicks = markers
      .filter((marker) => marker.kind === 'click' && marker.label === addLabel)
      .map((marker) => marker.time);
    expect(addClicks).toHaveLength(3);
    // Seek straight to each marker on one open page, in order and then backwards: a marker shows
    // the page right after its action (a click's own DOM change included), whatever was shown before.
    for (const marker of [...markers, ...[...markers].reverse()]) {
      await onPlayer(admin, (player, time) => player.seek(time as number), marker.time);
      const title = await frameQuery(admin, 'h1');
      const what = `${marker.kind} "${marker.label}" at ${marker.time} ms`;
      if (title === 'Fresh bread') {
        const basket = String(addClicks.filter((time) => time <= marker.time).length);
        expect(await frameQuery(admin, '#count'), what).toBe(basket);
        expect(
          await onPlayer(
            admin,
            (player) => player.getIframe()?.contentDocument?.getElementById('count')?.childNodes.length,
          ),
          what,
        ).toBe(1);
      }
      if (marker.kind === 'navigation' && marker.label.includes('/orders/12')) expect(title, what).toBe('Order 12');
      else if (marker.kind === 'navigation' && startedAt + marker.time > orderShot.at)
        expect(title, what).toBe('Fresh bread');
      if (title === 'Order 12')
        expect(await frameQuery(admin, '#status'), what).toMatch(
          marker.time >= loadedAt ? /^Loaded 3 loaves/ : /^Not loaded$/,
        );
      if (marker.kind === 'custom') expect(await frameText(admin), what).toContain('Loaded 3 loaves');
      if (['rage-click', 'error', 'identify'].includes(marker.kind)) expect(title, what).toBe('Fresh bread');
      if (marker.kind === 'click' && startedAt + marker.time < orderShot.at - 1000)
        expect(title, what).toBe('Fresh bread');
    }
    // Clicking a marker in the timeline seeks there too.
    const orders = playerUi(admin).locator('.rp-markers [data-kind="navigation"][aria-label*="/orders/12"]');
    const ordersTime = Number(await orders.getAttribute('data-time'));
    // Markers a few ms apart overlap on the timeline; dispatch to this one rather than click at its centre.
    await orders.dispatchEvent('click');
    await expect
      .poll(() => onPlayer(admin, (player) => player.getCurrentTime()))
      .toBeGreaterThanOrEqual(ordersTime - 1);
    expect(await onPlayer(admin, (player) => player.getCurrentTime())).toBeLessThan(ordersTime + 100);
  });

  test('speed, skip inactivity, keyboard and panels', async () => {
    await openSession(admin, '#t=0');
    // Speed: the 4× chip, then the "8" key.
    await playerUi(admin).locator('.rp-chip[data-speed="4"]').click();
    expect(await onPlayer(admin, (player) => player.getSpeed())).toBe(4);
    expect(await playerUi(admin).locator('.rp-chip[data-speed="4"]').getAttribute('aria-pressed')).toBe('true');
    await playerUi(admin).locator('.rp-player').focus();
    await admin.keyboard.press('8');
    expect(await onPlayer(admin, (player) => player.getSpeed())).toBe(8);
    // Arrows jump 5 s, with Shift 1 s (this recording is 11 s long).
    for (const [key, time] of [
      ['Home', 0],
      ['ArrowRight', 5000],
      ['Shift+ArrowRight', 6000],
      ['ArrowLeft', 1000],
      ['Shift+ArrowLeft', 0],
    ] as const) {
      await admin.keyboard.press(key);
      expect(await onPlayer(admin, (player) => player.getCurrentTime()), key).toBe(time);
    }
    await playerUi(admin).locator('.rp-chip[data-speed="1"]').click();

    // Skip inactivity: on by default; playing into the idle stretch jumps over it, visibly.
    const idle = await onPlayer(admin, (player) => player.getInactivePeriods());
    const idleStart = recorded.idle.start - startedAt;
    const period = idle.find((range) => range.start <= idleStart + 1500 && range.end >= idleStart + 3000);
    expect(period, JSON.stringify(idle)).toBeDefined();
    expect(await onPlayer(admin, (player) => player.getSkipInactive())).toBe(true);
    const wallStart = Date.now();
    await onPlayer(
      admin,
      (player, time) => {
        player.seek(time as number);
        player.play();
      },
      period!.start,
    );
    await playerUi(admin).locator('.rp-skip-indicator:not([hidden])').waitFor();
    await admin.waitForFunction(
      (end) => ((window as unknown as PlayerWindow).reprisePlayer?.getCurrentTime() ?? 0) >= end,
      period!.end,
    );
    expect(Date.now() - wallStart).toBeLessThan(period!.end - period!.start);
    // Off (the switch): the same stretch plays in real time.
    await playerUi(admin).locator('.rp-toggle[role=switch]').click();
    expect(await playerUi(admin).locator('.rp-toggle[role=switch]').getAttribute('aria-checked')).toBe('false');
    await onPlayer(
      admin,
      (player, time) => {
        player.seek(time as number);
        player.play();
      },
      period!.start,
    );
    await admin.waitForTimeout(1200);
    const played = await onPlayer(admin, (player) => player.getCurrentTime());
    expect(played - period!.start).toBeLessThan(2000);
    await onPlayer(admin, (player) => player.pause());

    // Panels: network and events rows, and a row click seeks.
    await playerUi(admin).locator('.rp-tab[data-tab="network"]').click();
    await expect.poll(() => playerUi(admin).locator('[data-panel="network"] .rp-row').count()).toBeGreaterThan(0);
    expect(await playerUi(admin).locator('[data-panel="network"]').textContent()).toContain('/api/loaves');
    await playerUi(admin).locator('.rp-tab[data-tab="events"]').click();
    const custom = (await onPlayer(admin, (player) => player.getMarkers())).find((marker) => marker.kind === 'custom')!;
    await playerUi(admin).locator('[data-panel="events"] .rp-row', { hasText: 'loaves-loaded' }).first().click();
    await expect
      .poll(() => onPlayer(admin, (player) => Math.round(player.getCurrentTime())))
      .toBe(Math.round(custom.time));
    await playerUi(admin).locator('.rp-tab[data-tab="console"]').click();
    expect(await playerUi(admin).locator('[data-panel="console"]').textContent()).toContain('oven is cold');
    await keepShot(admin, 'session-panels');
  });

  test('deep links: #t= and ?t= open the moment; the copy button gives a link to the current moment', async () => {
    const loadedShot = recorded.shots.find((shot) => shot.name === 'loaded')!;
    const seconds = ((loadedShot.at - startedAt) / 1000).toFixed(1);
    // The replay frame the page's HTML starts as it parses is the one the player runs in: one frame
    // attached to the page, its page loaded once.
    const attached: string[] = [];
    const navigated: string[] = [];
    const onAttached = (frame: Frame) => {
      if (frame.parentFrame() === admin.mainFrame()) attached.push(frame.name());
    };
    const onNavigated = (frame: Frame) => {
      if (frame.parentFrame() === admin.mainFrame()) navigated.push(new URL(frame.url()).pathname);
    };
    admin.on('frameattached', onAttached);
    admin.on('framenavigated', onNavigated);
    await openSession(admin, `#t=${seconds}`);
    admin.off('frameattached', onAttached);
    admin.off('framenavigated', onNavigated);
    expect(attached).toHaveLength(1);
    expect(navigated.filter((path) => path === '/replay-frame.html')).toHaveLength(1);
    expect(await admin.evaluate(() => document.querySelectorAll('iframe').length)).toBe(1);
    await expect
      .poll(() => onPlayer(admin, (player) => player.getCurrentTime()))
      .toBeGreaterThan(Number(seconds) * 1000 - 100);
    expect(await onPlayer(admin, (player) => player.getState())).toBe('paused');
    expect(await frameText(admin)).toContain('Loaded 3 loaves');

    const orderShot = recorded.shots.find((shot) => shot.name === 'order')!;
    await openSession(admin, `&t=${((orderShot.at - startedAt) / 1000).toFixed(1)}`);
    await expect.poll(() => frameQuery(admin, 'h1')).toBe('Order 12');
    expect(await frameText(admin)).toContain('Not loaded');

    // The link the recorded page's recorder.replayUrl({ at }) gave for the `loaded` moment opens
    // this session there, as a bug report's link would.
    const replayLink = new URL(recorded.loadedReplayUrl!);
    expect(`${replayLink.origin}${replayLink.pathname}${replayLink.search}`).toBe(
      `${running.url}/sessions/${recorded.sessionId}?project=dev`,
    );
    // The recorder counts from its session's start, the index from the first event: the same moment.
    expect(Math.abs(Number(replayLink.hash.replace('#t=', '')) - Number(seconds))).toBeLessThanOrEqual(0.2);
    await openPlayerAt(admin, replayLink.href);
    await expect
      .poll(() => onPlayer(admin, (player) => player.getCurrentTime()))
      .toBeGreaterThan(Number(seconds) * 1000 - 300);
    await expect.poll(() => frameText(admin)).toContain('Loaded 3 loaves');
    expect(await onPlayer(admin, (player) => player.getCurrentTime())).toBeLessThan(Number(seconds) * 1000 + 300);

    // Following another moment's link on the open page seeks without a reload.
    await admin.evaluate((hash) => {
      window.location.hash = hash;
    }, `t=${seconds}`);
    await expect.poll(() => frameText(admin)).toContain('Loaded 3 loaves');

    await admin.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: running.url });
    await onPlayer(admin, (player, time) => player.seek(time as number), 1234);
    await admin.click('button:has-text("Copy link to this moment")');
    await admin.waitForSelector('button:has-text("Link copied")');
    const copied = await admin.evaluate(() => navigator.clipboard.readText());
    const link = new URL(copied);
    expect(link.pathname).toBe(`/sessions/${recorded.sessionId}`);
    expect(link.searchParams.get('project')).toBe('dev');
    // To the millisecond: a tenth could open the replay just before the moment (an error) it names.
    expect(link.hash).toBe('#t=1.234');
  });

  test('the session page the app opens on starts its player before the session details arrive, then shows that player in its place', async () => {
    // The details (and so the page's player container) wait; the player started as the app did must not.
    const held = await holdRequests(admin, (url: URL) => url.pathname === `/v1/sessions/${recorded.sessionId}`);
    try {
      await admin.goto('about:blank');
      await admin.goto(`${running.url}/sessions/${recorded.sessionId}?project=dev#t=2`);
      const element = await admin.waitForSelector('iframe.reprise-player-frame', { state: 'attached' });
      const frame = (await element.contentFrame())!;
      // Polled on a timer, not on animation frames: the test must not depend on how an unseen frame is throttled.
      await frame.waitForFunction(
        () => (window as unknown as { reprisePlayer?: { getState(): string } }).reprisePlayer?.getState() === 'paused',
        undefined,
        { polling: 50 },
      );
      // Ready, unseen and out of reach while the page still waits for the details.
      expect(await element.evaluate((iframe) => iframe.closest('[inert]') !== null)).toBe(true);
      expect(await admin.locator('.meta-card').count()).toBe(0);
      await frame.evaluate(() => ((window as unknown as { earlyMark: number }).earlyMark = 1));
      held.release();
      await admin.waitForSelector('.meta-card');
      // The same player, moved into the page's container: not reloaded, still at its moment.
      await expect
        .poll(() =>
          element.evaluate(
            (iframe) =>
              iframe.closest('[inert]') === null &&
              iframe.isConnected &&
              iframe.getBoundingClientRect().width > 100 &&
              document.querySelectorAll('iframe').length === 1,
          ),
        )
        .toBe(true);
      expect(await frame.evaluate(() => (window as unknown as { earlyMark?: number }).earlyMark)).toBe(1);
      expect(await onPlayer(admin, (player) => player.getCurrentTime())).toBe(2000);
    } finally {
      await held.stop();
    }
  });

  test('leaving the session page the app opened on before it showed stops the player started for it', async () => {
    const held = await holdRequests(admin, (url: URL) => url.pathname === `/v1/sessions/${recorded.sessionId}`);
    try {
      await admin.goto('about:blank');
      await admin.goto(`${running.url}/sessions/${recorded.sessionId}?project=dev`);
      await admin.waitForSelector('iframe.reprise-player-frame', { state: 'attached' });
      // The viewer follows the menu's link while the details still load.
      await admin.click('nav[aria-label="Main"] >> text=Sessions');
      await admin.waitForURL((url) => url.pathname === '/sessions');
      await expect.poll(() => admin.evaluate(() => document.querySelectorAll('iframe').length)).toBe(0);
      held.release();
      // Back on the session: a player of its own, in its place.
      await admin.goBack();
      await admin.waitForSelector('.meta-card');
      await expect.poll(() => onPlayer(admin, (player) => player.getState())).toMatch(/playing|paused|ended/);
      expect(await admin.evaluate(() => document.querySelectorAll('iframe').length)).toBe(1);
      expect(
        await admin.evaluate(() => document.querySelector('iframe.reprise-player-frame')!.closest('[inert]') === null),
      ).toBe(true);
    } finally {
      await held.stop();
    }
  });

  test('the session page asks for the session details beside the login check, and once', async () => {
    const held = await holdRequests(admin, (url: URL) => url.pathname === '/v1/auth/me');
    const asked: string[] = [];
    const onRequest = (request: { url(): string }) => {
      if (new URL(request.url()).pathname === `/v1/sessions/${recorded.sessionId}`) asked.push(request.url());
    };
    try {
      await admin.goto('about:blank');
      admin.on('request', onRequest);
      const detailsAsked = admin.waitForRequest(
        (request) => new URL(request.url()).pathname === `/v1/sessions/${recorded.sessionId}`,
      );
      await admin.goto(`${running.url}/sessions/${recorded.sessionId}?project=dev`);
      // Asked while the login check is still unanswered, not after it.
      await detailsAsked;
      held.release();
      await admin.waitForSelector('.meta-card');
      await admin.waitForSelector('iframe.reprise-player-frame');
      expect(asked).toHaveLength(1);
    } finally {
      admin.off('request', onRequest);
      await held.stop();
    }
  });

  test('a session link opened signed out leads to the login, then to that session (the early answer is not shown)', async () => {
    await admin.goto(`${running.url}/sessions`);
    await admin.click('text=Log out');
    await admin.waitForURL(/\/login/);
    const sessionPath = `/sessions/${recorded.sessionId}`;
    await admin.goto(`${running.url}${sessionPath}?project=dev`);
    await admin.waitForURL(/\/login\?next=/);
    await admin.fill('input[name=username]', USERNAME);
    await admin.fill('input[name=password]', PASSWORD);
    await admin.press('input[name=password]', 'Enter');
    await admin.waitForURL((url) => url.pathname === sessionPath);
    await admin.waitForSelector('.meta-card');
    await onPlayer(admin, (player) => player.getState());
    expect(new URL(admin.url()).pathname).toBe(sessionPath);
  });

  test('a session link with a malformed escape shows that no such session exists, not a blank page', async () => {
    await admin.goto(`${running.url}/sessions/%E0%A4%A?project=dev`);
    await admin.waitForSelector('text=Session not found');
    expect(await admin.evaluate(() => document.querySelectorAll('iframe').length)).toBe(0);
  });

  test('audit log and project settings, for admins', async () => {
    // Each read of the log is itself an entry: 120 reads at once (many in the same millisecond)
    // make sure the log spans several pages, whatever the tests before wrote.
    expect(
      await admin.evaluate(async () =>
        (await Promise.all(Array.from({ length: 120 }, () => fetch('/v1/audit?limit=1')))).map((r) => r.status),
      ),
    ).toEqual(Array(120).fill(200));
    await admin.goto(`${running.url}/audit`);
    await admin.waitForSelector('.audit-table');
    // Rows are told apart by entry id, never by text: a row's text holds a relative time
    // ("5 seconds ago") that changes by itself, so a changed text does not mean a new page.
    const readRows = () =>
      admin.locator('.audit-table tbody tr').evaluateAll((rows) =>
        rows.map((row) => ({
          id: Number(row.getAttribute('data-entry-id')),
          action: row.getAttribute('data-action'),
        })),
      );
    const older = admin.locator('button:has-text("Older")');
    const newer = admin.locator('button:has-text("Newer")');
    // Newest first, 50 a page: walk the older pages (the cursor) until the first entry, the setup.
    const pages = [await readRows()];
    expect(pages[0]![0]!.action).toBe('audit.view');
    expect(await newer.isDisabled()).toBe(true);
    while (!(await older.isDisabled())) {
      expect(pages.length, 'audit pages walked').toBeLessThan(30);
      const oldestShown = pages.at(-1)!.at(-1)!.id;
      await older.click();
      await expect.poll(async () => (await readRows())[0]?.id ?? Infinity).toBeLessThan(oldestShown);
      pages.push(await readRows());
    }
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const walked = pages.flat();
    // Strictly decreasing ids: no entry repeated, none out of order across page boundaries.
    for (let index = 1; index < walked.length; index += 1)
      expect(walked[index]!.id, `entry ${index}`).toBeLessThan(walked[index - 1]!.id);
    expect(walked.at(-1)!.action).toBe('auth.setup');
    const actions = walked.map((row) => row.action);
    for (const action of [
      'auth.setup',
      'auth.login_failed',
      'auth.login',
      'auth.logout',
      'session.search',
      'session.view',
      'session.play',
      'audit.view',
    ])
      expect(actions, action).toContain(action);
    // Newer walks back through the same pages; the newest one has gained the reads made since.
    for (let index = pages.length - 2; index >= 0; index -= 1) {
      const newestShown = pages[index + 1]![0]!.id;
      await newer.click();
      await expect.poll(async () => (await readRows()).at(-1)?.id ?? -Infinity).toBeGreaterThan(newestShown);
      const rows = await readRows();
      if (index > 0) {
        expect(rows).toEqual(pages[index]);
      } else {
        const known = rows.filter((row) => row.id <= pages[0]![0]!.id);
        expect(known).toEqual(pages[0]!.slice(0, known.length));
        expect(new Set(rows.slice(0, rows.length - known.length).map((row) => row.action))).toEqual(
          new Set(['audit.view']),
        );
      }
    }
    expect(await newer.isDisabled()).toBe(true);
    await admin.goto(`${running.url}/audit`);
    await admin.waitForSelector('.audit-table');
    await keepShot(admin, 'audit');
    await admin.selectOption('select', 'session.play');
    await expect
      .poll(
        async () =>
          new Set(
            await admin
              .locator('.audit-table tbody tr')
              .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-action'))),
          ),
      )
      .toEqual(new Set(['session.play']));
    expect(await admin.locator('.audit-table tbody tr').first().textContent()).toContain(USERNAME);

    // An API token made through the API shows under its project, without its secret.
    const secret = await admin.evaluate(async () => {
      const me = (await (await fetch('/v1/auth/me')).json()) as { csrfToken: string };
      const response = await fetch('/v1/tokens', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ name: 'nightly-export', project: 'dev', operations: ['read'] }),
      });
      return ((await response.json()) as { token: string }).token;
    });
    await admin.click('nav >> text=Settings');
    await admin.waitForSelector('.card');
    await admin.waitForSelector('[data-token="nightly-export"]');
    expect(await admin.locator('[data-token="nightly-export"]').textContent()).toContain('never used');
    expect(await admin.locator('.card').textContent()).not.toContain(secret);
    const settings = await admin.locator('.card').textContent();
    for (const expected of ['dev', 'http://127.0.0.1:*', 'http://localhost:*', 'Kept until deleted'])
      expect(settings).toContain(expected);
    await keepShot(admin, 'settings');
  });

  test('a corrupt segment shows the gap and playback continues', async () => {
    // Flip one byte in the ciphertext of a middle segment that is followed by a full snapshot.
    const segments = await listSegments(running.sessions.index.db, 'dev', recorded.sessionId);
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const victimIndex = segments.findIndex(
      (segment, index) => index > 0 && segments.slice(index + 1).some((later) => later.full_snapshot_at !== null),
    );
    expect(victimIndex).toBeGreaterThan(0);
    const victim = segments[victimIndex]!;
    const file = findFile(running.objectsDir, victim.object_key.split('/').at(-1)!, recorded.sessionId);
    const bytes = readFileSync(file);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0xff;
    writeFileSync(file, bytes);

    await openSession(admin, '#t=0');
    const gap = admin.locator('[data-testid=gap-notice]');
    await gap.waitFor();
    expect(await gap.textContent()).toContain('damaged');
    const gapMarker = (await onPlayer(admin, (player) => player.getMarkers())).find((marker) => marker.kind === 'gap');
    expect(gapMarker).toBeDefined();
    await keepShot(admin, 'session-gap');
    // Playing from before the gap goes through it and on to the end of the recording.
    await onPlayer(
      admin,
      (player, time) => {
        player.seek(time as number);
        player.play();
      },
      Math.max(0, gapMarker!.time - 300),
    );
    await playerUi(admin).locator('.rp-chip[data-speed="8"]').click();
    await admin.waitForFunction(
      (end) => ((window as unknown as PlayerWindow).reprisePlayer?.getCurrentTime() ?? 0) > end + 200,
      gapMarker!.endTime ?? gapMarker!.time,
    );
    expect(['playing', 'ended']).toContain(await onPlayer(admin, (player) => player.getState()));
    await onPlayer(admin, (player, time) => player.seek(time as number), recorded.shots.at(-1)!.at - startedAt);
    await expect.poll(() => frameQuery(admin, 'h1')).toBe('Fresh bread');
  });

  test('keyboard: the list, a session and the player work without a mouse', async () => {
    await admin.goto(`${running.url}/sessions`);
    await admin.waitForSelector('.sessions-table');
    // The skip link is the first stop and lands on the content.
    await admin.keyboard.press('Tab');
    expect(await admin.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    // Tab through the filters until the first row's link has focus, then open it with Enter.
    for (let step = 0; step < 40; step += 1) {
      await admin.keyboard.press('Tab');
      if (await admin.evaluate(() => document.activeElement?.classList.contains('row-title'))) break;
    }
    expect(await admin.evaluate(() => document.activeElement?.classList.contains('row-title'))).toBe(true);
    await admin.keyboard.press('Enter');
    await admin.waitForURL(/\/sessions\/[0-9a-f]+/);
    await admin.waitForFunction(() => (window as unknown as PlayerWindow).reprisePlayer?.getProgress().done === true);
    // Space toggles playback, Home and End move along the timeline. The first row is a short
    // session: at a hundredth of its speed it cannot end between a key press and the check that
    // follows it, however slow the machine (it once ended there, and Space started it again).
    await onPlayer(admin, (player) => {
      player.setSkipInactive(false);
      player.setSpeed(0.01);
    });
    await playerUi(admin).locator('.rp-player').focus();
    const stateBefore = await onPlayer(admin, (player) => player.getState());
    await admin.keyboard.press('Space');
    await expect
      .poll(() => onPlayer(admin, (player) => player.getState()))
      .toBe(stateBefore === 'playing' ? 'paused' : 'playing');
    if (stateBefore !== 'playing') await admin.keyboard.press('Space');
    await expect.poll(() => onPlayer(admin, (player) => player.getState())).toBe('paused');
    const duration = await onPlayer(admin, (player) => player.getDuration());
    await admin.keyboard.press('End');
    await expect.poll(() => onPlayer(admin, (player) => player.getCurrentTime())).toBeGreaterThan(duration - 50);
    await admin.keyboard.press('Home');
    await expect.poll(() => onPlayer(admin, (player) => player.getCurrentTime())).toBeLessThan(50);
    // Tab goes on to the timeline, not into the replayed page, and the arrows still seek from there.
    // (The first row is the short session of the cursor test: 5 s forward stops at its end.)
    await admin.keyboard.press('Tab');
    expect(
      await (await replayFrame(admin)).evaluate(() => document.activeElement?.classList.contains('rp-track')),
    ).toBe(true);
    await admin.keyboard.press('ArrowRight');
    expect(await onPlayer(admin, (player) => player.getCurrentTime())).toBe(Math.min(5000, duration));
  });

  test('a viewer sees sessions, but neither the audit log nor the settings', async () => {
    const created = await admin.evaluate(async () => {
      const me = (await (await fetch('/v1/auth/me')).json()) as { csrfToken: string };
      const response = await fetch('/v1/users', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ username: 'victor', password: 'viewer password 1', roles: { dev: 'viewer' } }),
      });
      return response.status;
    });
    expect(created).toBe(201);
    await admin.click('text=Log out');
    await admin.waitForURL(/\/login/);
    await admin.fill('input[name=username]', 'victor');
    await admin.fill('input[name=password]', 'viewer password 1');
    await admin.press('input[name=password]', 'Enter');
    await admin.waitForURL(`${running.url}/sessions`);
    await admin.locator(`tr[data-session-id="${recorded.sessionId}"]`).waitFor();
    expect(await admin.locator('nav[aria-label=Main] a').allTextContents()).toEqual(['Sessions']);
    await admin.goto(`${running.url}/settings`);
    await admin.waitForSelector('text=Only project admins can see this page');
    expect(await admin.evaluate(async () => (await fetch('/v1/projects')).status)).toBe(403);
    expect(await admin.evaluate(async () => (await fetch('/v1/audit')).status)).toBe(403);
    await admin.click('text=Log out');
    await admin.waitForURL(/\/login/);
  });
});

/** The stored object of a segment: the folder store keeps `{project}/{yyyy}/{mm}/{dd}/{session}/{segment}` as a path. */
function findFile(root: string, name: string, sessionId: string): string {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) stack.push(path);
      else if (entry === name && dir.endsWith(sessionId)) return path;
    }
  }
  throw new Error(`[admin e2e] no stored object ${name} for session ${sessionId} under ${root}`);
}
