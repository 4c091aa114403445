/**
 * What a browser sees when the real collector refuses a batch: the answer itself (413 tells the
 * recorder to split), never a connection reset, even when the refusal goes out before the browser
 * finished sending the body.
 *
 * The browser reaches the collector through a TCP relay, as it would through a proxy or a load
 * balancer: when the collector closes a connection, the relay closes the browser's side at once.
 * Straight over loopback Chromium still read a 413 sent before a close (so the test passed with
 * the drain removed); through the relay, a refusal that closes the connection under a browser
 * still sending arrives as "Failed to fetch", and the recorder never learns to split the batch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollector, type Collector } from '../../server/src/collector.js';
import { resolveConfig } from '../../server/src/config.js';
import { launchBrowser, serve, type TestBrowser, type TestServer } from '../harness/index.js';

const MAX_BODY = 64 * 1024;

describe('refusals reach the browser', () => {
  let browser: TestBrowser;
  let site: TestServer;
  let collector: Collector;
  let collectorUrl: string;
  /** A TCP relay in front of the collector, counting the connections the browser opens. */
  let relay: Server;
  let connections = 0;
  let dataDir: string;
  let page: Page;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'reprise-refusals-e2e-'));
    collector = await createCollector(
      resolveConfig({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn', maxBodyBytes: MAX_BODY }),
    );
    const direct = new URL((await collector.start()).url);
    relay = createServer((client) => {
      connections++;
      const upstream = connect(Number(direct.port), direct.hostname);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const address = relay.address();
    collectorUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    site = await serve({ pages: { '/': '<!doctype html><title>refusals</title>' } });
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(`${site.url}/`);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined)));
    await collector?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** `fetch` from the page, `count` times in a row on the same origin: each answer's status and error code, or the failure. */
  const postFromPage = (bytes: number, count: number, query = '', contentType = 'application/vnd.reprise.batch') =>
    page.evaluate(
      async ({ url, bytes, count, contentType }) => {
        const results: string[] = [];
        for (let i = 0; i < count; i++) {
          const body = new Uint8Array(bytes);
          crypto.getRandomValues(body.subarray(0, 65536));
          try {
            const answer = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType } });
            const json = (await answer.json()) as { error?: string };
            results.push(`${answer.status} ${json.error ?? ''}`);
          } catch (error) {
            results.push(`failed: ${String(error)}`);
          }
        }
        return results;
      },
      { url: `${collectorUrl}/v1/ingest${query}`, bytes, count, contentType },
    );

  test('an oversized batch gets its 413, every time, on a reused connection', async () => {
    const opened = connections;
    const results = await postFromPage(4 * 1024 * 1024, 5);
    expect(results).toEqual(Array(5).fill('413 body_too_large'));
    // The connection outlives each refusal (its body is read, not cut off): closing it under a
    // browser still sending is what turns a 413 into a reset.
    expect(connections - opened).toBeLessThanOrEqual(1);
  });

  test('a refusal before the body is read (unknown key in the query) arrives as a 401', async () => {
    const results = await postFromPage(60 * 1024, 3, '?project=nope', 'text/plain');
    expect(results).toEqual(Array(3).fill('401 unknown_project_key'));
  });
});
