import type { LifecycleRule } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { parseSegmentObjectKey } from './keys.js';
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
    const archive =
      rule.archiveAfterDays !== undefined && rule.archiveAfterDays > 0 && rule.archiveAfterDays < rule.retentionDays;
    return {
      ID: `${RULE_ID_PREFIX}${options.prefix ?? ''}${rule.project}`,
      Status: 'Enabled',
      Filter: { Prefix: `${options.prefix ?? ''}${rule.project}/` },
      Expiration: { Days: rule.retentionDays },
      ...(archive
        ? {
            Transitions: [
              {
                Days: rule.archiveAfterDays,
                StorageClass: (options.archiveStorageClass ?? 'GLACIER_IR') as 'GLACIER_IR',
              },
            ],
          }
        : {}),
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
export function mergeLifecycleRules(
  existing: readonly LifecycleRule[],
  ours: readonly LifecycleRule[],
  prefix = '',
): LifecycleRule[] {
  const isOurs = (rule: LifecycleRule) => {
    const filtered = rule.Filter?.Prefix;
    return (
      rule.ID?.startsWith(RULE_ID_PREFIX) === true &&
      filtered !== undefined &&
      filtered.startsWith(prefix) &&
      /^[A-Za-z0-9_-]+\/$/.test(filtered.slice(prefix.length))
    );
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
