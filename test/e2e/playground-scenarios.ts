import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollector, readSessionEvents, resolveConfig, type Collector } from '@reprise/collector';
import {
  isRepriseEvent,
  type ErrorPayload,
  type RecordedEvent,
  type RepriseKind,
  type ReprisePayloads,
} from '@reprise/protocol';
import { launchBrowser, REPO_ROOT, serve, type TestBrowser, type TestServer } from '../harness/index.js';

/*
 * The end-to-end scenarios every framework playground shares, written once: the playground is built
 * with Vite as a user would, a visitor clicks through it in Chromium, the session is read back from
 * the real collector's encrypted store, and checked (a marker per route with its pattern, masking, no
 * typed secret, errors recorded) and replayed (rrweb's Replayer and @reprise/player). A framework's
 * test file only describes its playground:
 *
 *   describePlaygroundScenarios({ framework: 'vue', dir: 'playground/vue', builtFiles: [...], frameworkError: {...} });
 *
 * The contract a playground keeps (playground/react is the reference; every playground is the same app):
 * - `window.reprise` is its recorder (for `flush()`); it records to `VITE_REPRISE_ENDPOINT`, project `dev`.
 * - Routes `/` (home), `/users`, `/users/:userId`, `/signup`, `/settings`, each page's content inside
 *   the single `<main>`; a `<nav>` with links named `Home`, `Users`, `Sign up`, `Settings`.
 * - The footer's `[data-testid="session-id"]` shows the session id once recording.
 * - `/users` lists the users of `playground/shared/public/api/users.json` (fetched: a network event is recorded),
 *   each a link with the user's name to `/users/:id`.
 * - `/users/1` has `<h1>Ada Lovelace</h1>`, a button `Contact Ada Lovelace` opening a
 *   `[role="dialog"]` with a `Close` button, and a link `Back to users` that REPLACES the entry.
 * - `/signup` has `<h1>Sign up</h1>`, inputs `name`, `email`, `password` (type password), `card`, a
 *   `plan` select (default `team`) and a `Create account` submit that tracks `signed-up` `{ plan }`
 *   and then shows `Thanks for signing up!`.
 * - `/settings` shows `Your plan: Team, billed monthly.`, a masked `#masked-panel` and a blocked
 *   `#blocked-panel` with the texts of `HIDDEN_TEXT`.
 * - Home has `<h1>Welcome to the Reprise playground</h1>`, `#throw` (throws 'The throw button threw'
 *   from an event handler: uncaught) and `#crash` (a component throws 'The crash button broke this
 *   component' while rendering: caught by the framework, recorded through the adapter, then shown
 *   as a `[role="alert"]`).
 * - The router marks navigations through the adapter, with the route pattern and type.
 */

export interface PlaygroundDescriptor {
  /** `react`, `vue`: names the test and the temporary folders. */
  framework: string;
  /** The playground's folder, relative to the repository root (`playground/vue`). */
  dir: string;
  /** Built files (relative to the root) the playground's build needs: the test says to build them when missing. */
  builtFiles: string[];
  /** What the framework adds to the crash button's error, e.g. `{ framework: 'react', componentStack: expect.stringMatching(/\S/) }`. */
  frameworkError: Partial<Record<keyof ErrorPayload, unknown>>;
  /** The route names the markers carry, in visit order, when the router names its routes (Vue Router). */
  routeNames?: string[];
  /**
   * For a playground its own builder has built already (Angular's, a turbo-cached task too slow to
   * repeat here): the folder it built (relative to the root) and its `index.html` pointed at the
   * collector. Without it the scenarios build `dir` with Vite.
   */
  prebuilt?: { outDir: string; index(endpoint: string): string };
}

/** What the visitor types into the sign-up form: none of it may be stored. */
export const TYPED = {
  name: 'Ada Byron-King',
  email: 'ada.private@example.com',
  password: 'Hunter2-Sup3r-Secret!',
  card: '4242 4242 4242 4242',
};
/** Text inside the playground's masked and blocked panels. */
export const HIDDEN_TEXT = [
  'rk_live_5up3r53cr3tK3y',
  'velvet orbit lantern',
  'Internal notes the recording never shows',
];

/** The markers the visit in `visit()` gives, in order. */
export const EXPECTED_MARKERS = [
  { route: '/', params: {}, navigationType: 'initial', path: '/' },
  { route: '/users', params: {}, navigationType: 'push', path: '/users' },
  { route: '/users/:userId', params: { userId: '1' }, navigationType: 'push', path: '/users/1' },
  { route: '/users', params: {}, navigationType: 'replace', path: '/users' },
  { route: '/signup', params: {}, navigationType: 'push', path: '/signup' },
  { route: '/settings', params: {}, navigationType: 'push', path: '/settings' },
  { route: '/signup', params: {}, navigationType: 'pop', path: '/signup' },
  { route: '/', params: {}, navigationType: 'push', path: '/' },
];

const REPLAY_PAGE = `<!doctype html><meta charset="utf-8"><title>replay</title>
<script src="/node_modules/@rrweb/replay/umd/replay.js"></script>
<div id="player"></div>
<script>
  // Replays to a point in time and hands back the text of the replayed page's <main>.
  window.replayAt = async (events, timestamp) => {
    document.getElementById('player').replaceChildren();
    const replayer = new rrwebReplay.Replayer(events, { root: document.getElementById('player'), showWarning: false, mouseTail: false, triggerFocus: false });
    replayer.pause(timestamp - events[0].timestamp);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const doc = replayer.iframe.contentDocument;
    return { main: doc.querySelector('main')?.textContent ?? null, maskedPanel: doc.querySelector('#masked-panel')?.textContent ?? null };
  };
</script>`;

const PLAYER_PAGE = `<!doctype html><meta charset="utf-8"><title>player</title>
<script src="/dist/player/reprise-player.iife.js"></script>
<div id="mount" style="height: 640px; width: 1000px"></div>`;

/** Builds a playground with Vite into `outDir`, recording to `endpoint`. */
export async function buildPlayground(
  descriptor: Pick<PlaygroundDescriptor, 'dir' | 'builtFiles'>,
  outDir: string,
  endpoint: string,
): Promise<void> {
  const missing = descriptor.builtFiles.filter((file) => !existsSync(join(REPO_ROOT, file)));
  if (missing.length > 0) throw new Error(`Build the packages first (npm run build): missing ${missing.join(', ')}`);
  await promisify(execFile)(
    join(REPO_ROOT, 'node_modules/.bin/vite'),
    ['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: join(REPO_ROOT, descriptor.dir),
      env: { ...process.env, VITE_REPRISE_ENDPOINT: endpoint },
    },
  );
}

/** What `<main>` shows now, and the page's clock at that moment (the recorded events' time base). */
async function mainText(page: Page): Promise<{ text: string; at: number }> {
  // As page.textContent('main') did: wait for a <main>, so an unrendered page is not read as ''.
  await page.waitForSelector('main', { state: 'attached' });
  return page.evaluate(() => ({ text: document.querySelector('main')!.textContent ?? '', at: Date.now() }));
}

/** The session id the playground's footer shows once recording. */
export async function waitForSessionId(page: Page): Promise<string> {
  await page.waitForFunction(() =>
    /^[0-9a-f]{16,}$/.test(document.querySelector('[data-testid="session-id"]')?.textContent ?? ''),
  );
  return (await page.textContent('[data-testid="session-id"]'))!;
}

/**
 * Drives the app the way a visitor would, and returns the session id and the text of each page for
 * the replay check. Ends with the recorder flushed (the collector answered 202 for the last batch).
 */
export async function visit(
  page: Page,
  baseUrl: string,
): Promise<{ sessionId: string; liveMainText: Record<string, { text: string; at: number }> }> {
  const liveMainText: Record<string, { text: string; at: number }> = {};
  await page.goto(`${baseUrl}/`);
  await waitForSessionId(page);
  liveMainText.home = await mainText(page);

  await page.click('nav >> text=Users');
  await page.waitForSelector('text=Ada Lovelace');
  liveMainText.users = await mainText(page);

  await page.click('text=Ada Lovelace');
  await page.waitForSelector('h1:has-text("Ada Lovelace")');
  liveMainText.user = await mainText(page);
  await page.click('text=Contact Ada Lovelace');
  await page.waitForSelector('[role="dialog"]');
  await page.click('[role="dialog"] >> text=Close');
  await page.click('text=Back to users');
  await page.waitForSelector('h1:has-text("Users")');
  await page.waitForSelector('text=Grace Hopper');

  await page.click('nav >> text=Sign up');
  await page.fill('input[name="name"]', TYPED.name);
  await page.fill('input[name="email"]', TYPED.email);
  await page.fill('input[name="password"]', TYPED.password);
  await page.type('input[name="card"]', TYPED.card, { delay: 5 });
  await page.click('text=Create account');
  await page.waitForSelector('text=Thanks for signing up!');

  await page.click('nav >> text=Settings');
  await page.waitForSelector('#masked-panel');
  liveMainText.settings = await mainText(page);

  await page.goBack();
  await page.waitForSelector('h1:has-text("Sign up")');

  await page.click('nav >> text=Home');
  await page.waitForSelector('#throw');
  await page.click('#throw');
  await page.click('#crash');
  await page.waitForSelector('[role="alert"]');
  liveMainText.crashed = await mainText(page);

  const sessionId = (await page.textContent('[data-testid="session-id"]'))!;
  // Cut the last batch and wait for the collector's 202.
  await page.evaluate(() => (window as unknown as { reprise: { flush(): Promise<void> } }).reprise.flush());
  return { sessionId, liveMainText };
}

/** The session as the collector stored it, once the last event (the framework's error) is in the store. */
async function storedSession(collector: Collector, sessionId: string): Promise<RecordedEvent[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const stored = await readSessionEvents(collector, 'dev', sessionId).catch(() => [] as RecordedEvent[]);
    const done = stored.some(
      (event) =>
        isRepriseEvent(event, 'error') &&
        (event.data as { payload: { source: string } }).payload.source === 'framework',
    );
    if (done) return stored;
    if (Date.now() > deadline)
      throw new Error(`the collector stored ${stored.length} events of session ${sessionId}, without the last one`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Registers the shared scenarios (a `describe` with its hooks) for one playground. */
export function describePlaygroundScenarios(descriptor: PlaygroundDescriptor): void {
  let collector: Collector;
  let server: TestServer;
  let browser: TestBrowser;
  let dataDir: string;
  let outDir: string | undefined;
  let events: RecordedEvent[];
  let liveMainText: Record<string, { text: string; at: number }>;
  const pageErrors: string[] = [];

  function payloads<K extends RepriseKind>(kind: K): Array<ReprisePayloads[K] & { timestamp: number }> {
    return events
      .filter((event) => isRepriseEvent(event, kind))
      .map((event) => ({ ...(event.data as { payload: ReprisePayloads[K] }).payload, timestamp: event.timestamp }));
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), `reprise-${descriptor.framework}-e2e-data-`));
    collector = await createCollector(
      resolveConfig({ dataDir, port: 0, host: '127.0.0.1', segmentMaxAgeMs: 100, logLevel: 'error' }),
    );
    const { url: collectorUrl } = await collector.start();
    let appDir: string;
    let index: string;
    if (descriptor.prebuilt) {
      const missing = descriptor.builtFiles.filter((file) => !existsSync(join(REPO_ROOT, file)));
      if (missing.length > 0)
        throw new Error(`Build the playground first (npm run build): missing ${missing.join(', ')}`);
      appDir = join(REPO_ROOT, descriptor.prebuilt.outDir);
      index = descriptor.prebuilt.index(collectorUrl);
    } else {
      appDir = outDir = mkdtempSync(join(tmpdir(), `reprise-${descriptor.framework}-e2e-app-`));
      await buildPlayground(descriptor, outDir, collectorUrl);
      index = readFileSync(join(outDir, 'index.html'), 'utf8');
    }
    // The app's index at `/` explicitly: the harness serves files from mounts, not a folder's index.
    server = await serve({
      mounts: { '/': appDir, '/dist/player/': join(REPO_ROOT, 'packages/player/dist') },
      pages: { '/': index, '/replay.html': REPLAY_PAGE, '/player.html': PLAYER_PAGE },
    });
    browser = await launchBrowser();
    const page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const visited = await visit(page, server.url);
    liveMainText = visited.liveMainText;
    await page.close();
    events = await storedSession(collector, visited.sessionId);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await collector?.stop();
    for (const dir of [dataDir, outDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe(`${descriptor.dir} recorded through the collector`, () => {
    test('one session, one recording: a single full snapshot', () => {
      expect(events.filter((event) => event.type === 2)).toHaveLength(1);
      expect(events[0]!.type).toBe(4);
      expect(pageErrors).toEqual(['The throw button threw']);
    });

    test('a navigation marker per route with its pattern, params and type', () => {
      const markers = payloads('navigation');
      expect(
        markers.map(({ route, params, navigationType, url }) => ({
          route,
          params,
          navigationType,
          path: new URL(url).pathname,
        })),
      ).toEqual(EXPECTED_MARKERS);
      if (descriptor.routeNames) expect(markers.map((marker) => marker.name)).toEqual(descriptor.routeNames);
    });

    test('the fake API call, the custom event and both errors are recorded', () => {
      const users = payloads('network').find(
        (request) =>
          request.method === 'GET' && request.status === 200 && request.url === `${server.url}/api/users.json`,
      );
      // With its headers and body: the playgrounds turn them on (PLAYGROUND_NETWORK) to show them in the replay.
      expect(users?.responseBody).toContain('"name": "Ada Lovelace"');
      expect(users?.responseHeaders?.['content-type']).toMatch(/application\/json/);
      expect(payloads('custom')).toContainEqual(
        expect.objectContaining({ name: 'signed-up', props: { plan: 'team' } }),
      );
      const errors = payloads('error');
      expect(errors).toContainEqual(expect.objectContaining({ source: 'error', message: 'The throw button threw' }));
      const caught = errors.filter((error) => error.source === 'framework');
      expect(caught).toEqual([
        expect.objectContaining({ message: 'The crash button broke this component', ...descriptor.frameworkError }),
      ]);
      // Logging the error it reported (as the framework would) does not record it again as a console error.
      const loggedAlone = payloads('console').filter(
        (message) =>
          message.level === 'error' &&
          message.args.length === 1 &&
          message.args[0]!.includes('The crash button broke this component'),
      );
      expect(loggedAlone).toEqual([]);
    });

    test('no typed secret and no masked or blocked text anywhere in the stored session', () => {
      const stored = JSON.stringify(events);
      for (const secret of [...Object.values(TYPED), TYPED.card.replaceAll(' ', ''), ...HIDDEN_TEXT]) {
        expect(stored, secret).not.toContain(secret);
      }
      // The visible page text is there, so the absence above is not an empty recording.
      expect(stored).toContain('Welcome to the Reprise playground');
      expect(stored).toContain('Grace Hopper');
    });

    test('the stored session replays to the text each page showed', async () => {
      // Each page replayed at the moment its text was read live: every change the page had shown
      // by then was recorded before it (rrweb's observer runs before any later task).
      const page = await browser.newPage();
      try {
        await page.goto(`${server.url}/replay.html`);
        const replayAt = (timestamp: number) =>
          page.evaluate(
            ([recorded, at]) =>
              (
                window as unknown as {
                  replayAt(e: unknown, t: number): Promise<{ main: string | null; maskedPanel: string | null }>;
                }
              ).replayAt(recorded, at),
            [events, timestamp] as const,
          );
        for (const name of ['home', 'users', 'user'])
          expect((await replayAt(liveMainText[name]!.at)).main, name).toBe(liveMainText[name]!.text);
        const settings = await replayAt(liveMainText.settings!.at);
        // The masked panel replays with its shape but not its words.
        expect(settings.maskedPanel).not.toBeNull();
        expect(settings.maskedPanel!.length).toBeGreaterThan(20);
        for (const hidden of HIDDEN_TEXT) expect(settings.main).not.toContain(hidden);
        expect(settings.main).toContain('Your plan: Team, billed monthly.');
        expect((await replayAt(events.at(-1)!.timestamp + 1)).main).toBe(liveMainText.crashed!.text);
      } finally {
        await page.close();
      }
    });

    test('@reprise/player plays the stored session with a marker per route', async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`${server.url}/player.html`);
        const played = await page.evaluate(
          async ([recorded, expectedCount]) => {
            interface PlayerLike {
              on(event: string, listener: (value: unknown) => void): () => void;
              getMarkers(): Array<{ kind: string; time: number; label: string }>;
              seek(ms: number): void;
              getIframe(): HTMLIFrameElement | null;
            }
            const { Player } = (
              window as unknown as { ReprisePlayer: { Player: new (element: Element, options: unknown) => PlayerLike } }
            ).ReprisePlayer;
            const player = new Player(document.getElementById('mount')!, {
              source: recorded,
              autoplay: false,
              skipInactive: false,
            });
            await new Promise((resolve) => player.on('ready', resolve));
            // Events are indexed while they load: wait for the whole session's markers.
            const navigationMarkers = () => player.getMarkers().filter((marker) => marker.kind === 'navigation');
            for (let tries = 0; navigationMarkers().length < expectedCount && tries < 100; tries++)
              await new Promise((resolve) => setTimeout(resolve, 50));
            const navigation = navigationMarkers();
            const settings = navigation[5]!;
            player.seek(navigation[6]!.time - 1);
            await new Promise((resolve) => setTimeout(resolve, 200));
            return {
              labels: navigation.map((marker) => marker.label),
              settingsText: player.getIframe()?.contentDocument?.querySelector('main')?.textContent ?? null,
              settingsLabel: settings.label,
              clickLabels: player
                .getMarkers()
                .filter((marker) => marker.kind === 'click')
                .map((marker) => marker.label),
            };
          },
          [events, EXPECTED_MARKERS.length] as const,
        );
        expect(played.labels).toHaveLength(EXPECTED_MARKERS.length);
        expect(played.labels.join(' ')).toContain('/users/:userId');
        expect(played.settingsLabel).toContain('/settings');
        expect(played.settingsText).toContain('Your plan: Team, billed monthly.');
        // Each click named by what it landed on, from the recorded page as it stood then.
        expect(played.clickLabels).toEqual(
          expect.arrayContaining([
            'Click on link "Users"',
            'Click on button "Close"',
            'Click on button "Create account"',
            'Click on link "Home"',
          ]),
        );
        for (const hidden of HIDDEN_TEXT) expect(played.settingsText).not.toContain(hidden);
      } finally {
        await page.close();
      }
    });
  });
}
