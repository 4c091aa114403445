// Replay fidelity (issue 18): a documentation-like fixture site on its own loopback origin (a web
// font served without CORS headers, a stylesheet with var() in shorthands, inline SVG icons with
// long numbers in their paths, an inline <style> with var() in a shorthand, a focused search box, hover-dependent layout), recorded by the
// core's IIFE, replayed through the collector in the admin UI, and compared with screenshots of
// the live page at checkpoints.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findSessionsById } from '../../server/src/index-db/sessions-store.js';
import { readSessionEvents } from '../../server/src/segment/reader.js';
import { replayFrame } from '../fixtures/admin/replay-frame.js';
import {
  compareReplayedFrame,
  RECORDED_VIEWPORT,
  startCollector,
  type RunningCollector,
} from '../fixtures/admin/session.js';
import { fidelitySite } from '../fixtures/fidelity/site.js';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';

/** Each checkpoint's replayed frame must equal the live screenshot in at least this share of pixels. */
const MIN_EQUAL = 0.995;
const SHOTS_DIR = process.env.REPRISE_FIDELITY_SHOTS;

let running: RunningCollector;
let site: TestServer;
let browser: TestBrowser;
const siteRequests: string[] = [];

interface Visit {
  sessionId: string;
  shots: Array<{ name: string; at: number; png: Buffer }>;
  lastAt: number;
  /** Asset requests the page made to the collector. */
  assetRequests: string[];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function visit(page: Page): Promise<Visit> {
  const assetRequests: string[] = [];
  page.on('request', (request: Request) => {
    if (request.url().startsWith(`${running.url}/v1/assets`) && request.method() !== 'OPTIONS')
      assetRequests.push(`${request.method()} ${new URL(request.url()).pathname}`);
  });
  await page.setViewportSize(RECORDED_VIEWPORT);
  await page.goto(`${site.url}/fidelity/?endpoint=${encodeURIComponent(running.url)}`);
  await page.waitForFunction(
    () => (window as unknown as { recorder: { sessionId: string | null } }).recorder.sessionId !== null,
  );
  await page.evaluate(() => document.fonts.ready);
  const sessionId = await page.evaluate(
    () => (window as unknown as { recorder: { sessionId: string } }).recorder.sessionId,
  );
  const now = () => page.evaluate(() => Date.now());
  const shots: Visit['shots'] = [];
  const shoot = async (name: string) => {
    await pause(400); // rrweb's observers flush, the page settles
    const at = await now();
    shots.push({ name, at: at + 20, png: await page.screenshot() });
    await pause(400);
  };
  await page.mouse.move(700, 450);
  await shoot('page');
  await page.click('#search');
  await page.keyboard.type('replay', { delay: 40 });
  await shoot('search');
  await page.hover('#menu');
  await shoot('hover');
  await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
  return { sessionId, shots, lastAt: await now(), assetRequests };
}

async function waitIndexed(sessionId: string, until: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await findSessionsById(running.sessions.index.db, sessionId);
    if (row && row.ended_at >= until - 1500 && running.collector.log.lag() === 0) return row.started_at;
    if (Date.now() > deadline) throw new Error(`[fidelity] session ${sessionId} not indexed: ${JSON.stringify(row)}`);
    await pause(200);
  }
}

let first: Visit;
let startedAt: number;

beforeAll(async () => {
  running = await startCollector();
  site = await serve(fidelitySite((url) => siteRequests.push(url)));
  browser = await launchBrowser({ viewport: { width: 1800, height: 1000 } });
  const page = await browser.newPage();
  first = await visit(page);
  await page.close();
  startedAt = await waitIndexed(first.sessionId, first.lastAt);
  const setup = await browser.context.request.post(`${running.url}/v1/auth/setup`, {
    data: { token: running.setupToken, username: 'ada', password: 'correct horse battery' },
  });
  if (!setup.ok()) throw new Error(`[fidelity] setup answered ${setup.status()}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await running?.stop();
});

describe('replay fidelity through the collector', () => {
  test('the stylesheet, its font and the picture are uploaded once and the stored snapshot refers to them by hash', async () => {
    // The stylesheet, its font, the picture, and both themes.
    expect(first.assetRequests.filter((r) => r.startsWith('PUT')).length).toBe(5);
    const events = await readSessionEvents(running.collector, 'dev', first.sessionId);
    // The picture given its src after the snapshot is captured in that change (same bytes, no new upload).
    const changes = JSON.stringify(events.filter((event) => event.type === 3));
    expect(changes).toMatch(/"attributes":\{"src":"reprise-asset:[0-9a-f]{64}"\}/);
    // The theme link whose href changed after it: captured like a snapshot's link, its href left out.
    expect(changes).toMatch(/"attributes":\{"_cssText":"reprise-asset:[0-9a-f]{64}"\}/);
    expect(changes).not.toContain('theme.css?dark');
    const snapshot = JSON.stringify(events.find((event) => event.type === 2));
    expect(snapshot).toMatch(/"_cssText":"reprise-asset:[0-9a-f]{64}"/);
    // The snapshot has the theme as it was then (light), the change the one switched to (dark).
    const lightTheme = /"id":"theme","_cssText":"(reprise-asset:[0-9a-f]{64})"/.exec(snapshot)?.[1];
    expect(lightTheme).toBeDefined();
    expect(changes).toMatch(/"attributes":\{"_cssText":"reprise-asset:[0-9a-f]{64}"\}/);
    expect(changes).not.toContain(lightTheme);
    expect(snapshot).toMatch(/"src":"reprise-asset:[0-9a-f]{64}"/);
    // A srcset picture is captured as the candidate the browser chose, and the replay shows that one.
    expect(snapshot.match(/"src":"reprise-asset:[0-9a-f]{64}"/g)).toHaveLength(2);
    expect(snapshot).not.toMatch(/"srcset":/);
    expect(snapshot).not.toContain('font-face');
    // An inline <style> is kept as written (the CSSOM would empty the shorthand's longhands)...
    expect(snapshot).toContain('font: italic 22px/2.2 var(--note-face); font-weight: 600;');
    expect(snapshot).not.toMatch(/font-style: ;/);
    // ...unless the page changed its sheet through the CSSOM: then rrweb's copy, with the added rule.
    expect(snapshot).toMatch(
      /"_cssText":"[^"]*\.runtime \{ color: rgb\(0, 102, 68\); \}[^"]*\.runtime-added \{ text-decoration: underline; \}/,
    );
  });

  test('each checkpoint of the replay in the admin UI matches the live page', async () => {
    const admin = await browser.newPage();
    const ratios: Record<string, number> = {};
    for (const shot of first.shots) {
      await admin.goto('about:blank');
      const t = ((shot.at - startedAt) / 1000).toFixed(3);
      await admin.goto(`${running.url}/sessions/${first.sessionId}?project=dev#t=${t}`);
      await admin.waitForFunction(() => {
        const player = (
          window as unknown as { reprisePlayer?: { getProgress(): { done: boolean }; getState(): string } }
        ).reprisePlayer;
        return !!player && player.getProgress().done && player.getState() !== 'loading';
      });
      const player = await replayFrame(admin);
      await player.addStyleTag({ content: '.replayer-mouse, .replayer-mouse-tail { display: none !important; }' });
      await player.evaluate(async () => {
        const frame = document.querySelector<HTMLIFrameElement>('.rp-frame iframe');
        await frame?.contentDocument?.fonts.ready;
      });
      const { replay, mismatch } = await compareReplayedFrame(admin, shot.png, player);
      ratios[shot.name] = 1 - mismatch;
      if (SHOTS_DIR) {
        writeFileSync(join(SHOTS_DIR, `${shot.name}-live.png`), shot.png);
        writeFileSync(join(SHOTS_DIR, `${shot.name}-replay.png`), PNG.sync.write(replay));
      }
    }
    await admin.close();
    console.log('fidelity: share of equal pixels per checkpoint', ratios);
    expect(Object.keys(ratios)).toEqual(['page', 'search', 'hover']);
    for (const [name, ratio] of Object.entries(ratios)) expect(ratio, name).toBeGreaterThanOrEqual(MIN_EQUAL);
  });

  test('a second visit in a new session uploads no asset again', async () => {
    const other = await launchBrowser({ viewport: { width: 1800, height: 1000 } });
    try {
      const second = await visit(await other.newPage());
      expect(second.sessionId).not.toBe(first.sessionId);
      expect(second.assetRequests.some((r) => r.startsWith('POST'))).toBe(true);
      expect(second.assetRequests.filter((r) => r.startsWith('PUT'))).toEqual([]);
      await waitIndexed(second.sessionId, second.lastAt);
      const events = await readSessionEvents(running.collector, 'dev', second.sessionId);
      expect(JSON.stringify(events.find((event) => event.type === 2))).toMatch(/reprise-asset:[0-9a-f]{64}/);
    } finally {
      await other.close();
    }
  });
});
