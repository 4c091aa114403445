import { errorMessage } from '../errors.js';
import { deleteSession, sessionDays, type DeletedSession, type DeletionDeps } from './delete-sessions.js';
import type { DeletionReason, Tombstone, TombstoneStore } from './tombstones.js';

/** A deletion job as the API shows it. */
export interface DeletionJob {
  id: string;
  project: string;
  sessionId: string;
  state: 'pending' | 'done';
  requestedAt: number;
  attempts: number;
  finishedAt?: number;
  objects?: number;
  lastError?: string;
}

export function deletionJobJson(tombstone: Tombstone): DeletionJob {
  return {
    id: tombstone.jobId,
    project: tombstone.project,
    sessionId: tombstone.sessionId,
    state: tombstone.state,
    requestedAt: tombstone.requestedAt,
    attempts: tombstone.attempts,
    ...(tombstone.finishedAt !== undefined ? { finishedAt: tombstone.finishedAt } : {}),
    ...(tombstone.objects !== undefined ? { objects: tombstone.objects } : {}),
    ...(tombstone.lastError !== undefined ? { lastError: tombstone.lastError } : {}),
  };
}

/** How often pending deletions (a key store or S3 outage) are tried again. @default 5 s */
export const DEFAULT_DELETION_RETRY_MS = 5_000;

/**
 * Deletions as jobs: the tombstone goes first (from then on nothing of the session is accepted,
 * stored or indexed), then keys, objects and rows. A failure half way leaves the job pending;
 * it is tried again every `retryMs`, at start, and on a repeated request, until it finishes.
 */
export class DeletionJobs {
  private readonly running = new Map<string, Promise<Tombstone>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: DeletionDeps & {
      tombstones: TombstoneStore;
      /** Whether the writer holds batches of the session not yet stored (`SegmentWriter.holds`). */
      holds?: (project: string, sessionId: string) => boolean;
      /** Called once the tombstone is stored: the ingest log finishes its file (`IngestLog.rollNow`). */
      afterTombstone?: () => void;
      /** Called after a deletion finished: the index drops copies its journal still holds. */
      afterDelete?: () => void;
      logger?: { warn: (obj: object, msg: string) => void };
      /** Wait this long after the request before deleting (`CLUSTER_SETTLE_MS` with several nodes). */
      settleMs?: number;
    },
    private readonly retryMs = DEFAULT_DELETION_RETRY_MS,
  ) {}

  /** Start retrying pending deletions (those left by a crash or an outage included). */
  start(): void {
    this.timer = setInterval(() => void this.retryPending(), this.retryMs);
    this.timer.unref();
    void this.retryPending();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async retryPending(): Promise<void> {
    for (const tombstone of this.deps.tombstones.pending()) await this.run(tombstone);
  }

  /**
   * Record the deletion and make one attempt. Resolves with the job's state (`done`, or
   * `pending` with `lastError` after a partial failure); rejects only when the tombstone itself
   * could not be stored, in which case nothing was deleted and the request should be repeated.
   */
  async request(project: string, sessionId: string, entry: { reason: DeletionReason; by: string }): Promise<Tombstone> {
    // Before the tombstone exists, nobody removes anything of the session: what the index and
    // the keys say now is whole. From the request's day on, the job also looks at every day.
    const now = Date.now();
    const days = await sessionDays(this.deps, project, sessionId);
    const tombstone = await this.deps.tombstones.create({ project, sessionId, ...entry, now, days });
    this.deps.afterTombstone?.();
    return this.run(tombstone);
  }

  /**
   * The first of `projects` where a session the index does not know yet exists: a pending
   * deletion, batches in the writer, or a data key (stored, not yet indexed). A session whose
   * batches are all still unread in the log is found only by naming its project (`?project=`).
   */
  async findUnindexed(projects: readonly string[], sessionId: string): Promise<string | undefined> {
    for (const project of projects) {
      if (this.deps.tombstones.get(project, sessionId)?.state === 'pending') return project;
      if (this.deps.holds?.(project, sessionId)) return project;
    }
    for (const project of projects) {
      if (((await this.deps.dataKeyStore?.listSession(project, sessionId)) ?? []).length > 0) return project;
    }
    return undefined;
  }

  /** One attempt at a pending deletion; concurrent calls for one session share it. */
  run(tombstone: Tombstone): Promise<Tombstone> {
    const key = `${tombstone.project}/${tombstone.sessionId}`;
    const running = this.running.get(key);
    if (running) return running;
    const attempt = this.attempt(tombstone).finally(() => this.running.delete(key));
    this.running.set(key, attempt);
    return attempt;
  }

  /**
   * With several nodes: nothing is deleted until the tombstone has been stored and announced for
   * `settleMs`. Counted from when this node stored or heard of it, not from the request: a first
   * save that failed (S3 down) announced nothing, and the retry must give the others time too.
   */
  private async settle(tombstone: Tombstone): Promise<void> {
    const settleMs = this.deps.settleMs ?? 0;
    if (settleMs <= 0) return;
    let since = this.deps.tombstones.sharedSince(tombstone.project, tombstone.sessionId);
    if (since === undefined) {
      await this.deps.tombstones.save(tombstone);
      since = Date.now();
    }
    const wait = since + settleMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  private async attempt(tombstone: Tombstone): Promise<Tombstone> {
    let deleted: DeletedSession;
    const attempts = tombstone.attempts + 1;
    try {
      await this.settle(tombstone);
      deleted = await deleteSession(this.deps, tombstone.project, tombstone.sessionId, {
        days: tombstone.days ?? [],
        since: tombstone.requestedAt,
      });
    } catch (error) {
      const failed: Tombstone = {
        ...tombstone,
        state: 'pending',
        attempts,
        lastError: errorMessage(error).slice(0, 1000),
      };
      this.deps.logger?.warn(
        { err: error, project: tombstone.project, sessionId: tombstone.sessionId, job: tombstone.jobId, attempts },
        'deletion failed half way; it is retried until it finishes',
      );
      await this.deps.tombstones.save(failed).catch(() => {});
      return failed;
    }
    try {
      this.deps.afterDelete?.();
    } catch (error) {
      this.deps.logger?.warn(
        { err: error },
        'the index journal could not be emptied after a deletion; the next deletion tries again',
      );
    }
    const { lastError: _lastError, ...rest } = tombstone;
    const done: Tombstone = { ...rest, state: 'done', attempts, finishedAt: Date.now(), objects: deleted.objects };
    try {
      await this.deps.tombstones.save(done);
    } catch (error) {
      // Everything is deleted; only the record says "pending" still, and the next retry finds nothing left to delete.
      this.deps.logger?.warn(
        { err: error, job: tombstone.jobId },
        'deletion finished but its job state could not be stored',
      );
    }
    return done;
  }
}
