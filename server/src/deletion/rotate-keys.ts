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
export async function rotateKeyEncryptionKey(
  keyring: RotatableKeyProvider,
  dataKeyStore: DataKeyStore,
  options: RewrapOptions = {},
): Promise<RotationResult> {
  const activeKeyId = await keyring.rotate();
  const rewrapped = await rewrapDataKeys(keyring, dataKeyStore, options);
  return { activeKeyId, rewrapped, unusedKeyIds: await unusedKeyIds(keyring, dataKeyStore) };
}

export interface RewrapOptions {
  /**
   * Whether a deletion of the session was recorded (its tombstone, looked up in the store, not a
   * cache). A deletion writes its tombstone before it deletes the keys.
   */
  isDeleted?: (project: string, sessionId: string) => Promise<boolean>;
}

/**
 * Rewraps every data key not yet under the active KEK, and only keys that still exist: a session
 * deleted while the rotation runs must not get its key written back. The key is read again right
 * before its rewrap is written, and after the write the session's tombstone is looked up: a
 * deletion that removed the key between the read and the write wrote its tombstone before, so it
 * is seen here and the written key is deleted again.
 */
export async function rewrapDataKeys(
  keyring: KeyProvider,
  dataKeyStore: DataKeyStore,
  options: RewrapOptions = {},
): Promise<number> {
  let rewrapped = 0;
  for await (const listed of dataKeyStore.list()) {
    if (listed.kekId === keyring.activeKeyId) continue;
    const key = await dataKeyStore.get(listed.project, listed.sessionId, listed.id);
    if (!key || key.kekId === keyring.activeKeyId) continue;
    await dataKeyStore.put(await keyring.rewrap(key));
    if (await options.isDeleted?.(key.project, key.sessionId)) {
      await dataKeyStore.delete(key.project, key.sessionId);
      continue;
    }
    rewrapped++;
  }
  return rewrapped;
}

export async function unusedKeyIds(keyring: RotatableKeyProvider, dataKeyStore: DataKeyStore): Promise<string[]> {
  const used = await dataKeysPerKek(dataKeyStore);
  return keyring.keyIds.filter((id) => id !== keyring.activeKeyId && !used.has(id));
}

/** How many stored data keys each KEK wraps. */
export async function dataKeysPerKek(dataKeyStore: DataKeyStore): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const key of dataKeyStore.list()) counts.set(key.kekId, (counts.get(key.kekId) ?? 0) + 1);
  return counts;
}

/**
 * Removes an old KEK from the keyring, refusing while any data key is still wrapped by it
 * (those sessions would become unreadable) unless `force`. Returns how many data keys it still
 * wrapped (0 unless forced). A collector still running with the old keyring in memory may wrap
 * new data keys with the old KEK: restart every node after `rotate`, then retire.
 */
export async function retireKeyEncryptionKey(
  keyring: RotatableKeyProvider,
  dataKeyStore: DataKeyStore,
  id: string,
  options: { force?: boolean; where?: string } = {},
): Promise<{ stillWrapped: number }> {
  if (!keyring.keyIds.includes(id)) throw new CollectorError('unknown_kek', 404, `KEK "${id}" is not in the keyring.`);
  if (id === keyring.activeKeyId)
    throw new CollectorError(
      'key_in_use',
      409,
      `KEK "${id}" is the active key: run "reprise-collector keys rotate" first, restart every collector, then retire it.`,
    );
  const stillWrapped = (await dataKeysPerKek(dataKeyStore)).get(id) ?? 0;
  if (stillWrapped > 0 && !options.force) {
    throw new CollectorError(
      'key_in_use',
      409,
      `KEK "${id}" still wraps ${stillWrapped} data key(s)${options.where ? ` in ${options.where}` : ''}: retiring it would make those sessions unreadable. Run "reprise-collector keys rotate" first (it rewraps them under the active key), restart every collector, then retire it. --force retires it anyway.`,
    );
  }
  await keyring.retire(id);
  return { stillWrapped };
}
