// Long sessions in Chromium (issue 19): the player hands rrweb only a window of the recording (from
// the page load a frame is rebuilt from, a few minutes ahead) and fetches windows around seek
// targets with ?from=&to=. Every frame it draws must be the frame plain rrweb draws from the whole
// session.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RecordedEvent } from '@reprise/protocol';
import type { SegmentRow } from '../../server/src/index-db/schema.js';
import { launchBrowser, REPO_ROOT, serve, type TestBrowser, type TestServer } from '../harness/index.js';
import { API_ROUTES, APP_HTML, runWorkload } from '../bench/workload/workload.js';
import { RRWEB_PAGE_SCRIPT } from '../bench/workload/record.js';
import {
  ingestSession,
  loginAdmin,
  startPlaybackCollector,
  type PlaybackCollector,
} from '../bench/playback/collector.js';
import { batchesOf, longSession, REPETITION_MS } from '../bench/playback/session.js';
import { playerDocument, replayFrame } from '../fixtures/admin/replay-frame.js';
import { FIXTURE_DIR } from '../fixtures/player/session.js';

const MIN = 60_000;
const LENGTH_MS = 30 * MIN;

let browser: TestBrowser;
let site: TestServer;
let running: PlaybackCollector;
let session: RecordedEvent[];
let damagedSegment: SegmentRow;
/** The stream route's gates (test 3): the main stream and the windows wait on them. */
let releaseMain: () => void = () => {};
let releaseWindow: () => void = () => {};
let mainGate: Promise<void> = Promise.resolve();
let windowGate: Promise<void> = Promise.resolve();
const windowRequests: string[] = [];
/** The stream route reports this segment as `skipped` (corrupt) instead of sending its events. */
let skippedSegment: number | undefined;

/** Plain rrweb's Replayer given the whole session: the reference for every frame. */
const REFERENCE_HTML = `<!doctype html><html><head><meta charset="utf-8">
<script src="/node_modules/@rrweb/replay/dist/replay.umd.min.cjs"></script></head>
<body><div id="mount"></div><script>
(async () => {
  const events = await (await fetch('/session.json')).json();
  window.events = events;
  window.replayer = new rrwebReplay.Replayer(events, { root: document.getElementById('mount'), showWarning: false, triggerFocus: false });
  // Draw the first snapshot now: from rrweb's own timer it would be skipped the first time a seek
  // reaches it again, and that page's changes applied to another page's DOM.
  window.replayer.pause(events.find((e) => e.type === 2).timestamp - events[0].timestamp + 1);
  window.ready = true;
})();
</script></body></html>`;

/**
 * The replayed page as text: its markup and the values of its fields (rrweb sets those as
 * properties). Without rrweb's `:hover` class (and the empty class attribute it leaves): the player
 * re-hovers the element under the pointer after every change (player-hover.test.ts), which plain
 * rrweb does not, and this file compares what windowing draws, not hover.
 */
function serialise(doc: Document | null | undefined): string {
  if (!doc?.documentElement) return '(no document)';
  const values = [...doc.querySelectorAll('input, textarea, select')].map((field) => (field as HTMLInputElement).value);
  const copy = doc.documentElement.cloneNode(true) as Element;
  for (const element of [copy, ...copy.querySelectorAll('*')]) {
    element.classList.remove(':hover');
    // An element the player hovered and left keeps an empty class attribute, which draws nothing.
    if (element.getAttribute('class')?.trim() === '') element.removeAttribute('class');
  }
  return `${copy.outerHTML}\n${JSON.stringify(values)}`;
}

type SerialisingWindow = Window & { __serialise(doc: Document | null | undefined): string };

/** Pages get the serialiser before their own scripts (an init script is not subject to the admin UI's CSP). */
async function withSerialiser(page: Page): Promise<void> {
  await page.addInitScript(`window.__serialise = ${serialise.toString()};`);
}

async function referenceFrame(page: Page, time: number): Promise<string> {
  return page.evaluate((at) => {
    const replayer = (
      window as unknown as {
        replayer: {
          pause(t: number): void;
          iframe: HTMLIFrameElement;
          service: { state: { context: { lastPlayedEvent: unknown } } };
        };
      }
    ).replayer;
    // Rebuilt from the nearest full snapshot every time (rrweb's shortcut for forward seeks can apply
    // changes twice; the player never takes it). The player draws everything stamped up to and at
    // the moment: rrweb's pause(t) applies what is before t.
    replayer.service.state.context.lastPlayedEvent = null;
    // Between a page load's Meta and its full snapshot rrweb leaves the previous page on screen;
    // the player draws the new page's snapshot there (EventStore.drawableTime), and so does this.
    const events = (window as unknown as { events: Array<{ type: number; timestamp: number }> }).events;
    const moment = events[0]!.timestamp + at;
    const meta = [...events].reverse().find((event) => event.type === 4 && event.timestamp <= moment);
    const snapshot = meta && events.find((event) => event.type === 2 && event.timestamp >= meta.timestamp);
    const drawn = snapshot && snapshot.timestamp > moment ? snapshot.timestamp - events[0]!.timestamp : at;
    replayer.pause(drawn + 1);
    return (window as unknown as SerialisingWindow).__serialise(replayer.iframe.contentDocument);
  }, time);
}

async function playerFrame(page: Page, time: number): Promise<{ frame: string; current: number }> {
  return (await playerDocument(page)).evaluate(async (at) => {
    type P = { seek(t: number): Promise<void>; getIframe(): HTMLIFrameElement | undefined; getCurrentTime(): number };
    const player =
      (window as unknown as { reprisePlayer?: P; player?: P }).reprisePlayer ??
      (window as unknown as { player: P }).player;
    await player.seek(at);
    return {
      frame: (window as unknown as SerialisingWindow).__serialise(player.getIframe()?.contentDocument),
      current: player.getCurrentTime(),
    };
  }, time);
}

/** A seek target and the frame it must show: its own (plain rrweb's) or the last one before a lost segment. */
type FrameCase = { at: number; frame: 'own' | 'beforeGap' };

/** Seek the player to each case's moment and compare its frame; `beforeGap` is needed for such cases only. */
async function expectFrames(page: Page, reference: Page, cases: FrameCase[], beforeGap?: string): Promise<void> {
  for (const { at: asked, frame: kind } of cases) {
    const at = clearOfEvents(asked);
    const { frame, current } = await playerFrame(page, at);
    expect(current, `time after seeking to ${at}`).toBe(at);
    const expected = kind === 'own' ? await referenceFrame(reference, at) : beforeGap;
    if (expected === undefined) throw new Error('expectFrames: a beforeGap case needs the frame before the gap');
    if (frame !== expected) console.error(`frame at ${at} (${kind}) differs:${await heldEventsDiffer(page)}`);
    expect(frame === expected, `frame at ${at} (${kind})`).toBe(true);
  }
}

/**
 * For a frame that differs: where the events the player holds (its store, and rrweb's window of
 * it) first differ from the recording, in order. rrweb rewrites an event it applies in a state it
 * does not expect (it drops the removals it could not apply), so an altered event shows up here too.
 */
async function heldEventsDiffer(page: Page): Promise<string> {
  const held = await (
    await playerDocument(page)
  )
    .evaluate(() => {
      type Held = { timestamp: number };
      type HeldBy = {
        recording: { store: { events: Held[] } };
        replay?: { replayer: { service: { state: { context: { events: Held[] } } } } };
      };
      const player =
        (window as unknown as { reprisePlayer?: HeldBy }).reprisePlayer ??
        (window as unknown as { player: HeldBy }).player;
      // rrweb's rebuild fills a full snapshot's style text in (the same each time): compared by time only.
      const text = (events: Array<Held & { type?: number }>) =>
        events.map((event) =>
          JSON.stringify(event.type === 2 ? { type: 2, timestamp: event.timestamp } : { ...event, delay: undefined }),
        );
      return {
        store: text(player.recording.store.events),
        replayer: text(player.replay?.replayer.service.state.context.events ?? []),
      };
    })
    .catch((error: unknown) => String(error));
  if (typeof held === 'string') return ` (the player's events could not be read: ${held})`;
  const recorded = session.map((event) =>
    JSON.stringify(event.type === 2 ? { type: 2, timestamp: event.timestamp } : { ...event, delay: undefined }),
  );
  const firstDifference = (events: string[]) => {
    const offset = Math.max(0, recorded.indexOf(events[0]!));
    const at = events.findIndex((event, index) => event !== recorded[offset + index]);
    return at < 0
      ? `equal to the recording from its event ${offset} (${events.length} events)`
      : `differs at its event ${at} (recording's ${offset + at}):\n${textDiff(events[at]!, recorded[offset + at] ?? '')}`;
  };
  return ` store: ${firstDifference(held.store)}\n replayer: ${firstDifference(held.replayer)}`;
}

/** Where two texts first differ, with some of each around it. */
function textDiff(held: string, recorded: string): string {
  let at = 0;
  while (at < held.length && held[at] === recorded[at]) at++;
  const around = (text: string) => text.slice(Math.max(0, at - 150), at + 250);
  return `   held: …${around(held)}\n   recorded: …${around(recorded)}`;
}

let eventTimes: Set<number> | undefined;

/**
 * `at`, or the next millisecond at which nothing was recorded. A seek to the very moment of a
 * click (any marker) shows what the click did, up to 50 ms later (FrameIndex.effectEnd), which plain
 * rrweb does not know of: a random moment that lands on one is moved off it (a fresh-clone run
 * failed on a cart item added 20 ms after an "Add to cart" click at the moment drawn).
 */
function clearOfEvents(at: number): number {
  eventTimes ??= new Set(session.map((event) => event.timestamp - session[0]!.timestamp));
  while (eventTimes.has(at)) at++;
  return at;
}

/** Seeded moments, so a failure names moments that can be replayed. */
function moments(count: number, length: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return Math.round((state / 2 ** 32) * length);
  });
}

async function openReference(): Promise<Page> {
  const page = await browser.newPage();
  await withSerialiser(page);
  await page.goto(`${site.url}/reference`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, {
    timeout: 60_000,
  });
  return page;
}

/** The API requests each admin page made, in the order it sent them (path and query). */
const apiRequests = new WeakMap<Page, string[]>();

async function openAdmin(sessionId: string, options: { wholeStream?: boolean } = {}): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('admin page error:', error));
  const requests: string[] = [];
  apiRequests.set(page, requests);
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/v1/')) requests.push(`${url.pathname}${url.search}`);
  });
  await withSerialiser(page);
  // `#t=0`: opened paused on the first frame, as a deep link does.
  // `resources=original`: plain rrweb loads the recorded URLs as they are, so the player must too for
  // the frames to be comparable (what the player drops by default is replay-isolation.test.ts's).
  await page.goto(`${running.url}/sessions/${sessionId}?project=dev&resources=original#t=0`);
  await page.waitForFunction(
    () => (window as unknown as { reprisePlayer?: { getState(): string } }).reprisePlayer?.getState() === 'paused',
    undefined,
    { timeout: 60_000 },
  );
  if (options.wholeStream) {
    await page.waitForFunction(
      () =>
        (window as unknown as { reprisePlayer?: { getProgress(): { done: boolean } } }).reprisePlayer?.getProgress()
          .done === true,
      undefined,
      { timeout: 120_000 },
    );
  }
  return page;
}

/** Collector-format NDJSON of `events` in 30 s segments, for the stream route (test 3). */
function segmentsOf(events: RecordedEvent[]) {
  return batchesOf(events).map((batch, index) => ({
    index,
    startedAt: batch[0]!.timestamp,
    endedAt: batch.at(-1)!.timestamp,
    events: batch,
  }));
}

/** As the collector picks it: the last segment whose first full snapshot is at or before `target` (epoch ms). */
function firstSegmentFor(segments: ReturnType<typeof segmentsOf>, target: number): number {
  let first = 0;
  segments.forEach((segment, index) => {
    const snapshot = segment.events.find((event) => event.type === 2);
    if (snapshot && snapshot.timestamp <= target) first = index;
  });
  return first;
}

async function streamRoute(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const segments = segmentsOf(session);
  const startedAt = session[0]!.timestamp;
  const from = url.searchParams.get('from');
  const to = url.searchParams.get('to');
  let first = 0;
  let last = segments.length - 1;
  if (from !== null) {
    windowRequests.push(`${from}-${to}`);
    const target = startedAt + Number(from);
    first = firstSegmentFor(segments, target);
    if (to !== null)
      last = Math.max(first, segments.filter((segment) => segment.startedAt <= startedAt + Number(to)).length - 1);
  }
  const line = (value: unknown) => `${JSON.stringify(value)}\n`;
  const part = (segment: (typeof segments)[number]) =>
    segment.index === skippedSegment
      ? line({
          stream: 'skipped',
          index: segment.index,
          name: String(segment.index),
          startedAt: segment.startedAt,
          endedAt: segment.endedAt,
          reason: 'corrupt',
          message: 'failed authentication',
        })
      : line({
          stream: 'segment',
          index: segment.index,
          name: String(segment.index),
          startedAt: segment.startedAt,
          endedAt: segment.endedAt,
          events: segment.events.length,
        }) + segment.events.map(line).join('');
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  res.write(
    line({
      stream: 'session',
      version: 1,
      id: 's',
      project: 'p',
      startedAt,
      endedAt: session.at(-1)!.timestamp,
      segments: segments.length,
      startSegment: first,
      from: from === null ? null : Number(from),
    }),
  );
  if (from === null) {
    // The first two segments at once, the rest when the test says so.
    for (const segment of segments.slice(0, 2)) res.write(part(segment));
    await mainGate;
    for (const segment of segments.slice(2)) res.write(part(segment));
  } else {
    await windowGate;
    for (const segment of segments.slice(first, last + 1)) res.write(part(segment));
  }
  res.end(line({ stream: 'end', segments: segments.length }));
}

/**
 * A player on the stream route (its gates decide what arrives), paused on the first frame. It keeps
 * the whole recording unless `retainMs` says otherwise: these tests follow what each stream brings.
 */
async function openStreamPlayer(
  retainMs = Infinity,
  /**
   * Events stamped in this stretch (epoch ms) take `ms` each to parse: past the loader's slice
   * (12 ms for a stream, 50 ms for what the archive brings back), each one is handed on in a slice
   * of its own, after which a waiting seek may land.
   */
  slowParse?: { from: number; to: number; ms: number },
): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('player page error:', error));
  await withSerialiser(page);
  await page.goto(`${site.url}/fixture/player.html`);
  await page.evaluate(
    ({ source, retainMs, slowParse }) => {
      type Created = { getState(): string };
      type Item = { kind: string; event?: { timestamp: number } } | null;
      const w = window as unknown as {
        player: Created;
        ReprisePlayer: { Player: new (el: Element, o: unknown) => Created; parsePlaybackLine(line: string): Item };
      };
      const parseLine = (line: string) => {
        const item = w.ReprisePlayer.parsePlaybackLine(line);
        const time = item?.event?.timestamp;
        if (slowParse && time !== undefined && time >= slowParse.from && time <= slowParse.to) {
          const until = performance.now() + slowParse.ms;
          while (performance.now() < until);
        }
        return item;
      };
      w.player = new w.ReprisePlayer.Player(document.getElementById('mount')!, {
        source,
        autoplay: false,
        panels: false,
        originalResources: true,
        retainMs,
        ...(slowParse ? { parseLine } : {}),
      });
    },
    { source: `${site.url}/stream`, retainMs, slowParse },
  );
  await page.waitForFunction(
    () => (window as unknown as { player: { getState(): string } }).player.getState() === 'paused',
  );
  return page;
}

async function streamDone(page: Page): Promise<boolean> {
  return page.evaluate(
    () => (window as unknown as { player: { getProgress(): { done: boolean } } }).player.getProgress().done,
  );
}

beforeAll(async () => {
  site = await serve({
    pages: { '/shop': APP_HTML.replace('<body>', `<body>${RRWEB_PAGE_SCRIPT}`), '/reference': REFERENCE_HTML },
    routes: {
      ...API_ROUTES,
      '/session.json': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(session));
      },
      '/stream': streamRoute,
    },
    mounts: { '/fixture/': FIXTURE_DIR, '/dist/player/': join(REPO_ROOT, 'packages/player/dist') },
  });
  browser = await launchBrowser({ viewport: { width: 1600, height: 1000 } });
  // The standard bench workload, recorded by plain rrweb (real events), run forward to 30 minutes:
  // a page load every 5 minutes.
  const recorder = await browser.newPage();
  await recorder.goto(`${site.url}/shop`);
  await runWorkload(recorder, { durationMs: 15_000 });
  await recorder.waitForTimeout(700);
  const recorded = (await recorder.evaluate('window.__events')) as RecordedEvent[];
  await recorder.close();
  session = longSession(
    { events: recorded as never, counts: {} as never, durationMs: 0 },
    LENGTH_MS,
    Date.now() - LENGTH_MS - 60 * MIN,
  );

  running = await startPlaybackCollector();
  await loginAdmin(browser, running);
  await ingestSession(running, 'long-clean', session);
  const segments = await ingestSession(running, 'long-damaged', session);
  // A segment in the middle of the third page load (10-15 min): its page is half-recorded.
  damagedSegment = segments.find(
    (segment) => segment.started_at >= session[0]!.timestamp + 2 * REPETITION_MS + 90_000,
  )!;
  const file = join(running.objectsDir, damagedSegment.object_key);
  const bytes = readFileSync(file);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 40) ^ 0xff, bytes.length - 40);
  writeFileSync(file, bytes);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await running?.stop();
});

describe('long sessions in the admin UI', () => {
  test('at 50 random moments of a 30-minute session, the frame drawn from its window equals plain rrweb given the whole session', async () => {
    const admin = await openAdmin('long-clean');
    // The playback stream is asked for as the app starts, beside the login check and the session's
    // metadata (not after them), and the player reads that answer instead of asking again.
    const requests = apiRequests.get(admin)!;
    const stream = '/v1/sessions/long-clean/events?project=dev';
    expect(requests.filter((path) => path === stream)).toHaveLength(1);
    expect(requests.indexOf(stream)).toBeLessThan(requests.indexOf('/v1/sessions/long-clean?project=dev'));
    expect(requests.indexOf(stream)).toBeLessThan(requests.indexOf('/v1/auth/me'));
    const reference = await openReference();
    const mismatched: number[] = [];
    for (const moment of moments(50, LENGTH_MS, 19).map(clearOfEvents)) {
      const { frame, current } = await playerFrame(admin, moment);
      expect(current).toBe(moment);
      const expected = await referenceFrame(reference, moment);
      if (frame !== expected) {
        let at = 0;
        while (frame[at] === expected[at]) at++;
        console.error(
          `moment ${moment}: frames differ at ${at}:\n player: ${frame.slice(Math.max(0, at - 100), at + 300)}\n rrweb:  ${expected.slice(Math.max(0, at - 100), at + 300)}\n${await heldEventsDiffer(admin)}`,
        );
        mismatched.push(moment);
      }
    }
    expect(mismatched).toEqual([]);
    // The moments span every page load, backwards and forwards.
    expect(new Set(moments(50, LENGTH_MS, 19).map((moment) => Math.floor(moment / REPETITION_MS))).size).toBe(
      LENGTH_MS / REPETITION_MS,
    );
    await admin.close();
    await reference.close();
  }, 240_000);

  test('seeking back and forth across page loads and a corrupt segment lands on the right frame', async () => {
    // After the whole stream has arrived, so that every run takes the same path: the seeks through
    // `?from=` windows before the stream reaches the lost segment are the stream-route test's below.
    const admin = await openAdmin('long-damaged', { wholeStream: true });
    const reference = await openReference();
    const start = session[0]!.timestamp;
    const gapStart = damagedSegment.started_at - start;
    const nextPageLoad = 3 * REPETITION_MS;
    // What the viewer sees from the lost segment to the next page load: the last frame before it.
    const beforeGap = await referenceFrame(reference, gapStart - 1);
    const cases: FrameCase[] = [
      { at: 26 * MIN, frame: 'own' },
      { at: 2 * MIN, frame: 'own' },
      { at: gapStart + 20_000, frame: 'beforeGap' },
      { at: nextPageLoad + 30_000, frame: 'own' },
      { at: gapStart - 30_000, frame: 'own' },
      { at: nextPageLoad - 10_000, frame: 'beforeGap' },
      { at: 7 * MIN, frame: 'own' },
      { at: nextPageLoad + 2000, frame: 'own' },
      { at: 19 * MIN, frame: 'own' },
    ];
    await expectFrames(admin, reference, cases, beforeGap);
    expect(await (await replayFrame(admin)).locator('.rp-marker--gap').count()).toBeGreaterThan(0);
    await admin.close();
    await reference.close();
  }, 240_000);
});

describe('a seek to a moment not loaded yet', () => {
  test('shows loading progress (overlay and timeline), fetches a window around it, then lands on its frame', async () => {
    mainGate = new Promise((resolve) => (releaseMain = resolve));
    windowGate = new Promise((resolve) => (releaseWindow = resolve));
    windowRequests.length = 0;
    const page = await openStreamPlayer();
    const reference = await openReference();
    const target = clearOfEvents(22 * MIN + 12_345);
    const before = await page.evaluate(
      () =>
        (window as unknown as { player: { getIframe(): HTMLIFrameElement } }).player.getIframe().contentDocument!.body
          .innerHTML,
    );
    const landed = page.evaluate(
      (at) =>
        (window as unknown as { player: { seek(t: number): Promise<void> } }).player
          .seek(at)
          .then(() => performance.now()),
      target,
    );
    // Progress, not a frozen frame: the overlay names the moment, the timeline marks it.
    await page.waitForSelector('.rp-seek-overlay:not([hidden])');
    expect(await page.textContent('.rp-seek-overlay')).toMatch(/^Loading 22:12… \d+%$/);
    expect(await page.locator('.rp-track-pending:not([hidden])').count()).toBe(1);
    expect(await page.evaluate(() => document.querySelector('.rp-player')!.classList.contains('rp-seeking'))).toBe(
      true,
    );
    // Only the first minute is loaded: the timeline shows one loaded stretch at the start.
    await expect
      .poll(() =>
        page.$$eval('.rp-track-loaded .rp-track-buffered', (spans) =>
          spans.map((span) => (span as HTMLElement).style.left),
        ),
      )
      .toEqual(['0%']);
    await expect.poll(() => windowRequests.length).toBe(1);
    const [from] = windowRequests[0]!.split('-').map(Number);
    expect(from).toBeGreaterThan(22 * MIN);
    expect(
      await page.evaluate(
        () =>
          (window as unknown as { player: { getIframe(): HTMLIFrameElement } }).player.getIframe().contentDocument!.body
            .innerHTML,
      ),
    ).toBe(before);
    releaseWindow();
    await landed;
    await page.waitForSelector('.rp-seek-overlay', { state: 'hidden' });
    const frame = await playerFrame(page, target);
    expect(frame.current).toBe(target);
    expect(frame.frame).toBe(await referenceFrame(reference, target));
    // Two stretches loaded now, with the rest of the main stream still to come.
    // The timeline repaints on a throttled timer, so the second stretch appears a moment after the frame.
    await expect.poll(() => page.$$eval('.rp-track-loaded .rp-track-buffered', (spans) => spans.length)).toBe(2);
    // Another window stays open while the main stream ends (a seek the viewer left behind).
    windowGate = new Promise((resolve) => (releaseWindow = resolve));
    const earlier = page.evaluate(
      (at) => (window as unknown as { player: { seek(t: number): Promise<void> } }).player.seek(at),
      8 * MIN,
    );
    await expect.poll(() => windowRequests.length).toBe(2);
    releaseMain();
    await expect.poll(() => streamDone(page), { timeout: 60_000 }).toBe(true);
    await earlier;
    // Back to the start and forward again, now from the whole stream; the window's segments are kept once.
    // Between the last segment the main stream delivered itself and the window's first (nothing was
    // recorded there), then 20 moments around the window's edges.
    const segments = segmentsOf(session);
    const start = session[0]!.timestamp;
    const edge = firstSegmentFor(segments, start + target);
    const between = Math.round((segments[edge - 1]!.endedAt + segments[edge]!.startedAt) / 2) - start;
    expect(between).toBeGreaterThan(segments[edge - 1]!.endedAt - start);
    const edges = moments(20, 4 * MIN, 7).map((offset) => segments[edge]!.startedAt - start - 2 * MIN + offset);
    for (const at of [90_000, target, 4 * MIN, 28 * MIN, between, ...edges].map(clearOfEvents)) {
      const drawn = await page.evaluate(
        (at) =>
          Promise.race([
            (window as unknown as { player: { seek(t: number): Promise<void> } }).player.seek(at).then(() => true),
            new Promise((resolve) => setTimeout(() => resolve(false), 20_000)),
          ]),
        at,
      );
      expect(drawn, `seek to ${at} landed`).toBe(true);
      const { frame } = await playerFrame(page, at);
      const expected = await referenceFrame(reference, at);
      if (frame !== expected) {
        let diff = 0;
        while (frame[diff] === expected[diff]) diff++;
        console.error(
          `frame at ${at} differs at ${diff}:\n player: ${frame.slice(Math.max(0, diff - 200), diff + 300)}\n rrweb:  ${expected.slice(Math.max(0, diff - 200), diff + 300)}\n${await heldEventsDiffer(page)}`,
        );
      }
      expect(frame === expected, `frame at ${at}`).toBe(true);
    }
    releaseWindow();
    await page.close();
    await reference.close();
  }, 240_000);
  test('a seek that lands in the same slice as an event the player adds to the replayer draws that frame, and every later one, exactly', async () => {
    // rrweb's addEvent adds an event a microtask later. A seek landing in the task that had just
    // added one took its window from the store, which held the event already, and rrweb then added
    // it a second time: every later frame applied that change twice, and rrweb, failing to remove
    // the nodes a second time, dropped the removals from the event itself for good.
    const start = session[0]!.timestamp;
    // A DOM change that removes nodes, in the second page load, with nothing recorded the ms before it.
    const change = session.findIndex(
      (event, index) =>
        event.timestamp - start > REPETITION_MS + 60_000 &&
        event.type === 3 &&
        (event.data as { source: number; removes?: unknown[] }).source === 0 &&
        ((event.data as { removes?: unknown[] }).removes?.length ?? 0) > 0 &&
        session[index - 1]!.timestamp < event.timestamp - 1,
    );
    expect(change, 'a DOM change that removes nodes').toBeGreaterThan(0);
    const changedAt = session[change]!.timestamp;
    const target = changedAt - 1 - start;
    mainGate = new Promise((resolve) => (releaseMain = resolve));
    // A window asked for never answers: the whole-session stream brings the moment.
    windowGate = new Promise((resolve) => (releaseWindow = resolve));
    windowRequests.length = 0;
    const page = await openStreamPlayer(Infinity, { from: changedAt - 2000, to: changedAt + 2000, ms: 15 });
    const reference = await openReference();
    try {
      const landed = page.evaluate(
        (at) => (window as unknown as { player: { seek(t: number): Promise<void> } }).player.seek(at),
        target,
      );
      await expect.poll(() => windowRequests.length, { timeout: 20_000 }).toBe(1);
      releaseMain();
      await landed;
      await expect.poll(() => streamDone(page), { timeout: 60_000 }).toBe(true);
      // The moment itself, then the change and what follows it in the same page load.
      const after = [0, 1, 500, 20_000, 90_000].map((offset) => ({ at: target + offset, frame: 'own' as const }));
      await expectFrames(page, reference, after);
    } finally {
      releaseWindow();
      await page.close();
      await reference.close();
    }
  }, 180_000);

  test('a seek to a click whose part of the recording comes back in slices shows what the click did once it is in', async () => {
    // The player shows a click's moment with the DOM change its handler made a few ms later. A seek
    // waiting for that part of the recording lands as soon as the click's own moment is in; the
    // change, a slice later, joined the replayer as a later event and never reached the frame.
    const start = session[0]!.timestamp;
    type Data = { source?: number; type?: number };
    // In the third page load: a click, and right after it (a later ms) a DOM change.
    const click = session.findIndex((event, index) => {
      const next = session[index + 1];
      const time = event.timestamp - start;
      return (
        time > 2 * REPETITION_MS + 60_000 &&
        time < 3 * REPETITION_MS - 60_000 &&
        event.type === 3 &&
        (event.data as Data).source === 2 &&
        (event.data as Data).type === 2 &&
        next !== undefined &&
        next.type === 3 &&
        (next.data as Data).source === 0 &&
        next.timestamp > event.timestamp &&
        next.timestamp - event.timestamp <= 40
      );
    });
    expect(click, 'a click followed by its DOM change').toBeGreaterThan(0);
    const clickedAt = session[click]!.timestamp;
    const target = clickedAt - start;
    mainGate = Promise.resolve();
    windowGate = Promise.resolve();
    windowRequests.length = 0;
    // Holding a minute around the moment shown, the player frees the click's part once it has passed;
    // a seek brings it back from its archive, a line at a time around the click.
    const page = await openStreamPlayer(MIN, { from: clickedAt - 100, to: clickedAt + 100, ms: 60 });
    const reference = await openReference();
    const whole = await openStreamPlayer();
    const shownNow = () =>
      page.evaluate(() => {
        const player = (window as unknown as { player: { getIframe(): HTMLIFrameElement | undefined } }).player;
        return (window as unknown as SerialisingWindow).__serialise(player.getIframe()?.contentDocument);
      });
    try {
      await expect.poll(() => streamDone(page), { timeout: 60_000 }).toBe(true);
      await expect.poll(() => streamDone(whole), { timeout: 60_000 }).toBe(true);
      // What a player with the whole recording draws for that click: the click's change included.
      const { frame: expected } = await playerFrame(whole, target);
      expect(expected === (await referenceFrame(reference, target)), 'the click changed the page').toBe(false);
      await page.evaluate(
        (at) => (window as unknown as { player: { seek(t: number): Promise<void> } }).player.seek(at),
        target,
      );
      expect(windowRequests, 'brought back from the archive').toEqual([]);
      // Once the change is back in the player's store, the frame shown (no seek since) shows it.
      const changedAt = session[click + 1]!.timestamp;
      await expect
        .poll(
          () =>
            page.evaluate(
              (at) =>
                (
                  window as unknown as { player: { recording: { store: { events: Array<{ timestamp: number }> } } } }
                ).player.recording.store.events.some((event) => event.timestamp === at),
              changedAt,
            ),
          { timeout: 20_000 },
        )
        .toBe(true);
      await expect.poll(async () => (await shownNow()) === expected, { timeout: 5_000 }).toBe(true);
    } finally {
      await page.close();
      await whole.close();
      await reference.close();
    }
  }, 180_000);

  test('with a short retainMs the player holds only the part around the moment shown, and brings the rest back from its archive', async () => {
    mainGate = Promise.resolve();
    windowGate = Promise.resolve();
    windowRequests.length = 0;
    const page = await openStreamPlayer(MIN);
    const reference = await openReference();
    try {
      await expect.poll(() => streamDone(page), { timeout: 60_000 }).toBe(true);
      // Share of the timeline shown as loaded: the page load of the moment shown (up to 5 minutes),
      // a minute behind, what playback needs next (3.5 minutes), rounded out to whole segments.
      const loadedShare = () =>
        page.$$eval('.rp-track-loaded .rp-track-buffered', (spans) =>
          spans.reduce((sum, span) => sum + parseFloat((span as HTMLElement).style.width), 0),
        );
      for (const at of moments(12, LENGTH_MS, 23).map(clearOfEvents)) {
        const { frame, current } = await playerFrame(page, at);
        expect(current, `time after seeking to ${at}`).toBe(at);
        expect(frame === (await referenceFrame(reference, at)), `frame at ${at}`).toBe(true);
        await expect.poll(loadedShare, { message: `loaded share after seeking to ${at}` }).toBeLessThan(40);
      }
      // What was freed came back from the player's own archive of the segments, not the network.
      expect(windowRequests).toEqual([]);
    } finally {
      await page.close();
      await reference.close();
    }
  }, 180_000);

  test('with a short retainMs, what the archive does not hold yet comes from the collector, and once freed comes back from the archive', async () => {
    mainGate = new Promise((resolve) => (releaseMain = resolve));
    windowGate = Promise.resolve();
    windowRequests.length = 0;
    const page = await openStreamPlayer(MIN);
    const reference = await openReference();
    /** The timeline shows the moment `at` as loaded (held in the player's event store). */
    const loadedAt = (at: number) =>
      page.$$eval(
        '.rp-track-loaded .rp-track-buffered',
        (spans, share) =>
          spans.some((span) => {
            const left = parseFloat((span as HTMLElement).style.left);
            return left <= share && share <= left + parseFloat((span as HTMLElement).style.width);
          }),
        (at / LENGTH_MS) * 100,
      );
    const expectFrame = (at: number) => expectFrames(page, reference, [{ at, frame: 'own' }]);
    try {
      // The whole-session stream holds at its first minute: only the collector has these.
      for (const at of [20 * MIN + 5_000, 12 * MIN + 5_000]) await expectFrame(at);
      const fetched = windowRequests.length;
      expect(fetched).toBe(2);
      // Shown 12 minutes, the player freed 20 minutes (what lies past the moment shown; what lies
      // between it and the whole-session stream's current segment stays); it comes back without a request.
      await expect.poll(() => loadedAt(20 * MIN + 30_000), { timeout: 20_000 }).toBe(false);
      await expectFrame(20 * MIN + 30_000);
      expect(windowRequests).toHaveLength(fetched);
      // A moment no stream has brought still goes to the collector.
      await expectFrame(27 * MIN);
      expect(windowRequests).toHaveLength(fetched + 1);
    } finally {
      releaseMain();
      await page.close();
      await reference.close();
    }
  }, 180_000);

  test('a seek through a window before the whole stream has reached a corrupt segment shows the last frame before it, up to the next page load', async () => {
    const start = session[0]!.timestamp;
    // The same place as the collector test's damaged segment: in the middle of the third page load.
    const lost = segmentsOf(session).find((segment) => segment.startedAt >= start + 2 * REPETITION_MS + 90_000)!;
    skippedSegment = lost.index;
    mainGate = new Promise((resolve) => (releaseMain = resolve));
    windowGate = Promise.resolve();
    windowRequests.length = 0;
    const page = await openStreamPlayer();
    const reference = await openReference();
    try {
      const gapStart = lost.startedAt - start;
      const nextPageLoad = 3 * REPETITION_MS;
      const beforeGap = await referenceFrame(reference, gapStart - 1);
      const cases: FrameCase[] = [
        { at: gapStart + 20_000, frame: 'beforeGap' },
        { at: nextPageLoad - 10_000, frame: 'beforeGap' },
        { at: nextPageLoad + 30_000, frame: 'own' },
        { at: gapStart - 30_000, frame: 'own' },
        { at: gapStart + 40_000, frame: 'beforeGap' },
      ];
      const check = () => expectFrames(page, reference, cases, beforeGap);
      // The whole-session stream holds at its first minute: every seek goes through a window.
      await check();
      expect(windowRequests.length).toBeGreaterThan(0);
      expect(await streamDone(page)).toBe(false);
      // Then the whole stream arrives, gap and all, over the windows' segments: the same frames.
      releaseMain();
      await expect.poll(() => streamDone(page), { timeout: 60_000 }).toBe(true);
      await check();
    } finally {
      skippedSegment = undefined;
      releaseMain();
      await page.close();
      await reference.close();
    }
  }, 180_000);
});
