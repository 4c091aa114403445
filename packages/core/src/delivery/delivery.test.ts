import { describe, expect, test } from 'vitest';
import { Codec, decodeBatchFrame, encodeBatchFrame, encodeJsonBatchFrame, type RecordedEvent } from '@reprise/protocol';
import { MAX_FRAME_BYTES, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS } from './defaults.js';
import { encodeFrames, measureAndCapStrings, makeBatch, readOwnFrame } from './encode.js';
import {
  MemoryOutbox,
  type OutboxEntry,
  type OutboxRecord,
  SpillingOutbox,
  outboxKey,
  selectOverflow,
} from './outbox.js';
import { backoffDelay, classify, parseRetryAfter } from './transport.js';
import { DeliveryDropError } from '../errors.js';
import { RecorderError } from '../errors.js';

const identity = { project: 'p', session: 's1', tab: 't1' };

/** Events that do not compress: random text, so frame sizes are predictable. */
function noisyEvents(count: number, bytesEach: number): RecordedEvent[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  return Array.from({ length: count }, (_, index) => ({
    type: 5,
    data: {
      tag: 'reprise.custom',
      payload: {
        text: Array.from({ length: bytesEach }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''),
      },
    },
    timestamp: 1_700_000_000_000 + index,
  }));
}

describe('encodeFrames', () => {
  test('a batch that compresses past the keepalive limit is halved into parts that each fit and decode in order', async () => {
    const events = noisyEvents(40, 4000);
    const frames = await encodeFrames(makeBatch(identity, 5, events));
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.every((frame) => frame.body.byteLength <= MAX_FRAME_BYTES)).toBe(true);
    expect(frames.map((frame) => frame.part)).toEqual([...frames.map((frame) => frame.part)].sort());
    const decoded = frames.map((frame) => decodeBatchFrame(frame.body));
    expect(decoded.every((batch) => batch.seq === 5)).toBe(true);
    expect(decoded.flatMap((batch) => batch.events)).toEqual(events);
  });

  test('a small batch stays whole (no part)', async () => {
    const frames = await encodeFrames(makeBatch(identity, 0, noisyEvents(3, 100)));
    expect(frames.map((frame) => frame.part)).toEqual(['']);
    expect(decodeBatchFrame(frames[0]!.body).part).toBeUndefined();
  });

  test('frames are raw DEFLATE by CompressionStream, the same bytes every time, and read back', async () => {
    // The collector keeps one copy per seq by the body's digest: the same batch must always give the same bytes.
    const batch = makeBatch(
      identity,
      2,
      noisyEvents(20, 50).map((event, index) => ({
        ...event,
        data: { tag: 'reprise.custom', payload: { text: `same words ${index % 3}` } },
      })),
    );
    const [first] = await encodeFrames(batch);
    const [again] = await encodeFrames(batch);
    expect(first!.body[3]).toBe(Codec.deflateRaw);
    expect(again!.body).toEqual(first!.body);
    expect(first!.body.byteLength).toBeLessThan(encodeBatchFrame(batch, Codec.none).byteLength / 2);
    expect(decodeBatchFrame(first!.body)).toEqual(batch);
    expect(await readOwnFrame(first!.body)).toEqual(batch);
  });

  test("a JSON frame (the page's own at unload) reads back with the same batch", async () => {
    const batch = makeBatch(identity, 3, noisyEvents(4, 30));
    const body = encodeJsonBatchFrame(batch);
    expect(body[3]).toBe(Codec.json);
    expect(decodeBatchFrame(body)).toEqual(batch);
    expect(await readOwnFrame(body)).toEqual(batch);
  });

  test('measureAndCapStrings is close to the JSON size', () => {
    const events = noisyEvents(10, 300);
    const json = JSON.stringify(events).length;
    expect(measureAndCapStrings(events)).toBeGreaterThan(json * 0.8);
    expect(measureAndCapStrings(events)).toBeLessThan(json * 1.3);
  });

  test('measureAndCapStrings cuts in place every string longer than the limit, in objects and arrays, and counts it cut', () => {
    const event = {
      type: 2,
      timestamp: 1,
      data: {
        node: { childNodes: [{ textContent: 'x'.repeat(50) }, { textContent: 'short' }] },
        list: ['y'.repeat(11), 'ten chars!'],
      },
    };
    const size = measureAndCapStrings(event, 10);
    expect(event.data.node.childNodes[0]!.textContent).toBe(`${'x'.repeat(9)}…`);
    expect(event.data.node.childNodes[1]!.textContent).toBe('short');
    expect(event.data.list).toEqual([`${'y'.repeat(9)}…`, 'ten chars!']);
    expect(size).toBeLessThan(JSON.stringify(event).length * 1.3);
    expect(size).toBeGreaterThan(JSON.stringify(event).length * 0.8);
  });
});

describe('transport rules', () => {
  test('Retry-After in seconds or as an HTTP date; garbage is ignored; a day is capped', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('86400')).toBe(60 * 60_000);
  });

  test('backoff doubles, is capped, and jitters down by at most half', () => {
    expect(backoffDelay(0, () => 1)).toBe(RETRY_BASE_DELAY_MS);
    expect(backoffDelay(3, () => 1)).toBe(RETRY_BASE_DELAY_MS * 8);
    expect(backoffDelay(3, () => 0)).toBe(RETRY_BASE_DELAY_MS * 4);
    expect(backoffDelay(50, () => 1)).toBe(RETRY_MAX_DELAY_MS);
  });

  test('statuses: 2xx ok, 413 split, 429/408/5xx retry, other 4xx dropped', () => {
    expect(classify(202, null, '')).toEqual({ kind: 'ok' });
    expect(classify(413, null, 'over the limit')).toEqual({ kind: 'split', detail: 'over the limit' });
    expect(classify(429, '2', '')).toEqual({ kind: 'retry', delayMs: 2000, status: 429 });
    expect(classify(503, null, '')).toMatchObject({ kind: 'retry', status: 503 });
    expect(classify(400, null, 'bad')).toEqual({ kind: 'drop', status: 400, detail: 'bad' });
    expect(classify(401, null, '')).toMatchObject({ kind: 'drop' });
  });
});

describe('outbox bound', () => {
  const record = (session: string, seq: number, bytes: number, createdAt: number): OutboxEntry => ({
    key: outboxKey(session, 't', seq, '', 'o'),
    session,
    tab: 't',
    seq,
    part: '',
    url: 'http://x/v1/ingest',
    bytes,
    createdAt,
    owner: 'o',
  });

  test('drops the oldest whole sessions first, never the current one while another remains', () => {
    const records = [
      record('old', 0, 400, 1),
      record('old', 1, 400, 2),
      record('mid', 0, 400, 3),
      record('now', 0, 400, 4),
      record('now', 1, 400, 5),
    ];
    const dropped = selectOverflow(records, 1300, 'now');
    expect(dropped.map((r) => `${r.session}:${r.seq}`)).toEqual(['old:0', 'old:1']);
  });

  test('when the current session alone is too large, its oldest batches go', () => {
    const records = [record('now', 0, 400, 1), record('now', 1, 400, 2), record('now', 2, 400, 3)];
    expect(selectOverflow(records, 900, 'now').map((r) => r.seq)).toEqual([0]);
    expect(selectOverflow(records, 5000, 'now')).toEqual([]);
  });
});

describe('SpillingOutbox', () => {
  const stored = (seq: number): OutboxRecord => ({
    key: outboxKey('s', 't', seq, '', 'o'),
    session: 's',
    tab: 't',
    seq,
    part: '',
    url: 'http://x/v1/ingest',
    body: new Uint8Array([seq]),
    createdAt: seq,
    owner: 'o',
  });

  /** A real MemoryOutbox standing for IndexedDB, told to refuse what IndexedDB can refuse, and counting index reads. */
  class Durable extends MemoryOutbox {
    refusePut = false;
    refuseRemove = false;
    indexReads = 0;
    override async put(records: OutboxRecord[]): Promise<void> {
      if (this.refusePut) throw new DOMException('quota', 'QuotaExceededError');
      return super.put(records);
    }
    override async remove(keys: string[]): Promise<void> {
      if (this.refuseRemove) throw new DOMException('closing', 'InvalidStateError');
      return super.remove(keys);
    }
    override async entries(): Promise<OutboxEntry[]> {
      this.indexReads++;
      return super.entries();
    }
  }

  test('a refused write lands in memory, is listed in key order among durable records, and is reported', async () => {
    const durable = new Durable();
    const failures: string[] = [];
    const outbox = new SpillingOutbox(durable, (operation) => failures.push(operation));
    expect(await outbox.put([stored(0), stored(2)])).toBe(true);
    durable.refusePut = true;
    expect(await outbox.put([stored(1)])).toBe(false);
    expect(failures).toEqual(['put']);
    expect((await outbox.entries()).map((entry) => entry.seq)).toEqual([0, 1, 2]);
    expect(await outbox.body(stored(1).key)).toEqual(new Uint8Array([1]));
    await outbox.remove([stored(1).key]);
    expect(outbox.memory.has(() => true)).toBe(false);
  });

  test('a record whose delete failed is not listed again, even after the index is read afresh', async () => {
    const durable = new Durable();
    const outbox = new SpillingOutbox(durable, () => {});
    await outbox.put([stored(0), stored(1)]);
    durable.refuseRemove = true;
    await outbox.remove([stored(0).key]);
    expect((await outbox.entries(true)).map((entry) => entry.seq)).toEqual([1]);
  });

  test('the index is read from the durable store once, then only when asked afresh', async () => {
    const durable = new Durable();
    const outbox = new SpillingOutbox(durable, () => {});
    await durable.put([stored(0)]);
    await outbox.entries();
    await outbox.put([stored(1)]);
    await outbox.remove([stored(0).key]);
    expect((await outbox.entries()).map((entry) => entry.seq)).toEqual([1]);
    expect(durable.indexReads).toBe(1);
    // Another tab stored a batch: seen on the next fresh read.
    await durable.put([stored(5)]);
    expect((await outbox.entries(true)).map((entry) => entry.seq)).toEqual([1, 5]);
    expect(durable.indexReads).toBe(2);
  });
});

describe('errors delivery reports', () => {
  test('a DeliveryDropError is a RecorderError (code delivery), so onError gets it as it is, with the package prefix once', () => {
    const error = new DeliveryDropError('rejected', 1, 120, 'the collector answered 400 to batch seq 3');
    expect(error).toBeInstanceOf(RecorderError);
    expect(error).toMatchObject({
      name: 'DeliveryDropError',
      code: 'delivery',
      reason: 'rejected',
      batches: 1,
      bytes: 120,
    });
    expect(error.message).toBe(
      '[@reprise/core] Delivery dropped 1 batch(es), 120 bytes: the collector answered 400 to batch seq 3.',
    );
  });
});
