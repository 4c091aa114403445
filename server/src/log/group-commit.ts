/**
 * Group commit: what callers add while one write is in flight waits, and the next write takes all
 * of it at once, so many small appends cost one write (and one fsync) instead of one each. The
 * ingest log and the writer's ledger both append this way.
 */
export interface GroupCommitSteps<T> {
  /** Writes one group durably: once it resolves, every item of the group resolves. */
  commit(items: T[]): Promise<void>;
  /** Upkeep after a group was acknowledged, before the next is written (roll a file, compact). */
  afterCommit?(): Promise<void>;
  /** A commit or its upkeep failed: the error the group's items reject with (those not yet resolved). */
  failed?(error: unknown): unknown;
}

export class GroupCommit<T> {
  private queue: Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }> = [];
  private flushing: Promise<void> | undefined;

  private readonly steps: GroupCommitSteps<T>;

  constructor(steps: GroupCommitSteps<T>) {
    this.steps = steps;
  }

  /** Resolves once a group holding `item` is written. */
  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Resolves once nothing is queued or being written. */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        try {
          await this.steps.commit(group.map((entry) => entry.item));
          for (const entry of group) entry.resolve();
          await this.steps.afterCommit?.();
        } catch (error) {
          const failure = this.steps.failed ? this.steps.failed(error) : error;
          for (const entry of group) entry.reject(failure);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
