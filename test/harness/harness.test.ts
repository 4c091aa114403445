import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchBrowser, serve, startIngestServer, type TestBrowser, type TestServer } from './index.js';

let browser: TestBrowser;
let server: TestServer;

beforeAll(async () => {
  server = await serve({
    pages: {
      '/': '<!doctype html><title>harness</title><button id="b" onclick="this.textContent=\'clicked\'">click</button>',
    },
  });
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

test('the fake ingest server refuses a body over its limit with 413 without storing it', async () => {
  const ingest = await startIngestServer({ maxBodyBytes: 1024 });
  try {
    const response = await fetch(`${ingest.url}/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.reprise.batch' },
      body: new Uint8Array(64 * 1024),
    });
    expect(response.status).toBe(413);
    expect(ingest.requests).toEqual([expect.objectContaining({ status: 413, bytes: 64 * 1024 })]);
    expect(ingest.batches).toEqual([]);
  } finally {
    await ingest.close();
  }
});
