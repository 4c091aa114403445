/**
 * The NATS log carries the decoded batch, which may be far larger than the request body: a batch
 * NATS cannot carry (over the server's max_payload, 1 MiB by default) must be answered 413 so the
 * recorder halves it, not 503, which the recorder would retry unchanged forever.
 */
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { startNats, tempDir } from '@reprise/test-support/process';
import { frameOf, makeBatch, postBatch, startCollector, type CollectorProcess } from './support/collector.js';

let collector: CollectorProcess | undefined;
let nats: Awaited<ReturnType<typeof startNats>> | undefined;
afterAll(async () => {
  if (collector && collector.child.exitCode === null) await collector.stop();
  await nats?.stop();
});

test('a batch over NATS max_payload gets 413; a small one on the same node still gets 202', async () => {
  nats = await startNats();
  const dir = tempDir('nats-payload');
  collector = await startCollector({
    REPRISE_DATA_DIR: join(dir, 'data'),
    REPRISE_LOG_BACKEND: 'nats',
    REPRISE_NATS_URL: nats.url,
    REPRISE_LOG_LEVEL: 'error',
  });
  // ~2 MiB decoded (under the 8 MiB batch limit), a few KiB on the wire.
  const big = frameOf(makeBatch({ session: 'big', seq: 0, events: 200, padding: 10_000 }));
  expect(big.byteLength).toBeLessThan(1024 * 1024);
  const refused = await postBatch(collector.url, big);
  expect(refused.status).toBe(413);
  expect(refused.body.error).toBe('too_large');
  expect(refused.body.message).toMatch(/\[@reprise\/collector\] .*smaller batches/);
  const small = await postBatch(collector.url, frameOf(makeBatch({ session: 'small', seq: 0 })));
  expect(small.status).toBe(202);
}, 60_000);
