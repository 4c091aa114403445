/**
 * Encryption and storage under hostile or broken input: a damaged keyring never shows its key
 * material and keyring writes are atomic.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CollectorError } from '../../src/errors.js';
import { FileKeyring } from '../../src/crypto/keyring.js';
import { tempDir } from './helpers.js';

async function rejection(promise: Promise<unknown>): Promise<CollectorError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(CollectorError);
  return error as CollectorError;
}

describe('keyring file', () => {
  test('a damaged keyring is refused without quoting its key material', async () => {
    const path = join(tempDir('ring-bad'), 'keyring.json');
    const secret = 'c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWI=';
    // Unquoted base64: V8's JSON.parse message quotes the text around the fault.
    writeFileSync(path, `{"version":1,"active":"k1","keys":[{"id":"k1","createdAt":"x","key":${secret}}]}`, { mode: 0o600 });
    const error = await rejection(FileKeyring.load(path));
    expect(error.code).toBe('bad_keyring');
    const shown = `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`;
    for (let i = 0; i + 6 <= secret.length; i++) expect(shown, 'key material in the error').not.toContain(secret.slice(i, i + 6));

    writeFileSync(path, JSON.stringify({ version: 1, active: 'k1', keys: [
      { id: 'k1', createdAt: 'x', key: Buffer.alloc(32, 1).toString('base64') },
      { id: 'k1', createdAt: 'y', key: Buffer.alloc(32, 2).toString('base64') },
    ] }));
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
