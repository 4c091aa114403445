import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CollectorError, errorMessage } from '../errors.js';
import { assertSafeElement } from '../store/keys.js';
import type { ObjectStore } from '../store/types.js';

/**
 * Under this prefix of the key store. A project id cannot start with "." (letters, digits, "_",
 * "-"), so no wrapped data key lives here, and a key record's name ends in `.json` while a
 * tombstone's has no extension: key rotation and retention, which list the key store, skip them.
 */
export const TOMBSTONE_PREFIX = '.tombstones/';

export type DeletionReason = 'request' | 'user_erasure' | 'retention';
export type DeletionState = 'pending' | 'done';

const tombstoneSchema = z.object({
  v: z.literal(1),
  project: z.string(),
  sessionId: z.string(),
  /** Id of the deletion job, as answered by `DELETE` and looked up by `GET /v1/deletions/:id`. */
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  reason: z.enum(['request', 'user_erasure', 'retention']),
  /** Who asked: `user:<id>`, `token:<id>` or `system:retention`. */
  by: z.string().max(200),
  requestedAt: z.number(),
  state: z.enum(['pending', 'done']),
  attempts: z.number().int().min(0),
  lastError: z.string().max(1000).optional(),
  finishedAt: z.number().optional(),
  /** Objects deleted by the attempt that finished the job. */
  objects: z.number().int().min(0).optional(),
  /**
   * Day folders (`YYYY-MM-DD`) the session had segments in when the deletion was asked for, before
   * any node knew of it: other nodes may remove its keys and rows before the job runs.
   */
  days: z
    .array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/))
    .max(400)
    .optional(),
});

/**
 * The record that a session was deleted, kept after its keys, objects and rows are gone: ingest
 * refuses the session's batches, the writer drops them (also those still in the log, after a
 * restart), and the index refuses its segments. It is also the deletion job: `pending` until
 * keys, objects and rows are all gone, retried until then.
 */
export type Tombstone = z.infer<typeof tombstoneSchema>;

const MAX_TOMBSTONE_BYTES = 8 * 1024;

/**
 * Tombstones in an object store (the key store's, by default: several collector nodes share it),
 * one small JSON object `.tombstones/{project}/{sessionId}` each, with every one also held in
 * memory so ingest and the writer can ask on every batch without I/O. Another node's tombstones
 * are learnt at `refresh()` (the collector calls it every `DEFAULT_TOMBSTONE_REFRESH_MS`).
 */
export class TombstoneStore {
  private readonly byKey = new Map<string, Tombstone>();
  private readonly byJob = new Map<string, Tombstone>();
  /** When each tombstone was first stored from here or read from the store or the bus: since then the other nodes can know it. */
  private readonly shared = new Map<string, number>();

  /** `onSaved`: told of every tombstone saved here (the collector publishes it to the other nodes). */
  constructor(
    private readonly store: ObjectStore,
    private readonly onSaved?: (tombstone: Tombstone) => void,
  ) {}

  private static keyOf(project: string, sessionId: string): string {
    return `${project}/${sessionId}`;
  }

  /** Load every tombstone: before ingest or the writer run, so a restart refuses what was deleted. */
  async open(): Promise<void> {
    await this.refresh();
  }

  /** Learn tombstones written by other collector nodes. */
  async refresh(): Promise<void> {
    for await (const object of this.store.list(TOMBSTONE_PREFIX)) {
      const bytes = await this.store.get(object.key, { maxBytes: MAX_TOMBSTONE_BYTES });
      if (!bytes) continue;
      let tombstone: Tombstone;
      try {
        tombstone = tombstoneSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
      } catch (error) {
        throw new CollectorError(
          'bad_tombstone',
          500,
          `Tombstone ${object.key} is not the documented JSON (${errorMessage(error)}). Restore it from backup; deleting it would let the deleted session's batches be stored again.`,
          { cause: error },
        );
      }
      this.merge(tombstone);
    }
  }

  /** A tombstone another node announced (cluster bus); malformed ones are ignored, `refresh` reads the stored copy. */
  learn(announced: unknown): boolean {
    const parsed = tombstoneSchema.safeParse(announced);
    if (!parsed.success) return false;
    this.merge(parsed.data);
    return true;
  }

  private merge(tombstone: Tombstone): void {
    const key = TombstoneStore.keyOf(tombstone.project, tombstone.sessionId);
    if (!this.shared.has(key)) this.shared.set(key, Date.now());
    const known = this.byKey.get(key);
    // A newer state written here wins over a stale listing.
    if (known && known.state === 'done' && tombstone.state === 'pending') return;
    this.remember(tombstone);
  }

  private remember(tombstone: Tombstone): void {
    this.byKey.set(TombstoneStore.keyOf(tombstone.project, tombstone.sessionId), tombstone);
    this.byJob.set(tombstone.jobId, tombstone);
  }

  /** Synchronous on purpose: asked for every ingested batch and every record the writer reads. */
  has(project: string, sessionId: string): boolean {
    return this.byKey.has(TombstoneStore.keyOf(project, sessionId));
  }

  get(project: string, sessionId: string): Tombstone | undefined {
    return this.byKey.get(TombstoneStore.keyOf(project, sessionId));
  }

  /** Whether the store holds a tombstone for the session (read now: another process may have written it). */
  async recorded(project: string, sessionId: string): Promise<boolean> {
    assertSafeElement('project', project);
    assertSafeElement('sessionId', sessionId);
    return (
      this.has(project, sessionId) ||
      (await this.store.exists(`${TOMBSTONE_PREFIX}${TombstoneStore.keyOf(project, sessionId)}`))
    );
  }

  job(jobId: string): Tombstone | undefined {
    return this.byJob.get(jobId);
  }

  pending(): Tombstone[] {
    return [...this.byKey.values()].filter((t) => t.state === 'pending');
  }

  /**
   * A new tombstone (or the existing one, which a repeated request starts again). In memory at
   * once, so this node refuses the session from here on, and durable before it resolves.
   */
  async create(entry: {
    project: string;
    sessionId: string;
    reason: DeletionReason;
    by: string;
    now?: number;
    /** Day folders the session is known to have segments in (`sessionDays`). */
    days?: readonly string[];
  }): Promise<Tombstone> {
    assertSafeElement('project', entry.project);
    assertSafeElement('sessionId', entry.sessionId);
    const existing = this.get(entry.project, entry.sessionId);
    const days = [...new Set([...(existing?.days ?? []), ...(entry.days ?? [])])].sort().slice(-400);
    const tombstone: Tombstone = existing
      ? { ...existing, state: 'pending', ...(days.length > 0 ? { days } : {}) }
      : {
          ...(days.length > 0 ? { days } : {}),
          v: 1,
          project: entry.project,
          sessionId: entry.sessionId,
          jobId: `del_${randomBytes(12).toString('base64url')}`,
          reason: entry.reason,
          by: entry.by.slice(0, 200),
          requestedAt: entry.now ?? Date.now(),
          state: 'pending',
          attempts: 0,
        };
    await this.save(tombstone);
    return tombstone;
  }

  async save(tombstone: Tombstone): Promise<void> {
    this.remember(tombstone);
    await this.store.put(
      `${TOMBSTONE_PREFIX}${TombstoneStore.keyOf(tombstone.project, tombstone.sessionId)}`,
      Buffer.from(`${JSON.stringify(tombstone)}\n`),
      {
        contentType: 'application/json',
      },
    );
    const key = TombstoneStore.keyOf(tombstone.project, tombstone.sessionId);
    if (!this.shared.has(key)) this.shared.set(key, Date.now());
    this.onSaved?.(tombstone);
  }

  /** Since when the tombstone is in the shared store (undefined: only in this node's memory, its save failed). */
  sharedSince(project: string, sessionId: string): number | undefined {
    return this.shared.get(TombstoneStore.keyOf(project, sessionId));
  }
}

/** How often a collector node reads the tombstones other nodes wrote. */
export const DEFAULT_TOMBSTONE_REFRESH_MS = 30_000;
