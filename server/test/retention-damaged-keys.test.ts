/**
 * Retention shredding goes on past a damaged data key record (logged, counted in the metrics),
 * and past a project whose keys cannot be read.
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createCollector } from '../src/collector.js';
import { resolveConfig } from '../src/config.js';
import { ObjectDataKeyStore } from '../src/crypto/data-keys.js';
import type { WrappedDataKey } from '../src/crypto/types.js';
import { CollectorError } from '../src/errors.js';
import { FolderObjectStore } from '../src/store/folder-store.js';
import { shredExpiredDataKeys } from '../src/deletion/shred-expired-keys.js';
import { LOG_KEY_PROJECT } from '../src/log/cipher.js';
import { tempDir } from '@reprise/test-support/process';
import { metricValue, silentLogger, TEST_METRICS_TOKEN } from './support/collector.js';

const DAY_MS = 86_400_000;
const record = (project: string, sessionId: string, createdAt: number): WrappedDataKey => ({
  v: 1,
  id: `dk-${sessionId}`,
  project,
  sessionId,
  kekId: 'kek-test',
  nonce: 'AAAAAAAAAAAAAAAA',
  wrapped: 'AAAA',
  createdAt: new Date(createdAt).toISOString(),
});
/** Expired sessions in projects a and b, a fresh one in a, and damaged records in a (ahead of the others when listed). */
const seed = async (keys: ObjectDataKeyStore, now: number) => {
  const old = now - 40 * DAY_MS;
  for (const [project, sessionId, at] of [
    ['a', 'a-old', old],
    ['a', 'a-new', now],
    ['b', 'b-old', old],
  ] as const)
    await keys.put(record(project, sessionId, at));
  await keys.store.put('a/a-0bad/dk-bad.json', Buffer.from('{ not json'));
  // A valid record copied into another session's folder is damage too.
  await keys.store.put('a/a-0copied/dk-b-old.json', Buffer.from(JSON.stringify(record('b', 'b-old', old))));
};
const sessionsWithKeys = async (keys: ObjectDataKeyStore) => {
  const ids: string[] = [];
  // The collector's ingest log keeps its own keys in the same store; retention does not own them.
  for await (const object of keys.store.list(''))
    if (object.key.split('/')[0] !== LOG_KEY_PROJECT) ids.push(object.key.split('/')[1]!);
  return ids.sort();
};

test('a damaged record is reported and skipped; every project is still shredded', async () => {
  const keys = new ObjectDataKeyStore(new FolderObjectStore(join(tempDir('retention-damaged'), 'keys')));
  const now = Date.now();
  await seed(keys, now);
  const damaged: string[] = [];
  const logged: string[] = [];
  const logger = {
    ...silentLogger,
    error: (_obj: unknown, message: string) => logged.push(message),
    info: () => {},
  } as unknown as typeof silentLogger;
  const shredded = await shredExpiredDataKeys(
    keys,
    [
      { project: 'a', retentionDays: 30 },
      { project: 'b', retentionDays: 30 },
    ],
    { now, logger, onDamaged: (where) => damaged.push(where) },
  );
  expect(shredded).toBe(2);
  expect(damaged.sort()).toEqual(['a/a-0bad/dk-bad.json', 'a/a-0copied/dk-b-old.json']);
  expect(logged.filter((m) => /damaged data key record/.test(m))).toHaveLength(2);
  expect(await sessionsWithKeys(keys)).toEqual(['a-0bad', 'a-0copied', 'a-new']);
  // Key rotation still refuses damage instead of skipping it.
  await expect(async () => {
    for await (const _key of keys.list()) void _key;
  }).rejects.toMatchObject({ code: 'bad_data_key' });
});

test('a project whose keys cannot be listed does not stop the others; the failure is thrown after', async () => {
  const keys = new ObjectDataKeyStore(new FolderObjectStore(join(tempDir('retention-failing'), 'keys')));
  const now = Date.now();
  await seed(keys, now);
  const failing = Object.create(keys, {
    list: {
      value: (project?: string, options?: object) =>
        project === 'a'
          ? { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('disk gone')) }) }
          : keys.list(project, options),
    },
  }) as ObjectDataKeyStore;
  const attempt = shredExpiredDataKeys(
    failing,
    [
      { project: 'a', retentionDays: 30 },
      { project: 'b', retentionDays: 30 },
    ],
    { now },
  );
  await expect(attempt).rejects.toBeInstanceOf(CollectorError);
  await expect(attempt).rejects.toThrow(/"a" \(disk gone\); 1 session\(s\) of the other projects were shredded/);
  expect(await sessionsWithKeys(keys)).toEqual(['a-0bad', 'a-0copied', 'a-new', 'a-old']);
});

test("the collector's sweep counts damaged records in reprise_data_key_records_damaged_total and shreds the rest", async () => {
  const dataDir = tempDir('retention-collector');
  const keys = new ObjectDataKeyStore(new FolderObjectStore(join(dataDir, 'keys')));
  await seed(keys, Date.now());
  const config = resolveConfig({
    metricsToken: TEST_METRICS_TOKEN,
    dataDir,
    port: 0,
    logLevel: 'silent',
    sweepIntervalMs: 1000,
    projectList: [
      { id: 'a', keys: ['pk_a'], retentionDays: 30 },
      { id: 'b', keys: ['pk_b'], retentionDays: 30 },
    ],
  });
  const collector = await createCollector(config, { logger: silentLogger });
  const { url } = await collector.start();
  try {
    // The sweep runs every second: wait for one that went through both projects.
    const deadline = Date.now() + 20_000;
    while ((await sessionsWithKeys(keys)).join() !== 'a-0bad,a-0copied,a-new') {
      if (Date.now() > deadline)
        throw new Error(`the retention sweep did not shred in 20 s: ${(await sessionsWithKeys(keys)).join()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await metricValue(url, 'reprise_data_key_records_damaged_total')).toBeGreaterThanOrEqual(2);
  } finally {
    await collector.stop();
  }
});
