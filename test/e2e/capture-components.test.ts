import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { CAPTURE_FIXTURES, capturedEvents } from './capture-helpers.js';

/*
 * Shadow DOM (with an adopted stylesheet) and a same-origin iframe are recorded, replay, and keep
 * the privacy rules: typed values masked, passwords absent, PII redacted, masked text masked.
 */

let browser: TestBrowser;
let server: TestServer;

beforeAll(async () => {
  server = await serve({ mounts: { '/': CAPTURE_FIXTURES } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('shadow DOM, adopted stylesheets and same-origin iframes are recorded and replayed with privacy kept', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/components.html`);
  await page.evaluate(() => (window as unknown as { __startRecorder(o: unknown): void }).__startRecorder({}));
  await page.waitForTimeout(100);

  const frame = page.frameLocator('#frame');
  await frame.locator('#frame-password').fill('FramePassword1');
  await frame.locator('#frame-name').fill('Typed In Frame');
  await frame.locator('#frame-name').blur();
  await page.locator('#shadow-input').fill('typed in the shadow'); // playwright pierces open shadow roots
  await page.locator('#shadow-input').blur();
  await page.evaluate(() => {
    const list = document.querySelector('#widget')!.shadowRoot!.querySelector('#shadow-list')!;
    list.appendChild(document.createElement('li')).textContent = 'added inside the shadow root';
    const frameDoc = (document.querySelector('#frame') as HTMLIFrameElement).contentDocument!;
    frameDoc.body.appendChild(frameDoc.createElement('p')).textContent = 'added inside the frame';
  });
  await page.waitForTimeout(100);
  const events = await capturedEvents(page);
  await page.evaluate(() => (window as unknown as { recorder: { stop(): void } }).recorder.stop());
  await page.close();

  const json = JSON.stringify(events);
  expect(json).toContain('rgb(1, 2, 3)'); // the adopted stylesheet
  expect(json).toContain('added inside the shadow root');
  expect(json).toContain('added inside the frame');
  for (const secret of [
    'FramePassword1',
    'Typed In Frame',
    'typed in the shadow',
    'shadow.user@example.com',
    'frame.user@example.com',
    'shadow secret text',
  ]) {
    expect(json, secret).not.toContain(secret);
  }

  const replayPage = await browser.newPage();
  try {
    await replayPage.goto(`${server.url}/replay.html`);
    const replayed = await replayPage.evaluate(async (recorded) => {
      const doc = await (window as unknown as { replayToEnd(e: unknown[]): Promise<Document> }).replayToEnd(recorded);
      const shadow = doc.querySelector('x-widget')?.shadowRoot;
      const frameDoc = doc.querySelector('iframe')?.contentDocument;
      const inside = shadow?.querySelector('.inside');
      return {
        shadowText: shadow?.textContent?.replace(/\s+/g, ' ').trim(),
        shadowColor: inside ? getComputedStyle(inside).color : null,
        frameText: frameDoc?.body.textContent?.replace(/\s+/g, ' ').trim(),
      };
    }, events);
    expect(replayed.shadowText).toBe(
      'Shadow greeting Owner: *********************** ****** ****** **** added inside the shadow root',
    );
    expect(replayed.shadowColor).toBe('rgb(1, 2, 3)');
    expect(replayed.frameText).toBe('Frame content Billing contact: ********************** added inside the frame');
  } finally {
    await replayPage.close();
  }
});

test('typed text is recorded while the field keeps focus, inside a shadow root too, a few events a second', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`${server.url}/components.html`);
    // The shadow root's field is opted in (its text recorded as typed); the frame's stays masked.
    await page.evaluate(() =>
      document
        .querySelector('#widget')!
        .shadowRoot!.querySelector('#shadow-input')!
        .setAttribute('data-reprise-unmask', ''),
    );
    await page.evaluate(() => (window as unknown as { __startRecorder(o: unknown): void }).__startRecorder({}));
    await page.waitForTimeout(100);
    const inputTexts = async () =>
      (await capturedEvents(page))
        .filter((event) => event.type === 3 && event.data.source === 5)
        .map((event) => String(event.data.text));
    const typed = 'search terms';
    // Twelve keys 40 ms apart (about half a second of typing), focus kept: no blur, no change event.
    await page.locator('#shadow-input').click();
    const started = Date.now();
    await page.keyboard.type(typed, { delay: 40 });
    const typingMs = Date.now() - started;
    await expect.poll(inputTexts, { timeout: 10_000 }).toContain(typed);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('widget');
    const texts = await inputTexts();
    // Coalesced: one value per 250 ms of typing and the last one, not one per key.
    expect(texts.length).toBeLessThanOrEqual(Math.ceil(typingMs / 250) + 1);
    expect(texts.length).toBeLessThan(typed.length);
    expect(texts.every((text) => typed.startsWith(text))).toBe(true);

    // A masked field that keeps focus shows the mask while typed into.
    const frame = page.frameLocator('#frame');
    await frame.locator('#frame-name').click();
    await page.keyboard.type('Ann Example', { delay: 20 });
    await expect.poll(async () => (await inputTexts()).slice(texts.length), { timeout: 10_000 }).toEqual(['********']);

    const recorded = await capturedEvents(page);
    await page.evaluate(() => (window as unknown as { recorder: { stop(): void } }).recorder.stop());
    expect(JSON.stringify(recorded)).not.toContain('Ann Example');
    const replayPage = await browser.newPage();
    try {
      await replayPage.goto(`${server.url}/replay.html`);
      const values = await replayPage.evaluate(async (all) => {
        const doc = await (window as unknown as { replayToEnd(e: unknown[]): Promise<Document> }).replayToEnd(all);
        const shadowInput = doc
          .querySelector('x-widget')
          ?.shadowRoot?.querySelector('input') as HTMLInputElement | null;
        const frameInput = doc
          .querySelector('iframe')
          ?.contentDocument?.querySelector('#frame-name') as HTMLInputElement | null;
        return [shadowInput?.value, frameInput?.value];
      }, recorded);
      expect(values).toEqual([typed, '********']);
    } finally {
      await replayPage.close();
    }
  } finally {
    await page.close();
  }
});
