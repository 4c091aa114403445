import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSegmentHeader } from '../src/segment/envelope.js';
import { deleteSession } from '../src/deletion/delete-sessions.js';
import { runKeysCommand } from '../src/deletion/keys-command.js';
import { CollectorError } from '../src/errors.js';
import { LOG_KEY_PROJECT } from '../src/log/cipher.js';
import { deleteSessionRows, listSegments } from '../src/index-db/sessions-store.js';
import { DeletionJobs } from '../src/deletion/jobs.js';
import { TombstoneStore } from '../src/deletion/tombstones.js';
import { FolderObjectStore } from '../src/store/folder-store.js';
import { readStoredSegment } from '../src/segment/reader.js';
import { ev } from './support/index-events.js';
import {
  readPlayback,
  startShopWithSessions,
  startTestCollector,
  toBatches,
  type TestCollector,
} from './support/playback-collector.js';

const T = Date.now() - 600_000;
/** Two page loads, so two segments per session. */
const recording = (sessionId: string, userId: string, offset: number) => {
  const start = T + offset;
  const events = [
    ev.meta(start, `https://app.test/${sessionId}/1`),
    ev.full(start + 1),
    ev.identify(start + 2, userId),
    ev.custom(start + 3, 'checkout'),
    ev.click(start + 1_000),
    ev.meta(start + 60_000, `https://app.test/${sessionId}/2`),
    ev.full(start + 60_001),
    ev.click(start + 61_000),
  ];
  return { events, batches: toBatches(sessionId, events, 50, (e) => e.type === 4) };
};
const SESSIONS = {
  's-1': recording('s-1', 'u-1', 0),
  's-2': recording('s-2', 'u-1', 1_000),
  's-3': recording('s-3', 'u-2', 2_000),
  's-4': recording('s-4', 'u-3', 3_000),
  's-5': recording('s-5', 'u-4', 4_000),
  's-6': recording('s-6', 'u-5', 5_000),
};

describe('deletion, crypto-shredding, key rotation and retention', () => {
  let env: TestCollector;
  let token: string;
  const call = (method: string, path: string) =>
    fetch(`${env.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  const deps = () => ({
    store: env.collector.store,
    dataKeys: env.collector.dataKeys,
    dataKeyStore: env.collector.dataKeyStore,
  });
  const objectsOf = async (sessionId: string) => {
    const keys: string[] = [];
    for await (const object of env.collector.store.list('shop/'))
      if (object.key.includes(`/${sessionId}/`)) keys.push(object.key);
    return keys;
  };

  beforeAll(async () => {
    ({ env, token } = await startShopWithSessions(SESSIONS));
  });
  afterAll(() => env?.stop());

  it('deletes a session: keys shredded first, then objects, then rows; a backup of its objects no longer decrypts', async () => {
    const objects = await objectsOf('s-1');
    expect(objects).toHaveLength(2);
    const backup = new Map<string, Uint8Array>();
    for (const key of objects) backup.set(key, (await env.collector.store.get(key))!);
    // The backup decrypts while the session exists.
    expect((await readStoredSegment(deps(), objects[0]!)).payload.sessionId).toBe('s-1');
    expect(await env.collector.dataKeyStore.listSession('shop', 's-1')).toHaveLength(1);

    const response = await call('DELETE', '/v1/sessions/s-1');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      deleted: [{ project: 'shop', sessionId: 's-1', objects: 2 }],
      jobs: [{ state: 'done', attempts: 1 }],
    });

    expect(await objectsOf('s-1')).toEqual([]);
    expect(await env.collector.dataKeyStore.listSession('shop', 's-1')).toEqual([]);
    const keyFolder = join(env.dataDir, 'keys', 'shop', 's-1');
    expect(
      existsSync(keyFolder)
        ? readdirSync(keyFolder, { recursive: true }).filter((f) => String(f).endsWith('.json'))
        : [],
    ).toEqual([]);
    const db = env.plugin.index.db;
    for (const table of ['sessions', 'segments', 'session_custom_events'] as const) {
      expect(await db.selectFrom(table).select('session_id').where('session_id', '=', 's-1').execute()).toEqual([]);
    }
    expect((await call('GET', '/v1/sessions/s-1')).status).toBe(404);

    // Put the backed-up objects back, raw: with the keyring and the key store, nothing decrypts.
    for (const [key, bytes] of backup) {
      await env.collector.store.put(key, bytes);
      const header = readSegmentHeader(bytes);
      await expect(env.collector.dataKeys.forReading('shop', 's-1', header.dataKeyId)).rejects.toMatchObject({
        code: 'data_key_missing',
      });
      await expect(readStoredSegment(deps(), key)).rejects.toBeInstanceOf(CollectorError);
      await expect(readStoredSegment(deps(), key)).rejects.toMatchObject({ code: 'data_key_missing' });
      // Nor with any key-encryption key of the keyring: there is no wrapped data key left to unwrap.
      const keyring = JSON.parse(readFileSync(join(env.dataDir, 'keyring.json'), 'utf8')) as { keys: unknown[] };
      expect(keyring.keys.length).toBeGreaterThan(0);
      const stillWrapped: unknown[] = [];
      for await (const wrapped of env.collector.dataKeyStore.list('shop'))
        if (wrapped.sessionId === 's-1') stillWrapped.push(wrapped);
      expect(stillWrapped).toEqual([]);
      await env.collector.store.delete(key);
    }
  });

  it('shreds keys before deleting any object or row', async () => {
    const calls: string[] = [];
    const store = env.collector.store;
    const recordingStore = Object.create(store, {
      delete: {
        value: async (key: string) => {
          calls.push(`object ${key.split('/').pop()}`);
          return store.delete(key);
        },
      },
    });
    const dataKeys = {
      shred: async (project: string, sessionId: string) => {
        calls.push('keys');
        return env.collector.dataKeys.shred(project, sessionId);
      },
    };
    const segments = await listSegments(env.plugin.index.db, 'shop', 's-4');
    expect(segments).toHaveLength(2);
    await deleteSession({ db: env.plugin.index.db, store: recordingStore, dataKeys }, 'shop', 's-4');
    expect(calls[0]).toBe('keys');
    expect(calls.slice(1).sort()).toEqual(segments.map((s) => `object ${s.segment}`).sort());
    expect(await listSegments(env.plugin.index.db, 'shop', 's-4')).toEqual([]);
  });

  it("a job still finds a session's objects when other nodes removed its keys and index rows before it ran", async () => {
    const today = await objectsOf('s-6');
    expect(today).toHaveLength(2);
    // The session also has a segment from yesterday (it began before midnight), not indexed yet:
    // only its key's day says where it is.
    const yesterday = new Date(Date.now() - 86_400_000);
    const [wrapped] = await env.collector.dataKeyStore.listSession('shop', 's-6');
    await env.collector.dataKeyStore.put({
      ...wrapped!,
      id: 'dk-0123456789abcdef',
      createdAt: yesterday.toISOString(),
    });
    const older = `shop/${yesterday.toISOString().slice(0, 10).replaceAll('-', '/')}/s-6/${today[0]!.split('/').pop()}`;
    await env.collector.store.put(older, (await env.collector.store.get(today[0]!))!);
    expect(await objectsOf('s-6')).toHaveLength(3);
    const db = env.plugin.index.db;
    const jobs = new DeletionJobs({
      ...deps(),
      db,
      // This job's own tombstones: the collector's jobs must not run it first.
      tombstones: new TombstoneStore(new FolderObjectStore(mkdtempSync(join(tmpdir(), 'reprise-tombstones-')))),
      settleMs: 1_500,
    });
    const job = jobs.request('shop', 's-6', { reason: 'request', by: 'test' });
    while (!(await jobs.findUnindexed(['shop'], 's-6'))) await new Promise((resolve) => setTimeout(resolve, 5));
    // While the job waits for the tombstone to reach every node, nodes that learnt of it first act:
    // a writer removes a segment it had just stored, with every key of the session; an index hook
    // removes the session's rows.
    await env.collector.dataKeys.shred('shop', 's-6');
    await deleteSessionRows(db, 'shop', 's-6');
    expect(await job).toMatchObject({ state: 'done', objects: 3 });
    expect(await objectsOf('s-6')).toEqual([]);
  });

  it('erases every session of one end user', async () => {
    const response = await call('DELETE', '/v1/users/u-1/sessions');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { deleted: unknown }).deleted).toEqual([
      { project: 'shop', sessionId: 's-2', objects: 2 },
    ]);
    expect(await objectsOf('s-2')).toEqual([]);
    expect(await env.collector.dataKeyStore.listSession('shop', 's-2')).toEqual([]);
    expect((await call('GET', '/v1/sessions/s-3')).status).toBe(200);
    const audit = await env.plugin.index.db
      .selectFrom('audit_log')
      .select(['action', 'session_id'])
      .where('action', 'in', ['session.delete', 'user_sessions.delete'])
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { action: 'session.delete', session_id: 's-1' },
      { action: 'user_sessions.delete', session_id: null },
      { action: 'session.delete', session_id: 's-2' },
    ]);
  });

  it('rotates the key-encryption key without touching objects; old sessions play after a restart with the old key retired', async () => {
    const digest = async (key: string) =>
      createHash('sha256')
        .update((await env.collector.store.get(key))!)
        .digest('hex');
    const objects = await objectsOf('s-3');
    const before = await Promise.all(objects.map(digest));
    const oldKek = env.collector.keys.activeKeyId;
    await env.stop({ keepData: true });

    const output: string[] = [];
    expect(await runKeysCommand(['rotate', '--data-dir', env.dataDir], {}, (line) => output.push(line))).toBe(0);
    // The two remaining sessions' keys, and the ingest log's own keys (one per log file, kept in the
    // same store so that rotation rewraps them too).
    const logKeys = existsSync(join(env.dataDir, 'keys', LOG_KEY_PROJECT))
      ? readdirSync(join(env.dataDir, 'keys', LOG_KEY_PROJECT), { recursive: true }).filter((name) =>
          String(name).endsWith('.json'),
        ).length
      : 0;
    expect(logKeys).toBeGreaterThan(0);
    expect(output.join('\n')).toMatch(new RegExp(`rewrapped ${2 + logKeys} data key\\(s\\)`));
    expect(output.join('\n')).toContain(`no longer used: ${oldKek}`);
    const keyring = JSON.parse(readFileSync(join(env.dataDir, 'keyring.json'), 'utf8')) as {
      active: string;
      keys: { id: string }[];
    };
    expect(keyring.active).not.toBe(oldKek);
    const wrappedFiles = readdirSync(join(env.dataDir, 'keys', 'shop', 's-3'));
    const wrapped = JSON.parse(readFileSync(join(env.dataDir, 'keys', 'shop', 's-3', wrappedFiles[0]!), 'utf8')) as {
      kekId: string;
    };
    expect(wrapped.kekId).toBe(keyring.active);
    expect(await runKeysCommand(['retire', oldKek, '--data-dir', env.dataDir], {}, (line) => output.push(line))).toBe(
      0,
    );
    expect(
      (JSON.parse(readFileSync(join(env.dataDir, 'keyring.json'), 'utf8')) as { keys: { id: string }[] }).keys.map(
        (k) => k.id,
      ),
    ).toEqual([keyring.active]);
    // The active key cannot be retired.
    expect(
      await runKeysCommand(['retire', keyring.active, '--data-dir', env.dataDir], {}, (line) => output.push(line)),
    ).toBe(1);

    env = await startTestCollector('sqlite', ['shop'], { dataDir: env.dataDir });
    expect(env.collector.keys.activeKeyId).toBe(keyring.active);
    expect(await Promise.all(objects.map(digest))).toEqual(before);
    for (const id of ['s-3', 's-5'] as const) {
      const response = await call('GET', `/v1/sessions/${id}/events`);
      expect(response.status).toBe(200);
      const { events, records } = await readPlayback(response);
      expect(events.map((e) => e.timestamp)).toEqual(SESSIONS[id].events.map((e) => e.timestamp));
      expect(records.at(-1)).toMatchObject({ stream: 'end', skipped: 0 });
    }
  });

  it('retention removes index rows and keys with the objects', async () => {
    expect(await objectsOf('s-3')).toHaveLength(2);
    expect(await env.plugin.sweep(Date.now())).toBe(0);
    const removed = await env.plugin.sweep(Date.now() + 31 * 86_400_000);
    expect(removed).toBe(2);
    expect(await objectsOf('s-3')).toEqual([]);
    expect(await objectsOf('s-5')).toEqual([]);
    expect(await env.collector.dataKeyStore.listSession('shop', 's-3')).toEqual([]);
    expect(await env.plugin.index.db.selectFrom('sessions').select('session_id').execute()).toEqual([]);
    const audit = await env.plugin.index.db
      .selectFrom('audit_log')
      .select(['actor_type', 'session_id'])
      .where('action', '=', 'retention.delete')
      .execute();
    expect(audit.map((a) => `${a.actor_type} ${a.session_id}`).sort()).toEqual(['system s-3', 'system s-5']);
  });
});
