import type { Logger } from 'pino';
import type { DataKeyStore } from '../crypto/types.js';
import { CollectorError, errorMessage } from '../errors.js';
import type { RetentionRule } from '../store/types.js';

const DAY_MS = 86_400_000;

/**
 * Crypto-shred sessions past retention: delete data keys created more than `retentionDays` (+1
 * day of grace for sessions that span midnight) ago. Runs for every store, so even where S3
 * lifecycle rules could not be set, expired sessions become unreadable on time.
 *
 * A damaged key record is logged, reported to `onDamaged` (the collector counts it in
 * `reprise_data_key_records_damaged_total`) and skipped: it must not stop the shredding of every
 * other session. A project whose keys cannot be listed or deleted does not stop the other
 * projects either; the failures are thrown together once every project had its turn.
 */
export async function shredExpiredDataKeys(
  keys: DataKeyStore,
  rules: readonly RetentionRule[],
  options: {
    now?: number;
    logger?: Logger;
    onShred?: (project: string, sessionId: string) => void;
    onDamaged?: (where: string, error: unknown) => void;
  } = {},
): Promise<number> {
  const now = options.now ?? Date.now();
  const onDamaged = (where: string, error: unknown) => {
    options.logger?.error(
      { key: where, err: error },
      '[@reprise/collector] retention skipped a damaged data key record: restore it from backup or delete it',
    );
    options.onDamaged?.(where, error);
  };
  let shredded = 0;
  const failures: { project: string; error: unknown }[] = [];
  for (const rule of rules) {
    try {
      const cutoff = now - (rule.retentionDays + 1) * DAY_MS;
      const expired = new Set<string>();
      for await (const key of keys.list(rule.project, { onDamaged })) {
        if (Date.parse(key.createdAt) < cutoff) expired.add(key.sessionId);
      }
      for (const sessionId of expired) {
        await keys.delete(rule.project, sessionId);
        options.onShred?.(rule.project, sessionId);
        shredded++;
      }
    } catch (error) {
      options.logger?.error(
        { project: rule.project, err: error },
        'retention could not shred the expired data keys of a project; the other projects carry on',
      );
      failures.push({ project: rule.project, error });
    }
  }
  if (shredded > 0)
    options.logger?.info({ sessions: shredded }, 'retention: deleted the data keys of expired sessions');
  if (failures.length > 0) {
    throw new CollectorError(
      'retention_failed',
      500,
      `Retention could not shred the expired data keys of ${failures.map((f) => `"${f.project}" (${errorMessage(f.error)})`).join(', ')}; ${shredded} session(s) of the other projects were shredded. The next sweep tries again.`,
      { cause: failures[0]!.error },
    );
  }
  return shredded;
}
