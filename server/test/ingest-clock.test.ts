// A device whose clock is far off: the recorder says when it sent each request by that clock
// (`?sent=`), and the collector moves the batch's times onto its own clock instead of refusing
// the whole session (server/src/ingest/clock.ts).
import { join } from 'node:path';
import { unpack } from 'msgpackr';
import { encodeBatchFrame, type Batch, type RecordedEvent } from '@reprise/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/access/access-store.js';
import { decodeLogByTheDoc, undoEventTransformsByTheDoc } from './support/by-the-doc.js';
import { ev } from './support/index-events.js';
import {
  ORIGIN,
  readPlayback,
  startTestCollector,
  waitForIndexed,
  type TestCollector,
} from './support/playback-collector.js';

const DAY = 86_400_000;

describe('a device clock days off', () => {
  let env: TestCollector;
  let token: string;

  const post = async (batch: Omit<Batch, 'v' | 'project'>, query = '') => {
    const response = await fetch(`${env.url}/v1/ingest${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.reprise.batch', origin: ORIGIN },
      body: encodeBatchFrame({ v: 1, project: 'key-shop', ...batch }),
    });
    return { status: response.status, body: (await response.json()) as { error?: string; duplicate?: boolean } };
  };
  const storedEvents = async (sessionId: string) => {
    const response = await fetch(`${env.url}/v1/sessions/${sessionId}/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    return (await readPlayback(response)).events;
  };
  /** A visit recorded `skew` ms off the real clock: page load, snapshot, a request, a click 5 s later. */
  const visit = (sessionId: string, skew: number, seq = 0) => {
    const at = Date.now() - 60_000 + skew;
    const events = [ev.meta(at, 'https://shop.test/'), ev.full(at + 1), ev.request(at + 2, 200), ev.click(at + 5_000)];
    return { batch: { session: sessionId, tab: 'tab-1', seq, start: at, end: at + 5_000, events }, at };
  };

  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['shop']);
    token = (
      await createApiToken(env.plugin.index.db, {
        name: 'viewer',
        project: 'shop',
        operations: ['read'],
        createdBy: null,
      })
    ).token;
  });
  afterAll(() => env?.stop());

  it('three days ahead: the batch is stored on the collector clock, its times moved together', async () => {
    const skew = 3 * DAY;
    const { batch, at } = visit('ahead', skew);
    const sent = Date.now() + skew;
    const answer = await post(batch, `?sent=${sent}`);
    expect(answer.status).toBe(202);
    await waitForIndexed(env.plugin, 'shop', 'ahead', batch.events.length);
    const events = await storedEvents('ahead');
    expect(events).toHaveLength(4);
    const moved = events[0]!.timestamp - at;
    // Moved back by the device's error, give or take the request's travel time.
    expect(Math.abs(moved + skew)).toBeLessThan(10_000);
    expect(events.map((event) => event.timestamp - at - moved)).toEqual([0, 1, 2, 5_000]);
    const request = events[2]!.data as { payload: { startTime: number } };
    expect(request.payload.startTime).toBe(events[2]!.timestamp);
    // The session list shows it when it happened, a minute ago.
    const metadata = (await (
      await fetch(`${env.url}/v1/sessions/ahead`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { startedAt: number };
    expect(Math.abs(metadata.startedAt - (Date.now() - 60_000))).toBeLessThan(20_000);
    // The log holds the batch as corrected (a recovery after kill -9 writes segments from it),
    // not the bytes as sent.
    const logged = decodeLogByTheDoc(
      join(env.dataDir, 'log'),
      join(env.dataDir, 'keys'),
      join(env.dataDir, 'keyring.json'),
    ).records.map((record) => {
      if (!record.wire) return record.batch as Batch;
      const wire = unpack(record.wire as Buffer) as Batch & { x?: number };
      if (wire.x === 1) undoEventTransformsByTheDoc(wire.events, wire.start);
      return wire;
    });
    const loggedAhead = logged.filter((entry) => entry.session === 'ahead');
    expect(loggedAhead).toHaveLength(1);
    expect(loggedAhead[0]!.events.map((event: RecordedEvent) => event.timestamp)).toEqual(
      events.map((event) => event.timestamp),
    );
    // The same bytes sent again later (a retry: another `sent`) are the same batch.
    const retry = await post(batch, `?sent=${Date.now() + skew}`);
    expect(retry).toMatchObject({ status: 202, body: { duplicate: true } });
  });

  it('two days behind: corrected the other way', async () => {
    const skew = -2 * DAY;
    const { batch, at } = visit('behind', skew);
    expect((await post(batch, `?project=key-shop&sent=${Date.now() + skew}`)).status).toBe(202);
    await waitForIndexed(env.plugin, 'shop', 'behind', batch.events.length);
    const events = await storedEvents('behind');
    expect(Math.abs(events[0]!.timestamp - at + skew)).toBeLessThan(10_000);
  });

  it('without `sent`, or with a `sent` its timestamps do not agree with, it is refused as before', async () => {
    const { batch } = visit('unsent', 3 * DAY);
    expect(await post(batch)).toMatchObject({ status: 400, body: { error: 'bad_timestamp' } });
    // The device says its clock is right (it sends now), yet its events are three days ahead.
    expect(await post(batch, `?sent=${Date.now()}`)).toMatchObject({ status: 400, body: { error: 'bad_timestamp' } });
    // Not a number of milliseconds: ignored, so refused as without it.
    for (const sent of ['soon', '-5', '1e15', `${Date.now() + 3 * DAY}.5`])
      expect(await post(batch, `?sent=${sent}`)).toMatchObject({ status: 400, body: { error: 'bad_timestamp' } });
  });

  it('a clock off by less than the window is stored as recorded', async () => {
    const skew = 2 * 3600_000;
    const { batch, at } = visit('near', skew);
    expect((await post(batch, `?sent=${Date.now() + skew}`)).status).toBe(202);
    await waitForIndexed(env.plugin, 'shop', 'near', batch.events.length);
    const events = await storedEvents('near');
    expect(events.map((event) => event.timestamp)).toEqual([at, at + 1, at + 2, at + 5_000]);
  });
});
