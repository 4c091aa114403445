import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
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

/** rrweb EventType values used by the assertions. */
export const EventType = { FullSnapshot: 2, IncrementalSnapshot: 3, Meta: 4, Custom: 5 } as const;
export const IncrementalSource = { Mutation: 0, Input: 5 } as const;

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
