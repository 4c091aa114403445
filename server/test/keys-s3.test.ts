/**
 * `reprise-collector keys` with the data keys in S3 (s3rver on 127.0.0.1): the command must work
 * on the store the collector uses, not on the local keys folder.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/access/access-store.js';
import { createConfiguredDataKeyStore } from '../src/crypto/data-key-store-factory.js';
import { FileKeyring } from '../src/crypto/keyring.js';
import { runKeysCommand } from '../src/deletion/keys-command.js';
import { loadConfig, type CollectorConfigInput } from '../src/config.js';
import { startS3rver, type S3rverProcess } from '@reprise/test-support/process';
import { S3_ENV } from './support/collector.js';
import { ev } from './support/index-events.js';
import {
  ingestIndexed,
  readPlayback,
  startTestCollector,
  toBatches,
  type TestCollector,
} from './support/playback-collector.js';

const T = Date.now() - 600_000;
const recording = (sessionId: string, offset: number) => {
  const start = T + offset;
  const events = [
    ev.meta(start, `https://app.test/${sessionId}`),
    ev.full(start + 1),
    ev.click(start + 1_000),
    ev.click(start + 2_000),
  ];
  return { events, batches: toBatches(sessionId, events, 2) };
};
const SESSIONS = { 'k-1': recording('k-1', 0), 'k-2': recording('k-2', 5_000) };

describe('keys rotate / retire with data keys in S3', () => {
  let s3: S3rverProcess;
  let env: TestCollector;
  let s3Config: Partial<CollectorConfigInput>;
  let keysEnv: Record<string, string>;
  const keys = async (...argv: string[]) => {
    const output: string[] = [];
    const code = await runKeysCommand(argv, keysEnv, (line) => output.push(line));
    return { code, output: output.join('\n') };
  };
  const kekIdsInS3 = async () => {
    const loaded = loadConfig({ env: keysEnv, argv: [] });
    if (loaded.help) throw new Error('no help expected');
    const { dataKeyStore, objects } = createConfiguredDataKeyStore(loaded.config);
    const ids: string[] = [];
    for await (const key of dataKeyStore.list()) ids.push(key.kekId);
    await objects.close();
    return ids;
  };

  beforeAll(async () => {
    Object.assign(process.env, S3_ENV);
    s3 = await startS3rver();
    s3Config = {
      store: 's3',
      s3Bucket: 'reprise-objects',
      s3Endpoint: s3.endpoint,
      s3ForcePathStyle: true,
      s3CreateBucket: true,
      keysS3Bucket: 'reprise-keys',
    };
    env = await startTestCollector('sqlite', ['shop'], { config: s3Config });
    keysEnv = {
      REPRISE_DATA_DIR: env.dataDir,
      REPRISE_STORE: 's3',
      REPRISE_S3_BUCKET: 'reprise-objects',
      REPRISE_S3_ENDPOINT: s3.endpoint,
      REPRISE_S3_FORCE_PATH_STYLE: 'true',
      REPRISE_KEYS_S3_BUCKET: 'reprise-keys',
    };
    await ingestIndexed(
      env,
      'shop',
      Object.values(SESSIONS).flatMap((session) => session.batches),
    );
  });
  afterAll(async () => {
    // The last test stopped the collector already; this removes its data folder.
    await env?.stop().catch(() => {});
    await s3?.stop();
  });

  it('refuses to retire a key that still wraps data keys in S3, rotates them there, and every session plays after retiring the old keys', async () => {
    const firstKek = env.collector.keys.activeKeyId;
    await env.stop({ keepData: true });
    // The data keys are in S3 only: the two sessions' and the ingest log file's (STORAGE.md).
    expect(existsSync(join(env.dataDir, 'keys', 'shop'))).toBe(false);
    expect(await kekIdsInS3()).toEqual([firstKek, firstKek, firstKek]);

    // A rotation whose rewrap never ran (interrupted): the old key still wraps both data keys.
    const { keyring } = await FileKeyring.load(join(env.dataDir, 'keyring.json'));
    const secondKek = await keyring.rotate();
    const refused = await keys('retire', firstKek);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/still wraps 3 data key\(s\) in s3:\/\/reprise-keys\/reprise-keys\//);
    expect(refused.output).toMatch(/keys rotate" first/);
    expect((await keys('list')).output).toBe(`${firstKek}\n${secondKek}  (active)`);

    const rotated = await keys('rotate');
    expect(rotated.code).toBe(0);
    expect(rotated.output).toMatch(/rewrapped 3 data key\(s\) in s3:\/\/reprise-keys\//);
    const thirdKek = (await FileKeyring.load(join(env.dataDir, 'keyring.json'))).keyring.activeKeyId;
    expect(await kekIdsInS3()).toEqual([thirdKek, thirdKek, thirdKek]);
    expect(rotated.output).toContain(`no longer used: ${firstKek}, ${secondKek}`);
    expect((await keys('retire', firstKek)).code).toBe(0);
    expect((await keys('retire', secondKek)).code).toBe(0);
    expect((await FileKeyring.load(join(env.dataDir, 'keyring.json'))).keyring.keyIds).toEqual([thirdKek]);

    env = await startTestCollector('sqlite', ['shop'], { dataDir: env.dataDir, config: s3Config });
    const token = (
      await createApiToken(env.plugin.index.db, {
        name: 'player',
        project: 'shop',
        operations: ['read'],
        createdBy: null,
      })
    ).token;
    for (const [id, { events }] of Object.entries(SESSIONS)) {
      const response = await fetch(`${env.url}/v1/sessions/${id}/events`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
      const played = await readPlayback(response);
      expect(played.events.map((e) => e.timestamp)).toEqual(events.map((e) => e.timestamp));
      expect(played.records.at(-1)).toMatchObject({ stream: 'end', skipped: 0 });
    }
  });

  it('retire --force removes a key that still wraps data keys, saying how many', async () => {
    await env.stop({ keepData: true });
    const { keyring } = await FileKeyring.load(join(env.dataDir, 'keyring.json'));
    const wrapping = keyring.activeKeyId;
    await keyring.rotate();
    const forced = await keys('retire', wrapping, '--force');
    expect(forced.code).toBe(0);
    expect(forced.output).toMatch(
      /forced: 3 data key\(s\) in s3:\/\/reprise-keys\/reprise-keys\/ at \S+ were wrapped by it/,
    );
    expect((await FileKeyring.load(join(env.dataDir, 'keyring.json'))).keyring.keyIds).not.toContain(wrapping);
  });

  it('fails clearly when the keys bucket does not exist, instead of finding no data keys', async () => {
    const output: string[] = [];
    expect(
      await runKeysCommand(['list'], { ...keysEnv, REPRISE_KEYS_S3_BUCKET: 'no-such-keys-bucket' }, (line) =>
        output.push(line),
      ),
    ).toBe(1);
    expect(output.join('\n')).toMatch(/S3 bucket "no-such-keys-bucket" is not reachable/);
  });
});
