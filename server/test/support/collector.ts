/**
 * The built collector (bin/reprise-collector.js) in its own process, and batches and stored
 * segments to feed and check it with. Everything on 127.0.0.1. Processes the collector does not
 * own (s3rver, nats-server, PostgreSQL) come from @reprise/test-support/process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeBatchFrame, EventType, createRepriseEvent, type Batch, type RecordedEvent } from '@reprise/protocol';
import { pino } from 'pino';
import { FileKeyring } from '../../src/crypto/keyring.js';
import { DataKeyService, ObjectDataKeyStore } from '../../src/crypto/data-keys.js';
import { FolderObjectStore } from '../../src/store/folder-store.js';
import { S3ObjectStore } from '../../src/store/s3-store.js';
import { parseSegmentObjectKey, segmentObjectKey, type SegmentLocation } from '../../src/store/keys.js';
import { encryptSegment } from '../../src/segment/envelope.js';
import { encodeSegmentPayload } from '../../src/segment/payload.js';
import type { ObjectStore } from '../../src/store/types.js';
import { readStoredSegment, storedBatchId, type ReaderDeps } from '../../src/segment/reader.js';

export const SERVER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(SERVER_DIR, 'bin/reprise-collector.js');
export const ORIGIN = 'http://127.0.0.1:5173';

export interface CollectorProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for exit (graceful drain). */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to flush anything. */
  kill(): Promise<void>;
}

/** The bearer token test collectors ask for on /metrics and the detailed /readyz. */
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789';
const metricsAuth = { authorization: `Bearer ${TEST_METRICS_TOKEN}` };

/** Start the built collector; resolves once it printed its address. */
export async function startCollector(
  env: Record<string, string>,
  options: { port?: number } = {},
): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [BIN], {
    env: {
      PATH: process.env.PATH,
      REPRISE_HOST: '127.0.0.1',
      REPRISE_PORT: String(options.port ?? 0),
      REPRISE_LOG_LEVEL: 'warn',
      REPRISE_METRICS_TOKEN: TEST_METRICS_TOKEN,
      // Every test client is one address and often one long session: only the tests of those limits set them.
      REPRISE_SESSION_RATE_LIMIT_PER_SECOND: '1000000',
      REPRISE_SESSION_RATE_LIMIT_BURST: '1000000',
      REPRISE_ADDRESS_RATE_LIMIT_PER_SECOND: '1000000',
      REPRISE_ADDRESS_RATE_LIMIT_BURST: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start in 15 s:\n${output}`)), 15_000);
    const onData = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

let eventCounter = 0;

/** A realistic-enough batch: incremental snapshots with text, optionally a Meta + FullSnapshot first. */
export function makeBatch(fields: {
  session: string;
  seq: number;
  project?: string;
  tab?: string;
  fullSnapshot?: boolean;
  events?: number;
  padding?: number;
  extra?: RecordedEvent[];
}): Batch {
  const now = Date.now();
  const events: RecordedEvent[] = [];
  if (fields.fullSnapshot) {
    events.push({
      type: EventType.Meta,
      data: { href: 'http://127.0.0.1:5173/page', width: 1280, height: 720 },
      timestamp: now,
    });
    events.push({
      type: EventType.FullSnapshot,
      data: { node: { type: 0, childNodes: [], id: 1 }, initialOffset: { top: 0, left: 0 } },
      timestamp: now,
    });
  }
  const count = fields.events ?? 5;
  for (let i = 0; i < count; i++) {
    events.push({
      type: EventType.IncrementalSnapshot,
      data: {
        source: 0,
        texts: [{ id: ++eventCounter, value: `text ${fields.seq}-${i} ${'x'.repeat(fields.padding ?? 0)}` }],
        attributes: [],
        removes: [],
        adds: [],
      },
      timestamp: now + i,
    });
  }
  events.push(...(fields.extra ?? []));
  // Extra events may carry earlier timestamps (created before this call): bounds are min and max.
  const timestamps = events.map((event) => event.timestamp);
  return {
    v: 1,
    project: fields.project ?? 'dev',
    session: fields.session,
    seq: fields.seq,
    tab: fields.tab ?? 'tab1',
    start: Math.min(...timestamps),
    end: Math.max(...timestamps),
    events,
  };
}

export function frameOf(batch: Batch): Uint8Array {
  return encodeBatchFrame(batch);
}

export async function postBatch(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { error?: string; message?: string; duplicate?: boolean }; headers: Headers }> {
  const answer = await fetch(`${url}/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.reprise.batch', origin: ORIGIN, ...headers },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  const text = await answer.text();
  let parsed = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { raw: text };
  }
  return { status: answer.status, body: parsed, headers: answer.headers };
}

export async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: metricsAuth })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Poll /readyz until the log lag is 0 (everything stored). */
export async function waitForDrain(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = (await (await fetch(`${url}/readyz`, { headers: metricsAuth })).json()) as { lag: number };
    if (ready.lag === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the writer did not drain the log in time');
}

/** The reader's stores over a data dir laid out as the collector lays it out (keyring.json, keys/, objects/). */
export async function folderReaderDeps(dataDir: string, store?: ObjectStore): Promise<ReaderDeps> {
  const { keyring } = await FileKeyring.load(join(dataDir, 'keyring.json'));
  const dataKeyStore = new ObjectDataKeyStore(new FolderObjectStore(join(dataDir, 'keys')));
  return {
    store: store ?? new FolderObjectStore(join(dataDir, 'objects')),
    dataKeys: new DataKeyService(keyring, dataKeyStore),
    dataKeyStore,
  };
}

/** Encrypt one two-event batch as the writer's segment at `location` and store it; returns its object key and stored bytes. */
export async function putTwoEventSegment(
  deps: ReaderDeps,
  location: SegmentLocation,
): Promise<{ key: string; bytes: Buffer }> {
  const batch = makeBatch({ session: location.sessionId, seq: 0, events: 2 });
  const { compressed, encoding } = await encodeSegmentPayload(location, [
    { tab: batch.tab, seq: batch.seq, start: 1, end: 2, receivedAt: 3, events: batch.events },
  ]);
  const bytes = encryptSegment(compressed, await deps.dataKeys.forWriting(location), location, encoding);
  const key = segmentObjectKey({ ...location, at: Date.now() });
  await deps.store.put(key, bytes);
  return { key, bytes };
}

/** Open a data dir's stores offline and count how often each batch id is stored. */
export async function storedBatchCounts(
  dataDir: string,
  store?: ObjectStore,
): Promise<{ counts: Map<string, number>; objects: number }> {
  return batchCountsIn(await folderReaderDeps(dataDir, store));
}

/** Count how often each batch id is stored in the segments of `deps.store`. */
export async function batchCountsIn(deps: ReaderDeps): Promise<{ counts: Map<string, number>; objects: number }> {
  const objects = deps.store;
  const counts = new Map<string, number>();
  let count = 0;
  for await (const info of objects.list('')) {
    const location = parseSegmentObjectKey(info.key);
    if (!location) continue;
    count++;
    const { payload } = await readStoredSegment(deps, info.key).catch((error: unknown) => {
      throw new Error(`segment ${info.key} (modified ${info.lastModified.toISOString()}): ${String(error)}`, {
        cause: error,
      });
    });
    for (const batch of payload.batches) {
      const id = storedBatchId(location, batch);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return { counts, objects: count };
}

export function s3StoreFor(endpoint: string, bucket: string): S3ObjectStore {
  return new S3ObjectStore({ bucket, region: 'us-east-1', endpoint, forcePathStyle: true });
}

export const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

/**
 * The settings of one node of a cluster (NATS log, S3 objects and keys, PostgreSQL index, the
 * keyring from one secret): what `deploy/collector.env` sets, which a test checks. The last group
 * tunes timings and limits for a test run only.
 */
export function clusterNodeEnv(node: {
  nodeId: string;
  dataDir: string;
  natsUrl: string;
  s3Endpoint: string;
  databaseUrl: string;
  keyringJson: string;
  projects: string;
}): Record<string, string> {
  return {
    ...S3_ENV,
    REPRISE_NODE_ID: node.nodeId,
    REPRISE_DATA_DIR: node.dataDir,
    REPRISE_PROJECTS: node.projects,
    REPRISE_KEYRING_JSON: node.keyringJson,
    REPRISE_LOG_BACKEND: 'nats',
    REPRISE_NATS_URL: node.natsUrl,
    REPRISE_STORE: 's3',
    REPRISE_S3_BUCKET: 'reprise-objects',
    REPRISE_KEYS_S3_BUCKET: 'reprise-keys',
    REPRISE_S3_ENDPOINT: node.s3Endpoint,
    REPRISE_S3_FORCE_PATH_STYLE: 'true',
    REPRISE_S3_CREATE_BUCKET: 'true',
    REPRISE_INDEX: 'postgres',
    REPRISE_DATABASE_URL: node.databaseUrl,
    ...CLUSTER_TEST_TUNING,
  };
}

/** Shorter waits and a generous default rate limit for a test run; a deployment keeps the defaults. */
export const CLUSTER_TEST_TUNING: Record<string, string> = {
  REPRISE_NATS_ACK_WAIT_MS: '3000',
  REPRISE_SEGMENT_MAX_AGE_MS: '300',
  REPRISE_RATE_LIMIT_PER_SECOND: '100000',
  REPRISE_RATE_LIMIT_BURST: '100000',
  REPRISE_LOG_LEVEL: 'warn',
};

export const silentLogger = pino({ level: 'silent' });

export { createRepriseEvent };
