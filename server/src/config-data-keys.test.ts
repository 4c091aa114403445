/**
 * Data keys sharing the segments' bucket: no project may own the keys' prefix, or its lifecycle
 * rule (expire at retention) would delete every project's data keys.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveConfig, type CollectorConfig } from './config.js';
import { CollectorError } from './errors.js';
import { lifecycleRules } from './store/retention.js';

const projects = (...ids: string[]) => JSON.stringify(ids.map((id) => ({ id, keys: [`key-${id}`] })));
const load = (env: Record<string, string>) => {
  const loaded = loadConfig({
    env: { REPRISE_STORE: 's3', REPRISE_S3_BUCKET: 'shared', REPRISE_KEYS_S3_BUCKET: 'shared', ...env },
    argv: [],
  });
  if (loaded.help) throw new Error('no help expected');
  return loaded.config;
};
const refusal = (attempt: () => unknown): string => {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(CollectorError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
};
/** Every accepted configuration: no lifecycle rule of a project covers the data keys. */
const expectNoRuleOverKeys = (config: CollectorConfig) => {
  if (config.keysS3Bucket !== config.s3Bucket) return;
  const rules = lifecycleRules(
    config.projectList.map((p) => ({ project: p.id, retentionDays: 30 })),
    { prefix: config.s3Prefix },
  );
  for (const rule of rules) expect(`${config.keysS3Prefix}x/y/z.json`.startsWith(rule.Filter!.Prefix!)).toBe(false);
};

describe("data keys in the objects' bucket", () => {
  it('refuses a project named like the keys prefix when the segments have no prefix, naming the fix', () => {
    const message = refusal(() => load({ REPRISE_PROJECTS: projects('shop', 'reprise-keys') }));
    expect(message).toMatch(/Project "reprise-keys" is named like the data keys' prefix/);
    expect(message).toMatch(/expire every project's data keys/);
    expect(message).not.toMatch(/Project "shop"/);
  });

  it('refuses the same through resolveConfig (embedding, tests)', () => {
    expect(
      refusal(() =>
        resolveConfig({
          store: 's3',
          s3Bucket: 'shared',
          keysS3Bucket: 'shared',
          projectList: [{ id: 'reprise-keys', keys: ['k'] }],
        }),
      ),
    ).toMatch(/Project "reprise-keys"/);
  });

  it('refuses a project under a nested keys prefix, and segments inside the keys prefix', () => {
    expect(
      refusal(() =>
        load({
          REPRISE_S3_PREFIX: 'reprise/',
          REPRISE_KEYS_S3_PREFIX: 'reprise/keys/',
          REPRISE_PROJECTS: projects('keys'),
        }),
      ),
    ).toMatch(/Project "keys"/);
    expect(
      refusal(() => load({ REPRISE_S3_PREFIX: 'reprise-keys/objects/', REPRISE_PROJECTS: projects('shop') })),
    ).toMatch(/is inside REPRISE_KEYS_S3_PREFIX/);
  });

  it('accepts the same project ids where the prefixes keep them apart', () => {
    for (const config of [
      load({ REPRISE_PROJECTS: projects('shop', 'blog') }),
      load({ REPRISE_S3_PREFIX: 'objects/', REPRISE_PROJECTS: projects('reprise-keys') }),
      load({ REPRISE_KEYS_S3_PREFIX: 'keys/', REPRISE_PROJECTS: projects('reprise-keys') }),
    ]) {
      expectNoRuleOverKeys(config);
    }
    expect(
      load({ REPRISE_KEYS_S3_BUCKET: 'keys-bucket', REPRISE_PROJECTS: projects('reprise-keys') }).projectList[0]!.id,
    ).toBe('reprise-keys');
    // Folder store: the segments are not in the bucket at all.
    expect(
      loadConfig({ env: { REPRISE_KEYS_S3_BUCKET: 'shared', REPRISE_PROJECTS: projects('reprise-keys') }, argv: [] })
        .help,
    ).toBe(false);
  });
});
