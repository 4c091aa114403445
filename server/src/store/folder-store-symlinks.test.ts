/**
 * A symbolic link planted inside the folder store, as the object itself or as a folder above it,
 * must not make the collector read, write or delete files outside the store.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { FolderObjectStore } from './folder-store.js';
import { tempDir } from '@reprise/test-support/process';

const refused = { name: 'CollectorError', code: 'symlink_in_store' };

function storeWithPlantedLinks() {
  const parent = tempDir('folder-store-symlinks');
  const outside = join(parent, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'outside the store');
  const root = join(parent, 'store');
  mkdirSync(join(root, 'p'), { recursive: true });
  symlinkSync(join(outside, 'secret'), join(root, 'p', 'file-link'));
  symlinkSync(outside, join(root, 'p', 'folder-link'));
  writeFileSync(join(root, 'p', 'real'), 'inside');
  return { parent, outside, root, store: new FolderObjectStore(root) };
}

test('get and exists refuse a link as the object or as a folder above it', async () => {
  const { store } = storeWithPlantedLinks();
  for (const key of ['p/file-link', 'p/folder-link/secret']) {
    await expect(store.get(key), key).rejects.toMatchObject(refused);
    await expect(store.exists(key), key).rejects.toMatchObject(refused);
  }
  expect(Buffer.from((await store.get('p/real'))!).toString()).toBe('inside');
  expect(await store.exists('p/real')).toBe(true);
  expect(await store.get('p/absent')).toBeUndefined();
  expect(await store.exists('p/absent/deeper')).toBe(false);
});

test('put, delete and list do not pass through a linked folder', async () => {
  const { outside, store } = storeWithPlantedLinks();
  await expect(store.put('p/folder-link/planted', new Uint8Array([1]))).rejects.toMatchObject(refused);
  expect(existsSync(join(outside, 'planted'))).toBe(false);
  await expect(store.delete('p/folder-link/secret')).rejects.toMatchObject(refused);
  expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('outside the store');
  await expect(
    (async () => {
      for await (const object of store.list('p/folder-link/')) void object;
    })(),
  ).rejects.toMatchObject(refused);
  const listed: string[] = [];
  for await (const object of store.list('p/')) listed.push(object.key);
  expect(listed).toEqual(['p/real']);
  // Deleting a link object removes the link, never its target.
  await store.delete('p/file-link');
  expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('outside the store');
});

test('the store root itself may be a link', async () => {
  const { parent, root } = storeWithPlantedLinks();
  const linkedRoot = join(parent, 'linked-root');
  symlinkSync(root, linkedRoot);
  const store = new FolderObjectStore(linkedRoot);
  expect(Buffer.from((await store.get('p/real'))!).toString()).toBe('inside');
  await store.put('top', new Uint8Array([7]));
  expect([...(await store.get('top'))!]).toEqual([7]);
  await store.delete('top');
  expect(await store.exists('top')).toBe(false);
});
