import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/audit-log.js';
import type { IndexSchema } from '../index-db/schema.js';

/**
 * Failed logins for usernames that do not exist, audited as one row per address per interval
 * instead of one row per attempt: anyone can send those, so one row each would let a spray grow
 * the audit log without bound. A failure against a real account keeps its own row (the per-
 * username brake bounds those). The row names no username: people type passwords into the
 * username field, and a made-up name tells the admins nothing but the count does.
 *
 * Failure rows (both kinds) are the only audit rows that may be deleted; `pruneFailedLogins`
 * removes them after the retention period.
 */
export class FailedLoginLog {
  private readonly pending = new Map<
    string,
    { attempts: number; usernames: Set<string>; from: number; to: number; userAgent: string | null }
  >();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<IndexSchema>,
    /** Addresses held in memory before an early flush (bounds memory during a wide spray). */
    private readonly maxAddresses = 10_000,
  ) {}

  record(input: { ip: string | null; userAgent: string | null; username: string }, now = Date.now()): void {
    const key = input.ip ?? '';
    const entry = this.pending.get(key) ?? {
      attempts: 0,
      usernames: new Set<string>(),
      from: now,
      to: now,
      userAgent: input.userAgent,
    };
    entry.attempts++;
    // Distinct names are only counted; keep at most a few hundred per address to bound memory.
    if (entry.usernames.size < 500) entry.usernames.add(input.username);
    entry.to = now;
    this.pending.set(key, entry);
    if (this.pending.size >= this.maxAddresses) void this.flush();
  }

  /** Writes one audit row per address seen since the last flush. */
  flush(): Promise<void> {
    const batch = [...this.pending];
    this.pending.clear();
    // Chained so flushes never interleave; a failed one does not block the next.
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(async () => {
        for (const [ip, entry] of batch) {
          await recordAudit(this.db, {
            actor: { type: 'user', id: '', name: '' },
            action: 'auth.login_failed',
            detail: {
              unknownUsernames: entry.usernames.size,
              attempts: entry.attempts,
              from: entry.from,
              to: entry.to,
            },
            ip: ip || null,
            userAgent: entry.userAgent,
            at: entry.to,
          });
        }
      });
    return this.flushing;
  }
}

/** Deletes failed-login audit rows older than `retentionMs`; returns how many. */
export async function pruneFailedLogins(
  db: Kysely<IndexSchema>,
  retentionMs: number,
  now = Date.now(),
): Promise<number> {
  const result = await db
    .deleteFrom('audit_log')
    .where('action', '=', 'auth.login_failed')
    .where('at', '<', now - retentionMs)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
