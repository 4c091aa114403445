import { loadCommandConfig } from '../config.js';
import { withCommandDataKeys } from '../crypto/data-key-store-factory.js';
import { FileKeyring } from '../crypto/keyring.js';
import { CollectorError } from '../errors.js';
import { retireKeyEncryptionKey, rotateKeyEncryptionKey, unusedKeyIds } from './rotate-keys.js';
import { TombstoneStore } from './tombstones.js';
import type { Subcommand } from '../subcommand.js';

export const KEYS_USAGE = `reprise-collector keys <command> [flags]

  keys rotate        a new key-encryption key becomes active; every data key is rewrapped under it
                     (no object is re-encrypted). Restart running collectors afterwards.
  keys retire <id>   remove an old key-encryption key that no data key uses any more; refused while
                     data keys are still wrapped by it (run keys rotate first). --force retires it
                     anyway: the sessions of those data keys can never be read again.
  keys list          the keyring's keys, the active one, and which are unused

Flags are the collector's (--data-dir, --keyring, --keys-dir, --keys-s3-bucket, --keys-s3-prefix,
--s3-endpoint, --s3-region, --s3-force-path-style; see reprise-collector --help), and the same
REPRISE_* environment variables: give the command exactly the settings the collector runs with,
or it looks for data keys in the wrong place.`;

/** `reprise-collector keys ...`; returns the process exit code. */
export const runKeysCommand: Subcommand = async (argv, env, print = console.log) => {
  const [command, ...rest] = argv;
  const retireId = command === 'retire' ? rest[0] : undefined;
  const force = command === 'retire' && rest.includes('--force');
  const flags = (command === 'retire' ? rest.slice(1) : rest).filter(
    (arg) => !(command === 'retire' && arg === '--force'),
  );
  if (
    !command ||
    !['rotate', 'retire', 'list'].includes(command) ||
    (command === 'retire' && (!retireId || retireId.startsWith('-')))
  ) {
    print(KEYS_USAGE);
    return 2;
  }
  const config = loadCommandConfig(flags, env, KEYS_USAGE, print);
  if (typeof config === 'number') return config;
  const { keyring, created } = await FileKeyring.load(config.keyring);
  if (created) print(`[@reprise/collector] note: no keyring existed at ${config.keyring}; created a new one.`);
  try {
    return await withCommandDataKeys(config, async ({ dataKeyStore, objects }) => {
      if (command === 'rotate') {
        // Tombstones live beside the data keys: a session deleted during the rotation keeps no key.
        const tombstones = new TombstoneStore(objects);
        const result = await rotateKeyEncryptionKey(keyring, dataKeyStore, {
          isDeleted: (project, sessionId) => tombstones.recorded(project, sessionId),
        });
        print(`[@reprise/collector] active key-encryption key: ${result.activeKeyId}`);
        print(`  rewrapped ${result.rewrapped} data key(s) in ${objects.description}; no object was re-encrypted`);
        if (result.unusedKeyIds.length > 0) {
          print(
            `  no longer used: ${result.unusedKeyIds.join(', ')}. Restart every collector, then: reprise-collector keys retire <id>`,
          );
        }
      } else if (command === 'retire') {
        const { stillWrapped } = await retireKeyEncryptionKey(keyring, dataKeyStore, retireId!, {
          force,
          where: objects.description,
        });
        print(`[@reprise/collector] retired key-encryption key ${retireId} from ${config.keyring}`);
        if (stillWrapped > 0)
          print(
            `  forced: ${stillWrapped} data key(s) in ${objects.description} were wrapped by it; their sessions can no longer be read`,
          );
      } else {
        const unused = new Set(await unusedKeyIds(keyring, dataKeyStore));
        for (const id of keyring.keyIds)
          print(`${id}${id === keyring.activeKeyId ? '  (active)' : unused.has(id) ? '  (unused)' : ''}`);
      }
      return 0;
    });
  } catch (error) {
    if (error instanceof CollectorError) {
      print(error.message);
      return 1;
    }
    throw error;
  }
};
