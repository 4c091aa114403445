/**
 * Deletion that stays deleted: a tombstone makes ingest refuse, the writer drop and the index
 * refuse a deleted session's batches, and a deletion that fails half way (S3 down) is a job
 * retried until it finishes. Checked again after a restart and once the log has drained.
 */
import { encodeBatchFrame, type Batch, type RecordedEvent } from '@reprise/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type S3rverProcess } from '@reprise/test-support/process';
import { S3_ENV } from './support/collector.js';
import { ev } from './support/index-events.js';
import {
  callApi,
  ORIGIN,
  startTestCollector,
  waitForIndexed,
  type TestCollector,
  deleteTokenFor,
} from './support/playback-collector.js';

const MARKER = 'deleted-marker-7f3a';

function batch(session: string, seq: number, at: number): Omit<Batch, 'v' | 'project'> {
  const events: RecordedEvent[] =
    seq === 0
      ? [ev.meta(at, `https://app.test/${session}`), ev.full(at + 1), ev.custom(at + 2, MARKER)]
      : [ev.click(at), ev.custom(at + 1, MARKER)];
  return { session, seq, tab: 'tab-1', start: events[0]!.timestamp, end: events.at(-1)!.timestamp, events };
}

async function post(url: string, project: string, body: Omit<Batch, 'v' | 'project'>): Promise<number> {
  const response = await fetch(`${url}/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.reprise.batch', origin: ORIGIN },
    body: encodeBatchFrame({ v: 1, project: `key-${project}`, ...body }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Everything a restored session could come back from: index rows, objects, data keys, playback. */
async function expectGone(env: TestCollector, token: string, project: string, sessionId: string) {
  const db = env.plugin.index.db;
  for (const table of ['sessions', 'segments', 'session_custom_events', 'session_users'] as const) {
    expect(
      await db
        .selectFrom(table)
        .select('session_id')
        .where('project', '=', project)
        .where('session_id', '=', sessionId)
        .execute(),
      table,
    ).toEqual([]);
  }
  const objects: string[] = [];
  for await (const object of env.collector.store.list(`${project}/`))
    if (object.key.includes(`/${sessionId}/`)) objects.push(object.key);
  expect(objects).toEqual([]);
  expect(await env.collector.dataKeyStore.listSession(project, sessionId)).toEqual([]);
  expect((await callApi(env.url, { token }, 'GET', `/v1/sessions/${sessionId}`)).status).toBe(404);
}

describe('a deleted session does not come back', () => {
  let env: TestCollector;
  let token: string;

  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['shop']);
    token = await deleteTokenFor(env, 'shop');
  });
  afterAll(() => env?.stop());

  it('refuses, drops and does not index batches sent by a tab that stays open during and after the DELETE, also after a restart', async () => {
    const T = Date.now() - 60_000;
    const statuses: number[] = [];
    let stop = false;
    // An open tab: keeps sending while the session is deleted, as the recorder would.
    const tab = (async () => {
      for (let seq = 0; !stop; seq++) {
        statuses.push(await post(env.url, 'shop', batch('race', seq, T + seq * 100)));
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    await waitForIndexed(env.plugin, 'shop', 'race', 5);
    const deleted = await callApi(env.url, { token }, 'DELETE', '/v1/sessions/race');
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body.jobs).toEqual([expect.objectContaining({ project: 'shop', sessionId: 'race', state: 'done' })]);
    // The tab's next batches are refused, with a reason the recorder gives up on (4xx).
    await until('a 410 for the open tab', async () => statuses.includes(410));
    stop = true;
    await tab;
    expect(statuses.slice(statuses.indexOf(410))).toEqual(statuses.slice(statuses.indexOf(410)).map(() => 410));

    // Whatever was in the log or in an open segment at the DELETE is drained, not stored.
    await env.collector.writer.flush();
    await until('the log to drain', async () => env.collector.log.lag() === 0);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await expectGone(env, token, 'shop', 'race');
    const job = await callApi(env.url, { token }, 'GET', `/v1/deletions/${deleted.body.jobs[0].id}`);
    expect(job.body).toMatchObject({ state: 'done', sessionId: 'race' });

    await env.stop({ keepData: true });
    env = await startTestCollector('sqlite', ['shop'], { dataDir: env.dataDir });
    expect(await post(env.url, 'shop', batch('race', 10_000, T + 1_000_000))).toBe(410);
    await env.collector.writer.flush();
    await expectGone(env, token, 'shop', 'race');
  }, 180_000);

  it('deletes a session that is still only in the writer and the log (named by id alone, or with its project)', async () => {
    const T = Date.now() - 30_000;
    // Slow segments: the batches stay in an open segment, not yet stored or indexed.
    await env.stop({ keepData: true });
    env = await startTestCollector('sqlite', ['shop'], { dataDir: env.dataDir, config: { segmentMaxAgeMs: 60_000 } });
    for (let seq = 0; seq < 3; seq++) expect(await post(env.url, 'shop', batch('young', seq, T + seq * 100))).toBe(202);
    await until('the writer to hold the session', async () => env.collector.writer.holds('shop', 'young'));
    expect((await callApi(env.url, { token }, 'GET', '/v1/sessions/young')).status).toBe(404);
    const deleted = await callApi(env.url, { token }, 'DELETE', '/v1/sessions/young');
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    // Not arrived at all yet: accepted when the caller names the project.
    expect((await callApi(env.url, { token }, 'DELETE', '/v1/sessions/not-yet')).status).toBe(404);
    expect((await callApi(env.url, { token }, 'DELETE', '/v1/sessions/not-yet?project=shop')).status).toBe(200);
    expect(await post(env.url, 'shop', batch('not-yet', 0, T))).toBe(410);
    await env.collector.writer.flush();
    await until('the log to drain', async () => env.collector.log.lag() === 0);
    await expectGone(env, token, 'shop', 'young');
  });
});

describe('a deletion that fails half way (S3 stopped) is a job retried until it finishes', () => {
  let s3: S3rverProcess | undefined;
  let env: TestCollector | undefined;
  let token: string;
  const config = () => ({
    store: 's3' as const,
    s3Bucket: 'reprise-deletion',
    s3Endpoint: s3!.endpoint,
    s3ForcePathStyle: true,
    s3CreateBucket: true,
  });

  beforeAll(async () => {
    Object.assign(process.env, S3_ENV);
    s3 = await startS3rver();
    env = await startTestCollector('sqlite', ['shop'], { config: config() });
    token = await deleteTokenFor(env, 'shop');
  });
  afterAll(async () => {
    await env?.stop();
    await s3?.stop();
  });

  it('answers 202 with a pending job, hides the session at once, and finishes once S3 is back; nothing returns after a restart', async () => {
    const T = Date.now() - 60_000;
    for (let seq = 0; seq < 3; seq++)
      expect(await post(env!.url, 'shop', batch('stored', seq, T + seq * 100))).toBe(202);
    await waitForIndexed(env!.plugin, 'shop', 'stored', 7);

    await s3!.stop();
    // Sent during the outage: only in the log and the writer, which cannot store it.
    for (let seq = 0; seq < 3; seq++) expect(await post(env!.url, 'shop', batch('held', seq, T + seq * 100))).toBe(202);
    await until('the writer to hold the session', async () => env!.collector.writer.holds('shop', 'held'));

    const first = await callApi(env!.url, { token }, 'DELETE', '/v1/sessions/stored');
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body.jobs).toEqual([
      expect.objectContaining({ sessionId: 'stored', state: 'pending', attempts: 1, lastError: expect.any(String) }),
    ]);
    // Hidden and undecryptable at once, though its objects are still in the (unreachable) bucket.
    expect((await callApi(env!.url, { token }, 'GET', '/v1/sessions/stored')).status).toBe(404);
    expect(await env!.collector.dataKeyStore.listSession('shop', 'stored')).toEqual([]);
    // A repeated DELETE finds the pending job again instead of answering 404.
    const again = await callApi(env!.url, { token }, 'DELETE', '/v1/sessions/stored');
    expect(again.status).toBe(202);
    expect(again.body.jobs[0].id).toBe(first.body.jobs[0].id);
    const held = await callApi(env!.url, { token }, 'DELETE', '/v1/sessions/held');
    expect([200, 202]).toContain(held.status);

    s3 = await startS3rver({ port: s3!.port, directory: s3!.directory });
    for (const job of [first.body.jobs[0], held.body.jobs[0]]) {
      await until(
        `job ${job.sessionId} to finish`,
        async () => {
          const state = await callApi(env!.url, { token }, 'GET', `/v1/deletions/${job.id}`);
          return state.body.state === 'done';
        },
        120_000,
      );
    }
    await env!.collector.writer.flush();
    await until('the log to drain', async () => env!.collector.log.lag() === 0, 60_000);
    await expectGone(env!, token, 'shop', 'stored');
    await expectGone(env!, token, 'shop', 'held');

    await env!.stop({ keepData: true });
    env = await startTestCollector('sqlite', ['shop'], { dataDir: env!.dataDir, config: config() });
    await env.collector.writer.flush();
    await expectGone(env, token, 'shop', 'stored');
    await expectGone(env, token, 'shop', 'held');
    // Two collector starts, an S3 outage and the writer's capped backoff: generous on a shared machine.
  }, 240_000);
});
