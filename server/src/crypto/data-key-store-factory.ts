import type { CollectorConfig } from '../config.js';
import { FolderObjectStore } from '../store/folder-store.js';
import { S3ObjectStore } from '../store/s3-store.js';
import type { ObjectStore } from '../store/types.js';
import { ObjectDataKeyStore } from './data-keys.js';

/** The settings that say where wrapped data keys live. */
export type DataKeyStoreConfig = Pick<
  CollectorConfig,
  'keysDir' | 'keysS3Bucket' | 'keysS3Prefix' | 's3Region' | 's3Endpoint' | 's3ForcePathStyle' | 's3CreateBucket'
>;

export interface ConfiguredDataKeyStore {
  dataKeyStore: ObjectDataKeyStore;
  /** The object store under it: `REPRISE_KEYS_S3_BUCKET` when set, else the `REPRISE_KEYS_DIR` folder. */
  objects: ObjectStore;
  /** Set when the keys are in S3: `open()` it before use (checks the bucket answers). */
  s3?: S3ObjectStore;
}

/**
 * The data-key store the configuration names. The collector and `reprise-collector keys` must
 * both use this: a key command that looked at the local folder while the collector keeps its
 * keys in S3 rewrapped nothing on rotate, and retire then removed a key that still wrapped every
 * data key.
 */
export function createConfiguredDataKeyStore(
  config: DataKeyStoreConfig,
  options: { createBucket?: boolean } = {},
): ConfiguredDataKeyStore {
  if (!config.keysS3Bucket) {
    const objects = new FolderObjectStore(config.keysDir);
    return { dataKeyStore: new ObjectDataKeyStore(objects), objects };
  }
  const s3 = new S3ObjectStore({
    bucket: config.keysS3Bucket,
    region: config.s3Region,
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
    forcePathStyle: config.s3ForcePathStyle,
    prefix: config.keysS3Prefix,
    createBucket: options.createBucket ?? config.s3CreateBucket,
  });
  return { dataKeyStore: new ObjectDataKeyStore(s3), objects: s3, s3 };
}

/**
 * Runs an operator command (`reprise-collector keys`, `dead-letters`) against the data keys the
 * configuration names: opened before `run`, closed after it whatever it did. A command never
 * creates the keys bucket: a missing bucket means a wrong setting, and "no data keys" read from it
 * would let `keys retire` remove a key-encryption key that is still in use.
 */
export async function withCommandDataKeys<T>(
  config: DataKeyStoreConfig,
  run: (keys: Omit<ConfiguredDataKeyStore, 's3'>) => Promise<T>,
): Promise<T> {
  const { dataKeyStore, objects, s3 } = createConfiguredDataKeyStore(config, { createBucket: false });
  try {
    await s3?.open();
    return await run({ dataKeyStore, objects });
  } finally {
    await objects.close();
  }
}
