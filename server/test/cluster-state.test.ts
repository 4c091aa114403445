/**
 * The pieces several collector nodes share, each on a real nats-server (Debian's, on 127.0.0.1):
 * the bus's rate-limit reports, the shared ledger, the login brake, tombstone announcements, a
 * node refused for a different active key; and deploy/ checked against the cluster test's settings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { newKeyringFile } from '../src/crypto/keyring.js';
import { LoginThrottle } from '../src/access/login-throttle.js';
import { ClusterBus } from '../src/cluster/bus.js';
import { SharedRateLimits } from '../src/cluster/rate-limits.js';
import { TombstoneStore } from '../src/deletion/tombstones.js';
import { FolderObjectStore } from '../src/store/folder-store.js';
import { NatsLedger } from '../src/writer/nats-ledger.js';
import { loadConfig } from '../src/config.js';
import { startNats, tempDir } from '@reprise/test-support/process';
import { CLUSTER_TEST_TUNING, clusterNodeEnv, SERVER_DIR, startCollector } from './support/collector.js';

let nats: Awaited<ReturnType<typeof startNats>>;
const buses: ClusterBus[] = [];
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  for (const bus of buses) await bus.close();
  await nats.stop();
});

async function bus(nodeId: string): Promise<ClusterBus> {
  const opened = new ClusterBus({ servers: nats.url, nodeId });
  buses.push(opened);
  await opened.open();
  return opened;
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const keyringJson = (...ids: [string, ...string[]]) => JSON.stringify(newKeyringFile(...ids));

test('tokens spent on one node are taken off the same bucket on the other within a sync interval', async () => {
  const a = new SharedRateLimits(await bus('rate-a'));
  const b = new SharedRateLimits(await bus('rate-b'));
  a.start();
  b.start();
  // Another listener on the same subject: when it has a's report, so has b (subscribed earlier).
  const observer = await bus('rate-observer');
  let reported = false;
  observer.on('rate', () => (reported = true));
  const limit = { perSecond: 0.001, burst: 20 };
  for (let i = 0; i < 15; i++) expect(a.limiters.key.take('shared', limit).ok).toBe(true);
  // b has spent nothing itself; once a's report arrives only 5 tokens are left for it.
  await until(() => reported);
  await new Promise((resolve) => setTimeout(resolve, 100));
  let admitted = 0;
  while (b.limiters.key.take('shared', limit).ok) admitted++;
  expect(admitted).toBe(5);
  a.stop();
  b.stop();
});

test('the shared ledger: a segment stored on one node counts as stored on the other; intents stay with their node', async () => {
  const onStored: string[] = [];
  const a = new NatsLedger({ bus: await bus('ledger-a'), bucket: 'LEDGER_TEST' });
  const b = new NatsLedger({ bus: await bus('ledger-b'), bucket: 'LEDGER_TEST', onStored: (id) => onStored.push(id) });
  await a.open();
  await b.open();
  const stored = { key: 'dev/2026/12/03/s1/0001', ids: [['dev/s1/t/1', 'd1'] as [string, string]] };
  await a.intent(stored);
  await a.done(stored);
  await until(() => b.isStored('dev/s1/t/1'));
  expect(onStored).toEqual(['dev/s1/t/1']);
  // An intent without its outcome (a crash between the intent and the put): only its node resolves it.
  const open = { key: 'dev/2026/12/03/s2/0001', ids: [['dev/s2/t/1', 'd2'] as [string, string]] };
  await a.intent(open);
  await a.close();
  const again = new NatsLedger({ bus: buses.find((x) => x.nodeId === 'ledger-a')!, bucket: 'LEDGER_TEST' });
  await again.open();
  expect(again.unresolvedIntents()).toEqual([open]);
  expect(again.isStored('dev/s1/t/1')).toBe(true);
  const fresh = new NatsLedger({ bus: await bus('ledger-c'), bucket: 'LEDGER_TEST' });
  await fresh.open();
  expect(fresh.unresolvedIntents()).toEqual([]);
  await again.void(open);
  await until(() => b.unresolvedIntents().length === 0);
  for (const ledger of [again, b, fresh]) await ledger.close();
});

test('login attempts on one node count on the other', async () => {
  const limits = { perClient: { burst: 3, refillMs: 3_600_000 } };
  const a = new LoginThrottle(limits);
  const b = new LoginThrottle(limits);
  a.shareWith(await bus('login-a'));
  b.shareWith(await bus('login-b'));
  for (let i = 0; i < 3; i++) expect(a.attempt('10.0.0.1', `user${i}`).allowed).toBe(true);
  // b never saw this address itself, and refuses it once a's attempts have arrived.
  await until(() => !b.attempt('10.0.0.1', 'probe').allowed);
  expect(b.attempt('10.0.0.1', 'someone').allowed).toBe(false);
});

test('two processes with one node id: the second hears the first and says so', async () => {
  const errors: string[] = [];
  const logger = { error: (_obj: object, message: string) => errors.push(message), warn: () => {} };
  const first = await bus('same-id');
  const second = new ClusterBus({ servers: nats.url, nodeId: 'same-id', logger: logger as never });
  buses.push(second);
  await second.open();
  second.on('tombstone', () => {});
  await until(() => {
    first.publish('tombstone', {});
    return errors.length > 0;
  });
  expect(errors[0]).toMatch(/another collector process uses REPRISE_NODE_ID same-id/);
});

test('a tombstone saved on one node is known on the other at once, not after the 30 s re-read', async () => {
  const objects = new FolderObjectStore(tempDir('tombstones'));
  const aBus = await bus('tomb-a');
  const bBus = await bus('tomb-b');
  const a = new TombstoneStore(objects, (tombstone) => aBus.publish('tombstone', tombstone));
  const b = new TombstoneStore(objects);
  bBus.on('tombstone', (tombstone) => b.learn(tombstone));
  await a.open();
  await b.open();
  await a.create({ project: 'dev', sessionId: 'gone', reason: 'request', by: 'user:1' });
  await until(() => b.has('dev', 'gone'), 2_000);
  expect(b.learn({ v: 1, project: 'dev' })).toBe(false);
});

test('a collector process whose keyring disagrees with the cluster refuses to start, naming both key ids', async () => {
  const shared = tempDir('keyring-nodes');
  const env = (name: string, keyring: string) => ({
    REPRISE_NODE_ID: name,
    REPRISE_DATA_DIR: join(shared, name),
    REPRISE_KEYS_DIR: join(shared, 'keys'),
    REPRISE_OBJECTS_DIR: join(shared, 'objects'),
    REPRISE_KEYRING_JSON: keyring,
    REPRISE_LOG_BACKEND: 'nats',
    REPRISE_NATS_URL: nats.url,
    REPRISE_NATS_STREAM: 'KEYRING_TEST',
    REPRISE_LOG_LEVEL: 'error',
  });
  const good = await startCollector(env('good', keyringJson('kek-cluster')));
  try {
    await expect(startCollector(env('bad', keyringJson('kek-stale')))).rejects.toThrow(
      /"kek-stale", but the other collector nodes use "kek-cluster"/,
    );
  } finally {
    expect(await good.stop()).toBe(0);
  }
});

test('deploy/ sets every setting the cluster test runs with, and collector.env loads as a configuration', () => {
  const deploy = join(SERVER_DIR, '..', 'deploy');
  const deployed: Record<string, string> = {};
  for (const line of readFileSync(join(deploy, 'collector.env'), 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    deployed[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  const compose = readFileSync(join(deploy, 'compose.yaml'), 'utf8');
  const tested = clusterNodeEnv({
    nodeId: 'n',
    dataDir: '/d',
    natsUrl: 'nats://x:4222',
    s3Endpoint: 'http://x',
    databaseUrl: 'postgres://x/y',
    keyringJson: '{}',
    projects: '[]',
  });
  // Per node or secret: set in compose.yaml, not in the shared file.
  const perNode = ['REPRISE_NODE_ID', 'REPRISE_KEYRING_JSON', 'AWS_SECRET_ACCESS_KEY'];
  for (const key of Object.keys(tested)) {
    if (key in CLUSTER_TEST_TUNING) continue;
    if (perNode.includes(key)) expect(compose).toContain(key);
    else if (key === 'REPRISE_PROJECTS') expect(deployed.REPRISE_PROJECTS_FILE).toBeDefined();
    else expect(Object.keys(deployed)).toContain(key);
  }
  for (const key of [
    'REPRISE_LOG_BACKEND',
    'REPRISE_STORE',
    'REPRISE_INDEX',
    'REPRISE_S3_BUCKET',
    'REPRISE_KEYS_S3_BUCKET',
  ])
    expect(deployed[key]).toBe(tested[key]);
  const loaded = loadConfig({
    env: {
      ...deployed,
      REPRISE_PROJECTS_FILE: join(deploy, 'projects.json'),
      REPRISE_NODE_ID: 'collector1',
      REPRISE_KEYRING_JSON: keyringJson('kek-deploy'),
    },
    argv: [],
  });
  if (loaded.help) throw new Error('unexpected --help');
  expect(loaded.config).toMatchObject({ logBackend: 'nats', natsReplicas: 3, store: 's3', index: 'postgres' });
  expect(loaded.config.natsUrl.split(',')).toHaveLength(3);
});
