/**
 * Outbox records as the page also builds them (its unload spool): the engine's outbox itself
 * (outbox.ts) stays off the page.
 */

/** What the engine needs to know about a stored batch to order, bound and route it: no body. */
export interface OutboxEntry {
  /**
   * `${session}|${tab}|${seq, 12 digits}|${owner}|${part}`: sorting by key sends each stream in
   * order. The owner keeps apart two pages that number one stream (a tab opened by window.open
   * starts with a copy of the other's tab id and seq counter): each keeps its own record of a seq.
   */
  key: string;
  session: string;
  tab: string;
  seq: number;
  part: string;
  /** Ingest URL the batch is for (a page of another config may resume it). */
  url: string;
  /** Byte length of the body. */
  bytes: number;
  createdAt: number;
  /** Delivery instance that stored it; records of a live instance are left to it. */
  owner: string;
  /** Set when the page sent this batch itself with keepalive at unload. */
  pageSentAt?: number;
}

export interface OutboxRecord extends Omit<OutboxEntry, 'bytes'> {
  body: Uint8Array;
}

/** Without `owner`: the key of a record spooled by a version before the owner was part of it. */
export function outboxKey(session: string, tab: string, seq: number, part: string, owner?: string): string {
  return `${session}|${tab}|${String(seq).padStart(12, '0')}|${owner === undefined ? '' : `${owner}|`}${part}`;
}

/** Records for `frames` (one batch), with everything else taken from `base`. */
export function recordsOf(
  frames: Array<{ seq: number; part: string; body: Uint8Array }>,
  base: Omit<OutboxRecord, 'key' | 'seq' | 'part' | 'body'>,
): OutboxRecord[] {
  return frames.map(({ seq, part, body }) => ({
    ...base,
    key: outboxKey(base.session, base.tab, seq, part, base.owner),
    seq,
    part,
    body,
  }));
}

export function entryOf(record: OutboxRecord): OutboxEntry {
  const { body, ...rest } = record;
  return { ...rest, bytes: body.byteLength };
}
