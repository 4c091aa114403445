// Record the standard workload with plain @rrweb/record in Chromium and return the raw events.
// Cached in test/bench/.cache so codec comparisons can be re-run without the browser.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchBrowser, serve } from '../../harness/index.js';
import { API_ROUTES, APP_HTML, runWorkload, type WorkloadCounts } from './workload.js';

export interface RecordedWorkload {
  events: Array<{ type: number; data: unknown; timestamp: number }>;
  counts: WorkloadCounts;
  durationMs: number;
}

const CACHE = fileURLToPath(new URL('../.cache/rrweb-events.json', import.meta.url));

export const RRWEB_SCRIPT = '<script src="/node_modules/@rrweb/record/dist/record.umd.min.cjs"></script>';
/** The privacy defaults Reprise uses (every input masked) and its sampling. */
const RRWEB_OPTIONS = "maskAllInputs: true, sampling: { mousemove: 50, scroll: 150, input: 'last' }";

/** Plain rrweb with the privacy defaults Reprise uses (every input masked). */
export const RRWEB_PAGE_SCRIPT = `${RRWEB_SCRIPT}
<script>window.__events = []; rrwebRecord.record({ emit: (e) => window.__events.push(e), ${RRWEB_OPTIONS} });</script>`;

/**
 * Plain rrweb handing its events to a worker, the least any recorder that sends them from a worker
 * does on the page: every `postEveryMs` the events so far as JSON text, posted to a worker that
 * drops them. The overhead bench's floor under delivery (Reprise posts the same way, at the same pace).
 */
export function rrwebPostingPageScript(postEveryMs: number): string {
  return `${RRWEB_SCRIPT}
<script>(() => {
  const worker = new Worker(URL.createObjectURL(new Blob(['onmessage = () => {};'], { type: 'text/javascript' })));
  let queue = [];
  const post = () => { worker.postMessage(JSON.stringify(queue)); queue = []; };
  rrwebRecord.record({ emit: (e) => { if (queue.push(e) === 1) setTimeout(post, ${postEveryMs}); }, ${RRWEB_OPTIONS} });
})();</script>`;
}

export async function recordWorkload(options: { fresh?: boolean } = {}): Promise<RecordedWorkload> {
  if (!options.fresh && existsSync(CACHE)) return JSON.parse(readFileSync(CACHE, 'utf8')) as RecordedWorkload;
  const server = await serve({
    pages: { '/': APP_HTML.replace('<body>', `<body>${RRWEB_PAGE_SCRIPT}`) },
    routes: API_ROUTES,
  });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    const started = Date.now();
    const counts = await runWorkload(page);
    await page.waitForTimeout(700); // rrweb flushes buffered mouse positions every 500 ms
    const events = (await page.evaluate('window.__events')) as RecordedWorkload['events'];
    const recorded = { events, counts, durationMs: Date.now() - started };
    mkdirSync(fileURLToPath(new URL('../.cache/', import.meta.url)), { recursive: true });
    writeFileSync(CACHE, JSON.stringify(recorded));
    return recorded;
  } finally {
    await browser.close();
    await server.close();
  }
}
