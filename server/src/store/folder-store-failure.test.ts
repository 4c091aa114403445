/** A put that fails part-way leaves nothing behind: the writer retries puts, and each retry must not leak a temp file. */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { FolderObjectStore } from './folder-store.js';
import { tempDir } from '@reprise/test-support/process';

test('a failed put removes its temp file and the next put succeeds', async () => {
  const root = tempDir('folder-store-failure');
  const store = new FolderObjectStore(root);
  // The target path is a non-empty folder: the final rename fails after the temp file was written.
  mkdirSync(join(root, 'p', 'blocked', 'inside'), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++)
    await expect(store.put('p/blocked', new Uint8Array(4096))).rejects.toThrow();
  expect(readdirSync(join(root, 'p')).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
  await store.put('p/fine', new Uint8Array([1, 2, 3]));
  expect([...(await store.get('p/fine'))!]).toEqual([1, 2, 3]);
});
