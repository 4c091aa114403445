// Shared by the benchmarks: the bench shop served five ways (no recorder, plain rrweb, rrweb posting
// its events to a worker, Reprise, Reprise's capture alone), a table printer and the closing `BENCH` line.
import { API_ROUTES, APP_HTML } from './workload/workload.js';
import { POST_COALESCE_MS } from '@reprise/core/internal';
import { RRWEB_PAGE_SCRIPT, rrwebPostingPageScript } from './workload/record.js';
import { serve, type TestServer } from '../harness/index.js';

export type Variant = 'none' | 'rrweb' | 'rrweb-posting' | 'reprise' | 'reprise-capture';

/** Reprise as a site would add it: the IIFE and one createRecorder call; events also kept in window.__events. */
function repriseScript(endpoint: string, delivery: Record<string, unknown>): string {
  return `<script src="/dist/core/reprise.iife.js"></script>
<script>window.__events = []; window.recorder = Reprise.createRecorder({ project: 'bench', endpoint: ${JSON.stringify(endpoint)}, delivery: ${JSON.stringify(delivery)}, onEvents: (events) => { for (const e of events) window.__events.push(e); } }); window.recorder.start();</script>`;
}

/** Reprise without keeping events on the page (the overhead bench measures only what a site pays). */
function repriseBareScript(endpoint: string, delivery: Record<string, unknown>): string {
  return `<script src="/dist/core/reprise.iife.js"></script>
<script>window.recorder = Reprise.createRecorder({ project: 'bench', endpoint: ${JSON.stringify(endpoint)}, delivery: ${JSON.stringify(delivery)} }); window.recorder.start();</script>`;
}

export async function serveShop(
  options: { endpoint?: string; delivery?: Record<string, unknown>; keepEvents?: boolean } = {},
): Promise<TestServer> {
  const inject = (script: string) => APP_HTML.replace('<body>', `<body>${script}`);
  const endpoint = options.endpoint ?? 'http://127.0.0.1:9';
  const delivery = options.delivery ?? {};
  return serve({
    pages: {
      '/none': APP_HTML,
      '/rrweb': inject(RRWEB_PAGE_SCRIPT),
      '/rrweb-posting': inject(rrwebPostingPageScript(POST_COALESCE_MS)),
      '/reprise': inject(
        options.keepEvents ? repriseScript(endpoint, delivery) : repriseBareScript(endpoint, delivery),
      ),
      // Capture alone (no project/endpoint, so no delivery): splits Reprise's cost between capture and delivery.
      '/reprise-capture': inject(
        `<script src="/dist/core/reprise.iife.js"></script><script>window.recorder = Reprise.createRecorder({}); window.recorder.start();</script>`,
      ),
    },
    routes: API_ROUTES,
  });
}

export function printTable(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  console.log(`\n${title}`);
  cells.forEach((row, index) => {
    console.log(
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('  '),
    );
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  });
}

export function benchLine(name: string, values: Record<string, string | number>): void {
  console.log(
    `BENCH ${name} ${Object.entries(values)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')}`,
  );
}
