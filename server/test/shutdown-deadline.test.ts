/**
 * SIGTERM ends a collector process in bounded time, also when closing its connections hangs: the
 * drain has its own deadline (REPRISE_SHUTDOWN_TIMEOUT_MS), and closing after it gets a grace.
 * Found by the three-node test: nodes whose NATS stopped answering never exited.
 */
import { afterAll, expect, test } from 'vitest';
import { startNats, tempDir, type NatsProcess } from '@reprise/test-support/process';
import { frameOf, makeBatch, postBatch, startCollector } from './support/collector.js';

let nats: NatsProcess | undefined;
afterAll(async () => {
  await nats?.stop();
});

test('a collector whose NATS stops answering still exits on SIGTERM, with an error, within the drain deadline and the grace', async () => {
  nats = await startNats();
  const collector = await startCollector({
    REPRISE_DATA_DIR: tempDir('shutdown-deadline'),
    REPRISE_LOG_BACKEND: 'nats',
    REPRISE_NATS_URL: nats.url,
    REPRISE_SHUTDOWN_TIMEOUT_MS: '1000',
  });
  expect((await postBatch(collector.url, frameOf(makeBatch({ session: 'frozen', seq: 0 })))).status).toBe(202);
  nats.pause();
  const started = Date.now();
  const code = await Promise.race([
    collector.stop(),
    new Promise<string>((resolve) => setTimeout(() => resolve('still running after 30 s'), 30_000)),
  ]);
  const seconds = (Date.now() - started) / 1000;
  if (code === 'still running after 30 s') collector.child.kill('SIGKILL');
  nats.resume();
  expect(code).toBe(1);
  expect(seconds).toBeLessThan(1 + 10 + 5);
  expect(collector.output()).toContain('closing connections did not finish in time');
}, 60_000);
