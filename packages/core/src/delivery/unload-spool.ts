import { type OutboxRecord, outboxKey } from './outbox-record.js';

/**
 * A synchronous second copy of the batches a page stores at unload. An IndexedDB write begun in
 * `pagehide` is not guaranteed to commit (the document's transactions may be aborted as it is torn
 * down, and a loaded machine makes that likely), and a worker may be killed before its own write:
 * the page's last batch was occasionally lost on a reload while the collector was unreachable.
 * localStorage is written before the handler returns, so the next page of the origin has its
 * engine move what it finds into the outbox. Best effort and bounded: storage may be disabled or full.
 */
const SPOOL_PREFIX = 'reprise:spool:';
/** Characters of base64 the spool may hold (localStorage is ~5 MB per origin, shared with the app). */
const MAX_SPOOL_CHARS = 512 * 1024;

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    // Sandboxed frames and blocked storage throw on access.
    return undefined;
  }
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function spooledKeys(store: Storage): string[] {
  const keys: string[] = [];
  for (let i = 0; i < store.length; i++) {
    const key = store.key(i);
    if (key?.startsWith(SPOOL_PREFIX)) keys.push(key);
  }
  return keys;
}

/** Keep `records` in localStorage until `unspool` (or the next page's `adoptSpool`) removes them. */
export function spool(records: OutboxRecord[]): void {
  const store = storage();
  // Without IndexedDB no page could ever adopt it.
  if (!store || typeof indexedDB === 'undefined') return;
  try {
    let used = 0;
    for (const key of spooledKeys(store)) used += store.getItem(key)?.length ?? 0;
    for (const record of records) {
      const value = JSON.stringify({ ...record, body: toBase64(record.body) });
      if (used + value.length > MAX_SPOOL_CHARS) return;
      store.setItem(SPOOL_PREFIX + record.key, value);
      used += value.length;
    }
  } catch {
    // Full or refused: the IndexedDB write and the keepalive send remain.
  }
}

export function unspool(keys: string[]): void {
  const store = storage();
  try {
    for (const key of keys) store?.removeItem(SPOOL_PREFIX + key);
  } catch {
    // nothing to undo
  }
}

export function unspoolSession(session: string): void {
  const store = storage();
  try {
    if (store)
      for (const key of spooledKeys(store)) if (key.startsWith(`${SPOOL_PREFIX}${session}|`)) store.removeItem(key);
  } catch {
    // nothing to undo
  }
}

/**
 * The record a spool entry holds, checked field by field: a parseable value without a session,
 * seq or url would otherwise go into the outbox and be sent (or retried) as a batch of nowhere.
 */
function spooledRecord(key: string, value: string | null): OutboxRecord {
  const parsed = JSON.parse(value ?? 'null') as Partial<Record<keyof OutboxRecord, unknown>> | null;
  if (typeof parsed !== 'object' || parsed === null) throw new Error('not a spooled batch');
  const { session, tab, seq, part, url, createdAt, owner, pageSentAt, body } = parsed;
  if (
    typeof session !== 'string' ||
    typeof tab !== 'string' ||
    typeof part !== 'string' ||
    typeof url !== 'string' ||
    typeof owner !== 'string' ||
    typeof body !== 'string' ||
    !Number.isSafeInteger(seq) ||
    (seq as number) < 0 ||
    typeof createdAt !== 'number' ||
    !Number.isFinite(createdAt) ||
    (pageSentAt !== undefined && typeof pageSentAt !== 'number')
  ) {
    throw new Error('not a spooled batch');
  }
  // A record spooled by a version before the owner was in the key keeps its key, so it is unspooled.
  const recordKey = key.slice(SPOOL_PREFIX.length);
  if (
    recordKey !== outboxKey(session, tab, seq as number, part, owner) &&
    recordKey !== outboxKey(session, tab, seq as number, part)
  )
    throw new Error('not a spooled batch');
  return {
    key: recordKey,
    session,
    tab,
    seq: seq as number,
    part,
    url,
    createdAt,
    owner,
    ...(pageSentAt === undefined ? {} : { pageSentAt }),
    body: Uint8Array.from(atob(body), (char) => char.charCodeAt(0)),
  };
}

/**
 * What earlier pages spooled, for the engine to move into the outbox (its `adopt` message); each
 * entry leaves localStorage once the engine reports it durable there (`unspool`). A batch that
 * was meanwhile stored and sent goes again: the collector keeps one copy.
 */
export function readSpool(): OutboxRecord[] {
  const store = storage();
  if (!store) return [];
  const records: OutboxRecord[] = [];
  for (const key of spooledKeys(store)) {
    try {
      records.push(spooledRecord(key, store.getItem(key)));
    } catch {
      // Damaged (or written by something else under our prefix): never resend garbage.
      store.removeItem(key);
    }
  }
  return records;
}
