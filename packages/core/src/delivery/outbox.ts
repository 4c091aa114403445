/**
 * The outbox: every encoded batch is stored here before it is sent and removed only after the
 * collector's 2xx, so a reload, a crash or an offline hour loses nothing. IndexedDB is shared by
 * the page and its workers on one origin, so the next page load sends what this one left.
 *
 * Bodies and their index live in two object stores: picking the next batch and enforcing the
 * size bound read only the index (a few dozen bytes a batch), and a body is read only to send it.
 * With a 10 MiB offline backlog, reading every body on each store or send cost 10 MiB of reads
 * (and structured clones) per batch.
 */

import { type OutboxEntry, type OutboxRecord, entryOf } from './outbox-record.js';

export { type OutboxEntry, type OutboxRecord, entryOf, outboxKey, recordsOf } from './outbox-record.js';

export interface Outbox {
  put(records: OutboxRecord[]): Promise<void>;
  /** The index of every record, in send order; no bodies are read. */
  entries(): Promise<OutboxEntry[]>;
  /** One record's body; undefined when it is gone (another page sent it meanwhile). */
  body(key: string): Promise<Uint8Array | undefined>;
  remove(keys: string[]): Promise<void>;
}

const byKey = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export class MemoryOutbox implements Outbox {
  private readonly records = new Map<string, OutboxRecord>();
  async put(records: OutboxRecord[]): Promise<void> {
    for (const record of records) this.records.set(record.key, record);
  }
  async entries(): Promise<OutboxEntry[]> {
    return [...this.records.values()].map(entryOf).sort(byKey);
  }
  async body(key: string): Promise<Uint8Array | undefined> {
    return this.records.get(key)?.body;
  }
  async remove(keys: string[]): Promise<void> {
    for (const key of keys) this.records.delete(key);
  }
  has(match: (record: OutboxRecord) => boolean): boolean {
    for (const record of this.records.values()) if (match(record)) return true;
    return false;
  }
}

export const OUTBOX_DB = 'reprise';
/** Version 2 added the index store; version 1 databases are indexed on upgrade. */
const OUTBOX_DB_VERSION = 2;
/** Whole records, body included (keyPath `key`). */
const BODY_STORE = 'outbox';
/** `OutboxEntry` per record, same key: what ordering and the bound read. */
const INDEX_STORE = 'outbox-index';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('[@reprise/core] IndexedDB request failed.'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('[@reprise/core] IndexedDB transaction aborted.'));
  });
}

export class IndexedDbOutbox implements Outbox {
  private db: IDBDatabase | undefined;

  private constructor(
    private readonly name: string,
    db: IDBDatabase,
  ) {
    this.adopt(db);
  }

  static async open(name: string = OUTBOX_DB): Promise<IndexedDbOutbox> {
    return new IndexedDbOutbox(name, await IndexedDbOutbox.connect(name));
  }

  private static async connect(name: string): Promise<IDBDatabase> {
    const req = indexedDB.open(name, OUTBOX_DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(BODY_STORE)) db.createObjectStore(BODY_STORE, { keyPath: 'key' });
      if (db.objectStoreNames.contains(INDEX_STORE)) return;
      const index = db.createObjectStore(INDEX_STORE, { keyPath: 'key' });
      // Records a version-1 page left: index them once, here, so they are still sent.
      const cursor = req.transaction!.objectStore(BODY_STORE).openCursor();
      cursor.onsuccess = () => {
        if (!cursor.result) return;
        index.put(entryOf(cursor.result.value as OutboxRecord));
        cursor.result.continue();
      };
    };
    return request(req);
  }

  private adopt(db: IDBDatabase): IDBDatabase {
    this.db = db;
    // Another tab upgrading or deleting the database must not be blocked by this one, and a
    // connection the browser closed (storage cleared) is dead: the next operation opens it again
    // (a deleted database comes back empty, a newer schema refuses us and batches go to memory).
    db.onversionchange = db.onclose = () => {
      db.close();
      if (this.db === db) this.db = undefined;
    };
    return db;
  }

  private async transaction(mode: IDBTransactionMode): Promise<IDBTransaction> {
    this.db ??= this.adopt(await IndexedDbOutbox.connect(this.name));
    return this.db.transaction([BODY_STORE, INDEX_STORE], mode);
  }

  private async write(records: OutboxRecord[], keys: string[]): Promise<void> {
    // One transaction over both stores: the index never lists a body that is not there.
    const tx = await this.transaction('readwrite');
    const bodies = tx.objectStore(BODY_STORE);
    const index = tx.objectStore(INDEX_STORE);
    for (const key of keys) {
      bodies.delete(key);
      index.delete(key);
    }
    for (const record of records) {
      bodies.put(record);
      index.put(entryOf(record));
    }
    await done(tx);
  }

  put(records: OutboxRecord[]): Promise<void> {
    return this.write(records, []);
  }

  remove(keys: string[]): Promise<void> {
    return this.write([], keys);
  }

  async entries(): Promise<OutboxEntry[]> {
    // Keys are ordered by IndexedDB itself: getAll returns send order.
    return (await request((await this.transaction('readonly')).objectStore(INDEX_STORE).getAll())) as OutboxEntry[];
  }

  async body(key: string): Promise<Uint8Array | undefined> {
    return (
      (await request((await this.transaction('readonly')).objectStore(BODY_STORE).get(key))) as OutboxRecord | undefined
    )?.body;
  }
}

/** IndexedDB when the browser has it (and lets us open it: some private modes refuse), memory otherwise. */
export async function openOutbox(memory = false): Promise<{ outbox: Outbox; durable: boolean }> {
  if (!memory && typeof indexedDB !== 'undefined') {
    try {
      return { outbox: await IndexedDbOutbox.open(), durable: true };
    } catch {
      // fall through: batches still go out, they just do not survive a reload
    }
  }
  return { outbox: new MemoryOutbox(), durable: false };
}

/**
 * The durable outbox with a memory outbox behind it: a batch IndexedDB refuses to store (quota
 * exceeded, a private mode, a database closed under us) is kept in memory and still sent by this
 * page; `onFailure` hears each refusal, so it is reported, never silent. A durable store that
 * cannot even be read or cleaned is worked around the same way: what was sent is remembered
 * here, so a record whose removal failed is not sent again and again.
 *
 * It also keeps the durable index in memory, kept current by its own writes and deletes, and
 * read again from IndexedDB only when asked (`entries(true)`: before each write, when the bound
 * needs what other tabs stored). Draining a backlog of n batches thus reads the index once, not
 * n times: with 10,000 small batches one read of the index took ~90 ms in Chromium.
 *
 * Fields:
 * `removedKeys`: Sent or dropped, but the durable store refused to delete them.
 */
export class SpillingOutbox {
  readonly memory = new MemoryOutbox();
  private readonly removedKeys = new Set<string>();
  private durableIndex: Map<string, OutboxEntry> | undefined;

  constructor(
    private readonly durable: Outbox,
    private readonly onFailure: (operation: 'put' | 'read' | 'remove', error: unknown) => void,
  ) {}

  // Resolves `true` when the records are in the durable store, `false` when only in memory.
  async put(records: OutboxRecord[]): Promise<boolean> {
    for (const record of records) this.removedKeys.delete(record.key);
    try {
      await this.durable.put(records);
      // A newer copy is durable now: an older one in memory must not shadow it.
      await this.memory.remove(records.map((record) => record.key));
      for (const record of records) this.durableIndex?.set(record.key, entryOf(record));
      return true;
    } catch (error) {
      this.onFailure('put', error);
      await this.memory.put(records);
      return false;
    }
  }

  async entries(fresh = false): Promise<OutboxEntry[]> {
    if (fresh || !this.durableIndex) {
      const durable = await this.durable.entries().catch((error: unknown) => {
        this.onFailure('read', error);
        return [];
      });
      this.durableIndex = new Map(durable.map((entry) => [entry.key, entry]));
    }
    const merged = new Map<string, OutboxEntry>();
    for (const entry of this.durableIndex.values()) if (!this.removedKeys.has(entry.key)) merged.set(entry.key, entry);
    for (const entry of await this.memory.entries()) merged.set(entry.key, entry);
    return [...merged.values()].sort(byKey);
  }

  async body(key: string): Promise<Uint8Array | undefined> {
    // A durable read that fails throws: the engine backs off and tries again.
    return (await this.memory.body(key)) ?? this.durable.body(key);
  }

  async remove(keys: string[]): Promise<void> {
    await this.memory.remove(keys);
    for (const key of keys) this.durableIndex?.delete(key);
    try {
      await this.durable.remove(keys);
    } catch (error) {
      this.onFailure('remove', error);
      for (const key of keys) this.removedKeys.add(key);
    }
  }
}

/**
 * Which records to drop so the outbox fits `maxBytes`: whole sessions, oldest first, never the
 * current one while another remains; only if the current session alone is too large, its oldest
 * batches. `entries` may include batches about to be written: the bound is applied before a
 * write, so the outbox never holds more than `maxBytes`.
 */
export function selectOverflow<T extends OutboxEntry>(entries: T[], maxBytes: number, currentSession: string): T[] {
  let total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
  if (total <= maxBytes) return [];
  const sessions = new Map<string, { firstAt: number; entries: T[] }>();
  for (const entry of entries) {
    const group = sessions.get(entry.session) ?? { firstAt: entry.createdAt, entries: [] };
    group.firstAt = Math.min(group.firstAt, entry.createdAt);
    group.entries.push(entry);
    sessions.set(entry.session, group);
  }
  const dropped: T[] = [];
  const others = [...sessions.entries()]
    .filter(([session]) => session !== currentSession)
    .sort((a, b) => a[1].firstAt - b[1].firstAt);
  for (const [, group] of others) {
    if (total <= maxBytes) break;
    for (const entry of group.entries) total -= entry.bytes;
    dropped.push(...group.entries);
  }
  const own = (sessions.get(currentSession)?.entries ?? [])
    .slice()
    .sort((a, b) => a.createdAt - b.createdAt || byKey(a, b));
  for (const entry of own) {
    if (total <= maxBytes) break;
    total -= entry.bytes;
    dropped.push(entry);
  }
  return dropped;
}
