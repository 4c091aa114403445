import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import {
  allStrings,
  CAPTURE_FIXTURES,
  capturedEvents,
  clicksIn,
  HeldRest,
  holdScriptTagRest,
  loadWholeRecorder,
} from './capture-helpers.js';

/*
 * Privacy marks on web components: a mask or a block on a component's host (or around it) covers
 * what the component renders inside its shadow root, also when that happens after the full
 * snapshot (a component created on a route change, a shadow root attached after its host was
 * recorded, an update). rrweb applies its selectors with closest(), which stops at a shadow root;
 * the recorder finishes the rules (privacy.ts, recorder/boundary-privacy.ts). The same for a
 * mask around a same-origin frame, whose document rrweb records apart.
 * Through the script tag's build (packages/core/dist), with the full recorder and with the early
 * capture that records while the rest loads.
 */

/** A component as Lit renders one: its shadow root filled after it is connected, its text updated in place. */
const COMPONENT = `
  customElements.define('user-badge', class extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      queueMicrotask(() => {
        const root = this.attachShadow({ mode: 'open' });
        root.innerHTML = '<p><span class="name" title=""></span></p><input class="note">';
        this.name = this.initial || '';
      });
    }
    set name(value) {
      const span = this.shadowRoot.querySelector('.name');
      // In place, as a template library updates a text binding: a text change, not a new node.
      if (span.firstChild) span.firstChild.data = value;
      else span.textContent = value;
      span.title = 'Profile of ' + value;
    }
  });
  window.addBadge = (containerId, initial, blocked) => {
    const badge = document.createElement('user-badge');
    if (blocked) badge.setAttribute('data-reprise-block', '');
    // A property, as a framework passes data: an attribute on the host is outside the shadow root.
    badge.initial = initial;
    document.getElementById(containerId).appendChild(badge);
    return new Promise((resolve) => setTimeout(() => resolve(undefined), 20));
  };
  window.renameBadge = (containerId, value, blocked) => {
    document.querySelector('#' + containerId + ' user-badge' + (blocked ? '[data-reprise-block]' : ':not([data-reprise-block])')).name = value;
  };
`;

const BODY = `
  <section id="masked" data-reprise-mask></section>
  <section id="masked-class" class="reprise-mask"></section>
  <section id="open"></section>
  <section id="blocked" data-reprise-block></section>
  <section id="mail" data-reprise-mask><iframe id="preview" srcdoc="<p>Dear Lise Meitner</p>"></iframe></section>
  <section id="plain-frame"><iframe id="public" srcdoc="<p>Public frame</p>"></iframe></section>
  <section id="mail-reply" data-reprise-mask><iframe id="reply" srcdoc="<form data-reprise-unmask><input id='to' value='Hedy Lamarr'></form>"></iframe></section>
  <section id="opted-in-frame" data-reprise-unmask><iframe id="survey" srcdoc="<input id='answer' value='Preset answer'>"></iframe></section>
  <form id="unmasked" data-reprise-unmask></form>`;

const FULL_PAGE = `<!doctype html><meta charset="utf-8"><title>components</title>
<script src="/dist/core/reprise.iife.js"></script>
<script src="/recorder-setup.js"></script>
<script>${COMPONENT}</script>
<body>${BODY}</body>`;

const EARLY_PAGE = `<!doctype html><meta charset="utf-8"><title>components early</title>
<script src="/dist/core/reprise.iife.js"></script>
<script>${COMPONENT}</script>
<body>${BODY}
<script>
  window.__events = [];
  window.__started = [];
  window.recorder = Reprise.createRecorder({
    onEvents: (events) => window.__events.push(...JSON.parse(JSON.stringify(events))),
    console: false,
  });
  recorder.on('start', (payload) => window.__started.push(payload.sessionId));
  recorder.start();
</script></body>`;

interface ComponentPage {
  addBadge(containerId: string, initial: string, blocked?: boolean): Promise<void>;
  renameBadge(containerId: string, value: string, blocked?: boolean): void;
  __events: unknown[];
  __started: string[];
  recorder: { flush(): Promise<void> };
}

let browser: TestBrowser;
let server: TestServer;
let gate: HeldRest;

beforeAll(async () => {
  gate = holdScriptTagRest();
  server = await serve({
    mounts: { '/': CAPTURE_FIXTURES },
    pages: { '/components': FULL_PAGE, '/components-early': EARLY_PAGE },
    routes: { 'GET /dist/core/reprise.recorder.js': gate.route },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  gate?.open();
  await browser?.close();
  await server?.close();
});

/** The components page, recording with the whole recorder (the rest let through before the start). */
async function recordingWithWholeRecorder(): Promise<Page> {
  gate.open();
  const page = await browser.newPage();
  await page.goto(`${server.url}/components`);
  await loadWholeRecorder(page);
  await page.evaluate(() => (window as unknown as { __startRecorder(o: unknown): string }).__startRecorder({}));
  return page;
}

describe('a mask or a block on a web component reaches inside its shadow root', () => {
  test('components created and updated after the snapshot: text, text attributes and unmasked fields under a mask are masked; the rest is kept', async () => {
    const page = await recordingWithWholeRecorder();
    try {
      await page.evaluate(async () => {
        const w = window as unknown as ComponentPage;
        await w.addBadge('masked', 'Margaret Hamilton');
        await w.addBadge('masked-class', 'Grace Hopper');
        await w.addBadge('open', 'Public Badge');
        await w.addBadge('unmasked', 'Opted In');
        w.renameBadge('masked', 'Katherine Johnson');
        w.renameBadge('open', 'Renamed Badge');
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
      // A field inside a masked component, marked unmask: the mask around it wins.
      await page.locator('#masked user-badge input.note').fill('');
      await page.evaluate(() =>
        document
          .querySelector('#masked user-badge')!
          .shadowRoot!.querySelector('input')!
          .setAttribute('data-reprise-unmask', ''),
      );
      await page.locator('#masked user-badge input.note').pressSequentially('note under a mask');
      // An unmask around a component reaches its field (the opt-in is the page's, as for any field).
      await page.locator('#unmasked user-badge input.note').pressSequentially('typed where opted in');
      await page.waitForTimeout(400);
      const strings = allStrings(await capturedEvents(page));
      const text = strings.join('\n');
      for (const secret of ['Margaret', 'Hamilton', 'Grace', 'Hopper', 'Katherine', 'Johnson', 'note under a mask'])
        expect(text, secret).not.toContain(secret);
      // The masked text keeps its shape, as rrweb masks text.
      expect(strings).toContain('********* *******');
      expect(strings).toContain('******* ** ********* *******');
      // Outside a mask nothing changes: the component's text, its update, its title; the opted-in field.
      expect(strings).toEqual(
        expect.arrayContaining(['Public Badge', 'Renamed Badge', 'Profile of Renamed Badge', 'typed where opted in']),
      );
    } finally {
      await page.close();
    }
  });

  test('a blocked component: its host is a placeholder, and nothing it renders, updates, frames, or is clicked or typed into is recorded', async () => {
    const page = await recordingWithWholeRecorder();
    try {
      await page.evaluate(async () => {
        const w = window as unknown as ComponentPage;
        // Blocked itself: its shadow root is attached after rrweb recorded the host (as Lit does).
        await w.addBadge('open', 'Hedy Lamarr', true);
        // Inside a blocked subtree.
        await w.addBadge('blocked', 'Joan Clarke');
        await w.addBadge('open', 'Beside The Block');
        w.renameBadge('open', 'Radia Perlman', true);
        w.renameBadge('blocked', 'Frances Allen');
        await new Promise((resolve) => setTimeout(resolve, 20));
        const field = document
          .querySelector('#open user-badge[data-reprise-block]')!
          .shadowRoot!.querySelector('input')!;
        // Even a field opted in: a block records none of the content.
        field.setAttribute('data-reprise-unmask', '');
      });
      await page.evaluate(async () => {
        // A same-origin frame inside the blocked component: rrweb would attach its document.
        const frame = document.createElement('iframe');
        frame.srcdoc = '<p>Framed note of Ida Rhodes</p>';
        const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
        document.querySelector('#open user-badge[data-reprise-block]')!.shadowRoot!.append(frame);
        await loaded;
        // After rrweb has attached the frame's document (its load listener runs after this one).
        await new Promise((resolve) => setTimeout(resolve, 50));
        frame.contentDocument!.body.append(' and of Klara Dan');
      });
      await page.locator('#open user-badge[data-reprise-block] input.note').click();
      await page.locator('#open user-badge[data-reprise-block] input.note').pressSequentially('typed inside a block');
      await page.waitForTimeout(400);
      const events = await capturedEvents(page);
      const text = allStrings(events).join('\n');
      for (const secret of [
        'Hedy',
        'Lamarr',
        'Joan',
        'Clarke',
        'Radia',
        'Perlman',
        'Frances',
        'Allen',
        'typed inside',
        'Ida',
        'Klara',
      ])
        expect(text, secret).not.toContain(secret);
      // rrweb drops clicks on a blocked element; so does the recorder inside a blocked component.
      expect(clicksIn(events)).toBe(0);
      // The blocked host is there as rrweb's placeholder; the component beside it is recorded whole.
      const placeholders = JSON.stringify(events).match(/"tagName":"user-badge","attributes":\{"rr_width"/g);
      expect(placeholders).toHaveLength(1);
      expect(allStrings(events)).toEqual(expect.arrayContaining(['Beside The Block', 'Profile of Beside The Block']));
    } finally {
      await page.close();
    }
  });

  test('a mask around a same-origin frame: its document is masked (text and text attributes), also as it changes and in a frame added later; its srcdoc too', async () => {
    const page = await recordingWithWholeRecorder();
    try {
      await page.evaluate(async () => {
        const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
        const frame = document.createElement('iframe');
        frame.srcdoc = '<p>Dear Chien-Shiung Wu</p>';
        const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
        document.getElementById('mail')!.append(frame);
        await loaded;
        await settle();
        const body = (id: string) => (document.getElementById(id) as HTMLIFrameElement).contentDocument!.body;
        body('preview').append(' Rosalind Franklin wrote');
        (body('preview').querySelector('p')!.firstChild as Text).data = 'Dear Emmy Noether';
        frame.contentDocument!.body.append(' Barbara McClintock replied');
        // Text attributes too: one changed, one on an added element.
        body('preview').querySelector('p')!.title = 'Note for Maria Mayer';
        frame.contentDocument!.body.insertAdjacentHTML('beforeend', '<img alt="Photo of Vera Rubin">');
        body('public').append(' public addition');
        await settle();
      });
      await page.waitForTimeout(300);
      const strings = allStrings(await capturedEvents(page));
      const text = strings.join('\n');
      for (const secret of ['Lise', 'Meitner', 'Chien', 'Rosalind', 'Emmy', 'Noether', 'Barbara', 'Maria', 'Vera'])
        expect(text, secret).not.toContain(secret);
      // Outside the mask the frame and its change are recorded as they are.
      expect(strings).toEqual(expect.arrayContaining(['Public frame', ' public addition']));
    } finally {
      await page.close();
    }
  });

  test('a field marked unmask inside a frame under a mask stays masked; an unmask around a frame reaches its fields', async () => {
    const page = await recordingWithWholeRecorder();
    try {
      await page.frameLocator('#reply').locator('#to').fill('');
      await page.frameLocator('#reply').locator('#to').pressSequentially('Typed to Annie Easley');
      await page.frameLocator('#survey').locator('#answer').fill('');
      await page.frameLocator('#survey').locator('#answer').pressSequentially('typed in an opted-in frame');
      await page.waitForTimeout(400);
      const strings = allStrings(await capturedEvents(page));
      const text = strings.join('\n');
      // The preset value (in the snapshot) and what is typed: the mask around the frame wins.
      for (const secret of ['Hedy', 'Lamarr', 'Annie', 'Easley']) expect(text, secret).not.toContain(secret);
      expect(strings).toEqual(expect.arrayContaining(['Preset answer', 'typed in an opted-in frame']));
    } finally {
      await page.close();
    }
  });

  test("while the rest of the recorder loads: the early capture's changes are masked when the rest takes them over, and a component already gone is masked too", async () => {
    const { page } = await gate.openPage(browser, `${server.url}/components-early`);
    try {
      await page.evaluate(async () => {
        const w = window as unknown as ComponentPage;
        await w.addBadge('masked', 'Ada Lovelace');
        w.renameBadge('masked', 'Annie Easley');
        await w.addBadge('open', 'Visible Badge');
        await w.addBadge('open', 'Evelyn Boyd', true);
        w.renameBadge('open', 'Evelyn Granville', true);
        // Rendered and removed before the rest arrives: its node has left the page by the take-over.
        await w.addBadge('masked-class', 'Dorothy Vaughan');
        w.renameBadge('masked-class', 'Mary Jackson');
        await new Promise((resolve) => setTimeout(resolve, 20));
        document.querySelector('#masked-class user-badge')!.remove();
        await new Promise((resolve) => setTimeout(resolve, 20));
        if ((window as unknown as ComponentPage).__events.length !== 0)
          throw new Error('recorded before the take-over');
      });
      gate.open();
      await page.waitForFunction(() => (window as unknown as ComponentPage).__started.length === 1);
      await page.evaluate(() => (window as unknown as ComponentPage).recorder.flush());
      const strings = allStrings(await page.evaluate(() => (window as unknown as ComponentPage).__events));
      const text = strings.join('\n');
      for (const secret of ['Ada', 'Lovelace', 'Annie', 'Easley', 'Dorothy', 'Vaughan', 'Mary', 'Jackson', 'Evelyn'])
        expect(text, secret).not.toContain(secret);
      expect(strings).toContain('Visible Badge');
    } finally {
      await page.close();
    }
  });
});
