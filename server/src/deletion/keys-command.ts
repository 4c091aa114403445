import { loadConfig } from '../config.js';
import { ObjectDataKeyStore } from '../crypto/data-keys.js';
import { FileKeyring } from '../crypto/keyring.js';
import { CollectorError } from '../errors.js';
import { FolderObjectStore } from '../store/folder-store.js';
import { retireKeyEncryptionKey, rotateKeyEncryptionKey, unusedKeyIds } from './rotate-keys.js';

export const KEYS_USAGE = `reprise-collector keys <command> [flags]

  keys rotate        a new key-encryption key becomes active; every data key is rewrapped under it
                     (no object is re-encrypted). Restart running collectors afterwards.
  keys retire <id>   remove an old key-encryption key that no data key uses any more
  keys list          the keyring's keys, the active one, and which are unused

Flags are the collector's (--data-dir, --keyring, --keys-dir; see reprise-collector --help).`;

/** `reprise-collector keys ...`; returns the process exit code. */
export async function runKeysCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  print: (line: string) => void = console.log,
): Promise<number> {
  const [command, ...rest] = argv;
  const retireId = command === 'retire' ? rest[0] : undefined;
  const flags = command === 'retire' ? rest.slice(1) : rest;
  if (!command || !['rotate', 'retire', 'list'].includes(command) || (command === 'retire' && (!retireId || retireId.startsWith('-')))) {
    print(KEYS_USAGE);
    return 2;
  }
  const loaded = loadConfig({ env, argv: flags });
  if (loaded.help) {
    print(KEYS_USAGE);
    return 0;
  }
  const { config } = loaded;
  const { keyring, created } = await FileKeyring.load(config.keyring);
  if (created) print(`[@reprise/collector] note: no keyring existed at ${config.keyring}; created a new one.`);
  const dataKeyStore = new ObjectDataKeyStore(new FolderObjectStore(config.keysDir));
  try {
    if (command === 'rotate') {
      const result = await rotateKeyEncryptionKey(keyring, dataKeyStore);
      print(`[@reprise/collector] active key-encryption key: ${result.activeKeyId}`);
      print(`  rewrapped ${result.rewrapped} data key(s) in ${config.keysDir}; no object was re-encrypted`);
      if (result.unusedKeyIds.length > 0) {
        print(`  no longer used: ${result.unusedKeyIds.join(', ')}. Restart every collector, then: reprise-collector keys retire <id>`);
      }
    } else if (command === 'retire') {
      await retireKeyEncryptionKey(keyring, dataKeyStore, retireId!);
      print(`[@reprise/collector] retired key-encryption key ${retireId} from ${config.keyring}`);
    } else {
      const unused = new Set(await unusedKeyIds(keyring, dataKeyStore));
      for (const id of keyring.keyIds) print(`${id}${id === keyring.activeKeyId ? '  (active)' : unused.has(id) ? '  (unused)' : ''}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof CollectorError) {
      print(error.message);
      return 1;
    }
    throw error;
  } finally {
    await dataKeyStore.store.close();
  }
}
