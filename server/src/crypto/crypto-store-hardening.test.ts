/**
 * Encryption and storage under hostile or broken input: a damaged keyring never shows its key
 * material, keyring writes are atomic, a data key record copied to another session is refused,
 * every flipped byte of a segment is a typed segment error, ids cannot walk out of the folder
 * store, and oversized objects are refused unread.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { CollectorError } from '../errors.js';
import { FileKeyring } from './keyring.js';
import { DataKeyService, ObjectDataKeyStore } from './data-keys.js';
import { FolderObjectStore } from '../store/folder-store.js';
import { segmentObjectKey } from '../store/keys.js';
import { sweepExpiredSegments } from '../store/retention.js';
import { readStoredSegment, MAX_SEGMENT_OBJECT_BYTES, type ReaderDeps } from '../segment/reader.js';
import { tempDir } from '@reprise/test-support/process';
import { folderReaderDeps, putTwoEventSegment } from '../../test/support/collector.js';

async function rejection(promise: Promise<unknown>): Promise<CollectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CollectorError);
  return error as CollectorError;
}

describe('keyring file', () => {
  test('a damaged keyring is refused without quoting its key material', async () => {
    const path = join(tempDir('ring-bad'), 'keyring.json');
    const secret = 'c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWI=';
    // Unquoted base64: V8's JSON.parse message quotes the text around the fault.
    writeFileSync(path, `{"version":1,"active":"k1","keys":[{"id":"k1","createdAt":"x","key":${secret}}]}`, {
      mode: 0o600,
    });
    const error = await rejection(FileKeyring.load(path));
    expect(error.code).toBe('bad_keyring');
    const shown = `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`;
    for (let i = 0; i + 6 <= secret.length; i++)
      expect(shown, 'key material in the error').not.toContain(secret.slice(i, i + 6));

    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        active: 'k1',
        keys: [
          { id: 'k1', createdAt: 'x', key: Buffer.alloc(32, 1).toString('base64') },
          { id: 'k1', createdAt: 'y', key: Buffer.alloc(32, 2).toString('base64') },
        ],
      }),
    );
    expect((await rejection(FileKeyring.load(path))).message).toMatch(/"k1" appears twice/);
  });

  test('first start by several processes at once yields one keyring; rotation leaves no key copies behind', async () => {
    const dir = tempDir('ring-race');
    const path = join(dir, 'keyring.json');
    const loads = await Promise.all(Array.from({ length: 8 }, () => FileKeyring.load(path)));
    expect(loads.filter((load) => load.created)).toHaveLength(1);
    expect(new Set(loads.map((load) => load.keyring.activeKeyId)).size).toBe(1);
    const keyring = loads[0]!.keyring;
    await keyring.rotate();
    await keyring.rotate();
    expect(readdirSync(dir)).toEqual(['keyring.json']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const reloaded = (await FileKeyring.load(path)).keyring;
    expect(reloaded.keyIds).toEqual(keyring.keyIds);
    expect(reloaded.activeKeyId).toBe(keyring.activeKeyId);

    // A failed write (here the rename: the path became a folder) leaves no temp copy of the keys.
    rmSync(path);
    mkdirSync(path);
    await expect(keyring.rotate()).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['keyring.json']);
  });
});

describe('data key records', () => {
  test('a record torn by a crash mid-write does not stop the session from being written: it gets another key', async () => {
    const dir = tempDir('dek-torn');
    const { keyring } = await FileKeyring.load(join(dir, 'keyring.json'));
    const store = new ObjectDataKeyStore(new FolderObjectStore(join(dir, 'keys')));
    const first = await new DataKeyService(keyring, store).forWriting({ project: 'p', sessionId: 's' });
    const recordPath = join(dir, 'keys', 'p', 's', `${first.id}.json`);
    // What a store that writes in place (s3rver) keeps of a PUT whose client was killed.
    writeFileSync(recordPath, readFileSync(recordPath).subarray(0, 40));

    const damaged: string[] = [];
    const restarted = new DataKeyService(keyring, store, { onDamagedKey: (where) => damaged.push(where) });
    const next = await restarted.forWriting({ project: 'p', sessionId: 's' });
    expect(next.id).not.toBe(first.id);
    expect(damaged).toEqual([`p/s/${first.id}.json`]);
    // Every node agrees on the key to write under: the readable one.
    expect((await new DataKeyService(keyring, store).forWriting({ project: 'p', sessionId: 's' })).id).toBe(next.id);
    // The torn record is still refused where it is named, and is left for deletion to remove.
    expect((await rejection(restarted.forReading('p', 's', first.id))).code).toBe('bad_data_key');
  });

  test('a record copied into another session is refused for reading, and never used for writing', async () => {
    const dir = tempDir('dek-copy');
    const { keyring } = await FileKeyring.load(join(dir, 'keyring.json'));
    const store = new ObjectDataKeyStore(new FolderObjectStore(join(dir, 'keys')));
    const service = new DataKeyService(keyring, store);
    const victim = await service.forWriting({ project: 'p', sessionId: 'victim' });
    mkdirSync(join(dir, 'keys', 'p', 'other'), { recursive: true });
    copyFileSync(
      join(dir, 'keys', 'p', 'victim', `${victim.id}.json`),
      join(dir, 'keys', 'p', 'other', `${victim.id}.json`),
    );

    const damaged: string[] = [];
    const fresh = new DataKeyService(keyring, store, { onDamagedKey: (where) => damaged.push(where) });
    expect((await rejection(fresh.forReading('p', 'other', victim.id))).code).toBe('bad_data_key');
    // Without the check the writer would encrypt "other" under the victim's key: it is reported
    // and passed over, and "other" gets a key of its own.
    const other = await fresh.forWriting({ project: 'p', sessionId: 'other' });
    expect(other.id).not.toBe(victim.id);
    expect(other.key.equals(victim.key)).toBe(false);
    expect(damaged).toEqual([`p/other/${victim.id}.json`]);
    expect((await fresh.forReading('p', 'victim', victim.id)).key.equals(victim.key)).toBe(true);

    // createdAt is not authenticated by the wrap; an unparsable one is refused, not used as a date.
    const recordPath = join(dir, 'keys', 'p', 'victim', `${victim.id}.json`);
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(recordPath, JSON.stringify({ ...record, createdAt: 'yesterday' }));
    const fresher = new DataKeyService(keyring, store);
    expect((await rejection(fresher.forReading('p', 'victim', victim.id))).code).toBe('bad_data_key');
    expect((await fresher.forWriting({ project: 'p', sessionId: 'victim' })).id).not.toBe(victim.id);
    // A huge object in its place is refused unread.
    writeFileSync(recordPath, JSON.stringify({ ...record, padding: 'x'.repeat(100_000) }));
    expect((await rejection(store.get('p', 'victim', victim.id))).message).toMatch(/larger than any data key record/);
  });
});

describe('stored segment', () => {
  let dir: string;
  let deps: ReaderDeps;
  let key: string;
  let original: Buffer;

  beforeAll(async () => {
    dir = tempDir('segment-bytes');
    deps = await folderReaderDeps(dir);
    ({ key, bytes: original } = await putTwoEventSegment(deps, {
      project: 'p',
      sessionId: 's',
      segment: '0000000000001-abcdef01',
    }));
  });

  test('every single flipped bit is a segment error, never plaintext and never a bad-request error', async () => {
    expect((await readStoredSegment(deps, key)).payload.batches).toHaveLength(1);
    const path = join(dir, 'objects', ...key.split('/'));
    try {
      for (let position = 0; position < original.byteLength; position++) {
        for (const bit of [0x01, 0x80]) {
          const tampered = Buffer.from(original);
          tampered[position] = tampered[position]! ^ bit;
          writeFileSync(path, tampered);
          const error = await rejection(readStoredSegment(deps, key));
          expect(error.code, `byte ${position} ^ ${bit}: ${error.message}`).toMatch(/^segment_(tampered|corrupt)$/);
          expect(error.status).toBe(422);
        }
      }
      // An unknown payload encoding is named as such, not reported as a failed decryption.
      const otherEncoding = Buffer.from(original);
      otherEncoding[5] = 3;
      writeFileSync(path, otherEncoding);
      await expect(readStoredSegment(deps, key)).rejects.toThrow(/payload encoding 3/);
    } finally {
      writeFileSync(path, original);
    }
    expect((await readStoredSegment(deps, key)).payload.batches).toHaveLength(1);
  });

  test('an object larger than any segment is refused without being read', async () => {
    const bigKey = segmentObjectKey({
      project: 'p',
      sessionId: 's',
      segment: '0000000000002-abcdef02',
      at: Date.now(),
    });
    const path = join(dir, 'objects', ...bigKey.split('/'));
    writeFileSync(path, original);
    truncateSync(path, MAX_SEGMENT_OBJECT_BYTES + 1); // sparse: no disk used
    const before = process.memoryUsage().arrayBuffers;
    const error = await rejection(readStoredSegment(deps, bigKey));
    expect(error.code).toBe('segment_corrupt');
    expect(error.message).toMatch(/larger than any segment/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    await deps.store.delete(bigKey);
  });
});

describe('folder store paths', () => {
  test('project and session ids cannot reach outside the store', async () => {
    const parent = tempDir('traversal');
    const store = new FolderObjectStore(join(parent, 'keys'));
    const keyStore = new ObjectDataKeyStore(store);
    mkdirSync(join(parent, 'outside', 'dir'), { recursive: true });
    writeFileSync(join(parent, 'outside', 'dir', 'victim.json'), 'keep me');
    await store.put('p/s/x.json', Buffer.from('{}'));

    await expect(async () => {
      for await (const _ of store.list('../outside/')) void _;
    }).rejects.toMatchObject({ code: 'bad_object_key' });
    await expect(async () => {
      for await (const _ of store.list('p/../../outside/')) void _;
    }).rejects.toMatchObject({ code: 'bad_object_key' });
    await expect(keyStore.delete('..', 'outside')).rejects.toMatchObject({ code: 'bad_key_element' });
    await expect(keyStore.delete('p', '../../outside')).rejects.toMatchObject({ code: 'bad_key_element' });
    await expect(store.put('../outside/dir/victim.json', Buffer.from('x'))).rejects.toMatchObject({
      code: 'bad_object_key',
    });
    expect(readFileSync(join(parent, 'outside', 'dir', 'victim.json'), 'utf8')).toBe('keep me');
    const listed: string[] = [];
    for await (const object of store.list('p/')) listed.push(object.key);
    expect(listed).toEqual(['p/s/x.json']);
  });

  test('the retention sweep leaves no empty session or day folders behind', async () => {
    const root = join(tempDir('sweep-folders'), 'objects');
    const store = new FolderObjectStore(root);
    const now = Date.UTC(2026, 10, 23);
    const at = (days: number) => now - days * 86_400_000;
    const oldA = segmentObjectKey({ project: 'p', sessionId: 'a', segment: '0000000000001-aaaaaaaa', at: at(40) });
    const oldB = segmentObjectKey({ project: 'p', sessionId: 'b', segment: '0000000000001-bbbbbbbb', at: at(40) });
    const recent = segmentObjectKey({ project: 'p', sessionId: 'c', segment: '0000000000001-cccccccc', at: at(2) });
    for (const key of [oldA, oldB, recent]) await store.put(key, Buffer.from('x'));
    expect(await sweepExpiredSegments(store, [{ project: 'p', retentionDays: 30 }], { now })).toBe(2);
    // The old day's folders went with their last object; the recent one's stay.
    expect(existsSync(join(root, ...oldA.split('/').slice(0, 4)))).toBe(false);
    expect(readdirSync(join(root, ...recent.split('/').slice(0, -1)))).toEqual([recent.split('/').at(-1)]);
    await store.delete(recent);
    expect(readdirSync(root)).toEqual([]);
    // A put into a folder a delete removed recreates it.
    await store.put(oldA, Buffer.from('again'));
    expect(Buffer.from((await store.get(oldA))!).toString()).toBe('again');
  });

  test('get with maxBytes refuses a larger object', async () => {
    const store = new FolderObjectStore(tempDir('max-bytes'));
    await store.put('a/b', Buffer.alloc(100, 1));
    expect((await store.get('a/b', { maxBytes: 100 }))!.byteLength).toBe(100);
    await expect(store.get('a/b', { maxBytes: 99 })).rejects.toMatchObject({ code: 'object_too_large' });
  });
});
