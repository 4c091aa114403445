import { createHash } from 'node:crypto';
import type { KV, QueuedIterator, KvEntry } from 'nats';
import type { Logger } from 'pino';
import type { ClusterBus } from '../cluster/bus.js';
import type { Ledger, LedgerIntent } from './ledger.js';

export interface NatsLedgerOptions {
  bus: ClusterBus;
  /** @default REPRISE_LEDGER */
  bucket?: string;
  /** JetStream replicas of the bucket, like the ingest stream's. @default 1 */
  replicas?: number;
  /**
   * How long a stored batch id is remembered. It only has to outlive a redelivery (the ack wait)
   * and a recorder's retries, which JetStream's own 10-minute Nats-Msg-Id window also catches.
   * @default 1 hour
   */
  ttlMs?: number;
  /** Ids kept in memory (oldest forgotten first). @default 1,000,000 */
  keepIds?: number;
  /** Told of every batch id any node stored: seeds ack-time dedupe. */
  onStored?: (id: string, digest: string) => void;
  logger?: Logger;
}

const hash = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 40);

/**
 * The writer's ledger in a JetStream key-value bucket, shared by every collector node:
 *   `i.{node}.{hash(object key)}` → `{ key, ids }`  intent, put (and acknowledged) before the object
 *   `d.{hash(object key)}`        → `{ ids }`       stored; the intent is deleted
 * Every node watches the bucket and keeps the stored ids in memory, so a batch that JetStream
 * hands to another node after a crash is recognised there, and nothing of the ledger is on a
 * node's disk. A node resolves its own unresolved intents at start (by name: REPRISE_NODE_ID).
 */
export class NatsLedger implements Ledger {
  private kv: KV | undefined;
  private watcher: QueuedIterator<KvEntry> | undefined;
  private readonly stored = new Map<string, string>();
  private readonly intents = new Map<string, LedgerIntent>();
  private readonly keepIds: number;

  constructor(private readonly options: NatsLedgerOptions) {
    this.keepIds = options.keepIds ?? 1_000_000;
  }

  private get node(): string {
    return this.options.bus.nodeId;
  }

  async open(): Promise<void> {
    const js = this.options.bus.jetstream();
    this.kv = await js.views.kv(this.options.bucket ?? 'REPRISE_LEDGER', {
      history: 1,
      ttl: this.options.ttlMs ?? 3_600_000,
      replicas: this.options.replicas ?? 1,
    });
    let initialized!: () => void;
    const loaded = new Promise<void>((resolve) => (initialized = resolve));
    this.watcher = await this.kv.watch({ key: '>', initializedFn: () => initialized() });
    void (async () => {
      for await (const entry of this.watcher!) this.apply(entry);
    })().catch((error) => this.options.logger?.error({ err: error }, 'ledger: watching the shared bucket stopped'));
    await loaded;
  }

  private apply(entry: KvEntry): void {
    const removed = entry.operation !== 'PUT';
    if (entry.key.startsWith('i.')) {
      if (removed) this.intents.delete(entry.key);
      else this.intents.set(entry.key, entry.json<LedgerIntent>());
    } else if (entry.key.startsWith('d.') && !removed) {
      for (const [id, digest] of entry.json<{ ids: Array<[string, string]> }>().ids) this.remember(id, digest);
    }
  }

  private remember(id: string, digest: string): void {
    if (this.stored.has(id)) return;
    this.stored.set(id, digest);
    if (this.stored.size > this.keepIds) this.stored.delete(this.stored.keys().next().value as string);
    this.options.onStored?.(id, digest);
  }

  unresolvedIntents(): LedgerIntent[] {
    const mine = `i.${this.node}.`;
    return [...this.intents].filter(([key]) => key.startsWith(mine)).map(([, intent]) => intent);
  }

  foreignIntentHolding(id: string): LedgerIntent | undefined {
    const mine = `i.${this.node}.`;
    for (const [key, intent] of this.intents)
      if (!key.startsWith(mine) && intent.ids.some(([held]) => held === id)) return intent;
    return undefined;
  }

  /** Every node's intent entries for this object (its own, or one this node resolved for a dead node). */
  private intentKeysFor(objectKey: string): string[] {
    const keys = [...this.intents].filter(([, intent]) => intent.key === objectKey).map(([key]) => key);
    return [...new Set([...keys, `i.${this.node}.${hash(objectKey)}`])];
  }

  private async forgetIntent(objectKey: string): Promise<void> {
    for (const key of this.intentKeysFor(objectKey)) {
      this.intents.delete(key);
      await this.kv!.delete(key);
    }
  }

  isStored(id: string): boolean {
    return this.stored.has(id);
  }

  storedEntries(): IterableIterator<[string, string]> {
    return this.stored.entries();
  }

  private intentKey(intent: LedgerIntent): string {
    return `i.${this.node}.${hash(intent.key)}`;
  }

  async intent(intent: LedgerIntent): Promise<void> {
    await this.kv!.put(this.intentKey(intent), JSON.stringify({ key: intent.key, ids: intent.ids }));
  }

  async done(intent: LedgerIntent): Promise<void> {
    for (const [id, digest] of intent.ids) this.remember(id, digest);
    await this.kv!.put(`d.${hash(intent.key)}`, JSON.stringify({ ids: intent.ids }));
    await this.forgetIntent(intent.key);
  }

  async void(intent: LedgerIntent): Promise<void> {
    await this.forgetIntent(intent.key);
  }

  async close(): Promise<void> {
    this.watcher?.stop();
    this.watcher = undefined;
    this.kv = undefined;
  }
}
