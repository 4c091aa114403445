import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import {
  allStrings,
  CAPTURE_FIXTURES,
  capturedEvents,
  CORE_IIFE,
  EventType,
  IncrementalSource,
  jsonRoute,
  loadWholeRecorder,
  repriseEvents,
} from './capture-helpers.js';

/*
 * The recorder's privacy defaults for what pages commonly hide, in Chromium through the
 * script-tag build (packages/core/dist/reprise.iife.js): secrets in URLs, credential headers,
 * password fields in bodies, masked values' length, <select> choices, secret attributes,
 * contenteditable text, SSNs shown as page text, and subtrees marked with rrweb's own classes.
 */

const SECRETS = {
  urlToken: 'url-token-5f1e9a',
  fragmentToken: 'frag-token-77c2d0',
  apiKey: 'api-key-3b8e41',
  bodyPassword: 'body-password-c0ffee',
  jsonPassword: 'json-password-be11e5',
  csrf: 'csrf-meta-a7d93c',
  rotatedCsrf: 'csrf-rotated-4e02aa',
  dataToken: 'data-token-61f0b2',
  editable: 'Editable secret draft',
  ssn: '123-45-6789',
  // rrweb's own class markers, which pages that used rrweb (or a tool built on it) already carry.
  rrMaskText: 'Margaret kept this note private',
  rrMaskTitle: 'Tooltip naming Margaret',
  rrMaskTyped: 'typed inside rr-mask',
  rrBlockText: 'Blocked ledger entry',
};
/** One of the `<select>`'s options: the options are page structure; which one was chosen is not recorded. */
const CHOSEN = 'option-gold-plan';

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="csrf-token" content="${SECRETS.csrf}">
  <title>privacy fixture</title>
  <script src="/dist/core/reprise.iife.js"></script>
  <script src="/recorder-setup.js"></script>
</head>
<body>
  <a id="reset" href="/reset?token=${SECRETS.urlToken}&lang=en">reset</a>
  <div id="widget" data-api-key="${SECRETS.dataToken}" data-id="w1">widget</div>
  <p id="ssn">SSN on file: ${SECRETS.ssn}</p>
  <div id="editor" contenteditable="true">${SECRETS.editable}</div>
  <label>Name <input id="name" type="text"></label>
  <div id="rr-masked" class="rr-mask" title="${SECRETS.rrMaskTitle}">${SECRETS.rrMaskText}
    <input id="rr-masked-field" data-reprise-unmask>
  </div>
  <div id="rr-blocked" class="rr-block">${SECRETS.rrBlockText}</div>
  <label>Plan <select id="plan"><option value="option-free">Free</option><option value="${CHOSEN}">Gold</option></select></label>
</body>
</html>`;

const PRESET_PASSWORD = 'preset-password-9d41c7';
const TYPED_PASSWORD = 'typed-password-e83b20';
/** A login form opted back in as a whole: its user name is recorded, its password never. */
const xhtmlLogin = `<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
  <title>xhtml login</title>
  <script src="/dist/core/reprise.iife.js"></script>
  <script src="/recorder-setup.js"></script>
</head>
<body>
  <form id="login" data-reprise-unmask="">
    <input id="user" type="text" value="ann-in-xhtml"/>
    <input id="password" type="password" value="${PRESET_PASSWORD}"/>
    <textarea id="signature">initial signature</textarea>
  </form>
  <textarea id="notes">initial notes</textarea>
</body>
</html>`;

let browser: TestBrowser;
let server: TestServer;
const received: Array<Record<string, string | string[] | undefined>> = [];

beforeAll(async () => {
  if (!existsSync(CORE_IIFE))
    throw new Error(`${CORE_IIFE} is missing: run \`cd packages/core && npx rollup -c\` first`);
  server = await serve({
    mounts: { '/': CAPTURE_FIXTURES },
    pages: { '/private': page },
    routes: {
      'POST /api/login': (req, res, body) => {
        received.push(req.headers);
        jsonRoute({ ok: true, session_token: 'response-token-0d15ea', echo: body.length })(req, res, body);
      },
      // The same recorder in an XHTML document, where an element's tagName is lower case.
      'GET /login.xhtml': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/xhtml+xml' });
        res.end(xhtmlLogin);
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

describe('@reprise/core privacy defaults in Chromium', () => {
  let tab: Page;
  let events: Awaited<ReturnType<typeof capturedEvents>>;

  beforeAll(async () => {
    tab = await browser.newPage();
    await tab.goto(
      `${server.url}/private?token=${SECRETS.urlToken}&q=shoes#access_token=${SECRETS.fragmentToken}&token_type=bearer`,
    );
    await tab.evaluate(() =>
      (window as unknown as { __startRecorder(o: unknown): string }).__startRecorder({
        endpoint: `${location.origin}/collector`,
        network: { captureHeaders: true, captureBodies: true },
      }),
    );
    await tab.click('#name');
    await tab.keyboard.type('Ada Lovelace', { delay: 0 });
    await tab.selectOption('#plan', CHOSEN);
    await tab.click('#rr-masked-field');
    await tab.keyboard.type(SECRETS.rrMaskTyped, { delay: 0 });
    await tab.click('#editor');
    await tab.keyboard.type(' more secret words', { delay: 0 });
    await tab.evaluate(async (secrets) => {
      await fetch('/api/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': secrets.apiKey, 'x-request-id': 'r-1' },
        body: JSON.stringify({ user: 'ann', password: secrets.jsonPassword }),
      }).then((r) => r.text());
      await fetch(`/api/login?api_key=${secrets.apiKey}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `password=${secrets.bodyPassword}&user=ann`,
      }).then((r) => r.text());
      document.querySelector('#widget')!.setAttribute('data-session-token', secrets.dataToken);
      // A token the page rotates later: the change carries the content, not the meta's name.
      document.querySelector('meta[name="csrf-token"]')!.setAttribute('content', secrets.rotatedCsrf);
      history.pushState({}, '', `/private/next?reset_code=${secrets.urlToken}`);
    }, SECRETS);
    await tab.waitForTimeout(300);
    events = await capturedEvents(tab);
    expect(received).toHaveLength(2);
  });

  afterAll(() => tab?.close());

  test('no secret of the page reaches any recorded event', () => {
    const strings = allStrings(events).join('\n');
    for (const secret of Object.values(SECRETS)) expect(strings, secret).not.toContain(secret);
    expect(strings).not.toContain('response-token-0d15ea');
    // The requests themselves went out untouched: only the recording is redacted.
    expect(received[0]!['x-api-key']).toBe(SECRETS.apiKey);
  });

  test('secret URL parameters keep their names with a fixed value; the others are kept', () => {
    const meta = events.find((event) => event.type === EventType.Meta)!;
    expect((meta.data as { href: string }).href).toBe(
      `${server.url}/private?token=redacted&q=shoes#access_token=redacted&token_type=redacted`,
    );
    const navigations = repriseEvents(events, 'reprise.navigation');
    expect(navigations.at(-1)).toMatchObject({ url: `${server.url}/private/next?reset_code=redacted` });
    const requests = repriseEvents(events, 'reprise.network').filter((request) =>
      String(request.url).includes('/api/'),
    );
    expect(requests.map((request) => request.url)).toEqual([
      `${server.url}/api/login`,
      `${server.url}/api/login?api_key=redacted`,
    ]);
  });

  test('credential headers are left out even with captureHeaders: true, and password fields of bodies are redacted', () => {
    const [json, form] = repriseEvents(events, 'reprise.network').filter((request) =>
      String(request.url).includes('/api/'),
    ) as Array<{ requestHeaders?: Record<string, string>; requestBody?: string; responseBody?: string }>;
    expect(json!.requestHeaders).toEqual({ 'content-type': 'application/json', 'x-request-id': 'r-1' });
    expect(json!.requestBody).toBe('{"user":"ann","password":"redacted"}');
    expect(json!.responseBody).toContain('"session_token":"redacted"');
    expect(form!.requestBody).toBe('password=redacted&user=ann');
  });

  test('masked values have one fixed length, the chosen option is not told, contenteditable text, secret attributes and rrweb-marked subtrees are masked', () => {
    const inputs = events.filter(
      (event) =>
        event.type === EventType.IncrementalSnapshot &&
        (event.data as { source?: number }).source === IncrementalSource.Input,
    );
    const texts = new Set(inputs.map((event) => (event.data as { text: string }).text));
    expect([...texts]).toEqual(['********']);
    const snapshot = JSON.stringify(events.find((event) => event.type === EventType.FullSnapshot));
    expect(snapshot).toContain('"content":"********"');
    expect(snapshot).toContain('"data-api-key":"********"');
    expect(snapshot).toContain('"data-id":"w1"');
    expect(snapshot).not.toContain('"selected"');
    expect(snapshot).toContain('SSN on file: ***********');
    expect(snapshot).not.toContain('Editable');
    // rrweb's class markers: the masked subtree is recorded (its text masked), the blocked one as a
    // placeholder without its id.
    expect(snapshot).toContain('"id":"rr-masked"');
    expect(snapshot).toContain('"class":"rr-block"');
    expect(snapshot).not.toContain('"id":"rr-blocked"');
    const mutations = JSON.stringify(
      events.filter(
        (event) =>
          event.type === EventType.IncrementalSnapshot &&
          (event.data as { source?: number }).source === IncrementalSource.Mutation,
      ),
    );
    expect(mutations).toContain('"data-session-token":"********"');
    expect(mutations).not.toContain('more secret words');
  });
});

test('privacy.redact.dropQueryStrings drops every query string and fragment of recorded URLs', async () => {
  const tab = await browser.newPage();
  try {
    await tab.goto(`${server.url}/private?name=Ann+Lee&plan=gold#section=billing`);
    await tab.evaluate(() =>
      (window as unknown as { __startRecorder(o: unknown): string }).__startRecorder({
        privacy: { redact: { dropQueryStrings: true } },
      }),
    );
    await tab.evaluate(() => history.pushState({}, '', '/private/orders?customer=Ann+Lee'));
    await tab.waitForTimeout(100);
    const events = await capturedEvents(tab);
    const meta = events.find((event) => event.type === EventType.Meta)!;
    expect((meta.data as { href: string }).href).toBe(`${server.url}/private`);
    expect(repriseEvents(events, 'reprise.navigation').at(-1)).toMatchObject({ url: `${server.url}/private/orders` });
    expect(JSON.stringify(events)).not.toContain('Ann+Lee');
  } finally {
    await tab.close();
  }
});

/**
 * Start a recorder with `privacy` options it cannot apply: the one `options` error reported says `expected`,
 * and nothing is recorded, then or after the page changes.
 */
async function expectRefusedToRecord(privacy: unknown, expected: string): Promise<void> {
  const tab = await browser.newPage();
  try {
    await tab.goto(`${server.url}/private`);
    await tab.evaluate(
      (options) => (window as unknown as { __startRecorder(o: unknown): string }).__startRecorder({ privacy: options }),
      privacy,
    );
    await expect
      .poll(() => tab.evaluate(() => (window as unknown as { __errors: string[] }).__errors), { timeout: 10_000 })
      .toEqual([expect.stringContaining(expected)]);
    await tab.evaluate(() => {
      document.querySelector('#editor')!.textContent = 'changed after the start';
    });
    await tab.waitForTimeout(100);
    expect(
      await tab.evaluate(() => (window as unknown as { recorder: { isRecording: boolean } }).recorder.isRecording),
    ).toBe(false);
    expect(await capturedEvents(tab)).toEqual([]);
    // The error the app's listeners hear is typed: an `options` error, not a capture failure.
    const told = await tab.evaluate(
      () => (window as unknown as { __recorderEvents: Array<{ name: string; payload: unknown }> }).__recorderEvents,
    );
    expect(told.filter((event) => event.name === 'error')).toEqual([
      { name: 'error', payload: expect.objectContaining({ code: 'options' }) },
    ]);
  } finally {
    await tab.close();
  }
}

test.each(['maskSelectors', 'blockSelectors', 'unmaskSelectors'])(
  'a privacy.%s selector the browser cannot parse is reported, and nothing is recorded',
  (name) =>
    // A valid selector beside it: one that cannot be parsed spoils the whole list (rrweb joins them).
    expectRefusedToRecord(
      { [name]: ['.valid-rule', '#editor:has('] },
      `privacy.${name} holds a selector this browser cannot parse`,
    ),
);

test('a privacy.redact.patterns entry that does not compile is reported at start(), and nothing is recorded', () =>
  expectRefusedToRecord(
    { redact: { patterns: ['\\d{3}', '(unclosed'] } },
    'privacy.redact.patterns holds a pattern that does not compile',
  ));

test('an XHTML page: a password field inside an unmasked form is never recorded, typed or preset; textareas keep the field rule', async () => {
  const tab = await browser.newPage();
  try {
    await tab.goto(`${server.url}/login.xhtml`);
    // The document really is XML: tag names keep their case.
    expect(await tab.evaluate(() => document.querySelector('#password')!.tagName)).toBe('input');
    await loadWholeRecorder(tab);
    await tab.evaluate(() => (window as unknown as { __startRecorder(o: unknown): string }).__startRecorder({}));
    await tab.click('#password');
    await tab.keyboard.type(TYPED_PASSWORD, { delay: 0 });
    await tab.evaluate(() => {
      const field = document.querySelector('#password') as HTMLInputElement;
      // A page that moves the field (a two-step login) records it again as an added node.
      field.parentNode!.appendChild(field);
      // A textarea's text set by script, and one added after the snapshot: a field's value, not page text.
      document.querySelector('#notes')!.textContent = 'notes set by script';
      const added = document.createElementNS('http://www.w3.org/1999/xhtml', 'textarea');
      added.textContent = 'text of an added textarea';
      document.body.appendChild(added);
      // Inside the unmasked form the same text is recorded as given.
      document.querySelector('#signature')!.textContent = 'signature set by script';
    });
    await tab.waitForTimeout(100);
    // Changed in place once recorded: a text change, not an added node.
    await tab.evaluate(() => {
      (document.querySelector('#notes')!.firstChild as Text).data = 'notes changed in place';
    });
    await tab.waitForTimeout(300);
    const events = await capturedEvents(tab);
    const strings = allStrings(events);
    expect(strings.join('\n')).not.toContain(PRESET_PASSWORD);
    expect(strings.join('\n')).not.toContain(TYPED_PASSWORD);
    for (const text of ['notes set by script', 'text of an added textarea', 'notes changed in place'])
      expect(strings.join('\n'), text).not.toContain(text);
    // The unmasked fields beside them are recorded as given: the form's opt-in still works.
    expect(strings).toEqual(expect.arrayContaining(['ann-in-xhtml', 'signature set by script']));
  } finally {
    await tab.close();
  }
});
