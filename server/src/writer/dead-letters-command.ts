import { loadCommandConfig } from '../config.js';
import { withCommandDataKeys } from '../crypto/data-key-store-factory.js';
import { DataKeyService } from '../crypto/data-keys.js';
import { FileKeyring } from '../crypto/keyring.js';
import { DeadLetters, deadLetterStore } from './dead-letters.js';
import type { Subcommand } from '../subcommand.js';

export const DEAD_LETTERS_USAGE = `reprise-collector dead-letters <command> [flags]

  dead-letters list               batches the writer could not store even alone (key, batch, when, why)
  dead-letters retry <key>...     store these again, once the cause is fixed (a collector upgrade, an
  dead-letters retry --all        index back up); the running collector picks them up within seconds,
                                  or at its next start. One that fails again stays, with the new reason.

Dead letters live in <data dir>/dead-letters, or with REPRISE_LOG_BACKEND=nats in the JetStream
object store <REPRISE_NATS_STREAM>_DEAD_LETTERS (any node can list and retry them), encrypted under
their session's data key. Flags are
the collector's (--data-dir, --keyring, --keys-dir, ...; see reprise-collector --help): give the
command the settings the collector runs with.`;

/** `reprise-collector dead-letters ...`; returns the process exit code. */
export const runDeadLettersCommand: Subcommand = async (argv, env, print = console.log) => {
  const [command, ...rest] = argv;
  const all = command === 'retry' && rest.includes('--all');
  const keys =
    command === 'retry'
      ? rest.filter((arg) => !arg.startsWith('--') && !rest[rest.indexOf(arg) - 1]?.startsWith('--'))
      : [];
  const flags = command === 'retry' ? rest.filter((arg) => arg !== '--all' && !keys.includes(arg)) : rest;
  if (!command || !['list', 'retry'].includes(command) || (command === 'retry' && !all && keys.length === 0)) {
    print(DEAD_LETTERS_USAGE);
    return 2;
  }
  const config = loadCommandConfig(flags, env, DEAD_LETTERS_USAGE, print);
  if (typeof config === 'number') return config;
  const { keyring } = await FileKeyring.load(config.keyring);
  return withCommandDataKeys(config, async ({ dataKeyStore }) => {
    const store = deadLetterStore(config);
    const deadLetters = new DeadLetters({ store, dataKeys: new DataKeyService(keyring, dataKeyStore) });
    try {
      const letters = [];
      for await (const letter of deadLetters.list()) letters.push(letter);
      if (command === 'list') {
        if (letters.length === 0) print('[@reprise/collector] no dead letters');
        for (const letter of letters)
          print(
            `${letter.key}\t${letter.batch}\t${letter.at}\t${letter.retryRequested ? 'retry requested\t' : ''}${letter.reason}`,
          );
        return 0;
      }
      let code = 0;
      for (const key of all ? letters.map((letter) => letter.key) : keys) {
        if (await deadLetters.requestRetry(key)) print(`retry requested: ${key}`);
        else {
          print(`no dead letter ${key} (see reprise-collector dead-letters list)`);
          code = 1;
        }
      }
      return code;
    } finally {
      await store.close();
    }
  });
};
