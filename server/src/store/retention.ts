import type { LifecycleRule } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { CollectorError, errorMessage } from '../errors.js';
import { parseSegmentObjectKey } from './keys.js';
import type { DataKeyStore } from '../crypto/types.js';
import type { ObjectStore, RetentionRule } from './types.js';

const DAY_MS = 86_400_000;

const RULE_ID_PREFIX = 'reprise-retention-';

/**
 * One S3 lifecycle rule per project: move to an archive class after `archiveAfterDays`, expire
 * at `retentionDays`, and abort multipart uploads left incomplete for a day. The rule id names
 * the key prefix too, so collectors sharing a bucket under different prefixes keep apart.
 */
export function lifecycleRules(
  rules: readonly RetentionRule[],
  options: { prefix?: string; archiveStorageClass?: string } = {},
): LifecycleRule[] {
  return rules.map((rule) => {
    const archive = rule.archiveAfterDays !== undefined && rule.archiveAfterDays > 0 && rule.archiveAfterDays < rule.retentionDays;
    return {
      ID: `${RULE_ID_PREFIX}${options.prefix ?? ''}${rule.project}`,
      Status: 'Enabled',
      Filter: { Prefix: `${options.prefix ?? ''}${rule.project}/` },
      Expiration: { Days: rule.retentionDays },
      ...(archive ? { Transitions: [{ Days: rule.archiveAfterDays, StorageClass: (options.archiveStorageClass ?? 'GLACIER_IR') as 'GLACIER_IR' }] } : {}),
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    };
  });
}

/**
 * The bucket's lifecycle configuration with this collector's rules put in: S3 replaces the whole
 * configuration on every PUT, so the operator's own rules (and those of a collector under another
 * prefix) are carried over. A rule is this collector's when its id is a Reprise one and it
 * filters `{prefix}{project}/`; those from an earlier start (older id form, removed project) are
 * replaced.
 */
export function mergeLifecycleRules(existing: readonly LifecycleRule[], ours: readonly LifecycleRule[], prefix = ''): LifecycleRule[] {
  const isOurs = (rule: LifecycleRule) => {
    const filtered = rule.Filter?.Prefix;
    return rule.ID?.startsWith(RULE_ID_PREFIX) === true && filtered !== undefined && filtered.startsWith(prefix) && /^[A-Za-z0-9_-]+\/$/.test(filtered.slice(prefix.length));
  };
  return [...existing.filter((rule) => !isOurs(rule)), ...ours];
}

/** UTC midnight of the day `retentionDays` before `now`: objects from days before it are expired. */
function cutoffDay(now: number, retentionDays: number): string {
  return new Date(now - retentionDays * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The folder store's retention: delete every segment whose day folder is older than the
 * project's retention. Returns how many objects went.
 */
export async function sweepExpiredSegments(
  store: ObjectStore,
  rules: readonly RetentionRule[],
  options: { now?: number; logger?: Logger } = {},
): Promise<number> {
  const now = options.now ?? Date.now();
  let deleted = 0;
  for (const rule of rules) {
    const cutoff = cutoffDay(now, rule.retentionDays);
    for await (const object of store.list(`${rule.project}/`)) {
      const location = parseSegmentObjectKey(object.key);
      if (!location || location.day >= cutoff) continue;
      await store.delete(object.key);
      deleted++;
    }
  }
  if (deleted > 0) options.logger?.info({ deleted }, 'retention sweep deleted expired segments');
  return deleted;
}

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
  options: { now?: number; logger?: Logger; onShred?: (project: string, sessionId: string) => void; onDamaged?: (where: string, error: unknown) => void } = {},
): Promise<number> {
  const now = options.now ?? Date.now();
  const onDamaged = (where: string, error: unknown) => {
    options.logger?.error({ key: where, err: error }, '[@reprise/collector] retention skipped a damaged data key record: restore it from backup or delete it');
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
      options.logger?.error({ project: rule.project, err: error }, 'retention could not shred the expired data keys of a project; the other projects carry on');
      failures.push({ project: rule.project, error });
    }
  }
  if (shredded > 0) options.logger?.info({ sessions: shredded }, 'retention: deleted the data keys of expired sessions');
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
