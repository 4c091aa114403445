import { CollectorError } from '../errors.js';
import type { DataKeyStore, KeyProvider } from '../crypto/types.js';

/** A key provider whose key-encryption keys can be rotated and retired (the local keyring). */
export interface RotatableKeyProvider extends KeyProvider {
  readonly keyIds: string[];
  rotate(): Promise<string>;
  retire(id: string): Promise<void>;
}

export interface RotationResult {
  /** The new active key-encryption key. */
  activeKeyId: string;
  /** Data keys rewrapped under it. */
  rewrapped: number;
  /** Older KEKs no data key uses any more: safe to retire once every collector node reloaded the keyring. */
  unusedKeyIds: string[];
}

/**
 * `reprise-collector keys rotate`: a new KEK becomes active and every stored data key is
 * rewrapped under it. Objects are never touched: they are encrypted with the data keys, which do
 * not change. Rewrapping is idempotent, so an interrupted rotation is finished by running
 * `rewrapDataKeys` (or the rotation) again.
 */
export async function rotateKeyEncryptionKey(keyring: RotatableKeyProvider, dataKeyStore: DataKeyStore): Promise<RotationResult> {
  const activeKeyId = await keyring.rotate();
  const rewrapped = await rewrapDataKeys(keyring, dataKeyStore);
  return { activeKeyId, rewrapped, unusedKeyIds: await unusedKeyIds(keyring, dataKeyStore) };
}

/** Rewraps every data key not yet under the active KEK. */
export async function rewrapDataKeys(keyring: KeyProvider, dataKeyStore: DataKeyStore): Promise<number> {
  let rewrapped = 0;
  for await (const key of dataKeyStore.list()) {
    if (key.kekId === keyring.activeKeyId) continue;
    await dataKeyStore.put(await keyring.rewrap(key));
    rewrapped++;
  }
  return rewrapped;
}

export async function unusedKeyIds(keyring: RotatableKeyProvider, dataKeyStore: DataKeyStore): Promise<string[]> {
  const used = new Set<string>();
  for await (const key of dataKeyStore.list()) used.add(key.kekId);
  return keyring.keyIds.filter((id) => id !== keyring.activeKeyId && !used.has(id));
}

/**
 * Removes an old KEK from the keyring, refusing while any data key is still wrapped by it
 * (that session would become unreadable). A collector still running with the old keyring in
 * memory may wrap new data keys with the old KEK: restart every node after `rotate`, then retire.
 */
export async function retireKeyEncryptionKey(keyring: RotatableKeyProvider, dataKeyStore: DataKeyStore, id: string): Promise<void> {
  if (!keyring.keyIds.includes(id)) throw new CollectorError('unknown_kek', 404, `KEK "${id}" is not in the keyring.`);
  if (!(await unusedKeyIds(keyring, dataKeyStore)).includes(id)) {
    throw new CollectorError('key_in_use', 409, `KEK "${id}" still wraps data keys (or is active); run "keys rotate" and restart every collector first.`);
  }
  await keyring.retire(id);
}
