/*
 * Where the recorder's main-thread time goes (issue 15): the standard workload under Chromium's
 * CPU profiler (CDP Profiler), once with plain rrweb and once with Reprise's capture alone (no
 * delivery; `REPRISE_BENCH_PROFILE_VARIANTS=rrweb,reprise` for the whole recorder, delivering to a
 * loopback collector), each `ROUNDS` times. Samples are mapped back through the scripts' source maps, so
 * Reprise's own code shows by source file and function, rrweb's by its package.
 * `node --conditions=@reprise/source --import tsx test/bench/overhead/profile.mjs` (from the root,
 * after `REPRISE_PROFILE_BUILD=1 npm run build`, which leaves the script-tag bundles unminified so
 * that the lines table names statements; build again without it before measuring sizes).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceMapConsumer, type RawSourceMap } from 'source-map';
import { launchBrowser, startIngestServer } from '../../harness/index.js';
import { runWorkload } from '../workload/workload.js';
import { printTable, serveShop, type Variant as PageVariant } from '../lib.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const WORKLOAD_MS = Number(process.env.REPRISE_BENCH_OVERHEAD_MS ?? 30_000);
const ROUNDS = Number(process.env.REPRISE_BENCH_PROFILE_ROUNDS ?? 3);
type Variant = Exclude<PageVariant, 'none'>;
/** `rrweb,reprise` profiles the whole recorder, delivering to a loopback collector, instead of capture alone. */
const VARIANTS = (process.env.REPRISE_BENCH_PROFILE_VARIANTS ?? 'rrweb,reprise-capture').split(',') as Variant[];
const SAMPLING_US = 200;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  /** Samples by line of the script (1-based), when the profiler recorded them. */
  positionTicks?: { line: number; ticks: number }[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The served path of a script -> its file on disk, for its source map. */
function diskPath(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const path = new URL(url).pathname;
  if (path.startsWith('/dist/core/')) return join(ROOT, 'packages/core/dist', path.slice('/dist/core/'.length));
  if (path.startsWith('/node_modules/')) return join(ROOT, path.slice(1));
  return undefined;
}

const consumers = new Map<string, SourceMapConsumer | null>();
function consumerFor(url: string): SourceMapConsumer | null {
  if (!consumers.has(url)) {
    const file = diskPath(url);
    let consumer: SourceMapConsumer | null = null;
    try {
      if (file) consumer = new SourceMapConsumer(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as RawSourceMap);
    } catch {
      consumer = null;
    }
    consumers.set(url, consumer);
  }
  return consumers.get(url)!;
}

/** A source path as a reader knows it: the package and file, without the build's relative prefix. */
function shortSource(source: string): string {
  const rrweb = /node_modules\/(@rrweb\/[^/]+|rrweb[^/]*)\//.exec(source) ?? /packages\/(rrweb[^/]*)\//.exec(source);
  if (rrweb) return `rrweb: ${source.slice(rrweb.index + rrweb[0].length)}`;
  // The core's maps name its own files `../src/...` and the protocol's `../../protocol/src/...`.
  const other = /(?:^|\/)([\w-]+)\/src\/(.*)$/.exec(source);
  if (other) return `${other[1]}/${other[2]}`;
  const own = /(?:^|\/)src\/(.*)$/.exec(source);
  if (own) return `core/${own[1]}`;
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source);
  return module ? module[1]! : source;
}

/** A line of a recorder script as its source names it (`core/capture/console.ts:51`). */
function sourceLine(url: string, line: number): string {
  const original = consumerFor(url)?.originalPositionFor({
    line,
    column: 0,
    bias: SourceMapConsumer.LEAST_UPPER_BOUND,
  });
  return original?.source ? `${shortSource(original.source)}:${original.line}` : `${url.split('/').pop()}:${line}`;
}

type Times = { byFile: Map<string, number>; byFunction: Map<string, number>; byLine: Map<string, number> };

/** Self time (ms) of one profile by where its code came from: recorder file, function and line, or the page's own. */
function selfTimes(profile: CpuProfile): Times {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byLine = new Map<string, number>();
  const sampled = new Map<number, { ms: number; samples: number }>();
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? SAMPLING_US) / 1000;
    const { callFrame } = nodes.get(id)!;
    const { url, functionName, lineNumber, columnNumber } = callFrame;
    let file: string;
    let name = functionName || '(anonymous)';
    if (!url) file = functionName.startsWith('(') ? functionName : '(native)';
    else if (!diskPath(url)) file = '(the page and its workload)';
    else {
      const consumer = consumerFor(url);
      const original = consumer?.originalPositionFor({ line: lineNumber + 1, column: columnNumber });
      // rrweb's own bundles map to its sources by their paths inside rrweb's repository.
      const source = original?.source
        ? url.includes('/node_modules/@rrweb/')
          ? `rrweb: ${original.source.replace(/^(\.\.\/)+/, '')}`
          : shortSource(original.source)
        : url.split('/').pop()!;
      file = source.startsWith('rrweb') ? 'rrweb' : source;
      if (original?.name) name = original.name;
      if (original?.source) name = `${name} (${source}:${original.line})`;
    }
    add(byFile, file, ms);
    if (diskPath(url)) {
      add(byFunction, name, ms);
      const node = sampled.get(id) ?? { ms: 0, samples: 0 };
      node.ms += ms;
      node.samples += 1;
      sampled.set(id, node);
    }
  });
  // A function's self time shared among its lines in proportion to their ticks.
  for (const [id, { ms, samples }] of sampled) {
    const { callFrame, positionTicks = [] } = nodes.get(id)!;
    for (const { line, ticks } of positionTicks) add(byLine, sourceLine(callFrame.url, line), (ms * ticks) / samples);
  }
  return { byFile, byFunction, byLine };
}

const isRecorderFile = (file: string) => !file.startsWith('(');

export async function runOverheadProfile(): Promise<void> {
  const ingest = await startIngestServer();
  const site = await serveShop({ endpoint: ingest.url, delivery: { maxBatchDelayMs: 3_000 } });
  const browser = await launchBrowser();
  const totals = Object.fromEntries(
    VARIANTS.map((variant) => [variant, { byFile: new Map(), byFunction: new Map(), byLine: new Map() }]),
  ) as Record<Variant, Times>;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of VARIANTS) {
        const page = await browser.newPage();
        const cdp = await page.context().newCDPSession(page);
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: SAMPLING_US });
        await page.goto(`${site.url}/${variant}`);
        await cdp.send('Profiler.start');
        await runWorkload(page, { durationMs: WORKLOAD_MS });
        await page.evaluate(async () => {
          await (window as unknown as { recorder?: { flush(): Promise<void> } }).recorder?.flush();
        });
        await page.waitForTimeout(600);
        const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
        const times = selfTimes(profile);
        for (const key of ['byFile', 'byFunction', 'byLine'] as const)
          for (const [name, ms] of times[key])
            totals[variant][key].set(name, (totals[variant][key].get(name) ?? 0) + ms);
        await cdp.detach();
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await site.close();
    await ingest.close();
  }
  const perRound = (ms: number) => (ms / ROUNDS).toFixed(1);
  const sum = (map: Map<string, number>, keep: (key: string) => boolean) =>
    [...map].filter(([key]) => keep(key)).reduce((total, [, ms]) => total + ms, 0);
  for (const variant of VARIANTS) {
    const { byFile, byFunction, byLine } = totals[variant];
    const rows = [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25);
    printTable(
      `${variant}: self time per round by source (ms, ${ROUNDS} rounds of ${WORKLOAD_MS} ms)`,
      ['source', 'ms'],
      rows.map(([file, ms]) => [file, perRound(ms)]),
    );
    {
      const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30);
      printTable(
        `${variant}: recorder functions by self time per round (ms)`,
        ['function (source:line)', 'ms'],
        top.map(([name, ms]) => [name, perRound(ms)]),
      );
      // A function's line that calls a native (console.log, a DOM read) carries that native's time too.
      const lines = [...byLine].filter(([line]) => !line.startsWith('rrweb')).sort((a, b) => b[1] - a[1]);
      printTable(
        `${variant}: Reprise's own lines by self time per round (ms)`,
        ['source:line', 'ms'],
        lines.slice(0, 30).map(([line, ms]) => [line, perRound(ms)]),
      );
    }
    console.log(
      `${variant}: recorder scripts ${perRound(sum(byFile, isRecorderFile))} ms per round, of which rrweb ${perRound(sum(byFile, (file) => file.startsWith('rrweb')))} ms; GC ${perRound(byFile.get('(garbage collector)') ?? 0)} ms`,
    );
  }
}
