import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { EventType, type RecordedEvent } from '@reprise/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createUser } from '../src/access/access-store.js';
import { listSegments } from '../src/index-db/sessions-store.js';
import type { sessionJson } from '../src/playback/router.js';
import { ev } from './support/index-events.js';
import {
  ingest,
  readPlayback,
  startTestCollector,
  toBatches,
  waitForIndexed,
  type TestCollector,
} from './support/playback-collector.js';

const MIN = 60_000;
const SESSION_MS = 30 * MIN;
const SNAPSHOT_EVERY_MS = 5 * MIN;
const PAGE_LOADS = SESSION_MS / SNAPSHOT_EVERY_MS;

/**
 * A 30-minute recording: a page load (Meta + full snapshot) every 5 minutes, and in between a
 * mouse move every second and a DOM mutation with some text every 2 seconds.
 */
function thirtyMinuteSession(start: number): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (let t = 0; t < SESSION_MS; t += 1000) {
    const at = start + t;
    if (t % SNAPSHOT_EVERY_MS === 0) {
      events.push(ev.meta(at, `https://app.test/page/${t / SNAPSHOT_EVERY_MS}`), ev.full(at));
      continue;
    }
    events.push(ev.move(at));
    if (t % 2000 === 0) {
      events.push({
        type: EventType.IncrementalSnapshot,
        timestamp: at + 500,
        data: { source: 0, texts: [{ id: 7, value: `tick ${t} `.repeat(20) }], attributes: [], removes: [], adds: [] },
      });
    }
  }
  return events;
}

describe('playback stream of a session recorded through the real ingest path', () => {
  let env: TestCollector;
  let token: string;
  const start = Date.now() - SESSION_MS - MIN;
  const events = thirtyMinuteSession(start);

  const play = (sessionId: string, query = '') =>
    fetch(`${env.url}/v1/sessions/${sessionId}/events${query}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['shop']);
    const db = env.plugin.index.db;
    await createUser(db, { username: 'owner', password: 'correct horse battery', roles: { shop: 'admin' } });
    token = (await createApiToken(db, { name: 'player', project: 'shop', operations: ['read'], createdBy: null }))
      .token;
    // Batches of ~10 s of recording, a new batch at each page load: the writer cuts a segment
    // before every batch that holds a full snapshot.
    const isPageLoad = (event: RecordedEvent) => event.type === EventType.Meta;
    for (const sessionId of ['long', 'damaged']) {
      await ingest(env.url, 'shop', toBatches(sessionId, events, 15, isPageLoad));
    }
    await waitForIndexed(env.plugin, 'shop', 'long', events.length);
    await waitForIndexed(env.plugin, 'shop', 'damaged', events.length);
  });
  // The writer also cuts by size and age, so a page may span more than one segment: the
  // expectations below come from the index, which records where each segment starts.
  const segmentsOf = (sessionId: string) => listSegments(env.plugin.index.db, 'shop', sessionId);
  const pageLoadSegment = async (sessionId: string, page: number) => {
    const segments = await segmentsOf(sessionId);
    const index = segments.findIndex((s) => s.full_snapshot_at === start + page * SNAPSHOT_EVERY_MS);
    return { index, segment: segments[index]!, segments };
  };
  afterAll(() => env?.stop());

  it('indexes the session as the writer stored it: a new segment at each page load', async () => {
    const segments = await segmentsOf('long');
    expect(segments.length).toBeGreaterThanOrEqual(PAGE_LOADS);
    for (let page = 0; page < PAGE_LOADS; page++) {
      const { segment } = await pageLoadSegment('long', page);
      expect(segment.started_at).toBe(start + page * SNAPSHOT_EVERY_MS);
    }
    expect(segments.reduce((n, s) => n + s.event_count, 0)).toBe(events.length);
    const meta = (await (
      await fetch(`${env.url}/v1/sessions/long`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as ReturnType<typeof sessionJson> & { segments: unknown[] };
    expect(meta).toMatchObject({
      id: 'long',
      project: 'shop',
      durationMs: events.at(-1)!.timestamp - start,
      segmentCount: segments.length,
    });
    expect(meta.counts.events).toBe(events.length);
    expect(meta.pages).toHaveLength(PAGE_LOADS);
    expect(meta.segments).toHaveLength(segments.length);
  });

  it('streams every event in order, the first one in well under a second', async () => {
    const started = performance.now();
    const response = await play('long');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const { records, events: played, firstEventMs } = await readPlayback(response, started);
    expect(firstEventMs).toBeLessThan(1000);
    console.info(
      `30-minute session: first event after ${firstEventMs!.toFixed(0)} ms, all ${played.length} events after ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(played).toHaveLength(events.length);
    expect(played.map((e) => e.timestamp)).toEqual(events.map((e) => e.timestamp));
    const segments = (await segmentsOf('long')).length;
    expect(records[0]).toMatchObject({ stream: 'session', version: 1, id: 'long', segments, startSegment: 0 });
    expect(records.filter((r) => r.stream === 'segment')).toHaveLength(segments);
    expect(records.at(-1)).toEqual({ stream: 'end', segments, delivered: segments, skipped: 0, events: events.length });
  });

  it('compresses the stream with gzip when the client accepts it, flushed segment by segment', async () => {
    const raw = (encoding: string) =>
      new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const request = httpGet(
          `${env.url}/v1/sessions/long/events`,
          { headers: { authorization: `Bearer ${token}`, 'accept-encoding': encoding } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
          },
        );
        request.on('error', reject);
      });
    const zipped = await raw('gzip');
    const plain = await raw('identity');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gunzipSync(zipped.body).toString()).toBe(plain.body.toString());
    expect(zipped.body.length).toBeLessThan(plain.body.length / 4);
  });

  it('starts ?from= at the segment holding that moment, beginning with its full snapshot', async () => {
    const third = await pageLoadSegment('long', 2);
    const { records, events: played } = await readPlayback(await play('long', `?from=${12.5 * MIN}`));
    expect(records[0]).toMatchObject({ stream: 'session', startSegment: third.index, from: 12.5 * MIN });
    expect(records[1]).toMatchObject({ stream: 'segment', index: third.index, startedAt: start + 10 * MIN });
    expect(played[0]).toMatchObject({ type: EventType.Meta, timestamp: start + 10 * MIN });
    expect(played[1]).toMatchObject({ type: EventType.FullSnapshot });
    expect(played).toHaveLength(events.filter((e) => e.timestamp >= start + 10 * MIN).length);
    // Exactly on a boundary, and past the end.
    const fourth = await pageLoadSegment('long', 3);
    const last = await pageLoadSegment('long', PAGE_LOADS - 1);
    expect((await readPlayback(await play('long', `?from=${15 * MIN}`))).records[0]).toMatchObject({
      startSegment: fourth.index,
    });
    expect((await readPlayback(await play('long', `?from=${99 * MIN}`))).records[0]).toMatchObject({
      startSegment: last.index,
    });
  });

  it('ends ?from=&to= with the segment holding `to`: a window around a moment, not the rest of the session', async () => {
    const third = await pageLoadSegment('long', 2);
    const fourth = await pageLoadSegment('long', 3);
    const { records, events: played } = await readPlayback(await play('long', `?from=${12.5 * MIN}&to=${14 * MIN}`));
    const sent = records.filter((r) => r.stream === 'segment').map((r) => r.index as number);
    expect(records[0]).toMatchObject({
      stream: 'session',
      startSegment: third.index,
      from: 12.5 * MIN,
      to: 14 * MIN,
      endSegment: sent.at(-1),
    });
    expect(sent[0]).toBe(third.index);
    expect(sent.at(-1)).toBeLessThan(fourth.index);
    expect(played[0]).toMatchObject({ type: EventType.Meta, timestamp: start + 10 * MIN });
    // Everything up to `to` is there; nothing of the next page load.
    expect(played.filter((e) => e.timestamp <= start + 14 * MIN)).toEqual(
      events.filter((e) => e.timestamp >= start + 10 * MIN && e.timestamp <= start + 14 * MIN),
    );
    expect(played.every((e) => e.timestamp < start + 15 * MIN)).toBe(true);
    expect(records.at(-1)).toMatchObject({ stream: 'end', delivered: sent.length, skipped: 0 });
    // `to` before `from` is refused and changes nothing.
    const bad = await play('long', `?from=${5 * MIN}&to=${MIN}`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'bad_query' });
  });

  it('skips a corrupted middle segment with a marker and plays the rest', async () => {
    const { index, segment: middle, segments } = await pageLoadSegment('damaged', 3);
    const file = join(env.dataDir, 'objects', middle.object_key);
    const bytes = readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 40) ^ 0xff, bytes.length - 40);
    writeFileSync(file, bytes);

    const response = await play('damaged');
    expect(response.status).toBe(200);
    const { records, events: played } = await readPlayback(response);
    const skipped = records.filter((r) => r.stream === 'skipped');
    expect(skipped).toEqual([
      expect.objectContaining({
        stream: 'skipped',
        index,
        name: middle.segment,
        reason: 'corrupt',
        startedAt: start + 15 * MIN,
      }),
    ]);
    expect(String(skipped[0]!.message)).toMatch(/tag mismatch|modified/);
    expect(played).toHaveLength(events.length - middle.event_count);
    expect(played.some((e) => e.timestamp === start + 15 * MIN)).toBe(false);
    expect(played.at(-1)!.timestamp).toBe(events.at(-1)!.timestamp);
    expect(records.at(-1)).toMatchObject({ stream: 'end', delivered: segments.length - 1, skipped: 1 });
  });

  it('reports a missing segment the same way', async () => {
    const { index: corrupt, segments } = await pageLoadSegment('damaged', 3);
    await env.collector.store.delete(segments[0]!.object_key);
    const { records, events: played } = await readPlayback(await play('damaged'));
    expect(records.filter((r) => r.stream === 'skipped').map((r) => [r.index, r.reason])).toEqual([
      [0, 'missing'],
      [corrupt, 'corrupt'],
    ]);
    expect(played[0]!.timestamp).toBe(segments[1]!.started_at);
  });
});
