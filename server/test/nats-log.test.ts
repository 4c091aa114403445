/**
 * The NATS JetStream log (Debian nats-server on 127.0.0.1): two collector nodes share one stream,
 * keyring, key folder and object folder. A retry sent to the other node is recognised by
 * JetStream's dedupe; one node killed with -9 loses nothing; every batch is stored once.
 */
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { startNats, tempDir } from '@reprise/test-support/process';
import {
  frameOf,
  makeBatch,
  postBatch,
  startCollector,
  storedBatchCounts,
  waitForDrain,
  type CollectorProcess,
} from './support/collector.js';

const processes: CollectorProcess[] = [];
let nats: Awaited<ReturnType<typeof startNats>> | undefined;
afterAll(async () => {
  for (const node of processes) if (node.child.exitCode === null) await node.stop();
  await nats?.stop();
});

test('two nodes on one JetStream stream: cross-node retries dedupe, kill -9 loses nothing', async () => {
  nats = await startNats();
  const shared = tempDir('nats-shared');
  const nodeEnv = (name: string) => ({
    REPRISE_DATA_DIR: join(shared, name),
    // Both nodes run on this host, whose name is the default node id.
    REPRISE_NODE_ID: name,
    REPRISE_KEYRING: join(shared, 'keyring.json'),
    REPRISE_KEYS_DIR: join(shared, 'keys'),
    REPRISE_OBJECTS_DIR: join(shared, 'objects'),
    REPRISE_LOG_BACKEND: 'nats',
    REPRISE_NATS_URL: nats!.url,
    REPRISE_NATS_ACK_WAIT_MS: '2000',
    REPRISE_SEGMENT_MAX_AGE_MS: '200',
    REPRISE_LOG_LEVEL: 'error',
  });
  // The first node creates the shared keyring; the second starts after it.
  let a = await startCollector(nodeEnv('a'));
  const b = await startCollector(nodeEnv('b'));
  processes.push(a, b);
  const acked = new Set<string>();
  const frames = new Map<string, Uint8Array>();

  for (let seq = 0; seq < 40; seq++) {
    for (const session of ['n1', 'n2', 'n3']) {
      const body = frameOf(makeBatch({ session, seq, fullSnapshot: seq % 15 === 0 }));
      frames.set(`${session}/${seq}`, body);
      const node = (seq + session.length) % 2 === 0 ? a : b;
      const answer = await postBatch(node.url, body);
      expect(answer.status).toBe(202);
      acked.add(`dev/${session}/tab1/${seq}`);
    }
    if (seq === 20) {
      // Node a dies mid-stream; its unacknowledged messages go to b's writer after the ack wait
      // or to a's writer after restart.
      await a.kill();
      a = await startCollector(nodeEnv('a'));
      processes.push(a);
    }
  }
  // A retry of a batch node a acknowledged, sent to node b: JetStream's Nats-Msg-Id dedupe.
  const retry = await postBatch(b.url, frames.get('n1/3')!);
  expect(retry.status).toBe(202);
  expect(retry.body.duplicate).toBe(true);

  await waitForDrain(a.url, 30_000);
  await waitForDrain(b.url, 30_000);
  expect(await a.stop()).toBe(0);
  expect(await b.stop()).toBe(0);

  const { counts } = await storedBatchCounts(shared);
  expect([...acked].filter((id) => !counts.has(id))).toEqual([]);
  expect([...counts].filter(([, count]) => count > 1)).toEqual([]);
  expect(counts.size).toBe(acked.size);
}, 90_000);
