/**
 * kill -9 under load at random moments, restart on the same data dir: every batch that got a
 * 202 is readable afterwards, each exactly once.
 */
import { afterAll, expect, test } from 'vitest';
import { freePort, tempDir } from '@reprise/test-support/process';
import {
  frameOf,
  makeBatch,
  startCollector,
  storedBatchCounts,
  waitForDrain,
  ORIGIN,
  type CollectorProcess,
} from './support/collector.js';

const CLIENTS = 12;
const KILLS = Number(process.env.REPRISE_TEST_KILLS ?? 4);

let collector: CollectorProcess | undefined;
afterAll(async () => {
  await collector?.stop();
});

test(`kill -9 ${KILLS} times under load: every acknowledged batch is stored exactly once`, async () => {
  const dataDir = tempDir('crash');
  const port = await freePort();
  const env = {
    REPRISE_DATA_DIR: dataDir,
    REPRISE_SEGMENT_MAX_AGE_MS: '250',
    REPRISE_SEGMENT_MAX_BYTES: String(32 * 1024),
    REPRISE_RATE_LIMIT_PER_SECOND: '100000',
    REPRISE_RATE_LIMIT_BURST: '100000',
    REPRISE_LOG_LEVEL: 'error',
    // Small log files: the kills also land while a file is being prepared, rolled into and cut.
    REPRISE_LOG_FILE_BYTES: String(256 * 1024),
  };
  collector = await startCollector(env, { port });
  const url = collector.url;
  const acked = new Set<string>();
  let stopLoad = false;
  let sent = 0;
  let retriedAfterFailure = 0;
  let duplicates = 0;

  // Each client records its own sessions like a recorder: numbered batches, a retry resends the same bytes.
  const client = async (index: number) => {
    let session = 0;
    while (!stopLoad) {
      const sessionId = `c${index}s${session++}`;
      const length = 5 + Math.floor(Math.random() * 30);
      for (let seq = 0; seq < length && !stopLoad; seq++) {
        const body = frameOf(
          makeBatch({
            session: sessionId,
            seq,
            fullSnapshot: seq === 0 || Math.random() < 0.1,
            events: 3 + Math.floor(Math.random() * 10),
            padding: Math.floor(Math.random() * 300),
          }),
        );
        for (;;) {
          try {
            const answer = await fetch(`${url}/v1/ingest`, {
              method: 'POST',
              headers: { 'content-type': 'application/vnd.reprise.batch', origin: ORIGIN },
              body: Buffer.from(body),
            });
            const answered = (await answer.json()) as { duplicate?: boolean };
            sent++;
            if (answered.duplicate) duplicates++;
            if (answer.status === 202) {
              acked.add(`dev/${sessionId}/tab1/${seq}`);
              break;
            }
            if (answer.status < 500) throw new Error(`unexpected ${answer.status}`);
          } catch (error) {
            if ((error as Error).message.startsWith('unexpected')) throw error;
            // Connection refused or reset: the collector is down; retry like the recorder would.
            retriedAfterFailure++;
          }
          await new Promise((r) => setTimeout(r, 30));
        }
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, index) => client(index));

  for (let kill = 0; kill < KILLS; kill++) {
    await new Promise((r) => setTimeout(r, 800 + Math.random() * 1700));
    await collector.kill();
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
    collector = await startCollector(env, { port });
  }
  await new Promise((r) => setTimeout(r, 1000));
  stopLoad = true;
  await Promise.all(clients);
  await waitForDrain(url);
  expect(await collector.stop()).toBe(0);
  collector = undefined;

  const { counts, objects } = await storedBatchCounts(dataDir);
  const missing = [...acked].filter((id) => !counts.has(id));
  const twice = [...counts].filter(([, count]) => count > 1);
  expect(acked.size).toBeGreaterThan(200);
  expect(objects).toBeGreaterThan(10);
  expect(missing).toEqual([]);
  expect(twice).toEqual([]);
  // Batches stored but never acknowledged are fine (the ack was lost in the kill); nothing else is stored.
  console.log(
    `crash test: ${sent} answered requests, ${retriedAfterFailure} failed attempts retried, ${duplicates} retries recognised as duplicates, ${acked.size} acknowledged, ${counts.size} stored in ${objects} objects, ${KILLS} kills`,
  );
}, 120_000);
