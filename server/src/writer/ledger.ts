import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { writeFileSynced } from '../fs/write-file-synced.js';
import { GroupCommit } from '../log/group-commit.js';

/**
 * The writer's memory of which batch went into which object, so that records the log hands out
 * again after a crash are not stored twice.
 *
 * Newline-delimited JSON, appended:
 *   {"t":"i","k":objectKey,"ids":[[batchId,digest],...]}   intent, fsynced BEFORE the object is put
 *   {"t":"d","k":objectKey}                                 object stored and announced
 *   {"t":"x","k":objectKey}                                 recovery found no object: intent void
 * On open, an intent with neither "d" nor "x" is handed to recovery, which checks whether the
 * object exists (puts are atomic, so it is all there or not at all).
 */
export interface LedgerIntent {
  key: string;
  ids: Array<[id: string, digest: string]>;
}

/** What the writer needs of a ledger: this file (one node) or `NatsLedger` (every node shares it). */
export interface Ledger {
  open(): Promise<void>;
  close(): Promise<void>;
  /** Intents whose outcome a crash left unknown; the writer resolves each at start. */
  unresolvedIntents(): LedgerIntent[];
  /** Synchronous: asked for every record the writer reads. */
  isStored(id: string): boolean;
  storedEntries(): IterableIterator<[string, string]>;
  /** Durable before the object is put. */
  intent(intent: LedgerIntent): Promise<void>;
  done(intent: LedgerIntent): Promise<void>;
  void(intent: LedgerIntent): Promise<void>;
  /**
   * Another node's unresolved intent holding this batch id (that node died between its intent and
   * its outcome): the writer resolves it before storing the batch again. Only a shared ledger has them.
   */
  foreignIntentHolding?(id: string): LedgerIntent | undefined;
}

interface LedgerLine {
  t: 'i' | 'd' | 'x';
  k: string;
  ids?: Array<[string, string]>;
}

export class WriterLedger implements Ledger {
  readonly path: string;
  private readonly keepIds: number;
  private readonly logger: Logger | undefined;
  private handle: FileHandle | undefined;
  /** Stored batch id -> digest, bounded (oldest forgotten first). */
  private readonly stored = new Map<string, string>();
  private readonly unresolved = new Map<string, LedgerIntent>();
  /** Group commit, like the ingest log: one write and (when any line asks) one fsync per group. */
  private readonly appends = new GroupCommit<{ line: string; sync: boolean }>({
    commit: async (group) => {
      if (!this.handle) throw new Error('ledger is closed');
      const text = group.map((item) => item.line).join('');
      await this.handle.write(text);
      if (group.some((item) => item.sync)) await this.handle.datasync();
      this.bytes += Buffer.byteLength(text);
    },
    afterCommit: async () => {
      if (this.bytes > this.maxBytes) await this.compact();
    },
    failed: (error) => {
      this.logger?.error({ err: error }, 'writer ledger: append failed');
      return error;
    },
  });
  private bytes = 0;
  private readonly maxBytes: number;

  constructor(path: string, options: { keepIds?: number; maxBytes?: number; logger?: Logger } = {}) {
    this.path = path;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.keepIds = options.keepIds ?? 1_000_000;
    this.logger = options.logger;
  }

  /** Load, compact (rewrite with only what is still needed), and open for appending. */
  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const intents = new Map<string, LedgerIntent & { state: 'open' | 'done' }>();
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      let line: LedgerLine;
      try {
        line = JSON.parse(raw) as LedgerLine;
      } catch {
        // A torn last line: its fsync never completed, so its object was never put.
        continue;
      }
      if (line.t === 'i' && Array.isArray(line.ids)) intents.set(line.k, { key: line.k, ids: line.ids, state: 'open' });
      else if (line.t === 'd') {
        const intent = intents.get(line.k);
        if (intent) intent.state = 'done';
      } else if (line.t === 'x') intents.delete(line.k);
    }
    for (const intent of intents.values()) {
      if (intent.state === 'done') {
        for (const [id, digest] of intent.ids) this.remember(id, digest);
      } else {
        this.unresolved.set(intent.key, { key: intent.key, ids: intent.ids });
      }
    }
    await this.compact();
  }

  /**
   * Rewrite the file from memory: stored ids (trimmed to the newest keepIds) as pseudo-objects
   * already done, plus the unresolved intents. Runs at open and whenever the file passes
   * maxBytes, inside the flush loop so no append interleaves.
   */
  private async compact(): Promise<void> {
    const lines: string[] = [];
    const ids = [...this.stored.entries()];
    for (let i = 0; i < ids.length; i += 1000) {
      const key = `#compacted-${i / 1000}`;
      lines.push(JSON.stringify({ t: 'i', k: key, ids: ids.slice(i, i + 1000) }), JSON.stringify({ t: 'd', k: key }));
    }
    for (const intent of this.unresolved.values())
      lines.push(JSON.stringify({ t: 'i', k: intent.key, ids: intent.ids }));
    const text = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    const temp = `${this.path}.tmp`;
    await writeFileSynced(temp, text);
    await this.handle?.close();
    await rename(temp, this.path);
    this.handle = await open(this.path, 'a', 0o600);
    this.bytes = Buffer.byteLength(text);
  }

  private remember(id: string, digest: string): void {
    this.stored.delete(id);
    this.stored.set(id, digest);
    if (this.stored.size > this.keepIds) this.stored.delete(this.stored.keys().next().value as string);
  }

  /** Intents whose outcome a crash left unknown; the writer resolves each with `resolveRecovered`. */
  unresolvedIntents(): LedgerIntent[] {
    return [...this.unresolved.values()];
  }

  isStored(id: string): boolean {
    return this.stored.has(id);
  }

  /** Stored batch ids with their digests: seeds ack-time dedupe after a restart. */
  storedEntries(): IterableIterator<[string, string]> {
    return this.stored.entries();
  }

  /** Durable before the object is put. */
  async intent(intent: LedgerIntent): Promise<void> {
    this.unresolved.set(intent.key, intent);
    await this.write({ t: 'i', k: intent.key, ids: intent.ids }, true);
  }

  /** The object is stored and announced: its batches count as stored from now on. */
  async done(intent: LedgerIntent): Promise<void> {
    for (const [id, digest] of intent.ids) this.remember(id, digest);
    this.unresolved.delete(intent.key);
    // No fsync: losing this line only costs a recovery check of an object that exists.
    await this.write({ t: 'd', k: intent.key }, false);
  }

  /** Recovery found no object for this intent: its batches are not stored. */
  async void(intent: LedgerIntent): Promise<void> {
    this.unresolved.delete(intent.key);
    await this.write({ t: 'x', k: intent.key }, false);
  }

  private write(line: LedgerLine, sync: boolean): Promise<void> {
    return this.appends.add({ line: `${JSON.stringify(line)}\n`, sync });
  }

  async close(): Promise<void> {
    await this.appends.settled();
    await this.handle?.close();
    this.handle = undefined;
  }
}
