import { randomBytes } from 'node:crypto';
import type { JetStreamClient, NatsConnection, Subscription } from 'nats';
import { pack, unpack } from 'msgpackr';
import type { Logger } from 'pino';
import { connectNats, type NatsAccess } from '../log/nats-log.js';

/**
 * How long a deletion waits after its tombstone is announced before it deletes objects and rows:
 * the other nodes hear of it well within this on one NATS, so a segment they were storing or
 * indexing for the session has landed by then (or is removed by them when it lands).
 */
export const CLUSTER_SETTLE_MS = 1_000;

/**
 * What collector nodes tell each other over core NATS (at most once, no storage): spent
 * rate-limit tokens, login attempts, new tombstones, ack-time dedupe claims. Each use stays
 * correct when a message is lost (a bounded overshoot, or the slower path: a tombstone is also
 * read from the key store every 30 s), so none of it needs JetStream's acknowledgements.
 */
export class ClusterBus {
  readonly nodeId: string;
  /** This process: tells another process that uses the same node id apart from this one. */
  private readonly instance = randomBytes(8).toString('hex');
  private warnedSameId = false;
  private connection: NatsConnection | undefined;
  private readonly subscriptions: Subscription[] = [];
  private readonly handlers = new Map<string, (message: unknown, from: string) => void>();

  constructor(
    private readonly options: {
      servers: string;
      nodeId: string;
      /** Credentials and TLS, as the ingest log's (REPRISE_NATS_USER...). */
      access?: NatsAccess;
      subjectPrefix?: string;
      logger?: Logger;
    },
  ) {
    this.nodeId = options.nodeId;
  }

  private subject(topic: string): string {
    return `${this.options.subjectPrefix ?? 'reprise.cluster'}.${topic}`;
  }

  async open(): Promise<void> {
    this.connection = await connectNats(this.options.servers, this.options.access);
    for (const [topic, handler] of this.handlers) this.listen(topic, handler);
  }

  /** JetStream on the bus's connection (the shared ledger's KV bucket lives there). */
  jetstream(): JetStreamClient {
    if (!this.connection) throw new Error('cluster bus is not open');
    return this.connection.jetstream();
  }

  /** Handle what other nodes publish on `topic` (this node's own messages are skipped). */
  on(topic: string, handler: (message: unknown, from: string) => void): void {
    this.handlers.set(topic, handler);
    if (this.connection) this.listen(topic, handler);
  }

  private listen(topic: string, handler: (message: unknown, from: string) => void): void {
    const subscription = this.connection!.subscribe(this.subject(topic), {
      callback: (error, message) => {
        if (error) return;
        try {
          const { from, instance, body } = unpack(message.data) as { from: string; instance?: string; body: unknown };
          if (from !== this.nodeId) handler(body, from);
          else if (instance !== this.instance && !this.warnedSameId) {
            // Its messages are skipped as this node's own, and its ledger intents taken for ours.
            this.warnedSameId = true;
            this.options.logger?.error(
              { nodeId: this.nodeId },
              `another collector process uses REPRISE_NODE_ID ${this.nodeId}; give every node its own (the host name is the default, so nodes on one host must set it)`,
            );
          }
        } catch (caught) {
          this.options.logger?.warn({ err: caught, topic }, 'cluster bus: a message could not be handled');
        }
      },
    });
    this.subscriptions.push(subscription);
  }

  publish(topic: string, body: unknown): void {
    // Disconnected: nats.js buffers while reconnecting; closed: the message is dropped, as documented.
    if (!this.connection || this.connection.isClosed()) return;
    this.connection.publish(this.subject(topic), pack({ from: this.nodeId, instance: this.instance, body }));
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
    await connection?.drain().catch(() => connection.close());
  }
}
