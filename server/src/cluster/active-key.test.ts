import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { FileKeyring } from '../crypto/keyring.js';
import { FolderObjectStore } from '../store/folder-store.js';
import { agreeOnActiveKey } from './active-key.js';
import { tempDir } from '@reprise/test-support/process';

function keyringJson(...ids: string[]): string {
  return JSON.stringify({
    version: 1,
    active: ids[ids.length - 1],
    keys: ids.map((id) => ({ id, createdAt: new Date().toISOString(), key: randomBytes(32).toString('base64') })),
  });
}

test('nodes agree on the active key: the first records it, a stranger is refused by name, a rotated keyring moves it', async () => {
  const shared = new FolderObjectStore(tempDir('active-key'));
  const first = FileKeyring.fromMaterial(keyringJson('kek-one'));
  expect(await agreeOnActiveKey(shared, first, 'n1')).toEqual({});
  expect(await agreeOnActiveKey(shared, first, 'n2')).toEqual({});
  const stranger = FileKeyring.fromMaterial(keyringJson('kek-other'));
  await expect(agreeOnActiveKey(shared, stranger, 'n3')).rejects.toThrow(
    /active key-encryption key is "kek-other", but the other collector nodes use "kek-one" \(recorded by node n1/,
  );
  const rotated = FileKeyring.fromMaterial(keyringJson('kek-one', 'kek-two'));
  expect(await agreeOnActiveKey(shared, rotated, 'n1')).toEqual({ previous: 'kek-one' });
  // Now the old keyring is the stranger.
  await expect(agreeOnActiveKey(shared, first, 'n2')).rejects.toMatchObject({ code: 'active_key_mismatch' });
});
