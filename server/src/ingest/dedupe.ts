/**
 * Ack-time dedupe: batch id -> digest of the body that was acknowledged for it. Bounded; the
 * oldest ids are forgotten first (the writer's ledger still catches a late replay at write time).
 */
export type DedupeVerdict = 'new' | 'duplicate' | 'conflict';

export class DedupeIndex {
  private readonly seen = new Map<string, string>();
  private readonly capacity: number;

  constructor(capacity = 500_000) {
    this.capacity = capacity;
  }

  /** What ingest should answer for this id and body digest, without claiming anything. */
  check(id: string, digest: string): DedupeVerdict {
    const known = this.seen.get(id);
    if (known === undefined) return 'new';
    return known === digest ? 'duplicate' : 'conflict';
  }

  /**
   * Claim a new id just before its append, so that a retry racing the append is recognised; the
   * caller must `forget` it if the append fails.
   */
  claim(id: string, digest: string): void {
    this.remember(id, digest);
  }

  remember(id: string, digest: string): void {
    if (this.seen.has(id)) return;
    this.seen.set(id, digest);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value as string);
  }

  forget(id: string): void {
    this.seen.delete(id);
  }

  get size(): number {
    return this.seen.size;
  }
}
