/**
 * Key rotation racing with deletion: a session deleted while `keys rotate` runs must not get its
 * data key written back by the rewrap (that would make its objects readable again).
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { DataKeyService, ObjectDataKeyStore } from '../crypto/data-keys.js';
import { FileKeyring } from '../crypto/keyring.js';
import type { DataKeyStore } from '../crypto/types.js';
import { rotateKeyEncryptionKey } from './rotate-keys.js';
import { TombstoneStore } from './tombstones.js';
import { FolderObjectStore } from '../store/folder-store.js';
import { tempDir } from '@reprise/test-support/process';

test('rotation rewraps only keys that still exist: a key deleted before its rewrap is skipped, one deleted during it is removed again', async () => {
  const dir = tempDir('rotate-race');
  const { keyring } = await FileKeyring.load(join(dir, 'keyring.json'));
  const objects = new FolderObjectStore(join(dir, 'keys'));
  const store = new ObjectDataKeyStore(objects);
  const tombstones = new TombstoneStore(objects);
  const service = new DataKeyService(keyring, store);
  for (const sessionId of ['kept', 'gone-before', 'gone-during']) await service.forWriting({ project: 'p', sessionId });

  // A deletion as the jobs run it: tombstone first, then the keys.
  const remove = async (sessionId: string) => {
    await tombstones.create({ project: 'p', sessionId, reason: 'request', by: 'test' });
    await store.delete('p', sessionId);
  };
  // The deletions land right after the rotation listed the keys, and between its read and its write.
  const racing: DataKeyStore = {
    get: async (project, sessionId, id) => {
      if (sessionId === 'gone-before') await remove(sessionId);
      const key = await store.get(project, sessionId, id);
      if (sessionId === 'gone-during') await remove(sessionId);
      return key;
    },
    listSession: (project, sessionId) => store.listSession(project, sessionId),
    put: (key) => store.put(key),
    delete: (project, sessionId) => store.delete(project, sessionId),
    list: (project, options) => store.list(project, options),
  };
  const result = await rotateKeyEncryptionKey(keyring, racing, {
    isDeleted: (project, sessionId) => tombstones.recorded(project, sessionId),
  });

  expect(result.rewrapped).toBe(1);
  expect(await store.listSession('p', 'gone-before')).toEqual([]);
  expect(await store.listSession('p', 'gone-during')).toEqual([]);
  const [kept] = await store.listSession('p', 'kept');
  expect(kept!.kekId).toBe(result.activeKeyId);
});
