import { z } from 'zod';
import { CollectorError } from '../errors.js';
import { assertSafeElement } from '../store/keys.js';
import type { ObjectStore } from '../store/types.js';
import type { DataKeyContext, DataKeyListOptions, DataKeyStore, KeyProvider, WrappedDataKey } from './types.js';

const wrappedDataKeySchema = z.object({
  v: z.literal(1),
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  project: z.string(),
  sessionId: z.string(),
  kekId: z.string(),
  nonce: z.string(),
  wrapped: z.string(),
  // Not covered by the wrap's associated data, yet it picks the day folder of every segment of the
  // session and when retention shreds it: an unparsable value filed segments under "NaN/NaN/NaN"
  // (invisible to readers) and never expired.
  createdAt: z.iso.datetime(),
});

const MAX_RECORD_BYTES = 64 * 1024;

/**
 * Wrapped data keys as small JSON objects `{project}/{sessionId}/{dataKeyId}.json` in an object
 * store of their own (a folder by default, or another bucket / prefix): apart from the segments.
 */
export class ObjectDataKeyStore implements DataKeyStore {
  readonly store: ObjectStore;

  constructor(store: ObjectStore) {
    this.store = store;
  }

  private keyOf(project: string, sessionId: string, id: string): string {
    assertSafeElement('project', project);
    assertSafeElement('sessionId', sessionId);
    assertSafeElement('data key id', id);
    return `${project}/${sessionId}/${id}.json`;
  }

  /**
   * A record must be the one its path names: the unwrap binds the record's own project/session,
   * so a record copied into another session's folder would still unwrap, and that session's
   * reads (and new segments) would use the other session's key.
   */
  private parse(bytes: Uint8Array, where: string): WrappedDataKey {
    let key: WrappedDataKey;
    try {
      key = wrappedDataKeySchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8'))) as WrappedDataKey;
    } catch (error) {
      throw new CollectorError(
        'bad_data_key',
        500,
        `Wrapped data key ${where} is not valid JSON of the documented shape.`,
        { cause: error },
      );
    }
    if (where !== `${key.project}/${key.sessionId}/${key.id}.json`) {
      throw new CollectorError(
        'bad_data_key',
        500,
        `Wrapped data key ${where} holds the record of ${key.project.slice(0, 40)}/${key.sessionId.slice(0, 40)}/${key.id}: it was copied or moved, and is refused. Restore the key store from backup.`,
      );
    }
    return key;
  }

  /** A record is ~300 bytes: a large object in the key store is damage, refused before reading it. */
  private async read(key: string): Promise<Uint8Array | undefined> {
    try {
      return await this.store.get(key, { maxBytes: MAX_RECORD_BYTES });
    } catch (error) {
      if (error instanceof CollectorError && error.code === 'object_too_large') {
        throw new CollectorError(
          'bad_data_key',
          500,
          `Wrapped data key ${key} is larger than any data key record (${MAX_RECORD_BYTES} bytes at most). Restore the key store from backup.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async get(project: string, sessionId: string, dataKeyId: string): Promise<WrappedDataKey | undefined> {
    const key = this.keyOf(project, sessionId, dataKeyId);
    const bytes = await this.read(key);
    return bytes ? this.parse(bytes, key) : undefined;
  }

  async listSession(project: string, sessionId: string, options: DataKeyListOptions = {}): Promise<WrappedDataKey[]> {
    assertSafeElement('project', project);
    assertSafeElement('sessionId', sessionId);
    const keys: WrappedDataKey[] = [];
    for await (const object of this.store.list(`${project}/${sessionId}/`)) {
      const key = await this.readRecord(object.key, options);
      if (key) keys.push(key);
    }
    return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** The record at `key`; a damaged one throws, or is handed to `options.onDamaged` and skipped. */
  private async readRecord(key: string, options: DataKeyListOptions): Promise<WrappedDataKey | undefined> {
    try {
      const bytes = await this.read(key);
      return bytes ? this.parse(bytes, key) : undefined;
    } catch (error) {
      if (!options.onDamaged || !(error instanceof CollectorError && error.code === 'bad_data_key')) throw error;
      options.onDamaged(key, error);
      return undefined;
    }
  }

  async put(key: WrappedDataKey): Promise<void> {
    await this.store.put(this.keyOf(key.project, key.sessionId, key.id), Buffer.from(`${JSON.stringify(key)}\n`), {
      contentType: 'application/json',
    });
  }

  async delete(project: string, sessionId: string): Promise<void> {
    assertSafeElement('project', project);
    assertSafeElement('sessionId', sessionId);
    for await (const object of this.store.list(`${project}/${sessionId}/`)) await this.store.delete(object.key);
  }

  async *list(project?: string, options: DataKeyListOptions = {}): AsyncIterable<WrappedDataKey> {
    if (project !== undefined) assertSafeElement('project', project);
    for await (const object of this.store.list(project === undefined ? '' : `${project}/`)) {
      if (!object.key.endsWith('.json')) continue;
      const key = await this.readRecord(object.key, options);
      if (key) yield key;
    }
  }
}

/** An unwrapped data key ready for AES-GCM. */
export interface ActiveDataKey {
  id: string;
  key: Buffer;
  /** Epoch ms the key was created: the writer files all of a session's segments under this day. */
  createdAt: number;
}

/**
 * How long a cached clear data key is used before its record is looked up again. Deleting a
 * session on one collector node shreds its key record; other nodes learn it at their next look-up,
 * so they write (and read) under a deleted key for at most this long. ARCHITECTURE.md, "Deletion
 * across nodes".
 */
export const DEFAULT_KEY_RECHECK_MS = 30_000;

interface CachedDataKey {
  project: string;
  sessionId: string;
  key: ActiveDataKey;
  /** When the key record was last seen in the store (epoch ms). */
  checkedAt: number;
}

/**
 * Data keys in use: creates a session's key on its first segment (stored before any object that
 * needs it), unwraps on read, and keeps recently used clear keys in a bounded in-memory cache.
 * A cached key older than `recheckAfterMs` is used again only after its record is found still
 * stored (one small read): a session deleted on another node stops being written and read here.
 */
export class DataKeyService {
  private readonly provider: KeyProvider;
  private readonly store: DataKeyStore;
  private readonly cache = new Map<string, CachedDataKey>();
  private readonly writing = new Map<string, Promise<ActiveDataKey>>();
  private readonly capacity: number;
  private readonly recheckAfterMs: number;
  private readonly now: () => number;
  private readonly onDamagedKey: (where: string, error: unknown) => void;

  constructor(
    provider: KeyProvider,
    store: DataKeyStore,
    options: {
      cacheSize?: number;
      /** @default DEFAULT_KEY_RECHECK_MS */
      recheckAfterMs?: number;
      /** Clock, for tests. @default Date.now */
      now?: () => number;
      /**
       * Told of a session's key record that cannot be read (torn by a crash mid-write, damaged,
       * copied from another session): it is never used for writing, a good record or a new key is.
       */
      onDamagedKey?: (where: string, error: unknown) => void;
    } = {},
  ) {
    this.provider = provider;
    this.store = store;
    this.onDamagedKey = options.onDamagedKey ?? (() => undefined);
    this.capacity = options.cacheSize ?? 10_000;
    this.recheckAfterMs = options.recheckAfterMs ?? DEFAULT_KEY_RECHECK_MS;
    this.now = options.now ?? Date.now;
  }

  private remember(cacheKey: string, entry: CachedDataKey): ActiveDataKey {
    this.cache.delete(cacheKey);
    this.cache.set(cacheKey, entry);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as string);
    return entry.key;
  }

  /**
   * The cached key, if any and still valid: past `recheckAfterMs` its record must still be in
   * the store (else it was shredded, maybe by another node, and the entry is dropped).
   */
  private async cached(cacheKey: string): Promise<ActiveDataKey | undefined> {
    const entry = this.cache.get(cacheKey);
    if (!entry) return undefined;
    if (this.now() - entry.checkedAt >= this.recheckAfterMs) {
      if (!(await this.store.get(entry.project, entry.sessionId, entry.key.id))) {
        if (this.cache.get(cacheKey) === entry) this.cache.delete(cacheKey);
        return undefined;
      }
      entry.checkedAt = this.now();
    }
    return this.remember(cacheKey, entry);
  }

  /** The key new segments of this session are encrypted with (created and stored on first use). */
  async forWriting(context: DataKeyContext): Promise<ActiveDataKey> {
    const sessionKey = `w:${context.project}/${context.sessionId}`;
    const cached = await this.cached(sessionKey);
    if (cached) return cached;
    let pending = this.writing.get(sessionKey);
    if (!pending) {
      pending = (async () => {
        // A record no one can read cannot be the one to write under: with it first, the session's
        // segments would wait forever (the writer retries) for a key that will never parse.
        const existing = (
          await this.store.listSession(context.project, context.sessionId, { onDamaged: this.onDamagedKey })
        )[0];
        if (existing)
          return {
            id: existing.id,
            key: await this.provider.unwrap(existing),
            createdAt: Date.parse(existing.createdAt),
          };
        const created = await this.provider.createDataKey(context);
        await this.store.put(created.wrapped);
        return { id: created.wrapped.id, key: created.plaintext, createdAt: Date.parse(created.wrapped.createdAt) };
      })();
      this.writing.set(sessionKey, pending);
      pending.finally(() => this.writing.delete(sessionKey)).catch(() => {});
    }
    const checkedAt = this.now();
    return this.remember(sessionKey, { ...context, key: await pending, checkedAt });
  }

  /** The clear key an object names in its header; throws `data_key_missing` after crypto-shredding. */
  async forReading(project: string, sessionId: string, dataKeyId: string): Promise<ActiveDataKey> {
    const cacheKey = `r:${project}/${sessionId}/${dataKeyId}`;
    const cached = await this.cached(cacheKey);
    if (cached) return cached;
    const checkedAt = this.now();
    const wrapped = await this.store.get(project, sessionId, dataKeyId);
    if (!wrapped) {
      throw new CollectorError(
        'data_key_missing',
        410,
        `Data key ${dataKeyId} of session ${project}/${sessionId} does not exist (deleted session, or the key store was lost); its objects cannot be decrypted.`,
      );
    }
    const key = { id: dataKeyId, key: await this.provider.unwrap(wrapped), createdAt: Date.parse(wrapped.createdAt) };
    return this.remember(cacheKey, { project, sessionId, key, checkedAt });
  }

  /** Crypto-shredding: delete every data key of the session and forget cached clear keys. */
  async shred(project: string, sessionId: string): Promise<void> {
    await this.store.delete(project, sessionId);
    this.forget(project, sessionId);
  }

  /** Drop cached clear keys of a session (after deletion or rewrap elsewhere). */
  forget(project: string, sessionId: string): void {
    for (const [key, entry] of [...this.cache]) {
      if (entry.project === project && entry.sessionId === sessionId) this.cache.delete(key);
    }
  }
}
