import {
  StorageType,
  type NatsConnection,
  type ObjectInfo as NatsObjectInfo,
  type ObjectStore as NatsObjectStoreBucket,
} from 'nats';
import { connectNats, type NatsAccess } from './nats-log.js';
import { CollectorError } from '../errors.js';
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

/** A read with no chunk for this long checks that its object was not replaced meanwhile. */
const GET_STALL_MS = 300;
/** A read of an object that is still there gives up after this long. */
const GET_TIMEOUT_MS = 60_000;
/** Reads of an object that another node keeps replacing. */
const GET_ATTEMPTS = 5;

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
    for (let attempt = 1; ; attempt++) {
      const read = await (await this.bucket()).get(key);
      if (!read) return undefined;
      // The client's own errors are read from the stream below; its other copy of them must not go unhandled.
      read.error.catch(() => undefined);
      if (options.maxBytes !== undefined && read.info.size > options.maxBytes) {
        await read.data.cancel();
        throw objectTooLarge(key, read.info.size, options.maxBytes);
      }
      const bytes = await this.readChunks(key, read.info.nuid, read.data);
      if (bytes) return bytes;
      // Replaced (or deleted) by another node between reading its description and its chunks.
      if (attempt === GET_ATTEMPTS)
        throw new CollectorError(
          'object_store_busy',
          503,
          `${this.description}: object ${key.slice(0, 200)} was replaced ${GET_ATTEMPTS} times while it was read; try again.`,
        );
    }
  }

  /**
   * The object's chunks, or undefined when they are gone. The client waits for chunks with no
   * bound, and a put of the same name by another node purges the chunks it was about to read: the
   * read would wait forever (the writer's dead-letter pass, a `dead-letters list`). A read that
   * stalls asks whether the object is still the one it reads.
   */
  private async readChunks(
    key: string,
    nuid: string,
    data: ReadableStream<Uint8Array>,
  ): Promise<Uint8Array | undefined> {
    const reader = data.getReader();
    const chunks: Uint8Array[] = [];
    const deadline = Date.now() + GET_TIMEOUT_MS;
    let next = reader.read();
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), GET_STALL_MS)));
      const result = await Promise.race([next, stalled]).finally(() => clearTimeout(timer));
      if (result !== 'stalled') {
        if (result.done) return Buffer.concat(chunks);
        chunks.push(result.value);
        next = reader.read();
        continue;
      }
      const current = await this.live(key);
      if (current?.nuid === nuid && Date.now() < deadline) continue;
      await reader.cancel().catch(() => undefined);
      if (current?.nuid === nuid)
        throw new CollectorError(
          'object_store_timeout',
          503,
          `${this.description}: object ${key.slice(0, 200)} was not read within ${GET_TIMEOUT_MS} ms; is the NATS server overloaded?`,
        );
      return undefined;
    }
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
