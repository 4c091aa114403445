import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { CollectorError } from '../errors.js';
import { FileKeyring, newKeyringFile } from './keyring.js';

const keyringJson = (...ids: [string, ...string[]]) => JSON.stringify(newKeyringFile(...ids));

test('the keyring from key material: JSON or base64, read-only, errors that never quote the material', async () => {
  const json = keyringJson('kek-a');
  expect(FileKeyring.fromMaterial(json).activeKeyId).toBe('kek-a');
  const fromBase64 = FileKeyring.fromMaterial(Buffer.from(json).toString('base64'));
  expect(fromBase64.activeKeyId).toBe('kek-a');
  await expect(fromBase64.rotate()).rejects.toMatchObject({ code: 'keyring_read_only' });
  const secret = randomBytes(32).toString('base64');
  let error: unknown;
  try {
    FileKeyring.fromMaterial(`{"version":1,"active":"x","keys":[{"id":"x","key":"${secret}"`);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(CollectorError);
  expect((error as Error).message).toMatch(/REPRISE_KEYRING_JSON is not valid JSON/);
  expect((error as Error).message).not.toContain(secret.slice(0, 12));
});
