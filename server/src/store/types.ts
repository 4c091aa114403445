import { CollectorError } from '../errors.js';

/**
 * Where encrypted segments (and, by default, wrapped data keys) live. Keys are `/`-separated
 * paths with no leading slash. Implementations: FolderObjectStore (default), S3ObjectStore.
 */
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ObjectStore {
  /** Human-readable location for logs, e.g. `folder:/srv/reprise/objects` or `s3://bucket`. */
  readonly description: string;
  /** Store bytes atomically: a reader sees the whole object or none of it. Overwrites. */
  put(key: string, body: Uint8Array, options?: { contentType?: string }): Promise<void>;
  /**
   * The object's bytes, or `undefined` when there is no such key. With `maxBytes`, a larger
   * object is refused (CollectorError `object_too_large`) before it is read into memory.
   */
  get(key: string, options?: { maxBytes?: number }): Promise<Uint8Array | undefined>;
  exists(key: string): Promise<boolean>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Remove one object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Per-project retention (days). `archiveAfterDays` only means something for S3 (storage-class transition). */
export interface RetentionRule {
  project: string;
  retentionDays: number;
  archiveAfterDays?: number;
}

/** What `ObjectStore.get` throws for an object over its `maxBytes`. */
export function objectTooLarge(key: string, size: number, maxBytes: number): CollectorError {
  return new CollectorError(
    'object_too_large',
    422,
    `Object ${key.slice(0, 200)} is ${size} bytes, over the ${maxBytes} bytes allowed for it: refused unread.`,
  );
}
