import {
  StorageType,
  type NatsConnection,
  type ObjectInfo as NatsObjectInfo,
  type ObjectStore as NatsObjectStoreBucket,
} from 'nats';
import { connectNats, type NatsAccess } from './nats-log.js';
import { objectTooLarge, type ObjectInfo, type ObjectStore } from '../store/types.js';

export interface NatsObjectStoreOptions {
  servers: string;
  /** JetStream object store bucket. */
  bucket: string;
  /** Copies JetStream keeps of each object (as the ingest stream's). @default 1 */
  replicas?: number;
  /** Credentials and TLS, as the ingest stream's connection has them. */
  access?: NatsAccess;
}

/**
 * An ObjectStore in a JetStream object store bucket: for what every node of a NATS-backed
 * cluster must see (the dead letters), with no shared disk between the nodes. Small objects
 * only (each is read whole into memory). Connects on first use, so building one costs nothing.
 */
export class NatsObjectStore implements ObjectStore {
  readonly description: string;
  private opened: Promise<{ connection: NatsConnection; bucket: NatsObjectStoreBucket }> | undefined;

  constructor(private readonly options: NatsObjectStoreOptions) {
    this.description = `nats:${options.servers} object store ${options.bucket}`;
  }

  private bucket(): Promise<NatsObjectStoreBucket> {
    this.opened ??= (async () => {
      const connection = await connectNats(this.options.servers, this.options.access);
      const bucket = await connection
        .jetstream()
        .views.os(this.options.bucket, { storage: StorageType.File, replicas: this.options.replicas ?? 1 });
      return { connection, bucket };
    })();
    // A failed connection is tried again on the next call, not remembered.
    this.opened.catch(() => (this.opened = undefined));
    return this.opened.then((opened) => opened.bucket);
  }

  private async live(key: string): Promise<NatsObjectInfo | undefined> {
    const info = await (await this.bucket()).info(key);
    return info && !info.deleted ? info : undefined;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    // One put is one JetStream message sequence that readers see whole once its last chunk is in.
    await (await this.bucket()).putBlob({ name: key }, body);
  }

  async get(key: string, options: { maxBytes?: number } = {}): Promise<Uint8Array | undefined> {
    if (options.maxBytes !== undefined) {
      const info = await this.live(key);
      if (!info) return undefined;
      if (info.size > options.maxBytes) throw objectTooLarge(key, info.size, options.maxBytes);
    }
    return (await (await this.bucket()).getBlob(key)) ?? undefined;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.live(key)) !== undefined;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const objects = (await (await this.bucket()).list())
      .filter((info) => !info.deleted && info.name.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const info of objects) yield { key: info.name, size: info.size, lastModified: new Date(info.mtime) };
  }

  async delete(key: string): Promise<void> {
    if (await this.exists(key)) await (await this.bucket()).delete(key);
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (!opened) return;
    const { connection } = await opened.catch(() => ({ connection: undefined }));
    await connection?.drain().catch(() => undefined);
  }
}
