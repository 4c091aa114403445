import { expect, test } from 'vitest';
import { FileKeyring, newKeyringFile } from '../crypto/keyring.js';
import { FolderObjectStore } from '../store/folder-store.js';
import { agreeOnActiveKey } from './active-key.js';
import { tempDir } from '@reprise/test-support/process';

const keyringJson = (...ids: [string, ...string[]]) => JSON.stringify(newKeyringFile(...ids));

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
