import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchBrowser, serve, type TestBrowser, type TestServer } from './index.js';

let browser: TestBrowser;
let server: TestServer;

beforeAll(async () => {
  server = await serve({ pages: { '/': '<!doctype html><title>harness</title><button id="b" onclick="this.textContent=\'clicked\'">click</button>' } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('serves a page on 127.0.0.1 that headless Chromium can drive', async () => {
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const page = await browser.newPage();
  await page.goto(`${server.url}/`);
  await page.click('#b');
  expect(await page.textContent('#b')).toBe('clicked');
  expect(await page.evaluate(() => navigator.userAgent)).toContain('HeadlessChrome');
});
