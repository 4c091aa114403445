import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { TestBrowser } from '../harness/index.js';
import { expect } from 'vitest';
import { REPO_ROOT, type RouteHandler } from '../harness/index.js';

/** Shared by the capture e2e files: fixture pages and reading what the recorder emitted. */
export const CAPTURE_FIXTURES = join(REPO_ROOT, 'test/fixtures/capture');
export const CORE_IIFE = join(REPO_ROOT, 'packages/core/dist/reprise.iife.js');

/**
 * Fetch the rest of the script-tag recorder (reprise.recorder.js) before the test creates one, so
 * the test exercises the full recorder's own behaviour; the early path (recording while the rest
 * loads) has its own tests in capture-early.test.ts.
 */
export async function loadWholeRecorder(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { Reprise: { load(): Promise<unknown> } }).Reprise.load());
}

export function fixture(name: string): string {
  return readFileSync(join(CAPTURE_FIXTURES, name), 'utf8');
}

/** What a masked input's value is recorded as (packages/core/src/privacy.ts). */
export const MASKED_VALUE_PLACEHOLDER = '********';

/** rrweb EventType values used by the assertions. */
export const EventType = { FullSnapshot: 2, IncrementalSnapshot: 3, Meta: 4, Custom: 5 } as const;
export const IncrementalSource = { Mutation: 0, Input: 5 } as const;

/** rrweb MouseInteraction clicks (type 3, source 2, interaction type 2) in a list of events. */
export const clicksIn = (events: ReadonlyArray<{ type: number; data: unknown }>) =>
  events.filter((event) => {
    const data = event.data as { source?: number; type?: number };
    return event.type === 3 && data.source === 2 && data.type === 2;
  }).length;

export interface CapturedEvent {
  type: number;
  timestamp: number;
  data: { tag?: string; payload?: Record<string, unknown>; source?: number; [key: string]: unknown };
}

/** Every event the recorder handed to `onEvents` so far (after its pending microtask ran). */
export async function capturedEvents(page: Page): Promise<CapturedEvent[]> {
  await page.evaluate(() => (window as unknown as { recorder?: { flush(): Promise<void> } }).recorder?.flush());
  return JSON.parse(
    await page.evaluate(() => JSON.stringify((window as unknown as { __events: unknown[] }).__events)),
  ) as CapturedEvent[];
}

export function repriseEvents(events: CapturedEvent[], tag: string): Array<Record<string, unknown>> {
  return events
    .filter((event) => event.type === EventType.Custom && event.data.tag === tag)
    .map((event) => event.data.payload!);
}

/** Every string anywhere inside a value. */
export function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) allStrings(item, out);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) allStrings(item, out);
  return out;
}

export const jsonRoute =
  (body: unknown, headers: Record<string, string> = {}): RouteHandler =>
  (_req, res) => {
    const text = JSON.stringify(body);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };

/**
 * The rest of the recorder held back (capture-early.test.ts, capture-bundled.test.ts): requests for
 * it wait until `open()`, then get `body`, or a 404 when the gate was closed with `missing`.
 */
/** The script tag's second file: the rest of the recorder, which reprise.iife.js fetches at start(). */
export const CORE_REST = join(REPO_ROOT, 'packages/core/dist/reprise.recorder.js');

/**
 * A gate for the script tag's rest (`CORE_REST`), after checking that both script-tag files are built;
 * serve `gate.route` at `GET /dist/core/reprise.recorder.js`.
 */
export function holdScriptTagRest(): HeldRest {
  for (const file of [CORE_IIFE, CORE_REST]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`cd packages/core && npx rollup -c\` first`);
  }
  return new HeldRest(readFileSync(CORE_REST));
}

export class HeldRest {
  requests = 0;
  private missing = false;
  private opened: Promise<void> = Promise.resolve();
  private release: () => void = () => {};

  constructor(private readonly body: Buffer) {
    this.close();
  }

  close(missing = false): void {
    this.missing = missing;
    this.requests = 0;
    this.opened = new Promise<void>((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  /** Open `url` with the rest held back (or missing), once the page has asked for it. */
  async openPage(browser: TestBrowser, url: string, missing = false): Promise<{ page: Page; pageErrors: string[] }> {
    this.close(missing);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // A held script holds the load event back: wait for the DOM only.
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await expect.poll(() => this.requests, { message: 'start() asked for the rest at once', timeout: 10_000 }).toBe(1);
    return { page, pageErrors };
  }

  readonly route: RouteHandler = async (_req, res) => {
    this.requests++;
    await this.opened;
    if (this.missing) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
    res.end(this.body);
  };
}

/**
 * The rest took the early capture over (after takeOverAfterActing): rrweb ran once (one Meta, one
 * full snapshot, first), the mutation made while the rest was held follows it and the one made
 * after the take-over follows that; the field typed before the take-over is recorded, masked; and the rest's own capture joined (the initial
 * page's navigation marker).
 */
export function expectTakenOver(events: CapturedEvent[], typedSecret: string): void {
  expect(events.filter((event) => event.type === EventType.Meta)).toHaveLength(1);
  expect(events.filter((event) => event.type === EventType.FullSnapshot)).toHaveLength(1);
  const snapshotAt = events.findIndex((event) => event.type === EventType.FullSnapshot);
  const indexOfText = (text: string) =>
    events.findIndex(
      (event) =>
        event.type === EventType.IncrementalSnapshot &&
        event.data.source === IncrementalSource.Mutation &&
        allStrings(event.data).includes(text),
    );
  const early = indexOfText('added while loading');
  const late = indexOfText('added after the take-over');
  expect(early).toBeGreaterThan(snapshotAt);
  expect(late).toBeGreaterThan(early);
  expect(events[late]!.timestamp).toBeGreaterThanOrEqual(events[early]!.timestamp);

  const inputs = events.filter(
    (event) => event.type === EventType.IncrementalSnapshot && event.data.source === IncrementalSource.Input,
  );
  expect(inputs.length).toBeGreaterThan(0);
  expect(JSON.stringify(events)).not.toContain(typedSecret);
  expect(allStrings(inputs.map((event) => event.data))).toContain(MASKED_VALUE_PLACEHOLDER);
  expect(repriseEvents(events, 'reprise.navigation').length).toBeGreaterThan(0);
}

/** What capture-early's and capture-bundled's pages define on `window`. */
interface TakeOverPage {
  __atStart: { isRecording: boolean; sessionId: string | null };
  __started: string[];
  __events: unknown[];
  __errors: Array<{ code: string; message: string }>;
  recorder: { flush(): Promise<void>; isRecording: boolean; sessionId: string | null };
  addItem(text: string): void;
}

/**
 * On a page whose recorder started with the rest held back by `gate` (window.addItem, #name, an
 * h1): recording began at start(); the DOM changes, `typedSecret` is typed and a click made, and
 * nothing reaches `onEvents` meanwhile; then the rest is let through, takes over, and records one
 * more change ('added after the take-over'). Returns what the recorder said at start().
 */
export async function takeOverAfterActing(
  page: Page,
  gate: HeldRest,
  typedSecret: string,
): Promise<TakeOverPage['__atStart']> {
  const atStart = await page.evaluate(() => (window as unknown as TakeOverPage).__atStart);
  expect(atStart.isRecording).toBe(true);
  expect(atStart.sessionId).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
  await page.evaluate(() => (window as unknown as TakeOverPage).addItem('added while loading'));
  await page.locator('#name').pressSequentially(typedSecret);
  await page.locator('h1').click();
  expect(await page.evaluate(() => (window as unknown as TakeOverPage).__events.length)).toBe(0);

  gate.open();
  await page.waitForFunction(() => (window as unknown as TakeOverPage).__started.length === 1);
  await page.evaluate(() => (window as unknown as TakeOverPage).addItem('added after the take-over'));
  await page.evaluate(() => (window as unknown as TakeOverPage).recorder.flush());
  await page.waitForFunction(() =>
    JSON.stringify((window as unknown as TakeOverPage).__events).includes('added after the take-over'),
  );
  return atStart;
}

/**
 * The rest answers 404 (`gate` closed with `missing`): once the page reported it, the DOM changes
 * again. Returns what was reported and what the recorder says afterwards.
 */
export async function restNeverArrives(page: Page, gate: HeldRest) {
  gate.open();
  await page.waitForFunction(() => (window as unknown as TakeOverPage).__errors.length > 0);
  return page.evaluate(() => {
    const w = window as unknown as TakeOverPage;
    w.addItem('after the failure');
    return {
      errors: w.__errors,
      isRecording: w.recorder.isRecording,
      sessionId: w.recorder.sessionId,
      events: w.__events.length,
    };
  });
}
