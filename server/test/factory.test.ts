/**
 * The seams other parts build on: createCollector's plugins, routers and onSegmentStored hook
 * (in-process, real HTTP on 127.0.0.1), graceful stop draining the log, retention shredding.
 */
import { Router } from 'express';
import { expect, test } from 'vitest';
import { createRepriseEvent } from '@reprise/protocol';
import { createCollector, type CollectorPlugin } from '../src/collector.js';
import { resolveConfig } from '../src/config.js';
import { CollectorError } from '../src/errors.js';
import { shredExpiredDataKeys } from '../src/deletion/shred-expired-keys.js';
import { readSessionEvents } from '../src/segment/reader.js';
import type { StoredSegment } from '../src/segment/types.js';
import { tempDir } from '@reprise/test-support/process';
import { frameOf, makeBatch, metricValue, postBatch, silentLogger, TEST_METRICS_TOKEN } from './support/collector.js';

test('plugins, routers and the onSegmentStored hook; stop() drains the log before plugins stop', async () => {
  const dataDir = tempDir('factory');
  const stored: StoredSegment[] = [];
  const order: string[] = [];
  let failOnce = true;
  const plugin: CollectorPlugin = {
    name: 'test-index',
    setup(collector) {
      order.push('setup');
      collector.onSegmentStored(async (segment) => {
        // A hook failing once is retried: the index never misses a segment.
        if (failOnce) {
          failOnce = false;
          throw new Error('index busy');
        }
        stored.push(segment);
      });
      const router = Router();
      router.get('/count', (_req, res) => {
        res.json({ segments: stored.length });
      });
      router.get('/boom', () => {
        throw new CollectorError('access_denied', 403, 'No.');
      });
      collector.mount('/v1/test', router);
    },
    stop() {
      order.push(`stop after ${stored.length} segments`);
    },
  };
  const extra = Router();
  extra.get('/', (_req, res) => {
    res.json({ extra: true });
  });
  // Long segment age: only the graceful stop can store the last segment in time.
  const config = resolveConfig({
    dataDir,
    port: 0,
    segmentMaxAgeMs: 60_000,
    logLevel: 'silent',
    metricsToken: TEST_METRICS_TOKEN,
    projectList: [{ id: 'shop', keys: ['pk_shop'], origins: ['http://127.0.0.1:*'] }],
  });
  const collector = await createCollector(config, {
    plugins: [plugin],
    extraRouters: [{ path: '/v1/extra', router: extra }],
    logger: silentLogger,
  });
  const { url } = await collector.start();
  expect(collector.ready).toBe(true);

  const late = Router();
  late.get('/', (_req, res) => {
    res.json({ late: true });
  });
  collector.mount('/v1/late', late);
  expect(await (await fetch(`${url}/v1/extra`)).json()).toEqual({ extra: true });
  expect(await (await fetch(`${url}/v1/late`)).json()).toEqual({ late: true });
  const boom = await fetch(`${url}/v1/test/boom`);
  expect(boom.status).toBe(403);
  expect(await boom.json()).toEqual({ error: 'access_denied', message: '[@reprise/collector] No.' });
  const missing = await fetch(`${url}/v1/nothing`);
  expect(missing.status).toBe(404);
  expect(((await missing.json()) as { error: string }).error).toBe('not_found');

  const events = [
    createRepriseEvent('navigation', { url: 'http://127.0.0.1:5173/cart' }),
    createRepriseEvent('identify', { userId: 'user-7' }),
    createRepriseEvent('error', { source: 'error', message: 'TypeError: x is undefined' }),
    createRepriseEvent('custom', { name: 'checkout' }),
  ];
  expect(
    (
      await postBatch(
        url,
        frameOf(makeBatch({ project: 'pk_shop', session: 'f1', seq: 0, fullSnapshot: true, extra: events })),
      )
    ).status,
  ).toBe(202);
  expect((await postBatch(url, frameOf(makeBatch({ project: 'pk_shop', session: 'f1', seq: 1 })))).status).toBe(202);
  expect(
    (await postBatch(url, frameOf(makeBatch({ project: 'pk_shop', session: 'f1', seq: 2, fullSnapshot: true }))))
      .status,
  ).toBe(202);
  expect(await metricValue(url, 'reprise_ingest_batches_total')).toBe(3);

  await collector.stop();
  expect(order).toEqual(['setup', 'stop after 2 segments']);
  expect(stored).toHaveLength(2);
  // The first segment's hook failed once and was retried, so announcements may come out of order.
  const [first, second] = [...stored].sort((a, b) => a.segment.localeCompare(b.segment)) as [
    StoredSegment,
    StoredSegment,
  ];
  expect(first.project).toBe('shop');
  expect(first.sessionId).toBe('f1');
  expect(first.key).toBe(`shop/${first.key.split('/').slice(1, 4).join('/')}/f1/${first.segment}`);
  expect(first.batches.map((batch) => batch.seq)).toEqual([0, 1]);
  expect(second.batches.map((batch) => batch.seq)).toEqual([2]);
  expect(first.startTs).toBeLessThanOrEqual(first.endTs);
  expect(first.bytes).toBeGreaterThan(0);
  expect(first.summary).toMatchObject({
    userId: 'user-7',
    errors: ['TypeError: x is undefined'],
    customEvents: ['checkout'],
    hasFullSnapshot: true,
    tabs: ['tab1'],
  });
  expect(first.summary.urls).toContain('http://127.0.0.1:5173/cart');
  expect(first.summary.eventsByKind).toMatchObject({ navigation: 1, identify: 1, error: 1, custom: 1 });

  // Read back through the same seams the playback API uses.
  const replay = await readSessionEvents(collector, 'shop', 'f1');
  expect(replay.length).toBe(first.summary.eventCount + second.summary.eventCount);

  // Retention: data keys past retention are deleted, and the session cannot be read any more.
  expect(
    await shredExpiredDataKeys(collector.dataKeyStore, [{ project: 'shop', retentionDays: 30 }], { now: Date.now() }),
  ).toBe(0);
  expect(
    await shredExpiredDataKeys(collector.dataKeyStore, [{ project: 'shop', retentionDays: 30 }], {
      now: Date.now() + 40 * 86_400_000,
    }),
  ).toBe(1);
  collector.dataKeys.forget('shop', 'f1');
  await expect(readSessionEvents(collector, 'shop', 'f1')).resolves.toEqual([]);
});
