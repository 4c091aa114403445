/**
 * Outbox records as the page also builds them (its unload spool): the engine's outbox itself
 * (outbox.ts) stays off the page.
 */

/** What the engine needs to know about a stored batch to order, bound and route it: no body. */
export interface OutboxEntry {
  /** `${session}|${tab}|${seq, 12 digits}|${part}`: sorting by key sends each stream in order. */
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

export function outboxKey(session: string, tab: string, seq: number, part: string): string {
  return `${session}|${tab}|${String(seq).padStart(12, '0')}|${part}`;
}

/** Records for `frames` (one batch), with everything else taken from `base`. */
export function recordsOf(
  frames: Array<{ seq: number; part: string; body: Uint8Array }>,
  base: Omit<OutboxRecord, 'key' | 'seq' | 'part' | 'body'>,
): OutboxRecord[] {
  return frames.map(({ seq, part, body }) => ({
    ...base,
    key: outboxKey(base.session, base.tab, seq, part),
    seq,
    part,
    body,
  }));
}

export function entryOf(record: OutboxRecord): OutboxEntry {
  const { body, ...rest } = record;
  return { ...rest, bytes: body.byteLength };
}
