// The standard scripted workload (test/bench/README.md): 300 simulated seconds of an active user on
// the bench shop, compressed in time. Every count here is the README's, so each bench replays
// exactly the same session.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const APP_HTML = readFileSync(fileURLToPath(new URL('./app.html', import.meta.url)), 'utf8');

/** Simulated active seconds (5 active minutes). */
export const SIMULATED_SECONDS = 300;
export const MOUSE_MOVES_PER_SECOND = 5;
const ROUTES = ['catalog', 'deals', 'orders', 'account', 'support', 'checkout'] as const;
/** A route change every 10 simulated seconds: 30 in all. */
const SECONDS_PER_ROUTE = 10;
const TEXT = 'Hello, my order #1042 arrived with a cracked mug. Could you send a replacement? Thanks! ';

export interface WorkloadCounts {
  mouseMoves: number;
  clicks: number;
  keystrokes: number;
  routeChanges: number;
  scrolls: number;
  ticks: number;
}

export interface WorkloadOptions {
  /** Real time the 300 simulated seconds take. @default 60000 (5x compression) */
  durationMs?: number;
}

export const DEFAULT_WORKLOAD_MS = Number(process.env.REPRISE_BENCH_WORKLOAD_MS ?? 60_000);

/** Drive the page (already on the bench shop) through the workload; returns what it did. */
export async function runWorkload(page: Page, options: WorkloadOptions = {}): Promise<WorkloadCounts> {
  const durationMs = options.durationMs ?? DEFAULT_WORKLOAD_MS;
  const tickMs = durationMs / SIMULATED_SECONDS;
  const counts: WorkloadCounts = { mouseMoves: 0, clicks: 0, keystrokes: 0, routeChanges: 0, scrolls: 0, ticks: 0 };
  const started = Date.now();
  let typed = 0;
  for (let second = 0; second < SIMULATED_SECONDS; second++) {
    const route = ROUTES[Math.floor(second / SECONDS_PER_ROUTE) % ROUTES.length]!;
    if (second % SECONDS_PER_ROUTE === 0) {
      await page.click(`nav a[data-route="${route}"]`);
      counts.clicks++;
      counts.routeChanges++;
    }
    for (let i = 0; i < MOUSE_MOVES_PER_SECOND; i++) {
      const t = second * MOUSE_MOVES_PER_SECOND + i;
      await page.mouse.move(300 + Math.round(250 * Math.sin(t / 17)), 300 + Math.round(180 * Math.cos(t / 11)));
      counts.mouseMoves++;
    }
    if (route === 'catalog' || route === 'deals') {
      // 9 of every 10 seconds on a catalog route add a product: 90 clicks, plus the 30 route clicks = 120.
      if (second % SECONDS_PER_ROUTE !== 0) {
        await page.click(`.card:nth-child(${(second % 8) + 1}) button`);
        counts.clicks++;
      }
    } else if (route === 'support' || route === 'checkout') {
      if (second % SECONDS_PER_ROUTE === 0) await page.click('textarea');
      for (let k = 0; k < 4; k++) {
        await page.keyboard.type(TEXT[typed++ % TEXT.length]!);
        counts.keystrokes++;
      }
    } else {
      await page.mouse.wheel(0, second % 2 === 0 ? 240 : -120);
      counts.scrolls++;
    }
    await page.evaluate('window.benchTick()');
    counts.ticks++;
    const wait = started + (second + 1) * tickMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return counts;
}

/** Count the DOM mutations rrweb recorded (adds + removes + text + attribute changes). */
export function countMutations(events: Array<{ type: number; data: unknown }>): number {
  let total = 0;
  for (const event of events) {
    const data = event.data as {
      source?: number;
      adds?: unknown[];
      removes?: unknown[];
      texts?: unknown[];
      attributes?: unknown[];
    };
    if (event.type !== 3 || data.source !== 0) continue;
    total +=
      (data.adds?.length ?? 0) +
      (data.removes?.length ?? 0) +
      (data.texts?.length ?? 0) +
      (data.attributes?.length ?? 0);
  }
  return total;
}

/** Routes the bench shop fetches (network capture has something to record). */
export const API_ROUTES = {
  '/api/catalog': jsonRoute,
  '/api/deals': jsonRoute,
  '/api/orders': jsonRoute,
  '/api/account': jsonRoute,
  '/api/support': jsonRoute,
  '/api/checkout': jsonRoute,
  '/api/cart': jsonRoute,
};
function jsonRoute(
  _req: unknown,
  res: { writeHead(status: number, headers: Record<string, string>): void; end(body: string): void },
): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
}
