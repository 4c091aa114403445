import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { RESOURCE_ERROR_REPEAT_MS } from '@reprise/core/internal';
import {
  allStrings,
  CAPTURE_FIXTURES,
  capturedEvents,
  CORE_IIFE,
  EventType,
  fixture,
  IncrementalSource,
  jsonRoute,
  loadWholeRecorder,
  repriseEvents,
} from './capture-helpers.js';

/*
 * @reprise/core capture in Chromium, through the script-tag build (packages/core/dist/reprise.iife.js;
 * build it first: `cd packages/core && npx rollup -c`).
 */

const SECRETS = {
  password: 'Hunter2Secret', // 13 characters: no run of 13 asterisks may appear anywhere
  card: '4242 4242 4242 4242',
  email: 'jane.doe@example.com',
  maskedField: 'my-masked-value',
};

/** Text of the serialized element with this id in an rrweb snapshot tree. */
function textOfElement(node: unknown, id: string): string | undefined {
  const stack = [node];
  while (stack.length > 0) {
    const current = stack.pop() as
      { attributes?: { id?: string }; childNodes?: Array<{ textContent?: string }> } | undefined;
    if (!current) continue;
    if (current.attributes?.id === id)
      return (current.childNodes ?? []).map((child) => child.textContent ?? '').join('');
    stack.push(...(current.childNodes ?? []));
  }
  return undefined;
}

/** What the redactor and text masking leave: same length, whitespace kept. */
const mask = (text: string) => text.replace(/\S/g, '*');

let browser: TestBrowser;
let server: TestServer;
const received: Array<{ path: string; headers: Record<string, string | string[] | undefined> }> = [];

beforeAll(async () => {
  if (!existsSync(CORE_IIFE))
    throw new Error(`${CORE_IIFE} is missing: run \`cd packages/core && npx rollup -c\` first`);
  const app = fixture('app.html');
  server = await serve({
    mounts: { '/': CAPTURE_FIXTURES },
    pages: { '/app': app, '/app/items': app },
    routes: {
      'GET /api/items': (req, res, body) => {
        received.push({ path: req.url!, headers: req.headers });
        jsonRoute(
          { items: ['a', 'b'], owner: 'owner.person@example.com' },
          { 'set-cookie': 'sid=server-secret', 'x-served-by': 'test' },
        )(req, res, body);
      },
      'POST /api/echo': (req, res, body) => {
        received.push({ path: req.url!, headers: req.headers });
        const text = body.toString('utf8');
        res.writeHead(201, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
      },
      // Headers at once, the body 150 ms later and chunked (no Content-Length).
      'GET /api/slow-chunked': async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.flushHeaders();
        await new Promise((resolve) => setTimeout(resolve, 150));
        res.write('first part, ');
        res.end('second part');
      },
      '/collector/v1/ingest': (_req, res) => {
        res.writeHead(202);
        res.end();
      },
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openApp(options: Record<string, unknown> = {}): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${server.url}/app`);
  await loadWholeRecorder(page);
  await page.evaluate(
    (opts) => (window as unknown as { __startRecorder(o: unknown): string }).__startRecorder(opts),
    options,
  );
  return page;
}

/**
 * A recording page (fake clock) whose stored session's `field` is moved `ms` into the past, then
 * 6 s of its clock run. Returns the session the page started with.
 */
async function recordingWithAgedSession(
  field: 'lastActivityAt' | 'startedAt',
  ms: number,
): Promise<{ page: Page; first: string }> {
  const page = await browser.newPage();
  await page.clock.install();
  await page.goto(`${server.url}/app`);
  await loadWholeRecorder(page);
  const first = await page.evaluate(() =>
    (window as unknown as { __startRecorder(o: unknown): string }).__startRecorder({}),
  );
  await page.evaluate(
    ({ field, ms }) => {
      const stored = JSON.parse(sessionStorage.getItem('reprise:session')!) as Record<string, number>;
      stored[field]! -= ms;
      sessionStorage.setItem('reprise:session', JSON.stringify(stored));
    },
    { field, ms },
  );
  await page.clock.fastForward(6000);
  return { page, first };
}

async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await page.click(selector);
  await page.keyboard.type(text, { delay: 0 });
  await page.keyboard.press('Tab'); // blur: rrweb's 'last' input sampling records on change
}

describe('@reprise/core capture in Chromium', () => {
  let page: Page;
  let events: Awaited<ReturnType<typeof capturedEvents>>;
  let liveText: { list: string; view: string; title: string };

  beforeAll(async () => {
    page = await openApp({
      endpoint: `${server.url}/collector`,
      network: { captureHeaders: true, captureBodies: true },
    });
    await typeInto(page, '#name', 'Ada Lovelace');
    await typeInto(page, '#email', SECRETS.email);
    await typeInto(page, '#password', SECRETS.password);
    await typeInto(page, '#card', SECRETS.card);
    await typeInto(page, '#private-note', SECRETS.maskedField);
    await typeInto(page, '#city', 'Lisbon');
    await typeInto(page, '#public-notes', `reach me at ${SECRETS.email} any time`);
    await typeInto(page, '#bio', 'I like long walks');
    await page.selectOption('#plan', 'pro');
    await page.click('#add-item');
    await page.click('#add-item');
    await page.click('#nav-items'); // route change through pushState
    await page.evaluate(async () => {
      const w = window as unknown as { recorder: import('@reprise/core').Recorder };
      document.querySelector('#masked-text')!.setAttribute('aria-label', 'Label Lucy');
      console.log('hello from the page', { answer: 42 });
      const circular: Record<string, unknown> = { name: 'loop' };
      circular.self = circular;
      console.warn('circular', circular);
      console.error('contact', 'someone.else@example.com');
      console.assert(false, 'assertion message');
      setTimeout(() => {
        throw new TypeError('uncaught from a timer', { cause: new RangeError('the root cause') });
      });
      void Promise.reject(new Error('rejected promise'));
      await fetch('/api/items?q=1', { headers: { Authorization: 'Bearer top-secret', 'X-Trace': 'trace-1' } }).then(
        (r) => r.json(),
      );
      await fetch('/api/slow-chunked').then((r) => r.text());
      await fetch('http://127.0.0.1:9/unreachable').catch(() => undefined);
      await fetch('/collector/v1/ingest', { method: 'POST', body: 'delivery traffic' });
      await new Promise<void>((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', '/api/echo');
        xhr.setRequestHeader('Content-Type', 'text/plain');
        xhr.setRequestHeader('Cookie', 'client-cookie');
        xhr.onloadend = () => resolve();
        xhr.send('xhr payload body');
      });
      w.recorder.markNavigation({
        url: '/app/items/7',
        route: '/app/items/:id',
        params: { id: '7' },
        navigationType: 'push',
      });
      w.recorder.identify('user-42', { plan: 'pro', contact: 'user.fortytwo@example.com' });
      w.recorder.track('checkout', { total: 12.5 });
      // A reference cycle in props used to hang the tab (redaction looped, the encoder overflowed).
      const cart: Record<string, unknown> = { owner: 'cart.owner@example.com' };
      cart.self = cart;
      w.recorder.track('cyclic', cart as never);
      w.recorder.captureError(new Error('caught by a boundary'), {
        componentStack: '\n    at Cart',
        framework: 'react',
      });
    });
    // The chunked response's event waits for its Resource Timing entry, which a busy machine can
    // deliver well after the fetch resolved: wait for the event rather than a fixed time.
    await page.waitForFunction(
      () => JSON.stringify((window as unknown as { __events: unknown[] }).__events).includes('/api/slow-chunked"'),
      undefined,
      { timeout: 30_000 },
    );
    events = await capturedEvents(page);
    liveText = await page.evaluate(() => ({
      list: document.querySelector('#list')!.textContent!,
      view: document.querySelector('#view')!.textContent!,
      title: document.querySelector('#title')!.textContent!,
    }));
  });

  test('records a full snapshot, the form, the list and the route change', () => {
    expect(events[0]!.type).toBe(EventType.Meta);
    expect(events.some((event) => event.type === EventType.FullSnapshot)).toBe(true);
    const inputs = events.filter(
      (event) => event.type === EventType.IncrementalSnapshot && event.data.source === IncrementalSource.Input,
    );
    expect(inputs.length).toBeGreaterThanOrEqual(6);
    const mutations = events.filter(
      (event) => event.type === EventType.IncrementalSnapshot && event.data.source === IncrementalSource.Mutation,
    );
    expect(JSON.stringify(mutations)).toContain('item 3');
    expect(JSON.stringify(mutations)).toContain('Items page');
  });

  test('replays in rrweb Replayer to the same DOM text', async () => {
    const replayPage = await browser.newPage();
    try {
      await replayPage.goto(`${server.url}/replay.html`);
      const replayed = await replayPage.evaluate(async (recorded) => {
        const doc = await (window as unknown as { replayToEnd(e: unknown[]): Promise<Document> }).replayToEnd(recorded);
        const value = (selector: string) => (doc.querySelector(selector) as HTMLInputElement).value;
        return {
          list: doc.querySelector('#list')!.textContent!,
          view: doc.querySelector('#view')!.textContent!,
          title: doc.querySelector('#title')!.textContent!,
          masked: doc.querySelector('#masked-text')!.textContent!,
          contact: doc.querySelector('#contact')!.textContent!,
          // rrweb keeps nothing of a blocked element but its tag and size (not even its id).
          blocked: [...doc.querySelectorAll('div')]
            .filter((div) => div.style.width === '300px' && div.style.height === '120px')
            .map((div) => ({ children: div.childNodes.length, text: div.textContent })),
          values: {
            name: value('#name'),
            password: value('#password'),
            city: value('#city'),
            notes: value('#public-notes'),
          },
        };
      }, events);
      expect(replayed.list).toBe(liveText.list);
      expect(replayed.list).toContain('item 3');
      expect(replayed.view).toBe(liveText.view);
      expect(replayed.view).toContain('Items page');
      expect(replayed.title).toBe(liveText.title);
      // Privacy survives into the replay: masked text keeps its shape, the blocked box its size only.
      expect(replayed.masked).toBe(mask('Confidential diagnosis: hypertension'));
      expect(replayed.contact).toBe(`Write to ${mask('help.desk@example.org')} or pay with ${mask(SECRETS.card)}.`);
      expect(replayed.blocked).toEqual([{ children: 0, text: '' }]);
      // A masked value is a fixed placeholder: its length is not recorded either.
      expect(replayed.values).toMatchObject({
        name: '********',
        city: 'Lisbon',
        notes: `reach me at ${mask(SECRETS.email)} any time`,
      });
      // Password input is never recorded; at most the fixed placeholder shows.
      expect(['', '********']).toContain(replayed.values.password);
    } finally {
      await replayPage.close();
    }
  });

  test('typed secrets and masked or blocked content appear in no recorded event', () => {
    const json = JSON.stringify(events);
    for (const secret of [
      SECRETS.password,
      SECRETS.card,
      SECRETS.card.replace(/ /g, ''),
      SECRETS.email,
      SECRETS.maskedField,
    ]) {
      expect(json, secret).not.toContain(secret);
    }
    for (const hidden of [
      'Jane Roe',
      'Label Lucy',
      'hypertension',
      'Blocked banking widget',
      '12345678',
      'help.desk@example.org',
      'someone.else@example.com',
      'user.fortytwo@example.com',
      'owner.person@example.com',
      'I like long walks',
      'Ada Lovelace',
    ]) {
      expect(json, hidden).not.toContain(hidden);
    }
    // Not even the password's length: no string holds a run of exactly its length in asterisks.
    const passwordLengthMask = new RegExp(`(^|[^*])\\*{${SECRETS.password.length}}([^*]|$)`);
    expect(allStrings(events).filter((text) => passwordLengthMask.test(text))).toEqual([]);
    // Unmasked fields are recorded (redacted where they hold PII).
    expect(json).toContain('Lisbon');
    expect(json).toContain('reach me at');
  });

  test('console events carry level and serialized, capped, circular-safe arguments', () => {
    const consoleEvents = repriseEvents(events, 'reprise.console');
    expect(consoleEvents).toContainEqual({ level: 'log', args: ['hello from the page', '{"answer": 42}'] });
    expect(consoleEvents).toContainEqual({ level: 'warn', args: ['circular', '{"name": "loop", "self": [Circular]}'] });
    expect(consoleEvents).toContainEqual({ level: 'error', args: ['contact', mask('someone.else@example.com')] });
    const assertion = consoleEvents.find((event) => event.level === 'assert');
    expect(assertion).toMatchObject({ level: 'assert', args: ['assertion message'] });
    expect(assertion!.trace).toEqual(expect.any(String));
    // The trace starts at the page's own call: none of the recorder's frames (its wrappers) are in it.
    expect(assertion!.trace).not.toMatch(/reprise[\w.-]*\.js/);
  });

  test('uncaught errors, unhandled rejections and captured errors are recorded with message, stack and cause chain', () => {
    const errors = repriseEvents(events, 'reprise.error');
    const uncaught = errors.find((event) => event.source === 'error');
    expect(uncaught).toMatchObject({ name: 'TypeError', message: 'uncaught from a timer' });
    expect(uncaught!.stack).toContain('uncaught from a timer');
    expect(uncaught!.causes).toEqual([
      { name: 'RangeError', message: 'the root cause', stack: expect.stringContaining('the root cause') },
    ]);
    expect(errors.find((event) => event.source === 'unhandledrejection')).toMatchObject({
      name: 'Error',
      message: 'rejected promise',
    });
    expect(errors.find((event) => event.source === 'framework')).toMatchObject({
      message: 'caught by a boundary',
      framework: 'react',
      componentStack: '\n    at Cart',
    });
  });

  test('fetch and XHR are recorded with method, URL, status, timing and sizes; credentials never; the collector never', () => {
    const network = repriseEvents(events, 'reprise.network');
    const items = network.find((event) => String(event.url).endsWith('/api/items?q=1'))!;
    expect(items).toMatchObject({ initiator: 'fetch', method: 'GET', url: `${server.url}/api/items?q=1`, status: 200 });
    expect(items.duration).toEqual(expect.any(Number));
    expect(items.startTime).toBeGreaterThan(Date.now() - 60_000);
    expect(items.responseSize).toBe(
      Buffer.byteLength(JSON.stringify({ items: ['a', 'b'], owner: 'owner.person@example.com' })),
    );
    expect(items.requestHeaders).toEqual({ 'x-trace': 'trace-1' });
    expect(items.responseHeaders).toMatchObject({ 'x-served-by': 'test', 'content-type': 'application/json' });
    expect(items.responseHeaders).not.toHaveProperty('set-cookie');
    expect(items.responseBody).toBe(`{"items":["a","b"],"owner":"${mask('owner.person@example.com')}"}`);
    // The page itself still sent its Authorization header: capture only reads.
    expect(received.find((request) => request.path === '/api/items?q=1')?.headers.authorization).toBe(
      'Bearer top-secret',
    );

    // Duration runs to the last byte and the size is known without Content-Length (Resource Timing).
    const chunked = network.find((event) => String(event.url).endsWith('/api/slow-chunked'))!;
    expect(chunked).toMatchObject({ initiator: 'fetch', status: 200, responseSize: 'first part, second part'.length });
    expect(chunked.duration).toBeGreaterThanOrEqual(140);

    const failed = network.find((event) => String(event.url).includes('/unreachable'))!;
    expect(failed).toMatchObject({ initiator: 'fetch', status: 0, error: expect.any(String) });

    const xhr = network.find((event) => event.initiator === 'xhr')!;
    expect(xhr).toMatchObject({
      method: 'POST',
      url: `${server.url}/api/echo`,
      status: 201,
      requestSize: 16,
      responseSize: 16,
      requestHeaders: { 'content-type': 'text/plain' },
      requestBody: 'xhr payload body',
      responseBody: 'xhr payload body',
    });
    expect(network.some((event) => String(event.url).includes('/collector'))).toBe(false);
  });

  test('resources of the page that fail to load are recorded: 404 with its status, no response with status 0, an undecodable picture with its 200; loaded ones and data: URLs are not', async () => {
    const page = await openApp();
    const LOOPED_FAILURES = 10;
    const loopMs = await page.evaluate(async (LOOPED_FAILURES) => {
      const load = (element: HTMLImageElement | HTMLScriptElement | HTMLLinkElement) =>
        new Promise((resolve) => {
          element.addEventListener('load', resolve);
          element.addEventListener('error', resolve);
          document.body.appendChild(element);
        });
      const image = (src: string) => Object.assign(document.createElement('img'), { src });
      await load(image('/missing-picture.png?token=picture-secret-9a1c'));
      await load(Object.assign(document.createElement('script'), { src: 'http://127.0.0.1:9/unreachable.js' }));
      await load(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/missing-style.css' }));
      await load(image('data:image/png;base64,broken'));
      await load(image('/api/items'));
      // An onerror that sets the same missing picture again: a loop of failures.
      const started = performance.now();
      await new Promise<void>((resolve) => {
        const looping = document.createElement('img');
        let failures = 0;
        looping.onerror = () => {
          if (++failures < LOOPED_FAILURES) looping.src = '/missing-looping.png';
          else resolve();
        };
        looping.src = '/missing-looping.png';
        document.body.appendChild(looping);
      });
      const loopMs = performance.now() - started;
      // A picture that loads: a 1×1 PNG.
      const png = Uint8Array.from(
        atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII='),
        (char) => char.charCodeAt(0),
      );
      await load(image(URL.createObjectURL(new Blob([png], { type: 'image/png' }))));
      return loopMs;
    }, LOOPED_FAILURES);
    const all = repriseEvents(await capturedEvents(page), 'reprise.network').filter(
      (event) => event.initiator === 'resource',
    );
    await page.close();
    // The loop is recorded once a second of its duration, not once a failure.
    const looped = all.filter((event) => String(event.url).endsWith('/missing-looping.png'));
    expect(looped.length).toBeGreaterThanOrEqual(1);
    expect(looped.length).toBeLessThanOrEqual(1 + Math.floor(loopMs / RESOURCE_ERROR_REPEAT_MS));
    expect(looped.length).toBeLessThan(LOOPED_FAILURES);
    const resources = all.filter((event) => !looped.includes(event));
    expect(resources).toEqual([
      expect.objectContaining({
        method: 'GET',
        url: `${server.url}/missing-picture.png?token=redacted`,
        status: 404,
        startTime: expect.any(Number),
        duration: expect.any(Number),
        error: 'the <img> did not load',
      }),
      expect.objectContaining({
        url: 'http://127.0.0.1:9/unreachable.js',
        status: 0,
        error: 'the <script> did not load',
      }),
      expect.objectContaining({
        url: `${server.url}/missing-style.css`,
        status: 404,
        error: 'the <link> did not load',
      }),
      // /api/items answers JSON: an image that does not decode is still an error, with the 200 it got.
      expect.objectContaining({ url: `${server.url}/api/items`, status: 200, error: 'the <img> did not load' }),
    ]);
  });

  test('resources that fail inside shadow roots are recorded: open roots already on the page (one behind a getter that throws), nested ones, and roots attached while recording, closed ones too', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/app`);
    await loadWholeRecorder(page);
    // Before recording starts: a component that hides its open root behind a `shadowRoot` getter of
    // its own that throws, then a web component whose open shadow root holds another one.
    await page.evaluate(() => {
      const hiding = document.body.appendChild(document.createElement('div'));
      hiding.id = 'hiding-host';
      hiding.attachShadow({ mode: 'open' });
      Object.defineProperty(hiding, 'shadowRoot', {
        get() {
          throw new Error('this component keeps its shadow root to itself');
        },
      });
      const host = document.body.appendChild(document.createElement('div'));
      host.id = 'component-host';
      host.attachShadow({ mode: 'open' }).appendChild(document.createElement('span')).attachShadow({ mode: 'open' });
    });
    await page.evaluate(() => (window as unknown as { __startRecorder(o: unknown): string }).__startRecorder({}));
    await page.evaluate(async () => {
      const failIn = (root: ShadowRoot, src: string) =>
        new Promise((resolve) =>
          root.appendChild(Object.assign(document.createElement('img'), { src, onerror: resolve })),
        );
      const root = document.getElementById('component-host')!.shadowRoot!;
      const shadowRootOf = Object.getOwnPropertyDescriptor(Element.prototype, 'shadowRoot')!.get!;
      await failIn(shadowRootOf.call(document.getElementById('hiding-host')), '/missing-in-hidden-root.png');
      await failIn(root, '/missing-in-open-root.png');
      await failIn(root.querySelector('span')!.shadowRoot!, '/missing-in-nested-root.png');
      const closedHost = document.body.appendChild(document.createElement('div'));
      await failIn(closedHost.attachShadow({ mode: 'closed' }), '/missing-in-closed-root.png');
    });
    const failed = repriseEvents(await capturedEvents(page), 'reprise.network').filter(
      (event) => event.initiator === 'resource',
    );
    await page.close();
    expect(failed).toEqual(
      ['hidden-root', 'open-root', 'nested-root', 'closed-root'].map((where) =>
        expect.objectContaining({
          url: `${server.url}/missing-in-${where}.png`,
          status: 404,
          error: 'the <img> did not load',
        }),
      ),
    );
  });

  test('a page that made console, fetch and pushState read-only is still recorded: those go unheard, each said once to onError', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/app`);
    await loadWholeRecorder(page);
    const result = await page.evaluate(async () => {
      const w = window as unknown as {
        __startRecorder(o: unknown): string;
        __errors: string[];
        recorder: import('@reprise/core').Recorder;
      };
      // What a hardened page does so that third-party scripts cannot hook these.
      Object.freeze(console);
      Object.defineProperty(window, 'fetch', { value: window.fetch, writable: false, configurable: false });
      Object.defineProperty(history, 'pushState', { value: history.pushState, writable: false, configurable: false });
      w.__startRecorder({});
      console.log('from a frozen console');
      await fetch('/api/items?through=read-only-fetch');
      await new Promise<void>((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open('GET', '/api/items?through=xhr');
        xhr.onloadend = () => resolve();
        xhr.send();
      });
      document.querySelector('#list')!.appendChild(document.createElement('li')).textContent = 'added while hardened';
      const recording = w.recorder.isRecording;
      return { recording, errors: w.__errors };
    });
    const events = await capturedEvents(page);
    await page.evaluate(() => (window as unknown as { recorder: { stop(): void } }).recorder.stop());
    await page.close();
    expect(result.recording).toBe(true);
    expect(events.some((event) => event.type === EventType.FullSnapshot)).toBe(true);
    expect(JSON.stringify(events)).toContain('added while hardened');
    expect(repriseEvents(events, 'reprise.console')).toEqual([]);
    const requests = repriseEvents(events, 'reprise.network').map((payload) => payload.url);
    expect(requests).toEqual([`${server.url}/api/items?through=xhr`]);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /capturing console\.\w+ \(and any other console method the page made read-only\) failed: .*read only/,
      ),
      expect.stringMatching(/capturing fetch failed: .*read only/),
      expect.stringMatching(/capturing history\.pushState failed: .*read only/),
    ]);
  });

  test('navigation: the initial page, pushState route changes and markNavigation', () => {
    const navigations = repriseEvents(events, 'reprise.navigation');
    expect(navigations[0]).toMatchObject({
      url: `${server.url}/app`,
      navigationType: 'initial',
      title: 'Reprise capture fixture',
    });
    expect(navigations).toContainEqual(
      expect.objectContaining({ url: `${server.url}/app/items`, navigationType: 'push' }),
    );
    expect(navigations).toContainEqual(
      expect.objectContaining({
        url: '/app/items/7',
        route: '/app/items/:id',
        params: { id: '7' },
        navigationType: 'push',
      }),
    );
  });

  test('identify and track are recorded, with PII redacted from their values', () => {
    expect(repriseEvents(events, 'reprise.identify')).toEqual([
      { userId: 'user-42', traits: { plan: 'pro', contact: mask('user.fortytwo@example.com') } },
    ]);
    expect(repriseEvents(events, 'reprise.custom')).toEqual([
      { name: 'checkout', props: { total: 12.5 } },
      { name: 'cyclic', props: { owner: mask('cart.owner@example.com'), self: '[Circular]' } },
    ]);
  });

  test('stop() restores fetch, XHR, console and history exactly and nothing emits afterwards', async () => {
    const result = await page.evaluate(async () => {
      const w = window as unknown as {
        recorder: import('@reprise/core').Recorder;
        __events: unknown[];
        __recorderEvents: Array<{ name: string; payload: unknown }>;
        __originals: Record<string, unknown> & { console: Record<string, unknown> };
      };
      const patchedWhileRecording = window.fetch !== w.__originals.fetch && console.log !== w.__originals.console.log;
      // A component attached while recording: a picture failing in it after stop() is not recorded.
      const componentRoot = document.body.appendChild(document.createElement('div')).attachShadow({ mode: 'open' });
      w.recorder.stop();
      w.recorder.stop(); // idempotent
      const before = w.__events.length;
      const o = w.__originals;
      const identical = {
        fetch: window.fetch === o.fetch,
        xhrOpen: XMLHttpRequest.prototype.open === o.xhrOpen,
        xhrSend: XMLHttpRequest.prototype.send === o.xhrSend,
        xhrSetRequestHeader: XMLHttpRequest.prototype.setRequestHeader === o.xhrSetRequestHeader,
        attachShadow: Element.prototype.attachShadow === o.attachShadow,
        pushState: history.pushState === o.pushState && !Object.prototype.hasOwnProperty.call(history, 'pushState'),
        replaceState:
          history.replaceState === o.replaceState && !Object.prototype.hasOwnProperty.call(history, 'replaceState'),
        console: Object.entries(o.console).every(
          ([level, fn]) => (console as unknown as Record<string, unknown>)[level] === fn,
        ),
      };
      // Everything that was captured before: none of it may reach the sink now.
      document.querySelector('#list')!.appendChild(document.createElement('li')).textContent = 'after stop';
      (document.querySelector('#name') as HTMLInputElement).value = 'typed after stop';
      console.log('after stop');
      history.pushState({}, '', '/app/after-stop');
      window.dispatchEvent(new PopStateEvent('popstate'));
      setTimeout(() => {
        throw new Error('after stop');
      });
      void Promise.reject(new Error('after stop'));
      await fetch('/api/items?after=stop');
      await new Promise<void>((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open('GET', '/api/items?xhr=after-stop');
        xhr.onloadend = () => resolve();
        xhr.send();
      });
      await new Promise((resolve) =>
        componentRoot.appendChild(
          Object.assign(document.createElement('img'), { src: '/missing-after-stop.png', onerror: resolve }),
        ),
      );
      window.scrollTo(0, 100);
      document.body.dispatchEvent(new MouseEvent('mousemove', { clientX: 5, clientY: 5, bubbles: true }));
      w.recorder.track('after stop');
      await new Promise((resolve) => setTimeout(resolve, 300));
      return {
        patchedWhileRecording,
        identical,
        emittedAfterStop: w.__events.length - before,
        isRecording: w.recorder.isRecording,
        lifecycle: w.__recorderEvents
          .filter((event) => event.name === 'start' || event.name === 'stop')
          .map((event) => event.name),
      };
    });
    expect(result.patchedWhileRecording).toBe(true);
    expect(result.identical).toEqual({
      fetch: true,
      xhrOpen: true,
      xhrSend: true,
      xhrSetRequestHeader: true,
      attachShadow: true,
      pushState: true,
      replaceState: true,
      console: true,
    });
    expect(result.emittedAfterStop).toBe(0);
    expect(result.isRecording).toBe(false);
    expect(result.lifecycle).toEqual(['start', 'stop']);
    await page.close();
  });
});

describe('privacy edge cases in Chromium', () => {
  test('a password revealed by a "show password" toggle stays unrecorded; prefilled, cleared and programmatic values are masked', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/app`);
    await loadWholeRecorder(page);
    // A server-rendered prefill that was cleared before recording started (rrweb would keep the attribute).
    await page.evaluate(() => {
      const cleared = document.createElement('input');
      cleared.setAttribute('value', 'Cleared Carl');
      cleared.value = '';
      document.querySelector('#signup')!.appendChild(cleared);
      (window as unknown as { __startRecorder(o: unknown): void }).__startRecorder({});
    });
    await typeInto(page, '#password', 'Toggle1Secret');
    await page.evaluate(() => {
      (document.querySelector('#password') as HTMLInputElement).type = 'text'; // "show password"
    });
    await typeInto(page, '#password', 'Zq9xMore');
    await page.evaluate(() => {
      (document.querySelector('#password') as HTMLInputElement).value = 'SetBy5cript';
      (document.querySelector('#name') as HTMLInputElement).value = 'Programmatic Pat';
      const prefilled = document.createElement('input');
      prefilled.value = 'Prefilled Pete';
      prefilled.setAttribute('value', 'Attribute Anna');
      document.querySelector('#signup')!.appendChild(prefilled);
      const addedCleared = document.createElement('textarea');
      addedCleared.setAttribute('value', 'Added Adele');
      const addedInput = document.createElement('input');
      addedInput.setAttribute('value', 'Added Albert');
      addedInput.value = '';
      document.querySelector('#signup')!.append(addedCleared, addedInput);
    });
    await page.waitForTimeout(50);
    const json = JSON.stringify(await capturedEvents(page));
    for (const secret of [
      'Toggle1Secret',
      'Zq9xMore',
      'SetBy5cript',
      'Programmatic Pat',
      'Prefilled Pete',
      'Attribute Anna',
      'Cleared Carl',
      'Added Albert',
      'Added Adele',
    ]) {
      expect(json, secret).not.toContain(secret);
    }
    await page.close();
  });
});

describe('privacy options in Chromium', () => {
  test('extra mask, block and unmask selectors and custom redaction patterns apply', async () => {
    const page = await openApp({
      privacy: {
        maskSelectors: ['#title'],
        blockSelectors: ['#list'],
        unmaskSelectors: ['#name'],
        redact: { patterns: ['\\bACCT-\\d{6}\\b'] },
      },
    });
    await typeInto(page, '#name', 'Grace Hopper');
    await page.evaluate(() => {
      (window as unknown as { app: { addItem(text: string): void } }).app.addItem('hidden row');
      console.log('account ACCT-123456 looked up');
    });
    const events = await capturedEvents(page);
    const json = JSON.stringify(events);
    expect(json).toContain('Grace Hopper');
    const snapshot = events.find((event) => event.type === EventType.FullSnapshot)!;
    expect(textOfElement(snapshot.data.node, 'title')).toBe('******* ******* *******');
    expect(json).not.toContain('first item');
    expect(json).not.toContain('hidden row');
    expect(json).not.toContain('ACCT-123456');
    expect(repriseEvents(events, 'reprise.console')).toContainEqual({
      level: 'log',
      args: [`account ${'*'.repeat(11)} looked up`],
    });
    await page.close();
  });
});

describe('recorder lifecycle in Chromium', () => {
  test('a double mount (React StrictMode) yields one recording; the last release stops it', async () => {
    const page = await openApp({ autoStart: false });
    const result = await page.evaluate(async () => {
      const w = window as unknown as {
        recorder: import('@reprise/core').Recorder;
        __events: Array<{ type: number }>;
        __recorderEvents: Array<{ name: string; payload: { reason?: string } }>;
      };
      const releaseFirst = w.recorder.mount();
      releaseFirst();
      const releaseSecond = w.recorder.mount();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const whileMounted = {
        recording: w.recorder.isRecording,
        metas: w.__events.filter((event) => event.type === 4).length,
      };
      releaseSecond();
      releaseSecond(); // a second call of the same release is ignored
      await new Promise((resolve) => setTimeout(resolve, 50));
      return {
        whileMounted,
        after: w.recorder.isRecording,
        lifecycle: w.__recorderEvents.map((event) => [event.name, event.payload?.reason ?? null]),
      };
    });
    expect(result.whileMounted).toEqual({ recording: true, metas: 1 });
    expect(result.after).toBe(false);
    expect(result.lifecycle.map(([name]) => name)).toEqual(['start', 'stop']);
    expect(result.lifecycle[1]).toEqual(['stop', 'unmount']);
    await page.close();
  });

  test('requireConsent: nothing before start(); an unsampled session records nothing', async () => {
    const page = await openApp({ autoStart: false, requireConsent: true });
    const consent = await page.evaluate(async () => {
      const w = window as unknown as { recorder: import('@reprise/core').Recorder; __events: unknown[] };
      w.recorder.mount();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const beforeConsent = w.__events.length;
      w.recorder.start();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { beforeConsent, afterConsent: w.__events.length, sessionId: w.recorder.sessionId };
    });
    expect(consent.beforeConsent).toBe(0);
    expect(consent.afterConsent).toBeGreaterThan(0);
    expect(consent.sessionId).toMatch(/^[0-9a-f]{32}$/);
    await page.close();

    const unsampled = await openApp({ sampleRate: 0 });
    const nothing = await unsampled.evaluate(async () => {
      const w = window as unknown as { recorder: import('@reprise/core').Recorder; __events: unknown[] };
      w.recorder.track('ignored');
      console.log('ignored');
      await new Promise((resolve) => setTimeout(resolve, 50));
      return {
        events: w.__events.length,
        recording: w.recorder.isRecording,
        patched: window.fetch !== (window as unknown as { __originals: { fetch: unknown } }).__originals.fetch,
      };
    });
    expect(nothing).toEqual({ events: 0, recording: false, patched: false });
    await unsampled.close();
  });

  test('an expired session (30 minutes idle) continues in a new session that starts with a full snapshot', async () => {
    // The tab sat idle for 31 minutes: the stored session's last activity is that old.
    const { page, first } = await recordingWithAgedSession('lastActivityAt', 31 * 60 * 1000);
    const before = (await capturedEvents(page)).length;
    await page.evaluate(() =>
      (window as unknown as { app: { addItem(text: string): void } }).app.addItem('back after a break'),
    );
    await page.evaluate(() => new Promise((resolve) => queueMicrotask(() => resolve(null))));
    const events = (await capturedEvents(page)).slice(before);
    const result = await page.evaluate(() => {
      const w = window as unknown as {
        recorder: import('@reprise/core').Recorder;
        __recorderEvents: Array<{ name: string; payload: { sessionId?: string } }>;
      };
      return {
        sessionId: w.recorder.sessionId,
        starts: w.__recorderEvents.filter((event) => event.name === 'start').map((event) => event.payload.sessionId),
      };
    });
    expect(result.sessionId).not.toBe(first);
    expect(result.starts).toEqual([first, result.sessionId]);
    // The old session's last event says why it ended and where recording went on, stamped at its
    // last recorded event (not 31 minutes later); the new one starts with a full snapshot, then
    // says which session it continues.
    const [ended, ...continued] = events;
    expect(ended).toMatchObject({
      type: EventType.Custom,
      data: { tag: 'reprise.session', payload: { state: 'ended', reason: 'idle', nextSessionId: result.sessionId } },
    });
    expect(ended!.timestamp).toBe(
      Math.max(...(await capturedEvents(page)).slice(0, before).map((event) => event.timestamp)),
    );
    expect(continued.map((event) => event.type).slice(0, 2)).toEqual([EventType.Meta, EventType.FullSnapshot]);
    expect(JSON.stringify(continued[1])).toContain('back after a break');
    expect(repriseEvents(continued, 'reprise.session')).toEqual([
      { state: 'started', reason: 'idle', previousSessionId: first },
    ]);
    expect(continued.findIndex((event) => event.data.tag === 'reprise.session')).toBe(2);
    await page.close();
  });

  test('a session 24 hours old ends with reason maxDuration, and the next one names it', async () => {
    const { page, first } = await recordingWithAgedSession('startedAt', 25 * 60 * 60 * 1000);
    await page.evaluate(() =>
      (window as unknown as { app: { addItem(text: string): void } }).app.addItem('a day later'),
    );
    const next = await page.evaluate(
      () => (window as unknown as { recorder: import('@reprise/core').Recorder }).recorder.sessionId,
    );
    const markers = repriseEvents(await capturedEvents(page), 'reprise.session');
    expect(next).not.toBe(first);
    expect(markers).toEqual([
      { state: 'ended', reason: 'maxDuration', nextSessionId: next },
      { state: 'started', reason: 'maxDuration', previousSessionId: first },
    ]);
    await page.close();
  });

  test('a second recorder on the same page refuses with a clear error and installs nothing', async () => {
    const page = await openApp();
    const result = await page.evaluate(() => {
      const w = window as unknown as {
        recorder: import('@reprise/core').Recorder;
        Reprise: typeof import('@reprise/core');
      };
      const errors: Array<{ code: string; message: string }> = [];
      const fetchBefore = window.fetch;
      const second = w.Reprise.createRecorder({
        onError: (error) =>
          errors.push({ code: (error as import('@reprise/core').RecorderError).code, message: error.message }),
      });
      second.start();
      const secondLeftFetch = window.fetch === fetchBefore;
      second.stop();
      return { errors, secondRecording: second.isRecording, secondLeftFetch, firstRecording: w.recorder.isRecording };
    });
    expect(result.errors).toEqual([
      {
        code: 'capture',
        message: expect.stringContaining('[@reprise/core] another recorder is already recording this page'),
      },
    ]);
    expect(result).toMatchObject({ secondRecording: false, secondLeftFetch: true, firstRecording: true });
    await page.close();
  });

  test('plugins turned off in options patch nothing and record nothing; navigation: manual records only markers', async () => {
    const page = await openApp({ console: false, network: false, errors: false, navigation: 'manual' });
    const result = await page.evaluate(async () => {
      const w = window as unknown as {
        recorder: import('@reprise/core').Recorder;
        __originals: Record<string, unknown> & { console: Record<string, unknown> };
      };
      const untouched =
        window.fetch === w.__originals.fetch &&
        console.log === w.__originals.console.log &&
        history.pushState === w.__originals.pushState;
      console.log('not recorded');
      await fetch('/api/items');
      const broken = document.body.appendChild(document.createElement('img'));
      await new Promise((resolve) => {
        broken.onerror = resolve;
        broken.src = '/missing-picture.png';
      });
      history.pushState({}, '', '/app/items');
      setTimeout(() => {
        throw new Error('not recorded');
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      w.recorder.markNavigation({ route: '/app/items' });
      return untouched;
    });
    const events = await capturedEvents(page);
    expect(result).toBe(true);
    expect(events.filter((event) => event.type === EventType.Custom).map((event) => event.data.tag)).toEqual([
      'reprise.navigation',
    ]);
    expect(repriseEvents(events, 'reprise.navigation')).toEqual([
      { url: `${server.url}/app/items`, route: '/app/items', title: 'Reprise capture fixture' },
    ]);
    await page.close();
  });

  test('checkoutEveryMs takes periodic full snapshots, so a replay can start from any segment', async () => {
    const page = await openApp({ checkoutEveryMs: 150 });
    await page.evaluate(async () => {
      const app = (window as unknown as { app: { addItem(text: string): void } }).app;
      for (let i = 0; i < 8; i++) {
        app.addItem(`tick ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
    });
    const snapshots = (await capturedEvents(page)).filter((event) => event.type === EventType.FullSnapshot);
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(snapshots.at(-1))).toContain('tick ');
    await page.close();
  });

  test('optOut() drops what is pending and is remembered by the browser', async () => {
    const page = await openApp();
    const result = await page.evaluate(async () => {
      const w = window as unknown as {
        recorder: import('@reprise/core').Recorder;
        __events: unknown[];
        __startRecorder(o: unknown): string | null;
      };
      await w.recorder.flush();
      const before = w.__events.length;
      w.recorder.track('pending when opting out'); // queued, not yet handed over
      w.recorder.optOut();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const dropped = w.__events.length === before;
      w.__startRecorder({});
      const restarted = w.recorder.isRecording;
      localStorage.removeItem('reprise:opt-out'); // leave the shared profile clean for other tests
      return { dropped, restarted, optOutStored: localStorage.getItem('reprise:opt-out') };
    });
    expect(result).toEqual({ dropped: true, restarted: false, optOutStored: null });
    await page.close();
  });
});

describe('console methods beyond the levels', () => {
  test('table, dir, count, time and group are recorded as the browser prints them', async () => {
    const page = await openApp({ network: false });
    await page.evaluate(async () => {
      console.table([{ sku: 'a', qty: 2 }]);
      console.dir({ cart: [1, 2] });
      console.count('clicks');
      console.count('clicks');
      console.time('load');
      await new Promise((resolve) => setTimeout(resolve, 30));
      console.timeEnd('load');
      console.groupCollapsed('Checkout');
      console.log('inside the group');
      console.groupEnd();
    });
    await expect
      .poll(async () => repriseEvents(await capturedEvents(page), 'reprise.console').length, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(7);
    const logged: string[][] = repriseEvents(await capturedEvents(page), 'reprise.console').map((event) => [
      String(event.level),
      ...(event.args as string[]),
    ]);
    expect(logged).toEqual([
      ['table', '[{"sku": "a", "qty": 2}]'],
      ['dir', '{"cart": [1, 2]}'],
      ['count', 'clicks: 1'],
      ['count', 'clicks: 2'],
      ['timeEnd', expect.stringMatching(/^load: \d+(\.\d+)? ms$/)],
      ['group', 'Checkout'],
      ['log', 'inside the group'],
    ]);
    expect(Number(/load: ([\d.]+) ms/.exec(logged[4]![1]!)![1])).toBeGreaterThanOrEqual(25);
    await page.close();
  });
});

describe('GraphQL requests', () => {
  test('fetch, XHR and GET name their operation, with bodies not recorded; other requests carry none', async () => {
    const page = await openApp({ console: false });
    await page.evaluate(async () => {
      const post = (body: unknown) =>
        fetch('/api/echo?graphql=fetch', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then((r) => r.text());
      await post({
        query: 'fragment Line on CartLine { sku }\nmutation AddToCart($sku: ID!) { addToCart(sku: $sku) { ...Line } }',
        operationName: 'AddToCart',
        variables: { sku: 'sku-7' },
      });
      await post({ query: 'red shoes' });
      await new Promise<void>((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', '/api/echo?graphql=xhr');
        xhr.setRequestHeader('content-type', 'application/json');
        xhr.onloadend = () => resolve();
        xhr.send(JSON.stringify([{ query: 'query Cart { cart { id } }' }, { query: '{ me { id } }' }]));
      });
      await fetch(`/api/items?${new URLSearchParams({ query: 'query Search { search { id } }' })}`);
    });
    // A fetch is recorded once its Resource Timing entry is in (up to 3 s): the four can come in
    // any order, and late on a loaded machine.
    await expect
      .poll(async () => repriseEvents(await capturedEvents(page), 'reprise.network').length, { timeout: 15_000 })
      .toBe(4);
    const network = repriseEvents(await capturedEvents(page), 'reprise.network');
    const operations = network.map((event) => [event.method, new URL(String(event.url)).search, event.operation]);
    expect(operations).toHaveLength(4);
    expect(operations).toEqual(
      expect.arrayContaining([
        ['POST', '?graphql=fetch', 'mutation AddToCart'],
        ['POST', '?graphql=fetch', undefined],
        ['POST', '?graphql=xhr', 'query Cart, query'],
        ['GET', `?${new URLSearchParams({ query: 'query Search { search { id } }' })}`, 'query Search'],
      ]),
    );
    // The operation is read without recording the body (bodies are off by default).
    expect(network.every((event) => event.requestBody === undefined)).toBe(true);
    await page.close();
  });
});

describe('network capture of fetch(Request)', () => {
  test('a Request object with a body: size and body recorded, the request itself sent exactly as without the recorder', async () => {
    const sendAll = async () => {
      const text = 'request object body, for alice@example.org';
      const echoed = await fetch(
        new Request('/api/echo?case=text', { method: 'POST', body: text, headers: { 'content-type': 'text/plain' } }),
      ).then((r) => r.text());
      const bytes = await fetch(
        new Request('/api/echo?case=binary', { method: 'POST', body: new Uint8Array([1, 2, 3, 4, 5]) }),
      ).then((r) => r.arrayBuffer());
      const form = await fetch(
        new Request('/api/echo?case=form', { method: 'POST', body: new URLSearchParams({ q: 'reprise', page: '2' }) }),
      ).then((r) => r.text());
      // init.body wins over the Request's own, as in fetch itself.
      const overridden = await fetch(
        new Request('/api/echo?case=override', { method: 'POST', body: 'from the request' }),
        { body: 'from init' },
      ).then((r) => r.text());
      return { echoed, bytes: [...new Uint8Array(bytes)], form, overridden };
    };
    const requestsFor = (marker: string) =>
      received
        .filter((request) => request.path.startsWith('/api/echo?case='))
        .map((request) => ({
          path: request.path,
          length: request.headers['content-length'],
          chunked: request.headers['transfer-encoding'] ?? null,
        }))
        .filter((request) => request.path.includes(marker));

    // Without the recorder first: what the server receives is the reference.
    const plain = await browser.newPage();
    await plain.goto(`${server.url}/app`);
    received.length = 0;
    const expected = await plain.evaluate(sendAll);
    const reference = requestsFor('case=');
    await plain.close();

    const page = await openApp({ network: { captureBodies: true } });
    received.length = 0;
    const result = await page.evaluate(sendAll);
    expect(result).toEqual(expected);
    expect(result).toEqual({
      echoed: 'request object body, for alice@example.org',
      bytes: [1, 2, 3, 4, 5],
      form: 'q=reprise&page=2',
      overridden: 'from init',
    });
    expect(requestsFor('case=')).toEqual(reference);
    expect(reference.every((request) => request.length !== undefined && request.chunked === null)).toBe(true);

    // Each event waits for the browser's Resource Timing entry of its response: poll for all four.
    let network: Array<Record<string, unknown>> = [];
    await expect
      .poll(
        async () => {
          network = repriseEvents(await capturedEvents(page), 'reprise.network').filter((event) =>
            String(event.url).includes('/api/echo?case='),
          );
          return network.length;
        },
        { timeout: 10_000 },
      )
      .toBe(4);
    const byCase = Object.fromEntries(
      network.map((event) => [new URL(String(event.url)).searchParams.get('case'), event]),
    );
    expect(byCase.text).toMatchObject({
      method: 'POST',
      status: 201,
      requestSize: 42,
      requestBody: `request object body, for ${mask('alice@example.org')}`,
    });
    expect(byCase.binary).toMatchObject({
      method: 'POST',
      status: 201,
      requestSize: 5,
      requestBody: '[Request body 5 bytes]',
    });
    expect(byCase.form).toMatchObject({ requestSize: 16, requestBody: 'q=reprise&page=2' });
    expect(byCase.override).toMatchObject({ requestSize: 9, requestBody: 'from init' });
    await page.close();
  });
});
