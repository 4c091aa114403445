import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBatchFrame, type Batch, type RecordedEvent } from '@reprise/protocol';
import { pino } from 'pino';
import { expect } from 'vitest';
import { createApiToken } from '../../src/access/access-store.js';
import { createCollector, type Collector } from '../../src/collector.js';
import { resolveConfig, type CollectorConfigInput } from '../../src/config.js';
import type { IndexEngine } from '../../src/index-db/database.js';
import { sessionsPlugin, type SessionsPlugin, type SessionsPluginOptions } from '../../src/sessions-api/plugin.js';
import { openTestIndexOptions } from './index-db.js';
import { ev } from './index-events.js';

export const ORIGIN = 'http://127.0.0.1:3000';

export interface TestCollector {
  collector: Collector;
  plugin: SessionsPlugin;
  url: string;
  dataDir: string;
  setupLinks: string[];
  /** Stops the collector; the data folder is removed unless `keepData` (to start again on it). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** A real collector (HTTP, file log, folder store, keyring) with the sessions plugin on `engine`. */
export async function startTestCollector(
  engine: IndexEngine,
  projects = ['dev'],
  options: {
    dataDir?: string;
    config?: Partial<CollectorConfigInput>;
    plugin?: Pick<SessionsPluginOptions, 'loginLimits'>;
  } = {},
): Promise<TestCollector> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'reprise-collector-'));
  const setupLinks: string[] = [];
  const plugin = sessionsPlugin({
    ...options.plugin,
    index: await openTestIndexOptions(engine, dataDir),
    onSetupLink: (link) => setupLinks.push(link),
  });
  const config = resolveConfig({
    dataDir,
    port: 0,
    segmentMaxAgeMs: 200,
    logLevel: 'silent',
    ...options.config,
  });
  const projectList = projects.map((id) => ({ id, keys: [`key-${id}`], origins: [ORIGIN] }));
  const collector = await createCollector(
    { ...config, projectList, devProject: false },
    { plugins: [plugin], logger: pino({ level: 'silent' }) },
  );
  const { url } = await collector.start();
  return {
    collector,
    plugin,
    url,
    dataDir,
    setupLinks,
    async stop(stopOptions = {}) {
      await collector.stop();
      if (!stopOptions.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Sends batches through POST /v1/ingest, the way the recorder does; every one must be acknowledged. */
export async function ingest(
  url: string,
  project: string,
  batches: Omit<Batch, 'v' | 'project'>[],
  headers: Record<string, string> = {},
): Promise<void> {
  for (const batch of batches) {
    const body = encodeBatchFrame({ v: 1, project: `key-${project}`, ...batch });
    const response = await fetch(`${url}/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.reprise.batch', origin: ORIGIN, ...headers },
      body,
    });
    expect(response.status, await response.text()).toBe(202);
  }
}

/** Splits a session's events into batches of `perBatch`, numbered from 0 for one tab. */
export function toBatches(
  sessionId: string,
  events: RecordedEvent[],
  perBatch: number,
  cutBefore?: (event: RecordedEvent) => boolean,
) {
  const batches: Omit<Batch, 'v' | 'project'>[] = [];
  let current: RecordedEvent[] = [];
  const flush = () => {
    if (current.length === 0) return;
    batches.push({
      session: sessionId,
      seq: batches.length,
      tab: 'tab-1',
      start: current[0]!.timestamp,
      end: current[current.length - 1]!.timestamp,
      events: current,
    });
    current = [];
  };
  for (const event of events) {
    if ((cutBefore?.(event) ?? false) || current.length >= perBatch) flush();
    current.push(event);
  }
  flush();
  return batches;
}

/**
 * Sends batches as `ingest` does, then waits until every session in them has all of its events
 * indexed: the set-up most API tests start from.
 */
export async function ingestIndexed(env: TestCollector, project: string, batches: Omit<Batch, 'v' | 'project'>[]) {
  await ingest(env.url, project, batches);
  const events = new Map<string, number>();
  for (const batch of batches) events.set(batch.session, (events.get(batch.session) ?? 0) + batch.events.length);
  for (const [sessionId, count] of events) await waitForIndexed(env.plugin, project, sessionId, count);
}

/**
 * A collector on SQLite with one project, `shop`, a read-and-delete token for it, and `sessions`
 * ingested and indexed: where the deletion tests start.
 */
export async function startShopWithSessions(sessions: Record<string, { batches: Omit<Batch, 'v' | 'project'>[] }>) {
  const env = await startTestCollector('sqlite', ['shop']);
  const token = await deleteTokenFor(env, 'shop');
  await ingestIndexed(
    env,
    'shop',
    Object.values(sessions).flatMap((session) => session.batches),
  );
  return { env, token };
}

/** A four-event visit (page load, snapshot, identify, click) by `userId`, in batches of ten. */
export function identifiedVisit(sessionId: string, start: number, userId: string) {
  return toBatches(
    sessionId,
    [
      ev.meta(start, `https://app.test/${sessionId}`),
      ev.full(start + 1),
      ev.identify(start + 2, userId),
      ev.click(start + 5_000),
    ],
    10,
  );
}

/** Waits until the writer stored and the plugin indexed `events` events of a session. */
export async function waitForIndexed(
  plugin: SessionsPlugin,
  project: string,
  sessionId: string,
  events: number,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await plugin.index.db
      .selectFrom('sessions')
      .select(['segment_count', 'event_count'])
      .where('project', '=', project)
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    if (row && row.event_count >= events) return row;
    if (Date.now() > deadline)
      throw new Error(
        `session ${project}/${sessionId} has ${row?.event_count ?? 0} of ${events} events indexed after ${timeoutMs} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads an NDJSON playback stream, noting when the first rrweb event arrived. */
export async function readPlayback(response: Response, startedAt = performance.now()) {
  const lines: Record<string, unknown>[] = [];
  let firstEventMs: number | undefined;
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
      buffered = buffered.slice(newline + 1);
      if (firstEventMs === undefined && !('stream' in line)) firstEventMs = performance.now() - startedAt;
      lines.push(line);
    }
  }
  expect(buffered).toBe('');
  const records = lines.filter((l) => 'stream' in l);
  const events = lines.filter((l) => !('stream' in l)) as unknown as RecordedEvent[];
  return { lines, records, events, firstEventMs };
}

/** Who calls the sessions API in a test: a login cookie (with its CSRF token) or an API token. */
export interface ApiCaller {
  cookie?: string;
  csrf?: string;
  token?: string;
}

/** One request to the sessions API as `caller`; the body is parsed when it is JSON. */
export async function callApi(
  url: string,
  caller: ApiCaller | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(caller?.cookie ? { cookie: caller.cookie } : {}),
      ...(caller?.csrf && method !== 'GET' ? { 'x-csrf-token': caller.csrf } : {}),
      ...(caller?.token ? { authorization: `Bearer ${caller.token}` } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the API answered
  const parsed: any =
    text && response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body: parsed };
}

/** An API token of `project` that may read and delete: what a data-protection officer's script holds. */
export async function deleteTokenFor(env: TestCollector, project: string): Promise<string> {
  const created = await createApiToken(env.plugin.index.db, {
    name: 'dpo',
    project,
    operations: ['read', 'delete'],
    createdBy: null,
  });
  return created.token;
}
