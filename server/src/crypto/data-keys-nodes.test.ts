/**
 * Two collector nodes (two DataKeyService instances) over one data-key store: a session deleted
 * on one node stops being written and read under its deleted key on the other within the
 * documented bound (DEFAULT_KEY_RECHECK_MS), without a look-up per use before that.
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { DataKeyService, DEFAULT_KEY_RECHECK_MS, ObjectDataKeyStore } from './data-keys.js';
import { FileKeyring } from './keyring.js';
import type { DataKeyStore } from './types.js';
import { FolderObjectStore } from '../store/folder-store.js';
import { tempDir } from '@reprise/test-support/process';

/** A keyring and a shared key store, with the store's `method` calls counted. */
async function sharedKeys(name: string, method: 'get' | 'listSession') {
  const dir = tempDir(name);
  const { keyring } = await FileKeyring.load(join(dir, 'keyring.json'));
  const shared = new ObjectDataKeyStore(new FolderObjectStore(join(dir, 'keys')));
  const calls = { count: 0 };
  const counting: DataKeyStore = Object.create(shared, {
    [method]: {
      value: (...args: [string, string, string]) => {
        calls.count++;
        return (shared[method] as (...a: string[]) => unknown)(...args);
      },
    },
  });
  return { keyring, shared, counting, calls };
}

test('a key shredded on node A is not used on node B past the re-check bound; B looks the record up once per bound', async () => {
  const { keyring, shared, counting, calls } = await sharedKeys('data-keys-nodes', 'get');
  let clock = 1_000_000;
  const nodeA = new DataKeyService(keyring, shared, { now: () => clock });
  const nodeB = new DataKeyService(keyring, counting, { now: () => clock });
  const session = { project: 'shop', sessionId: 's-1' };

  const written = await nodeB.forWriting(session);
  expect((await nodeB.forReading('shop', 's-1', written.id)).key.equals(written.key)).toBe(true);
  expect((await nodeA.forWriting(session)).id).toBe(written.id);

  // Within the bound, B uses its cache without a look-up.
  clock += DEFAULT_KEY_RECHECK_MS / 2;
  calls.count = 0;
  expect((await nodeB.forWriting(session)).id).toBe(written.id);
  expect(calls.count).toBe(0);
  // Past it, one look-up finds the record still there and the key is kept for another bound.
  clock += DEFAULT_KEY_RECHECK_MS;
  expect((await nodeB.forWriting(session)).id).toBe(written.id);
  expect(calls.count).toBe(1);
  expect((await nodeB.forWriting(session)).id).toBe(written.id);
  expect(calls.count).toBe(1);

  // Node A deletes the session (crypto-shredding). B may go on for at most the bound...
  await nodeA.shred('shop', 's-1');
  expect(await shared.listSession('shop', 's-1')).toEqual([]);
  clock += DEFAULT_KEY_RECHECK_MS - 1;
  expect((await nodeB.forWriting(session)).id).toBe(written.id);
  // ...then it no longer reads under the deleted key, and new data gets a new, stored key.
  clock += DEFAULT_KEY_RECHECK_MS;
  await expect(nodeB.forReading('shop', 's-1', written.id)).rejects.toMatchObject({ code: 'data_key_missing' });
  const next = await nodeB.forWriting(session);
  expect(next.id).not.toBe(written.id);
  expect(next.key.equals(written.key)).toBe(false);
  expect((await shared.listSession('shop', 's-1')).map((key) => key.id)).toEqual([next.id]);
});

test('forget() drops only the named session, not sessions whose id starts the same', async () => {
  const { keyring, counting, calls } = await sharedKeys('data-keys-forget', 'listSession');
  const service = new DataKeyService(keyring, counting);
  await service.forWriting({ project: 'shop', sessionId: 'ab' });
  await service.forWriting({ project: 'shop', sessionId: 'a' });
  calls.count = 0;
  service.forget('shop', 'a');
  await service.forWriting({ project: 'shop', sessionId: 'ab' });
  expect(calls.count).toBe(0);
  await service.forWriting({ project: 'shop', sessionId: 'a' });
  expect(calls.count).toBe(1);
});
