/**
 * The writer gives way to a saturated ingest (REPRISE_WRITER_YIELD_MS): while enough requests are
 * being answered at once, an acknowledged batch waits in the durable log; it is stored once
 * ingest eases. Below that, the writer stores beside ingest as before.
 */
import { request } from 'node:http';
import { afterAll, expect, test } from 'vitest';
import { tempDir } from '@reprise/test-support/process';
import { SATURATED_REQUESTS } from '../src/ingest/activity.js';
import {
  frameOf,
  makeBatch,
  metricValue,
  postBatch,
  startCollector,
  waitForDrain,
  ORIGIN,
  TEST_METRICS_TOKEN,
  type CollectorProcess,
} from './support/collector.js';

let collector: CollectorProcess | undefined;
afterAll(async () => {
  await collector?.stop();
});

async function lag(url: string): Promise<number> {
  const answer = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
  return ((await answer.json()) as { lag: number }).lag;
}

/** A request whose body arrives in two halves: ingest is answering it until `finish` sends the rest. */
function slowRequest(url: string, session: string): { finish: () => Promise<number> } {
  const { hostname, port } = new URL(url);
  const body = Buffer.from(frameOf(makeBatch({ session, seq: 0 })));
  const half = Math.floor(body.byteLength / 2);
  let answered: (status: number) => void = () => undefined;
  let failed: (error: Error) => void = () => undefined;
  const status = new Promise<number>((resolve, reject) => {
    answered = resolve;
    failed = reject;
  });
  const pending = request(
    {
      method: 'POST',
      hostname,
      port,
      path: '/v1/ingest',
      headers: {
        'content-type': 'application/vnd.reprise.batch',
        'content-length': String(body.byteLength),
        origin: ORIGIN,
      },
    },
    (res) => {
      res.resume();
      res.on('end', () => answered(res.statusCode ?? 0));
    },
  );
  pending.on('error', failed);
  pending.write(body.subarray(0, half));
  return {
    finish: () => {
      pending.end(body.subarray(half));
      return status;
    },
  };
}

/** Wait until the collector is answering `count` requests (its in-flight gauge). */
async function answering(url: string, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await metricValue(url, 'reprise_ingest_requests_in_flight')) < count) {
    if (Date.now() > deadline) throw new Error(`the collector never had ${count} requests in flight`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function storedWithin(url: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if ((await lag(url)) === 0) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('a batch acknowledged while ingest is saturated waits in the log until ingest eases; below saturation it is stored at once', async () => {
  collector = await startCollector({
    REPRISE_DATA_DIR: tempDir('writer-yield'),
    // Without giving way, a batch's segment is cut and stored within ~100 ms.
    REPRISE_SEGMENT_MAX_AGE_MS: '100',
    REPRISE_WRITER_YIELD_MS: '60000',
  });
  const { url } = collector;

  // Below saturation: one request held open does not hold the writer back.
  const one = slowRequest(url, 'one-slow');
  await answering(url, 1);
  expect((await postBatch(url, frameOf(makeBatch({ session: 'calm', seq: 0 })))).status).toBe(202);
  expect(await storedWithin(url, 10_000)).toBe(true);
  expect(await one.finish()).toBe(202);
  await waitForDrain(url, 15_000);

  // Saturated: as many requests held open as make ingest count as saturated.
  const held = Array.from({ length: SATURATED_REQUESTS }, (_, i) => slowRequest(url, `slow${i}`));
  await answering(url, SATURATED_REQUESTS);
  expect((await postBatch(url, frameOf(makeBatch({ session: 'burst', seq: 0 })))).status).toBe(202);
  await new Promise((r) => setTimeout(r, 1_000));
  // Acknowledged (durable in the log), not yet read by the writer.
  expect(await lag(url)).toBe(1);

  expect(await Promise.all(held.map((slow) => slow.finish()))).toEqual(held.map(() => 202));
  await waitForDrain(url, 15_000);
});
