// Asset bytes apart from events (issue 18): sessions of three page loads of a page with a linked
// stylesheet and a web font (test/fixtures/fidelity), recorded into a real loopback collector,
// with asset capture off (rrweb's CSSOM copy inlined in every snapshot) and on (uploaded once,
// referred to by hash). Wire bytes are what the recorder sent; stored bytes what the collector's
// folder store holds for the session (segments), and the assets it stored during the session.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createCollector, resolveConfig, type Collector } from '../../../server/src/index.js';
import { fidelitySite } from '../../fixtures/fidelity/site.js';
import { launchBrowser, serve, type TestServer } from '../../harness/index.js';
import { benchLine, printTable } from '../lib.js';

interface SessionBytes {
  label: string;
  sessionId: string;
  events: number;
  assets: number;
  checks: number;
  storedSegments: number;
  storedAssets: number;
}

function bytesUnder(dir: string, keep: (path: string) => boolean): number {
  let total = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    let entries: string[];
    try {
      entries = readdirSync(current);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(current, entry);
      if (statSync(path).isDirectory()) stack.push(path);
      else if (keep(path)) total += statSync(path).size;
    }
  }
  return total;
}

async function ingestBytes(collector: Collector): Promise<number> {
  const metric = await collector.metrics.registry.getSingleMetric('reprise_ingest_bytes_total')?.get();
  return (metric?.values ?? []).reduce((sum, value) => sum + value.value, 0);
}

async function visit(page: Page, siteUrl: string, collectorUrl: string, query: string): Promise<string> {
  await page.setViewportSize({ width: 800, height: 500 });
  const url = (path: string) => `${siteUrl}${path}?endpoint=${encodeURIComponent(collectorUrl)}${query}`;
  for (const path of ['/fidelity/', '/fidelity/guide', '/fidelity/']) {
    await page.goto(url(path));
    await page.waitForFunction(
      () => (window as unknown as { recorder: { sessionId: string | null } }).recorder.sessionId !== null,
    );
    await page.click('#search');
    await page.keyboard.type('replay', { delay: 30 });
    await page.hover('#menu');
    await page.waitForTimeout(300);
    await page.evaluate(() => (window as unknown as { recorder: { flush(): Promise<void> } }).recorder.flush());
  }
  return page.evaluate(() => (window as unknown as { recorder: { sessionId: string } }).recorder.sessionId);
}

export async function runAssetPayloadBench(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reprise-bench-assets-'));
  const collector = await createCollector(resolveConfig({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn' }));
  const { url: collectorUrl } = await collector.start();
  const site: TestServer = await serve(fidelitySite());
  const objectsDir = collector.config.objectsDir;
  const isAsset = (path: string) => path.includes('/_assets-');
  const sessions: SessionBytes[] = [];
  let stopped = false;
  try {
    for (const [label, query] of [
      ['assets off, visit 1', '&assets=off'],
      ['assets off, visit 2', '&assets=off'],
      ['assets on, visit 1', ''],
      ['assets on, visit 2', ''],
    ] as const) {
      const browser = await launchBrowser();
      const uploads = { assets: 0, checks: 0 };
      try {
        const page = await browser.newPage();
        page.on('request', (request) => {
          if (!request.url().startsWith(`${collectorUrl}/v1/assets`)) return;
          const bytes = request.postDataBuffer()?.byteLength ?? 0;
          if (request.method() === 'PUT') uploads.assets += bytes;
          else if (request.method() === 'POST') uploads.checks += bytes;
        });
        const eventsBefore = await ingestBytes(collector);
        const assetsBefore = bytesUnder(objectsDir, isAsset);
        const sessionId = await visit(page, site.url, collectorUrl, query);
        await page.close();
        sessions.push({
          label,
          sessionId,
          events: (await ingestBytes(collector)) - eventsBefore,
          assets: uploads.assets,
          checks: uploads.checks,
          storedSegments: 0,
          storedAssets: bytesUnder(objectsDir, isAsset) - assetsBefore,
        });
      } finally {
        await browser.close();
      }
    }
    // Stopping drains the log into segments: every batch is stored after this.
    await collector.stop();
    stopped = true;
    for (const session of sessions) {
      session.storedSegments = bytesUnder(objectsDir, (path) => path.includes(`/${session.sessionId}/`));
    }
  } finally {
    if (!stopped) await collector.stop();
    await site.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  printTable(
    'Bytes per session of 3 page loads with a linked stylesheet, a web font and a picture (asset bytes apart from events)',
    ['session', 'wire: events', 'wire: assets', 'wire: asset checks', 'stored: segments', 'stored: assets'],
    sessions.map((s) => [s.label, s.events, s.assets, s.checks, s.storedSegments, s.storedAssets]),
  );
  const [off, , on, again] = sessions;
  benchLine('payload_assets', {
    off_wire: off!.events,
    off_stored: off!.storedSegments,
    on_wire_first: on!.events + on!.assets + on!.checks,
    on_stored_first: on!.storedSegments + on!.storedAssets,
    on_wire_second: again!.events + again!.assets + again!.checks,
    on_stored_second: again!.storedSegments + again!.storedAssets,
    second_visit_asset_uploads: again!.assets,
  });
}
