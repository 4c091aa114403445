/**
 * The outbox: every encoded batch is stored here before it is sent and removed only after the
 * collector's 2xx, so a reload, a crash or an offline hour loses nothing. IndexedDB is shared by
 * the page and its workers on one origin, so the next page load sends what this one left.
 */

export interface OutboxRecord {
  /** `${session}|${tab}|${seq, 12 digits}|${part}`: sorting by key sends each stream in order. */
  key: string;
  session: string;
  tab: string;
  seq: number;
  part: string;
  /** Ingest URL the batch is for (a page of another config may resume it). */
  url: string;
  body: Uint8Array;
  createdAt: number;
  /** Delivery instance that stored it; records of a live instance are left to it. */
  owner: string;
  /** Set when the page sent this batch itself with keepalive at unload. */
  pageSentAt?: number;
}

export function outboxKey(session: string, tab: string, seq: number, part: string): string {
  return `${session}|${tab}|${String(seq).padStart(12, '0')}|${part}`;
}

export interface Outbox {
  put(records: OutboxRecord[]): Promise<void>;
  /** Every record, in send order. */
  list(): Promise<OutboxRecord[]>;
  remove(keys: string[]): Promise<void>;
}

export class MemoryOutbox implements Outbox {
  private readonly records = new Map<string, OutboxRecord>();
  async put(records: OutboxRecord[]): Promise<void> {
    for (const record of records) this.records.set(record.key, record);
  }
  async list(): Promise<OutboxRecord[]> {
    return [...this.records.values()].sort(byKey);
  }
  async remove(keys: string[]): Promise<void> {
    for (const key of keys) this.records.delete(key);
  }
}

const byKey = (a: OutboxRecord, b: OutboxRecord): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export const OUTBOX_DB = 'reprise';
const STORE = 'outbox';

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
  private constructor(private readonly db: IDBDatabase) {}

  static async open(name: string = OUTBOX_DB): Promise<IndexedDbOutbox> {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: 'key' });
    };
    const db = await request(req);
    // Another tab upgrading the schema must not be blocked by this one.
    db.onversionchange = () => db.close();
    return new IndexedDbOutbox(db);
  }

  async put(records: OutboxRecord[]): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    for (const record of records) store.put(record);
    await done(tx);
  }

  async list(): Promise<OutboxRecord[]> {
    const tx = this.db.transaction(STORE, 'readonly');
    // Keys are ordered by IndexedDB itself: getAll returns send order.
    return (await request(tx.objectStore(STORE).getAll())) as OutboxRecord[];
  }

  async remove(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const tx = this.db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    for (const key of keys) store.delete(key);
    await done(tx);
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
 * Which records to drop so the outbox fits `maxBytes`: whole sessions, oldest first, never the
 * current one while another remains; only if the current session alone is too large, its oldest
 * batches.
 */
export function selectOverflow(records: OutboxRecord[], maxBytes: number, currentSession: string): OutboxRecord[] {
  let total = records.reduce((sum, record) => sum + record.body.byteLength, 0);
  if (total <= maxBytes) return [];
  const sessions = new Map<string, { firstAt: number; records: OutboxRecord[] }>();
  for (const record of records) {
    const entry = sessions.get(record.session) ?? { firstAt: record.createdAt, records: [] };
    entry.firstAt = Math.min(entry.firstAt, record.createdAt);
    entry.records.push(record);
    sessions.set(record.session, entry);
  }
  const dropped: OutboxRecord[] = [];
  const others = [...sessions.entries()].filter(([session]) => session !== currentSession).sort((a, b) => a[1].firstAt - b[1].firstAt);
  for (const [, entry] of others) {
    if (total <= maxBytes) break;
    for (const record of entry.records) total -= record.body.byteLength;
    dropped.push(...entry.records);
  }
  const own = (sessions.get(currentSession)?.records ?? []).slice().sort((a, b) => a.createdAt - b.createdAt || (a.key < b.key ? -1 : 1));
  for (const record of own) {
    if (total <= maxBytes) break;
    total -= record.body.byteLength;
    dropped.push(record);
  }
  return dropped;
}
