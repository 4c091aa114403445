// The delivery engine in Node against the loopback ingest server (real HTTP, real decoding): the
// transport rules a browser test would take minutes to reach.
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import {
  Codec,
  DEFAULT_MAX_STRING_LENGTH,
  PROTOCOL_VERSION,
  encodeBatchFrame,
  encodeJsonBatchFrame,
  type RecordedEvent,
} from '@reprise/protocol';
import { encodeFrames } from '../../packages/core/src/delivery/encode.js';
import { DeliveryEngine } from '../../packages/core/src/delivery/engine.js';
import type { EngineConfig, FromEngine } from '../../packages/core/src/delivery/messages.js';
import { MemoryOutbox, outboxKey } from '../../packages/core/src/delivery/outbox.js';
import { startIngestServer, type IngestServer } from '../harness/index.js';

/** A batch of one event, seq 0, framed as a page's engine sends it. */
function framedBatch(session: string, tab: string, batchEvents: RecordedEvent[]): Uint8Array {
  const at = batchEvents[0]!.timestamp;
  return encodeBatchFrame(
    { v: PROTOCOL_VERSION, project: 'p', session, tab, seq: 0, start: at, end: at, events: batchEvents },
    Codec.deflateRaw,
  );
}

let ingest: IngestServer;
beforeAll(async () => {
  ingest = await startIngestServer();
});
afterAll(() => ingest?.close());
beforeEach(() => {
  ingest.set({});
  ingest.reset();
});

function config(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    project: 'p',
    url: `${ingest.url}/v1/ingest`,
    session: 'engine-s',
    tab: 'engine-t',
    instance: 'i1',
    maxBatchBytes: 1_000_000,
    maxOutboxBytes: 1_000_000,
    online: true,
    memoryOutbox: true,
    ...overrides,
  };
}

function events(count: number, from = 0): RecordedEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    type: 5,
    data: { tag: 'reprise.custom', payload: { name: `e${from + index}` } },
    timestamp: 1_700_000_000_000 + from + index,
  }));
}

function startEngine(engineConfig: EngineConfig, deps: ConstructorParameters<typeof DeliveryEngine>[1] = {}) {
  const messages: FromEngine[] = [];
  const engine = new DeliveryEngine((message) => messages.push(message), deps);
  void engine.handle({ type: 'init', config: engineConfig });
  return { engine, messages };
}

test('another 4xx drops the batch with a report and is never retried', async () => {
  ingest.set({ failWith: 400 });
  const { engine, messages } = startEngine(config());
  await engine.handle({ type: 'events', events: events(3) });
  await engine.handle({ type: 'cut', seq: 0, count: 3 });
  await engine.handle({ type: 'flush', id: 1 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(ingest.requests.length).toBe(1);
  expect(messages).toContainEqual(expect.objectContaining({ type: 'dropped', reason: 'rejected', batches: 1 }));
  expect((messages.find((m) => m.type === 'dropped') as { detail: string }).detail).toMatch(/answered 400/);
  await engine.handle({ type: 'stop', id: 2 });
});

test('a 5xx is retried with backoff until the collector takes it', async () => {
  ingest.set({ failWith: 503 });
  const { engine, messages } = startEngine(config(), { random: () => 0 });
  await engine.handle({ type: 'events', events: events(2) });
  await engine.handle({ type: 'cut', seq: 0, count: 2 });
  await ingest.waitFor(() => ingest.requests.length >= 1, 3_000, 'the first attempt');
  ingest.set({});
  await ingest.waitFor(() => ingest.batches.length === 1, 5_000, 'the retried batch');
  expect(ingest.requests.map((request) => request.status)).toEqual([503, 202]);
  // First retry waits RETRY_BASE_DELAY_MS jittered down to half: 500 ms.
  expect(ingest.requests[1]!.at - ingest.requests[0]!.at).toBeGreaterThanOrEqual(450);
  // The engine hears the 202 a moment after the server stored the batch.
  await expect.poll(() => messages).toContainEqual({ type: 'sent', seq: 0, bytes: ingest.batches[0]!.bytes });
  await engine.handle({ type: 'stop', id: 1 });
});

test('offline holds batches; coming online sends them at once, in seq order', async () => {
  const { engine } = startEngine(config({ online: false }));
  for (let seq = 0; seq < 3; seq++) {
    await engine.handle({ type: 'events', events: events(2, seq * 2) });
    await engine.handle({ type: 'cut', seq, count: 2 });
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(ingest.requests.length).toBe(0);
  await engine.handle({ type: 'online', online: true });
  await ingest.waitFor(() => ingest.batches.length === 3, 5_000, 'three batches');
  expect(ingest.batches.map((item) => item.batch.seq)).toEqual([0, 1, 2]);
  await engine.handle({ type: 'stop', id: 1 });
});

test('a browser that says it is offline on a working network does not hold batches forever: a send is tried at the first backoff step, and once one goes through the rest follow at once', async () => {
  const { engine } = startEngine(config({ online: false }), { random: () => 0 });
  for (let seq = 0; seq < 3; seq++) {
    await engine.handle({ type: 'events', events: events(2, seq * 2) });
    await engine.handle({ type: 'cut', seq, count: 2 });
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  // A hint still: nothing in the first moments.
  expect(ingest.requests.length).toBe(0);
  await ingest.waitFor(() => ingest.batches.length === 3, 5_000, 'three batches without an online event');
  expect(ingest.batches.map((item) => item.batch.seq)).toEqual([0, 1, 2]);
  // The first send proved the browser wrong: no backoff step (1 s next) between the others.
  expect(ingest.requests.at(-1)!.at - ingest.requests[0]!.at).toBeLessThan(900);
  await engine.handle({ type: 'stop', id: 1 });
});

test('offline and truly unreachable, a send is tried once per backoff step, not in a loop', async () => {
  ingest.set({ down: true });
  const { engine } = startEngine(config({ online: false }), { random: () => 0 });
  await engine.handle({ type: 'events', events: events(2) });
  await engine.handle({ type: 'cut', seq: 0, count: 2 });
  await new Promise((resolve) => setTimeout(resolve, 2_200));
  // Steps of 0.5, 1 and 2 s (the shortest jitter): two tries by now.
  expect(ingest.unanswered).toBeGreaterThanOrEqual(1);
  expect(ingest.unanswered).toBeLessThanOrEqual(3);
  await engine.handle({ type: 'stop', id: 1 });
});

test('a full outbox drops the oldest whole session, counts and reports it, and keeps the current one', async () => {
  ingest.set({ down: true });
  const outbox = new MemoryOutbox();
  const old = (seq: number) => ({
    key: outboxKey('old-session', 't', seq, ''),
    session: 'old-session',
    tab: 't',
    seq,
    part: '',
    url: `${ingest.url}/v1/ingest`,
    body: new Uint8Array(3000),
    createdAt: 1,
    owner: 'gone',
  });
  await outbox.put([old(0), old(1)]);
  const { engine, messages } = startEngine(config({ maxOutboxBytes: 5000, online: false }), { outbox });
  await engine.handle({ type: 'events', events: events(50) });
  await engine.handle({ type: 'cut', seq: 0, count: 50 });
  const left = await outbox.entries();
  expect(left.map((entry) => entry.session)).toEqual(['engine-s']);
  expect(messages).toContainEqual(
    expect.objectContaining({ type: 'dropped', reason: 'outbox_full', batches: 2, bytes: 6000 }),
  );
  await engine.handle({ type: 'discard', id: 1 });
  expect(await outbox.entries()).toEqual([]);
});

/** A MemoryOutbox that remembers the most bytes it ever held (the bound must hold at every moment). */
class MeasuredOutbox extends MemoryOutbox {
  peakBytes = 0;
  override async put(records: Parameters<MemoryOutbox['put']>[0]): Promise<void> {
    await super.put(records);
    this.peakBytes = Math.max(
      this.peakBytes,
      (await this.entries()).reduce((sum, entry) => sum + entry.bytes, 0),
    );
  }
}

const oldRecord = (seq: number, bytes: number) => ({
  key: outboxKey('old-session', 't', seq, ''),
  session: 'old-session',
  tab: 't',
  seq,
  part: '',
  url: `${ingest.url}/v1/ingest`,
  body: new Uint8Array(bytes),
  createdAt: 1,
  owner: 'gone',
});

test('the bound is applied before a write: the outbox never holds more than maxOutboxBytes, not even for a moment', async () => {
  const outbox = new MeasuredOutbox();
  await outbox.put([oldRecord(0, 2400), oldRecord(1, 2400)]);
  const { engine, messages } = startEngine(config({ maxOutboxBytes: 5000, online: false }), { outbox });
  await engine.handle({ type: 'events', events: events(60) });
  await engine.handle({ type: 'cut', seq: 0, count: 60 });
  const stored = await outbox.entries();
  expect(stored.map((entry) => entry.session)).toEqual(['engine-s']);
  // 4800 old bytes + the new batch would pass 5000: the old session went before the write.
  expect(4800 + stored[0]!.bytes).toBeGreaterThan(5000);
  expect(outbox.peakBytes).toBeLessThanOrEqual(5000);
  expect(messages).toContainEqual(
    expect.objectContaining({ type: 'dropped', reason: 'outbox_full', batches: 2, bytes: 4800 }),
  );
  await engine.handle({ type: 'discard', id: 1 });
});

/** IndexedDB's answer to a write past the origin's quota (the browser test provokes the real one). */
class FullOutbox extends MemoryOutbox {
  override async put(): Promise<void> {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  }
}

test('a batch the outbox refuses to store (quota) is still sent from memory and the refusal is reported, not lost silently', async () => {
  ingest.set({ down: true });
  const { engine, messages } = startEngine(config(), { outbox: new FullOutbox(), random: () => 0 });
  await engine.handle({ type: 'events', events: events(4) });
  await engine.handle({ type: 'cut', seq: 0, count: 4 });
  expect(messages).toContainEqual(
    expect.objectContaining({
      type: 'warning',
      message: expect.stringMatching(/IndexedDB put failed \(QuotaExceededError/),
    }),
  );
  // Only memory holds it: the page must keep the events (to send them itself at unload) until it is sent.
  expect(messages).not.toContainEqual({ type: 'stored', seq: 0 });
  ingest.set({});
  await ingest.waitFor(() => ingest.batches.length === 1, 5_000, 'the memory-held batch');
  expect(ingest.batches[0]!.batch.events).toEqual(events(4));
  await expect.poll(() => messages).toContainEqual({ type: 'stored', seq: 0 });
  expect(messages.filter((message) => message.type === 'warning')).toHaveLength(1);
  await engine.handle({ type: 'stop', id: 1 });
});

/** A durable store that can no longer delete (e.g. closed for good): the sent batch must not be sent again and again. */
class StuckOutbox extends MemoryOutbox {
  override async remove(): Promise<void> {
    throw new DOMException('The database connection is closing.', 'InvalidStateError');
  }
}

test('a sent batch the outbox cannot delete is not resent on every pass; the failure is reported', async () => {
  const { engine, messages } = startEngine(config(), { outbox: new StuckOutbox() });
  await engine.handle({ type: 'events', events: events(2) });
  await engine.handle({ type: 'cut', seq: 0, count: 2 });
  await ingest.waitFor(() => ingest.batches.length === 1, 5_000, 'the batch');
  for (let seq = 1; seq <= 3; seq++) {
    await engine.handle({ type: 'events', events: events(1, 10 + seq) });
    await engine.handle({ type: 'cut', seq, count: 1 });
  }
  await ingest.waitFor(() => ingest.batches.length === 4, 5_000, 'the later batches');
  await engine.handle({ type: 'flush', id: 1 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(ingest.requests.map((request) => request.seq)).toEqual([0, 1, 2, 3]);
  expect(ingest.duplicates).toBe(0);
  expect(messages).toContainEqual(
    expect.objectContaining({ type: 'warning', message: expect.stringMatching(/IndexedDB remove failed/) }),
  );
  await engine.handle({ type: 'stop', id: 2 });
});

test('a stream that keeps failing (its old collector is gone) backs off alone: the streams after it are still sent', async () => {
  const outbox = new MemoryOutbox();
  // Left by an earlier page configured with a collector that no longer answers; its key sorts first.
  const deadUrl = 'http://127.0.0.1:1/v1/ingest';
  await outbox.put(
    [0, 1].map((seq) => ({
      key: outboxKey('aaa-old', 't', seq, ''),
      session: 'aaa-old',
      tab: 't',
      seq,
      part: '',
      url: deadUrl,
      body: new Uint8Array(10),
      createdAt: 1,
      owner: 'gone',
    })),
  );
  const { engine } = startEngine(config(), { outbox, random: () => 0 });
  for (let seq = 0; seq < 3; seq++) {
    await engine.handle({ type: 'events', events: events(2, seq * 2) });
    await engine.handle({ type: 'cut', seq, count: 2 });
  }
  await ingest.waitFor(() => ingest.batches.length === 3, 5_000, 'the live stream');
  expect(ingest.batches.map((item) => item.batch.seq)).toEqual([0, 1, 2]);
  // The dead stream is still waiting, in order, for its collector.
  expect((await outbox.entries()).map((entry) => `${entry.session}:${entry.seq}`)).toEqual(['aaa-old:0', 'aaa-old:1']);
  await engine.handle({ type: 'stop', id: 1 });
});

/** A record a page that is gone left in the outbox: seq 0 of stream `session`/t. */
function leftBehind(session: string, body: Uint8Array) {
  return {
    key: outboxKey(session, 't', 0, ''),
    session,
    tab: 't',
    seq: 0,
    part: '',
    url: `${ingest.url}/v1/ingest`,
    body,
    createdAt: 1,
    owner: 'gone',
  };
}

test('a 413 for a batch that cannot be split (its stored body no longer decodes) drops it with a report instead of refusing it on every pass', async () => {
  ingest.set({ maxBodyBytes: 50 });
  const outbox = new MemoryOutbox();
  // Damaged in storage: the frame magic is there, the rest is noise.
  const body = new Uint8Array(200).map((_, index) => (index < 2 ? [0x52, 0x50][index]! : (index * 37) % 251));
  await outbox.put([leftBehind('damaged', body)]);
  const { engine, messages } = startEngine(config(), { outbox, random: () => 0 });
  await expect
    .poll(() => messages, { timeout: 5_000 })
    .toContainEqual(expect.objectContaining({ type: 'dropped', reason: 'too_large', batches: 1, bytes: 200 }));
  // The report names the limit the collector refused it under, and the setting that raises it.
  const report = messages.find((message) => message.type === 'dropped') as { detail: string };
  expect(report.detail).toContain('body of 200 bytes is over 50');
  expect(report.detail).toContain('REPRISE_MAX_BODY_BYTES');
  expect(await outbox.entries()).toEqual([]);
  await engine.handle({ type: 'flush', id: 1 });
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  expect(ingest.requests.map((request) => request.status)).toEqual([413]);
  await engine.handle({ type: 'stop', id: 2 });
});

test("a 413 for the page's own JSON frame of one event (a text of megabytes at pagehide) sends it again as the engine encodes: compressed, the long string cut, the same seq", async () => {
  ingest.set({ maxBodyBytes: 1024 * 1024 });
  const lines = Array.from({ length: 120_000 }, (_, index) => `${index} GET /api/items/${index} 200\n`).join('');
  expect(lines.length).toBeGreaterThan(DEFAULT_MAX_STRING_LENGTH);
  const at = 1_700_000_000_000;
  const text: RecordedEvent = {
    type: 3,
    data: { source: 0, texts: [{ id: 7, value: lines }], attributes: [], removes: [], adds: [] },
    timestamp: at,
  };
  const body = encodeJsonBatchFrame({
    v: PROTOCOL_VERSION,
    project: 'p',
    session: 'leaving',
    tab: 't',
    seq: 0,
    start: at,
    end: at,
    events: [text],
  });
  const outbox = new MemoryOutbox();
  await outbox.put([leftBehind('leaving', body)]);
  const { engine, messages } = startEngine(config(), { outbox, random: () => 0 });
  await ingest.waitFor((server) => server.batches.length === 1, 10_000, 'the batch encoded again');
  expect(ingest.requests.map((request) => request.status)).toEqual([413, 202]);
  expect(ingest.requests[1]!.codec).toBe(Codec.deflateRaw);
  const [stored] = ingest.batches.map((item) => item.batch);
  expect([stored!.seq, stored!.part]).toEqual([0, undefined]);
  const value = (stored!.events[0]!.data as { texts: Array<{ value: string }> }).texts[0]!.value;
  expect(value.length).toBe(DEFAULT_MAX_STRING_LENGTH);
  expect(value).toBe(`${lines.slice(0, DEFAULT_MAX_STRING_LENGTH - 1)}…`);
  expect(messages.filter((message) => message.type === 'dropped')).toEqual([]);
  await expect.poll(() => outbox.entries()).toEqual([]);
  await engine.handle({ type: 'stop', id: 1 });
});

test('a 413 for one event the engine cannot make any smaller (its own frame, incompressible) drops it with a report after one refusal', async () => {
  ingest.set({ maxBodyBytes: 32 * 1024 });
  let noise = '';
  for (let seed = 7; noise.length < 64 * 1024;)
    noise += String.fromCharCode(33 + ((seed = (seed * 48271) % 2147483647) % 94));
  const [frame] = await encodeFrames({
    v: PROTOCOL_VERSION,
    project: 'p',
    session: 'noise',
    tab: 't',
    seq: 0,
    start: 1,
    end: 1,
    events: [{ type: 5, data: { tag: 'reprise.custom', payload: { noise } }, timestamp: 1 }],
  });
  const outbox = new MemoryOutbox();
  await outbox.put([leftBehind('noise', frame!.body)]);
  const { engine, messages } = startEngine(config(), { outbox, random: () => 0 });
  await expect
    .poll(() => messages, { timeout: 5_000 })
    .toContainEqual(expect.objectContaining({ type: 'dropped', reason: 'too_large', batches: 1 }));
  await engine.handle({ type: 'flush', id: 1 });
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  expect(ingest.requests.map((request) => request.status)).toEqual([413]);
  expect(await outbox.entries()).toEqual([]);
  await engine.handle({ type: 'stop', id: 2 });
});

test('a collector that does not answer is backed off as a whole: one request per backoff step, not one per stream', async () => {
  ingest.set({ down: true });
  const outbox = new MemoryOutbox();
  // A page that is gone left a stream for the same collector.
  const left = events(1, 100);
  const body = framedBatch('aaa-left', 't', left);
  await outbox.put([leftBehind('aaa-left', body)]);
  const { engine } = startEngine(config(), { outbox, random: () => 1 });
  await engine.handle({ type: 'events', events: events(2) });
  await engine.handle({ type: 'cut', seq: 0, count: 2 });
  await ingest.waitFor(() => ingest.unanswered >= 1, 3_000, 'the first attempt');
  // The first backoff step is 1 s (random 1: no jitter): the other stream must wait it out too.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(ingest.unanswered).toBe(1);
  ingest.set({});
  await engine.handle({ type: 'online', online: true });
  await ingest.waitFor(() => ingest.batches.length === 2, 5_000, 'both streams once the collector answers');
  expect(ingest.batches.map((item) => item.batch.session).sort()).toEqual(['aaa-left', 'engine-s']);
  await engine.handle({ type: 'stop', id: 1 });
});

test("a 409 (another page numbered the same stream) moves this page's batches from that seq on to a tab named after it, in order; later cuts follow", async () => {
  // Another page already delivered seq 0 of this (session, tab) with other events.
  const other = events(1, 500);
  const taken = framedBatch('engine-s', 'engine-t', other);
  expect(
    (
      await fetch(`${ingest.url}/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.reprise.batch' },
        body: new Uint8Array(taken),
      })
    ).status,
  ).toBe(202);
  const { engine, messages } = startEngine(config({ online: false }));
  for (let seq = 0; seq < 2; seq++) {
    await engine.handle({ type: 'events', events: events(2, seq * 2) });
    await engine.handle({ type: 'cut', seq, count: 2 });
  }
  await engine.handle({ type: 'online', online: true });
  await ingest.waitFor(
    () => ingest.batches.filter((item) => item.batch.tab === 'i1').length === 2,
    5_000,
    'both batches as tab i1',
  );
  expect(messages).toContainEqual({ type: 'retab', tab: 'i1' });
  expect(messages.filter((message) => message.type === 'dropped')).toEqual([]);
  await engine.handle({ type: 'events', events: events(2, 10) });
  await engine.handle({ type: 'cut', seq: 2, count: 2 });
  await ingest.waitFor(() => ingest.batches.length === 4, 5_000, 'the next cut');
  expect(ingest.batches.slice(1).map((item) => `${item.batch.tab}:${item.batch.seq}`)).toEqual([
    'i1:0',
    'i1:1',
    'i1:2',
  ]);
  expect(ingest.eventsOf('engine-s').filter((event) => event.timestamp < 1_700_000_000_100)).toEqual(
    events(4).concat(events(2, 10)),
  );
  await engine.handle({ type: 'stop', id: 1 });
});

/**
 * Two pages' engines (instances i1, i2) of one tab, as window.open leaves them (sessionStorage's
 * tab id and seq counter copied), each cutting seq 0 into the origin's one outbox while offline.
 */
async function twoPagesCutSeqZero() {
  const outbox = new MemoryOutbox();
  const first = startEngine(config({ online: false, instance: 'i1' }), { outbox });
  const second = startEngine(config({ online: false, instance: 'i2' }), { outbox });
  await first.engine.handle({ type: 'events', events: events(2) });
  await first.engine.handle({ type: 'cut', seq: 0, count: 2 });
  await second.engine.handle({ type: 'events', events: events(3, 100) });
  await second.engine.handle({ type: 'cut', seq: 0, count: 3 });
  return { outbox, first, second };
}

test('two pages that share a tab and cut the same seq before either is sent both keep their batch: the outbox holds one record per writer, and the 409 moves the later one', async () => {
  const { outbox, first, second } = await twoPagesCutSeqZero();
  expect((await outbox.entries()).map((entry) => `${entry.tab}:${entry.seq}:${entry.owner}`).sort()).toEqual([
    'engine-t:0:i1',
    'engine-t:0:i2',
  ]);
  await first.engine.handle({ type: 'online', online: true });
  await second.engine.handle({ type: 'online', online: true });
  await ingest.waitFor(() => ingest.eventsOf('engine-s').length === 5, 5_000, 'the events of both pages');
  expect(ingest.batches.map((item) => item.batch.tab).sort()).toEqual(['engine-t', expect.stringMatching(/^i[12]$/)]);
  expect(ingest.conflicts).toBe(1);
  expect([...first.messages, ...second.messages].filter((message) => message.type === 'dropped')).toEqual([]);
  await first.engine.handle({ type: 'stop', id: 1 });
  await second.engine.handle({ type: 'stop', id: 1 });
});

test("a page's `delivered` (it sent a seq itself at unload) forgets its own record of the seq, not another page's of the same stream", async () => {
  const { outbox, first, second } = await twoPagesCutSeqZero();
  await first.engine.handle({ type: 'delivered', seq: 0 });
  expect((await outbox.entries()).map((entry) => `${entry.seq}:${entry.owner}`)).toEqual(['0:i2']);
  await first.engine.handle({ type: 'stop', id: 1 });
  await second.engine.handle({ type: 'stop', id: 1 });
});
