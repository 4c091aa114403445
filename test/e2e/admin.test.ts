import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { fixtureSite, recordFixture, startCollector, type RecordedFixture, type RunningCollector } from '../fixtures/admin/session.js';
import { findSessionsById } from '../../server/src/index-db/sessions-store.js';

let running: RunningCollector;
let site: TestServer;
let browser: TestBrowser;
let recorded: RecordedFixture;
let admin: Page;
const SHOTS = process.env.REPRISE_ADMIN_SHOTS;

const shot = async (page: Page, name: string) => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
};

beforeAll(async () => {
  running = await startCollector();
  site = await serve(fixtureSite);
  browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
  const page = await browser.newPage();
  page.on('console', (message) => { if (message.type() === 'warning' || message.type() === 'error') console.log('fixture:', message.text()); });
  recorded = await recordFixture(page, site.url, running.url);
  await page.close();
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [row] = await findSessionsById(running.sessions.index.db, recorded.sessionId);
    if (row && row.ended_at >= recorded.lastInputAt && running.collector.log.lag() === 0) break;
    if (Date.now() > deadline) throw new Error(`session ${recorded.sessionId} not indexed in time: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  admin = await browser.newPage();
  admin.on('pageerror', (error) => console.error('admin page error:', error));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await running?.stop();
});

describe('admin UI', () => {
  test('the one-time setup link creates the first admin and logs in', async () => {
    await admin.goto(`${running.url}/setup#token=${running.setupToken}`);
    await shot(admin, 'setup');
    await admin.fill('input[name=username]', 'ada');
    await admin.fill('input[name=new-password]', 'correct horse battery');
    await admin.fill('input[name=confirm-password]', 'correct horse battery');
    await admin.click('button[type=submit]');
    await admin.waitForURL(`${running.url}/sessions`);
    await admin.waitForSelector('.sessions-table');
    await shot(admin, 'sessions');
    await admin.click('.sessions-table tbody tr');
    await admin.waitForFunction(() => (window as unknown as { reprisePlayer?: { getState(): string } }).reprisePlayer?.getState() === 'playing');
    await admin.waitForTimeout(3000);
    await shot(admin, 'session');
    await admin.goto(`${running.url}/audit`);
    await admin.waitForSelector('.audit-table');
    await shot(admin, 'audit');
    await admin.goto(`${running.url}/settings`);
    await admin.waitForSelector('.card');
    await shot(admin, 'settings');
  });
});
