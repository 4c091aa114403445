import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CollectorConfig } from '../config.js';
import type { DataKeyService } from '../crypto/data-keys.js';
import { decryptSegment, encryptSegment, PayloadEncoding, readSegmentHeader } from '../segment/envelope.js';
import { batchId, type LogRecord } from '../log/types.js';
import { natsAccessOf } from '../log/nats-log.js';
import { packLogRecord, unpackLogRecord } from '../log/record.js';
import { segmentName } from '../store/keys.js';
import { FolderObjectStore } from '../store/folder-store.js';
import type { ObjectStore } from '../store/types.js';
import { NatsObjectStore } from '../log/nats-object-store.js';

/**
 * Records the writer could not store, however often it tried (a batch that cannot be encoded, a
 * segment an index refuses): moved here, so that no record pins the log's cursor or one of the
 * writer's slots, and kept until an operator retries them after a fix
 * (`reprise-collector dead-letters list | retry`).
 *
 * Layout, beside the log (deadLetterStore): a folder `<data dir>/dead-letters` with the file log, a
 * JetStream object store bucket `<stream>_DEAD_LETTERS` with NATS, which every node sees:
 *   `{project}/{sessionId}/{name}`         the log record, encrypted like a segment (STORAGE.md)
 *                                          under the session's data key: deleting the session's
 *                                          keys shreds its dead letters too
 *   `{project}/{sessionId}/{name}.json`    why, when, which batch (no recorded data)
 *   `{project}/{sessionId}/{name}.retry`   present once an operator asked for a retry
 */
export interface DeadLetter {
  key: string;
  project: string;
  sessionId: string;
  batch: string;
  reason: string;
  at: string;
  retryRequested: boolean;
}

const KEY = /^([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)$/;

/**
 * Where the dead letters live: beside the log. With NATS as the log a node's disk is no place for
 * them (another node's writer could not retry them, nor `dead-letters list` run elsewhere see
 * them), so they go to a JetStream object store bucket next to the ingest stream.
 */
export function deadLetterStore(
  config: Pick<CollectorConfig, 'logBackend' | 'natsUrl' | 'natsStream' | 'natsReplicas' | 'dataDir'> &
    Parameters<typeof natsAccessOf>[0],
): ObjectStore {
  return config.logBackend === 'nats'
    ? new NatsObjectStore({
        servers: config.natsUrl,
        bucket: `${config.natsStream}_DEAD_LETTERS`,
        replicas: config.natsReplicas,
        access: natsAccessOf(config),
      })
    : new FolderObjectStore(join(config.dataDir, 'dead-letters'));
}

export class DeadLetters {
  constructor(private readonly deps: { store: ObjectStore; dataKeys: DataKeyService }) {}

  /** Encrypt and keep `record`; resolves once it is stored (the caller then releases it from the log). */
  async put(record: LogRecord, reason: string): Promise<string> {
    const sessionId = record.batch.session;
    const name = segmentName(Date.now(), randomBytes(4).toString('hex'));
    const location = { project: record.project, sessionId, segment: name };
    const key = `${record.project}/${sessionId}/${name}`;
    if (!KEY.test(key)) throw new Error(`dead letter key ${key.slice(0, 200)} is not storable`);
    const dataKey = await this.deps.dataKeys.forWriting({ project: record.project, sessionId });
    const sealed = encryptSegment(packLogRecord(record), dataKey, location, PayloadEncoding.deadLetter);
    const batch = batchId({ ...record.batch, project: record.project, part: (record.batch as { part?: string }).part });
    // The description first: a letter without one would be listed with no reason.
    await this.deps.store.put(
      `${key}.json`,
      Buffer.from(JSON.stringify({ batch, reason: reason.slice(0, 2000), at: new Date().toISOString() })),
    );
    await this.deps.store.put(key, sealed);
    return key;
  }

  async *list(): AsyncIterable<DeadLetter> {
    const keys = new Set<string>();
    for await (const info of this.deps.store.list('')) keys.add(info.key);
    for (const key of keys) {
      const match = KEY.exec(key);
      if (!match) continue;
      const about = await this.deps.store.get(`${key}.json`);
      const described = about
        ? (JSON.parse(Buffer.from(about).toString('utf8')) as { batch?: string; reason?: string; at?: string })
        : {};
      yield {
        key,
        project: match[1]!,
        sessionId: match[2]!,
        batch: described.batch ?? '',
        reason: described.reason ?? '',
        at: described.at ?? '',
        retryRequested: keys.has(`${key}.retry`),
      };
    }
  }

  /** Ask the writer to try `key` again (it looks every few seconds, and at start). */
  async requestRetry(key: string): Promise<boolean> {
    if (!KEY.test(key) || !(await this.deps.store.exists(key))) return false;
    await this.deps.store.put(`${key}.retry`, Buffer.from(new Date().toISOString()));
    return true;
  }

  /** The record a letter holds, decrypted. */
  async read(key: string): Promise<LogRecord> {
    const match = KEY.exec(key);
    const sealed = match ? await this.deps.store.get(key) : undefined;
    if (!match || !sealed) throw new Error(`no dead letter ${key}`);
    const location = { project: match[1]!, sessionId: match[2]!, segment: match[3]! };
    const header = readSegmentHeader(sealed, `dead letter ${key}`);
    const dataKey = await this.deps.dataKeys.forReading(location.project, location.sessionId, header.dataKeyId);
    return unpackLogRecord(decryptSegment(sealed, dataKey.key, location, header));
  }

  /** Stored again: forget the letter. */
  async remove(key: string): Promise<void> {
    await this.deps.store.delete(key);
    await this.deps.store.delete(`${key}.json`);
    await this.deps.store.delete(`${key}.retry`);
  }

  /** The retry failed again: keep the letter, with the new reason, and wait for the next request. */
  async retryFailed(key: string, reason: string): Promise<void> {
    const about = await this.deps.store.get(`${key}.json`);
    const described = about ? (JSON.parse(Buffer.from(about).toString('utf8')) as Record<string, unknown>) : {};
    await this.deps.store.put(
      `${key}.json`,
      Buffer.from(JSON.stringify({ ...described, reason: reason.slice(0, 2000), retriedAt: new Date().toISOString() })),
    );
    await this.deps.store.delete(`${key}.retry`);
  }

  /** Letters an operator asked to retry. */
  async *retryRequested(): AsyncIterable<string> {
    for await (const info of this.deps.store.list('')) {
      if (info.key.endsWith('.retry')) yield info.key.slice(0, -'.retry'.length);
    }
  }
}
