/** In-process checks of the collector's parts: config, keys, log recovery, retention, S3 store on s3rver. */
import { closeSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createRepriseEvent } from '@reprise/protocol';
import { main } from '../src/cli.js';
import { helpText, loadConfig } from '../src/config.js';
import { CollectorError } from '../src/errors.js';
import { FileKeyring } from '../src/crypto/keyring.js';
import { DataKeyService, ObjectDataKeyStore } from '../src/crypto/data-keys.js';
import { decryptSegment, encryptSegment, PayloadEncoding } from '../src/segment/envelope.js';
import { FileIngestLog } from '../src/log/file-log.js';
import { originMatcher } from '../src/projects.js';
import { FolderObjectStore } from '../src/store/folder-store.js';
import { S3ObjectStore } from '../src/store/s3-store.js';
import { lifecycleRules, mergeLifecycleRules, sweepExpiredSegments } from '../src/store/retention.js';
import { segmentObjectKey } from '../src/store/keys.js';
import { summarizeBatches } from '../src/writer/summary.js';
import { WriterLedger } from '../src/writer/ledger.js';
import { SegmentWriter } from '../src/writer/writer.js';
import { runDeadLettersCommand } from '../src/writer/dead-letters-command.js';
import { runKeysCommand } from '../src/deletion/keys-command.js';
import { createMetrics } from '../src/metrics.js';
import { SATURATED_REQUESTS } from '../src/ingest/activity.js';
import { startS3rver, tempDir, type S3rverProcess } from '@reprise/test-support/process';
import { makeBatch, S3_ENV, s3StoreFor, silentLogger } from './support/collector.js';

describe('configuration', () => {
  test('every bad value gets its own message; flags override the environment', () => {
    const attempt = () =>
      loadConfig({
        env: {
          REPRISE_PORT: '99999',
          REPRISE_STORE: 'ftp',
          REPRISE_MAX_BODY_BYTES: 'lots',
          REPRISE_PROJECTS: '[{"id":"a b","keys":[]}]',
        },
        argv: ['--log-backend', 'kafka', '--nope'],
      });
    expect(attempt).toThrow(CollectorError);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const expected of [
      'REPRISE_PORT',
      'REPRISE_STORE',
      'REPRISE_MAX_BODY_BYTES',
      'REPRISE_LOG_BACKEND',
      'Unknown argument "--nope"',
      'REPRISE_PROJECTS at 0.id',
      'REPRISE_PROJECTS at 0.keys',
    ]) {
      expect(message).toContain(expected);
    }
    const ok = loadConfig({ env: { REPRISE_PORT: '5000', REPRISE_DATA_DIR: '/tmp/x' }, argv: ['--port=6000'] });
    expect(ok.help).toBe(false);
    if (!ok.help) {
      expect(ok.config.port).toBe(6000);
      expect(ok.config.objectsDir).toBe('/tmp/x/objects');
      expect(ok.config.devProject).toBe(true);
      expect(ok.config.projectList[0]!.keys).toEqual(['dev']);
    }
    expect(() => loadConfig({ env: { REPRISE_STORE: 's3' }, argv: [] })).toThrow(/REPRISE_S3_BUCKET/);
  });

  test('reprise-collector hands `keys ...` and `dead-letters ...` to their commands, with their exit code', async () => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      for (const name of ['keys', 'dead-letters']) {
        printed.length = 0;
        process.exitCode = undefined;
        await main([name, 'frobnicate'], {});
        expect(process.exitCode).toBe(2);
        expect(printed.join('\n')).toMatch(new RegExp(`^reprise-collector ${name} <command>`));
      }
    } finally {
      log.mockRestore();
      process.exitCode = undefined;
    }
  });

  test('the keys and dead-letters commands: --help prints their usage (exit 0), a wrong command too (exit 2)', async () => {
    for (const run of [runKeysCommand, runDeadLettersCommand]) {
      const printed: string[] = [];
      expect(await run(['list', '--help'], {}, (line) => printed.push(line))).toBe(0);
      expect(printed.join('\n')).toMatch(/^reprise-collector (keys|dead-letters) <command>/);
      const wrong: string[] = [];
      expect(await run(['frobnicate'], {}, (line) => wrong.push(line))).toBe(2);
      expect(wrong).toEqual(printed);
    }
  });

  test('--help lists every variable with its flag', () => {
    expect(loadConfig({ env: {}, argv: ['--help'] }).help).toBe(true);
    const help = helpText();
    for (const name of [
      'REPRISE_PORT',
      'REPRISE_HOST',
      'REPRISE_DATA_DIR',
      'REPRISE_S3_BUCKET',
      'REPRISE_NATS_URL',
      'REPRISE_PROJECTS',
      'REPRISE_KEYRING',
      '--s3-force-path-style',
    ])
      expect(help).toContain(name);
  });

  test('origin patterns', () => {
    expect(originMatcher('http://127.0.0.1:*')('http://127.0.0.1:5173')).toBe(true);
    expect(originMatcher('http://127.0.0.1:*')('http://127.0.0.1.evil.example:80')).toBe(false);
    expect(originMatcher('https://*.shop.example')('https://eu.www.shop.example')).toBe(true);
    expect(originMatcher('https://*.shop.example')('https://shop.example')).toBe(false);
    expect(originMatcher('https://*.shop.example')('https://evil.example?.shop.example')).toBe(false);
    expect(originMatcher('https://shop.example')('HTTPS://SHOP.EXAMPLE')).toBe(true);
  });
});

describe('keys', () => {
  test('keyring is created 0600, rotates, and rewraps data keys without touching objects', async () => {
    const dir = tempDir('keys');
    const path = join(dir, 'nested', 'keyring.json');
    const first = await FileKeyring.load(path);
    expect(first.created).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await FileKeyring.load(path)).created).toBe(false);

    const keyring = first.keyring;
    const store = new ObjectDataKeyStore(new FolderObjectStore(join(dir, 'dek')));
    const service = new DataKeyService(keyring, store);
    const dataKey = await service.forWriting({ project: 'p', sessionId: 's' });
    const location = { project: 'p', sessionId: 's', segment: '0000000000001-aaaa' };
    const object = encryptSegment(Buffer.from('hello'), dataKey, location, PayloadEncoding.deflateMsgpack);

    const oldKek = keyring.activeKeyId;
    const newKek = await keyring.rotate();
    expect(newKek).not.toBe(oldKek);
    for await (const wrapped of store.list('p')) await store.put(await keyring.rewrap(wrapped));
    const [rewrapped] = await store.listSession('p', 's');
    expect(rewrapped!.kekId).toBe(newKek);
    await keyring.retire(oldKek);
    const reloaded = (await FileKeyring.load(path)).keyring;
    const fresh = new DataKeyService(reloaded, store);
    const readKey = await fresh.forReading('p', 's', dataKey.id);
    expect(decryptSegment(object, readKey.key, location).toString()).toBe('hello');

    // Another location (copying an object under another session) fails authentication.
    expect(() => decryptSegment(object, readKey.key, { ...location, sessionId: 'other' })).toThrow(
      /failed authentication/,
    );
    // A wrapped key moved to another session does not unwrap.
    await expect(reloaded.unwrap({ ...rewrapped!, sessionId: 'other' })).rejects.toThrow(/does not unwrap/);
    // Crypto-shredding.
    await fresh.shred('p', 's');
    await expect(new DataKeyService(reloaded, store).forReading('p', 's', dataKey.id)).rejects.toMatchObject({
      code: 'data_key_missing',
    });
  });
});

describe('embedded log', () => {
  test('appends are durable, released records are not handed out again, a torn tail is cut', async () => {
    const dir = tempDir('log');
    const record = (seq: number) => ({
      project: 'dev',
      receivedAt: Date.now(),
      digest: `d${seq}`,
      batch: makeBatch({ session: 's', seq }),
    });
    const log = new FileIngestLog({ dir, cursorIntervalMs: 10, logger: silentLogger });
    await log.open();
    await Promise.all([0, 1, 2, 3, 4].map((seq) => log.append(record(seq))));
    expect(log.lag()).toBe(5);
    const first = await log.read(2, 0);
    expect(first.map((entry) => entry.record.batch.seq)).toEqual([0, 1]);
    await log.release(first);
    expect(log.lag()).toBe(3);
    await log.close();

    // A torn record at the tail: a write that never got its fsync.
    const wal = readdirSync(dir).find((name) => name.endsWith('.log'))!;
    const fd = openSync(join(dir, wal), 'a');
    writeSync(fd, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 9, 9]));
    closeSync(fd);
    const reopened = new FileIngestLog({ dir, logger: silentLogger });
    await reopened.open();
    const rest = await reopened.read(10, 0);
    expect(rest.map((entry) => entry.record.batch.seq)).toEqual([2, 3, 4]);
    await reopened.append(record(5));
    expect((await reopened.read(10, 0)).map((entry) => entry.record.batch.seq)).toEqual([5]);
    await reopened.close();
  });

  test('the ledger keeps stored ids across a restart and hands back unresolved intents', async () => {
    const path = join(tempDir('ledger'), 'ledger.jsonl');
    const ledger = new WriterLedger(path);
    await ledger.open();
    await ledger.intent({ key: 'a', ids: [['x/1', 'd1']] });
    await ledger.done({ key: 'a', ids: [['x/1', 'd1']] });
    await ledger.intent({ key: 'b', ids: [['x/2', 'd2']] });
    await ledger.close();
    const again = new WriterLedger(path);
    await again.open();
    expect(again.isStored('x/1')).toBe(true);
    expect(again.isStored('x/2')).toBe(false);
    expect(again.unresolvedIntents().map((intent) => intent.key)).toEqual(['b']);
    await again.close();
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean).length).toBe(3);
  });
});

describe('segments and retention', () => {
  test('summaries carry what an index needs', () => {
    const batch = makeBatch({
      session: 's',
      seq: 0,
      fullSnapshot: true,
      extra: [
        createRepriseEvent('navigation', { url: 'http://127.0.0.1:5173/cart' }),
        createRepriseEvent('identify', { userId: 'u-1' }),
        createRepriseEvent('error', { source: 'error', message: 'boom' }),
        createRepriseEvent('custom', { name: 'checkout' }),
      ],
    });
    const summary = summarizeBatches([{ ...batch, receivedAt: 0 }]);
    expect(summary.hasFullSnapshot).toBe(true);
    expect(summary.urls).toEqual(['http://127.0.0.1:5173/page', 'http://127.0.0.1:5173/cart']);
    expect(summary.userId).toBe('u-1');
    expect(summary.errors).toEqual(['boom']);
    expect(summary.customEvents).toEqual(['checkout']);
    expect(summary.eventsByKind).toMatchObject({ navigation: 1, identify: 1, error: 1, custom: 1 });
    expect(summary.eventsByType[2]).toBe(1);
  });

  test('S3 lifecycle rules: archive, expire, abort incomplete uploads, one rule per project', () => {
    const rules = lifecycleRules(
      [
        { project: 'shop', retentionDays: 90, archiveAfterDays: 30 },
        { project: 'blog', retentionDays: 7 },
      ],
      { prefix: 'reprise/', archiveStorageClass: 'GLACIER_IR' },
    );
    expect(rules).toEqual([
      {
        ID: 'reprise-retention-reprise/shop',
        Status: 'Enabled',
        Filter: { Prefix: 'reprise/shop/' },
        Expiration: { Days: 90 },
        Transitions: [{ Days: 30, StorageClass: 'GLACIER_IR' }],
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
      {
        ID: 'reprise-retention-reprise/blog',
        Status: 'Enabled',
        Filter: { Prefix: 'reprise/blog/' },
        Expiration: { Days: 7 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ]);
  });

  test("S3 lifecycle rules are merged into the bucket's: the operator's and another prefix's rules stay", () => {
    const operators = {
      ID: 'logs-expiry',
      Status: 'Enabled' as const,
      Filter: { Prefix: 'logs/' },
      Expiration: { Days: 3 },
    };
    const otherPrefix = lifecycleRules([{ project: 'shop', retentionDays: 5 }], { prefix: 'staging/' })[0]!;
    const removedProject = lifecycleRules([{ project: 'old', retentionDays: 5 }], { prefix: 'reprise/' })[0]!;
    const previous = lifecycleRules([{ project: 'shop', retentionDays: 10 }], { prefix: 'reprise/' })[0]!;
    const olderIdForm = { ...previous, ID: 'reprise-retention-shop' };
    const ours = lifecycleRules([{ project: 'shop', retentionDays: 90 }], { prefix: 'reprise/' });
    expect(
      mergeLifecycleRules([operators, otherPrefix, removedProject, previous, olderIdForm], ours, 'reprise/'),
    ).toEqual([operators, otherPrefix, ...ours]);
    // With no prefix, collectors under a prefix in the same bucket keep their rules.
    const unprefixed = lifecycleRules([{ project: 'shop', retentionDays: 30 }]);
    expect(mergeLifecycleRules([otherPrefix, ...ours], unprefixed)).toEqual([otherPrefix, ...ours, ...unprefixed]);
  });

  test('the folder sweep deletes segments past retention and keeps the rest', async () => {
    const store = new FolderObjectStore(tempDir('sweep'));
    const now = Date.UTC(2026, 10, 23);
    const old = segmentObjectKey({
      project: 'p',
      sessionId: 's1',
      segment: '0000000000001-aaaaaaaa',
      at: now - 40 * 86_400_000,
    });
    const recent = segmentObjectKey({
      project: 'p',
      sessionId: 's2',
      segment: '0000000000001-bbbbbbbb',
      at: now - 5 * 86_400_000,
    });
    const otherProject = segmentObjectKey({
      project: 'q',
      sessionId: 's3',
      segment: '0000000000001-cccccccc',
      at: now - 40 * 86_400_000,
    });
    for (const key of [old, recent, otherProject]) await store.put(key, Buffer.from('x'));
    expect(
      await sweepExpiredSegments(
        store,
        [
          { project: 'p', retentionDays: 30 },
          { project: 'q', retentionDays: 60 },
        ],
        { now },
      ),
    ).toBe(1);
    expect(await store.exists(old)).toBe(false);
    expect(await store.exists(recent)).toBe(true);
    expect(await store.exists(otherProject)).toBe(true);
  });
});

describe('S3 store on s3rver', () => {
  let s3: S3rverProcess;
  beforeAll(async () => {
    Object.assign(process.env, S3_ENV);
    s3 = await startS3rver();
  });
  afterAll(async () => {
    await s3?.stop();
  });

  test('put/get/exists/list/delete byte-exact; lifecycle NotImplemented is a warning', async () => {
    const store = s3StoreFor(s3.endpoint, 'unit-bucket');
    await expect(store.open()).rejects.toThrow(/REPRISE_S3_CREATE_BUCKET/);
    const creating = new S3ObjectStore({
      bucket: 'unit-bucket',
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      createBucket: true,
    });
    await creating.open();
    const body = Buffer.alloc(200_000, 7);
    await creating.put('p/2026/11/23/s/seg1', body);
    await creating.put('p/2026/11/23/s/seg2', Buffer.from('two'));
    expect(Buffer.from((await creating.get('p/2026/11/23/s/seg1'))!).equals(body)).toBe(true);
    expect(await creating.get('p/nope')).toBeUndefined();
    expect(await creating.exists('p/2026/11/23/s/seg2')).toBe(true);
    const listed = [];
    for await (const info of creating.list('p/2026/')) listed.push([info.key, info.size]);
    expect(listed).toEqual([
      ['p/2026/11/23/s/seg1', 200_000],
      ['p/2026/11/23/s/seg2', 3],
    ]);
    await creating.delete('p/2026/11/23/s/seg2');
    expect(await creating.exists('p/2026/11/23/s/seg2')).toBe(false);
    const warnings: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (_obj: unknown, message: string) => warnings.push(message),
    } as unknown as typeof silentLogger;
    expect(await creating.applyRetention([{ project: 'p', retentionDays: 30 }], logger)).toBe('unsupported');
    expect(warnings.join()).toMatch(/does not implement lifecycle configuration/);
    // Wrapped data keys can live in S3 too (several nodes), under their own prefix.
    const keyStore = new ObjectDataKeyStore(
      new S3ObjectStore({
        bucket: 'unit-bucket',
        region: 'us-east-1',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        prefix: 'reprise-keys/',
      }),
    );
    const { keyring } = await FileKeyring.load(join(tempDir('s3keys'), 'keyring.json'));
    const service = new DataKeyService(keyring, keyStore);
    const written = await service.forWriting({ project: 'p', sessionId: 's3' });
    expect((await keyStore.listSession('p', 's3')).map((key) => key.id)).toEqual([written.id]);
    expect(
      (await new DataKeyService(keyring, keyStore).forReading('p', 's3', written.id)).key.equals(written.key),
    ).toBe(true);
    await service.shred('p', 's3');
    expect(await keyStore.listSession('p', 's3')).toEqual([]);
    await creating.close();
    await store.close();
  });

  test('a missing bucket is a typed error, not a missing object; maxBytes refuses before reading', async () => {
    const missing = new S3ObjectStore({
      bucket: 'no-such-bucket',
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
    });
    await expect(missing.get('p/2026/11/23/s/seg')).rejects.toMatchObject({ code: 's3_unavailable' });
    await expect(missing.get('p/2026/11/23/s/seg')).rejects.toThrow(/bucket "no-such-bucket".*REPRISE_S3_BUCKET/);
    await expect(missing.put('p/x', Buffer.from('x'))).rejects.toMatchObject({ code: 's3_unavailable' });
    await expect(async () => {
      for await (const _ of missing.list('p/')) void _;
    }).rejects.toMatchObject({ code: 's3_unavailable' });
    // A HEAD's 404 has no body to say NoSuchBucket: exists() must not answer "no such object"
    // (the writer's crash recovery would take a stored segment for one never written).
    await expect(missing.exists('p/2026/11/23/s/seg')).rejects.toMatchObject({ code: 's3_unavailable', status: 503 });
    await expect(missing.exists('p/2026/11/23/s/seg')).rejects.toThrow(
      /bucket "no-such-bucket" failed: the bucket does not exist.*REPRISE_S3_BUCKET/,
    );
    await missing.close();

    const store = new S3ObjectStore({
      bucket: 'hardening',
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      createBucket: true,
    });
    await store.open();
    await store.put('p/big', Buffer.alloc(300_000, 3));
    await expect(store.get('p/big', { maxBytes: 1000 })).rejects.toMatchObject({ code: 'object_too_large' });
    const big = Buffer.from((await store.get('p/big', { maxBytes: 300_000 }))!);
    expect(big.equals(Buffer.alloc(300_000, 3))).toBe(true);
    expect(await store.get('p/none')).toBeUndefined();
    expect(await store.exists('p/none')).toBe(false);
    await store.close();
  });
});

/** A writer's real parts in a temporary folder: file log, keyring, data keys, ledger, object folder. */
async function writerParts(name: string) {
  const dir = tempDir(name);
  const log = new FileIngestLog({ dir: join(dir, 'log'), logger: silentLogger });
  await log.open();
  const { keyring } = await FileKeyring.load(join(dir, 'keyring.json'));
  const dataKeyStore = new ObjectDataKeyStore(new FolderObjectStore(join(dir, 'keys')));
  const ledger = new WriterLedger(join(dir, 'ledger.jsonl'));
  await ledger.open();
  const store = new FolderObjectStore(join(dir, 'objects'));
  const deps = {
    log,
    store,
    dataKeys: new DataKeyService(keyring, dataKeyStore),
    dataKeyStore,
    ledger,
    logger: silentLogger,
    metrics: createMetrics(),
  };
  return { ...deps, deps };
}

describe('writer backpressure', () => {
  test('with memory full of young open segments, the oldest are stored at once', async () => {
    const { log, ledger, deps } = await writerParts('backpressure');
    const writer = new SegmentWriter(
      deps,
      // An hour of age: only backpressure can cut these segments.
      { maxSegmentAgeMs: 3_600_000, maxBufferedBytes: 40 * 1024, maxInFlight: 4 },
    );
    await writer.start();
    for (let session = 0; session < 40; session++) {
      await log.append({
        project: 'dev',
        receivedAt: Date.now(),
        digest: `d${session}`,
        batch: makeBatch({ session: `bp${session}`, seq: 0, padding: 2000 }),
      });
    }
    const deadline = Date.now() + 10_000;
    while (log.lag() > 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(log.lag()).toBeLessThanOrEqual(20);
    expect(await writer.stop(10_000)).toBe(true);
    expect(log.lag()).toBe(0);
    await log.close();
    await ledger.close();
  });
});

test('every metric the collector registers is named in the README', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const names = (await createMetrics().registry.getMetricsAsJSON())
    .map((metric) => metric.name)
    // Node's process metrics are documented as a family.
    .filter((name) => !/^reprise_(process|nodejs)_/.test(name));
  expect(names.length).toBeGreaterThan(15);
  expect(names.filter((name) => !readme.includes(`\`${name}`))).toEqual([]);
});

describe('writer gives way to ingest', () => {
  test('the help and the README state the saturation threshold the collector uses', () => {
    const stated = `${SATURATED_REQUESTS} or more requests being answered at once`;
    expect(helpText()).toContain(stated);
    expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain(stated);
  });

  /** A writer over real parts, its segments cut young, told ingest is saturated while `busy.now` is. */
  async function yieldingWriter(name: string, maxYieldMs: number) {
    const parts = await writerParts(name);
    const busy = { now: true };
    const writer = new SegmentWriter(
      { ...parts.deps, ingestSaturated: () => busy.now },
      { maxSegmentAgeMs: 50, maxYieldMs },
    );
    await writer.start();
    for (let seq = 0; seq < 3; seq++) {
      await parts.log.append({
        project: 'dev',
        receivedAt: Date.now(),
        digest: `y${seq}`,
        batch: makeBatch({ session: name, seq }),
      });
    }
    /** Whether all three are stored (released from the log) within `ms`. */
    const storedWithin = async (ms: number): Promise<boolean> => {
      const deadline = Date.now() + ms;
      while (parts.log.lag() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return parts.log.lag() === 0;
    };
    const close = async () => {
      expect(await writer.stop(10_000)).toBe(true);
      await parts.log.close();
      await parts.ledger.close();
    };
    return { log: parts.log, busy, storedWithin, close };
  }

  test('while ingest is saturated the log is left unread, and read as soon as ingest eases', async () => {
    const { log, busy, storedWithin, close } = await yieldingWriter('yield-pause', 60_000);
    // Young segments are cut after 50 ms: had the writer read them, they would be stored by now.
    await new Promise((r) => setTimeout(r, 600));
    expect(log.lag()).toBe(3);
    busy.now = false;
    expect(await storedWithin(5_000)).toBe(true);
    await close();
  });

  test('an ingest saturated without pause is made to wait after maxYieldMs, not forever', async () => {
    const { log, storedWithin, close } = await yieldingWriter('yield-bound', 2_000);
    await new Promise((r) => setTimeout(r, 400));
    expect(log.lag()).toBe(3);
    expect(await storedWithin(8_000)).toBe(true);
    await close();
  });

  test('maxYieldMs 0: the writer never gives way', async () => {
    const { storedWithin, close } = await yieldingWriter('yield-off', 0);
    // Stored well before the default's 5 s: 0 is not taken for "unset".
    expect(await storedWithin(3_000)).toBe(true);
    await close();
  });
});

describe('writer and deletion on another node', () => {
  test('a segment stored while another node deleted its session is removed, with its key, by the shared tombstone read alone', async () => {
    const { log, ledger, store, dataKeyStore, deps } = await writerParts('shared-tombstone');
    // This node never hears of the deletion (no local tombstone): only the shared store knows.
    const deletedElsewhere = new Set(['dev/gone']);
    const asked: string[] = [];
    const writer = new SegmentWriter(
      {
        ...deps,
        isDeleted: () => false,
        isDeletedShared: async (project, sessionId) => {
          asked.push(`${project}/${sessionId}`);
          return deletedElsewhere.has(`${project}/${sessionId}`);
        },
      },
      { maxSegmentAgeMs: 50 },
    );
    await writer.start();
    for (const session of ['gone', 'kept']) {
      await log.append({
        project: 'dev',
        receivedAt: Date.now(),
        digest: session,
        batch: makeBatch({ session, seq: 0 }),
      });
    }
    const deadline = Date.now() + 10_000;
    while (log.lag() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await writer.stop(10_000)).toBe(true);
    expect(asked.sort()).toEqual(['dev/gone', 'dev/kept']);
    const objects: string[] = [];
    for await (const object of store.list('dev/')) objects.push(object.key);
    expect(objects.some((key) => key.includes('/kept/'))).toBe(true);
    expect(objects.some((key) => key.includes('/gone/'))).toBe(false);
    expect(await dataKeyStore.listSession('dev', 'gone')).toEqual([]);
    expect((await dataKeyStore.listSession('dev', 'kept')).length).toBe(1);
    await log.close();
    await ledger.close();
  });
});

describe('writer retry logging', () => {
  test('a store that keeps failing is warned about once per interval, with how long, and its recovery is logged', async () => {
    const { log, ledger, store, deps } = await writerParts('retry-logging');
    const lines: Array<{ level: number; msg: string; attempt?: number; failingForMs?: number; attempts?: number }> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    let failing = true;
    const failingStore = Object.create(store) as FolderObjectStore;
    failingStore.put = async (...args: Parameters<FolderObjectStore['put']>) => {
      if (failing) throw new Error('store down');
      return store.put(...args);
    };
    const writer = new SegmentWriter(
      { ...deps, store: failingStore, logger },
      { maxSegmentAgeMs: 50, retryWarnIntervalMs: 1_000 },
    );
    await writer.start();
    await log.append({
      project: 'dev',
      receivedAt: Date.now(),
      digest: 'r',
      batch: makeBatch({ session: 'r', seq: 0 }),
    });
    const putFailures = () => lines.filter((line) => line.msg === 'writer: put failed; retrying');
    // Backoff 200, 400, 800, 1600 ms...: five attempts in about 3 s, more than one interval.
    const deadline = Date.now() + 20_000;
    while (putFailures().length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    failing = false;
    while (log.lag() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await writer.stop(10_000)).toBe(true);

    const failures = putFailures();
    expect(failures.length).toBeGreaterThanOrEqual(5);
    const warnings = failures.filter((line) => line.level === 40);
    // The first failure and then at most one per second: never every attempt, never only the first.
    expect(warnings[0]!.attempt).toBe(0);
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings.length).toBeLessThan(failures.length);
    for (let i = 1; i < warnings.length; i++) {
      expect(warnings[i]!.failingForMs! - warnings[i - 1]!.failingForMs!).toBeGreaterThanOrEqual(1_000);
    }
    const recovered = lines.find((line) => line.msg === 'writer: put succeeded after failing');
    expect(recovered?.attempts).toBe(failures.length + 1);
    await log.close();
    await ledger.close();
  }, 30_000);
});
