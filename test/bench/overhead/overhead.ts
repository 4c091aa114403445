import type { Page } from 'playwright-core';
import { launchBrowser, startIngestServer } from '../../harness/index.js';
import { runWorkload } from '../workload/workload.js';
import { benchLine, printTable, serveShop, type Variant } from '../lib.js';

/** The workload at 10x compression: overhead is per event, so a faster run measures the same work. */
export const WORKLOAD_MS = Number(process.env.REPRISE_BENCH_OVERHEAD_MS ?? 30_000);
/**
 * Each variant runs this many times, interleaved, and the median counts (the machine is shared).
 * `added_ratio` is taken per round (the variants of a round run back to back, so they share
 * the machine's load of the moment) and its median reported; 7 rounds, aiming at two runs in a row
 * within 10 % of each other, which session 21 saw missed once (17 % apart; test/bench/README.md).
 */
const ROUNDS = Number(process.env.REPRISE_BENCH_OVERHEAD_ROUNDS ?? 7);
/**
 * `rrweb-posting` is the floor under any recorder that delivers from a worker: rrweb posting its
 * events as JSON text to a worker that drops them (`posting_added_ratio` is its added script time
 * over plain rrweb's, `added_over_posting_ratio` Reprise's over it).
 */
const VARIANTS: readonly Variant[] = ['none', 'rrweb', 'rrweb-posting', 'reprise', 'reprise-capture'];

interface Sample {
  /** Chromium's main-thread task time (CDP Performance.getMetrics TaskDuration), ms. */
  taskMs: number;
  scriptMs: number;
  longTasks: number;
}

type Cdp = Awaited<ReturnType<ReturnType<Page['context']>['newCDPSession']>>;

async function metrics(cdp: Cdp): Promise<Record<string, number>> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((metric) => [metric.name, metric.value]));
}

export async function measure(page: Page, url: string): Promise<Sample> {
  // Metrics accumulate only while the domain is enabled: enable once, before the page loads.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(url);
  await page.evaluate(() => {
    const win = window as unknown as { __longTasks: number };
    win.__longTasks = 0;
    new PerformanceObserver((list) => {
      win.__longTasks += list.getEntries().length;
    }).observe({ type: 'longtask' });
  });
  const before = await metrics(cdp);
  await runWorkload(page, { durationMs: WORKLOAD_MS });
  // Reprise's flush and rrweb's buffered mouse positions are part of what the page pays.
  await page.evaluate(async () => {
    await (window as unknown as { recorder?: { flush(): Promise<void> } }).recorder?.flush();
  });
  await page.waitForTimeout(600);
  const after = await metrics(cdp);
  await cdp.detach();
  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number }).__longTasks);
  return {
    taskMs: (after.TaskDuration! - before.TaskDuration!) * 1000,
    scriptMs: (after.ScriptDuration! - before.ScriptDuration!) * 1000,
    longTasks,
  };
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function runOverheadBench(): Promise<void> {
  const ingest = await startIngestServer();
  const site = await serveShop({ endpoint: ingest.url, delivery: { maxBatchDelayMs: 3_000 } });
  const browser = await launchBrowser();
  const samples: Record<Variant, Sample[]> = {
    none: [],
    rrweb: [],
    'rrweb-posting': [],
    reprise: [],
    'reprise-capture': [],
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of VARIANTS) {
        const page = await browser.newPage();
        samples[variant].push(await measure(page, `${site.url}/${variant}`));
        await page.close();
      }
    }
    const row = (variant: Variant) => {
      const list = samples[variant];
      return [
        variant,
        median(list.map((s) => s.taskMs)).toFixed(0),
        median(list.map((s) => s.scriptMs)).toFixed(0),
        median(list.map((s) => s.longTasks)),
        list.map((s) => s.scriptMs.toFixed(0)).join(' / '),
      ];
    };
    printTable(
      `Main-thread time for the standard workload (${WORKLOAD_MS} ms, median of ${ROUNDS})`,
      ['recorder', 'task ms', 'script ms', 'long tasks', 'script ms per round'],
      VARIANTS.map(row),
    );
    console.log(`Reprise batches received by the collector: ${ingest.batches.length}`);
    const none = median(samples.none.map((s) => s.taskMs));
    const rrweb = median(samples.rrweb.map((s) => s.taskMs));
    const reprise = median(samples.reprise.map((s) => s.taskMs));
    // What the recorder itself costs, without the workload: script time added over no recorder,
    // Reprise's against plain rrweb's (issue 15: total task time hid it inside the workload).
    const added = (variant: Variant, over: Variant = 'rrweb') =>
      median(
        samples[variant].map(
          (sample, round) =>
            (sample.scriptMs - samples.none[round]!.scriptMs) /
            (samples[over][round]!.scriptMs - samples.none[round]!.scriptMs),
        ),
      );
    const script = (variant: Variant) => median(samples[variant].map((s) => s.scriptMs));
    const addedMs = (variant: Variant) => `${(script(variant) - script('none')).toFixed(0)} ms`;
    console.log(
      `Script time added over no recorder (median): rrweb ${addedMs('rrweb')}, rrweb posting its events to a worker ${addedMs('rrweb-posting')}, Reprise ${addedMs('reprise')}, Reprise capture only ${addedMs('reprise-capture')}`,
    );
    benchLine('overhead', {
      none: none.toFixed(0),
      rrweb: rrweb.toFixed(0),
      reprise: reprise.toFixed(0),
      ratio: (reprise / rrweb).toFixed(3),
      added_ratio: added('reprise').toFixed(3),
      capture_added_ratio: added('reprise-capture').toFixed(3),
      posting_added_ratio: added('rrweb-posting').toFixed(3),
      added_over_posting_ratio: added('reprise', 'rrweb-posting').toFixed(3),
    });
  } finally {
    await browser.close();
    await site.close();
    await ingest.close();
  }
}
