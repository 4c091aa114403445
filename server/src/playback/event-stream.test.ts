/**
 * playbackRecords (the events stream) over real stored segments: encrypted with the keyring, in a
 * folder store, read back the way GET /v1/sessions/:id/events reads them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRepriseEvent, type RecordedEvent } from '@reprise/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataKeyService, ObjectDataKeyStore } from '../crypto/data-keys.js';
import { FileKeyring } from '../crypto/keyring.js';
import { encryptSegment } from '../segment/envelope.js';
import type { SegmentRow, SessionRow } from '../index-db/schema.js';
import { playbackRecords } from './event-stream.js';
import type { ReaderDeps } from '../segment/reader.js';
import { FolderObjectStore } from '../store/folder-store.js';
import { segmentName, segmentObjectKey } from '../store/keys.js';
import { encodeSegmentPayload } from '../segment/payload.js';
import type { SegmentBatch } from '../segment/types.js';

const T0 = 1_790_000_000_000;
const ticks = (from: number, count: number): RecordedEvent[] =>
  Array.from({ length: count }, (_, index) => ({
    ...createRepriseEvent('custom', { name: 'tick' }),
    timestamp: from + index,
  }));

describe('playback stream records', () => {
  let dir: string;
  let deps: ReaderDeps;

  /** Stores one segment of `batches` and returns the index row the writer's hook would have made. */
  const storeSegment = async (
    project: string,
    sessionId: string,
    batches: SegmentBatch[],
    suffix = 'abcdef01',
  ): Promise<SegmentRow> => {
    const dataKey = await deps.dataKeys.forWriting({ project, sessionId });
    const start = batches[0]!.start;
    const end = batches.at(-1)!.end;
    const location = { project, sessionId, segment: segmentName(start, suffix) };
    const { compressed, encoding } = await encodeSegmentPayload(location, batches);
    const key = segmentObjectKey({ ...location, at: dataKey.createdAt });
    const object = encryptSegment(compressed, dataKey, location, encoding);
    await deps.store.put(key, object);
    return {
      project,
      session_id: sessionId,
      segment: location.segment,
      object_key: key,
      started_at: start,
      ended_at: end,
      full_snapshot_at: null,
      event_count: batches.reduce((n, b) => n + b.events.length, 0),
      byte_size: object.byteLength,
      data_key_id: dataKey.id,
      stored_at: Date.now(),
    };
  };
  const sessionRow = (project: string, sessionId: string, segments: SegmentRow[]) =>
    ({
      project,
      session_id: sessionId,
      started_at: segments[0]!.started_at,
      ended_at: segments.at(-1)!.ended_at,
    }) as SessionRow;
  const collect = async (session: SessionRow, segments: SegmentRow[]) => {
    const records: Record<string, unknown>[] = [];
    const events: RecordedEvent[] = [];
    for await (const item of playbackRecords(deps, session, segments)) {
      if ('stream' in item) records.push(item);
      else events.push(item);
    }
    return { records, events };
  };
  const batch = (fields: Partial<SegmentBatch> & { events: RecordedEvent[] }): SegmentBatch => ({
    tab: 't1',
    seq: 0,
    start: fields.events[0]!.timestamp,
    end: fields.events.at(-1)!.timestamp,
    receivedAt: T0,
    ...fields,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-playback-records-'));
    const { keyring } = await FileKeyring.load(join(dir, 'keyring.json'));
    const dataKeyStore = new ObjectDataKeyStore(new FolderObjectStore(join(dir, 'keys')));
    deps = {
      store: new FolderObjectStore(join(dir, 'objects')),
      dataKeys: new DataKeyService(keyring, dataKeyStore),
      dataKeyStore,
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('plays both halves of a batch the recorder split after a 413 (same tab and seq, parts 0 and 1)', async () => {
    const first = ticks(T0, 3);
    const second = ticks(T0 + 10, 4);
    const segment = await storeSegment('shop', 'split', [
      batch({ seq: 7, part: '0', events: first }),
      batch({ seq: 7, part: '1', events: second }),
    ]);
    const { records, events } = await collect(sessionRow('shop', 'split', [segment]), [segment]);
    expect(events.map((e) => e.timestamp)).toEqual([...first, ...second].map((e) => e.timestamp));
    expect(records.at(-1)).toEqual({ stream: 'end', segments: 1, delivered: 1, skipped: 0, events: 7 });
  });

  it('still plays a batch stored twice once', async () => {
    const events = ticks(T0 + 100, 2);
    const a = await storeSegment('shop', 'twice', [batch({ seq: 1, events })], 'aaaaaaaa');
    const b = await storeSegment('shop', 'twice', [batch({ seq: 1, events })], 'bbbbbbbb');
    expect((await collect(sessionRow('shop', 'twice', [a, b]), [a, b])).events).toHaveLength(2);
  });

  it('streams a segment whose batch holds 200 000 events (no spread into call arguments)', async () => {
    const many = ticks(T0 + 1_000, 200_000);
    const segment = await storeSegment('shop', 'huge', [batch({ events: many })]);
    const { records, events } = await collect(sessionRow('shop', 'huge', [segment]), [segment]);
    expect(records.filter((r) => r.stream === 'skipped')).toEqual([]);
    expect(events).toHaveLength(200_000);
    expect(events.at(-1)!.timestamp).toBe(many.at(-1)!.timestamp);
  }, 60_000);

  it("does not play another project's (or session's) segment that an index row points at: it is skipped as corrupt", async () => {
    const own = await storeSegment('shop', 'victim', [batch({ events: ticks(T0 + 2_000, 2) })]);
    const foreign = await storeSegment('other', 'secret', [batch({ events: ticks(T0 + 3_000, 5) })]);
    const sameProject = await storeSegment('shop', 'neighbour', [batch({ events: ticks(T0 + 4_000, 3) })]);
    const session = sessionRow('shop', 'victim', [own]);
    // A damaged index: rows of `victim` naming objects of other sessions (the segment name made to match).
    const rows = [
      own,
      { ...own, object_key: foreign.object_key, segment: foreign.segment },
      { ...own, object_key: sameProject.object_key, segment: sameProject.segment },
    ];
    const { records, events } = await collect(session, rows);
    expect(events.map((e) => e.timestamp)).toEqual([T0 + 2_000, T0 + 2_001]);
    const skipped = records.filter((r) => r.stream === 'skipped');
    expect(skipped.map((r) => [r.index, r.reason])).toEqual([
      [1, 'corrupt'],
      [2, 'corrupt'],
    ]);
    expect(String(skipped[0]!.message)).toMatch(/not that segment's key/);
    expect(records.at(-1)).toMatchObject({ stream: 'end', delivered: 1, skipped: 2 });
  });
});
