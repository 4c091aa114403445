// The delivery engine in Node against the loopback ingest server (real HTTP, real decoding): the
// transport rules a browser test would take minutes to reach.
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import type { RecordedEvent } from '@reprise/protocol';
import { DeliveryEngine } from '../../packages/core/src/delivery/engine.js';
import type { EngineConfig, FromEngine } from '../../packages/core/src/delivery/messages.js';
import { MemoryOutbox, outboxKey } from '../../packages/core/src/delivery/outbox.js';
import { startIngestServer, type IngestServer } from '../harness/index.js';

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
  return { project: 'p', url: `${ingest.url}/v1/ingest`, session: 'engine-s', tab: 'engine-t', instance: 'i1', maxBatchBytes: 1_000_000, maxOutboxBytes: 1_000_000, online: true, memoryOutbox: true, ...overrides };
}

function events(count: number, from = 0): RecordedEvent[] {
  return Array.from({ length: count }, (_, index) => ({ type: 5, data: { tag: 'reprise.custom', payload: { name: `e${from + index}` } }, timestamp: 1_700_000_000_000 + from + index }));
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

test('a full outbox drops the oldest whole session, counts and reports it, and keeps the current one', async () => {
  ingest.set({ down: true });
  const outbox = new MemoryOutbox();
  const old = (seq: number) => ({ key: outboxKey('old-session', 't', seq, ''), session: 'old-session', tab: 't', seq, part: '', url: `${ingest.url}/v1/ingest`, body: new Uint8Array(3000), createdAt: 1, owner: 'gone' });
  await outbox.put([old(0), old(1)]);
  const { engine, messages } = startEngine(config({ maxOutboxBytes: 5000, online: false }), { outbox });
  await engine.handle({ type: 'events', events: events(50) });
  await engine.handle({ type: 'cut', seq: 0, count: 50 });
  const left = await outbox.list();
  expect(left.map((record) => record.session)).toEqual(['engine-s']);
  expect(messages).toContainEqual(expect.objectContaining({ type: 'dropped', reason: 'outbox_full', batches: 2, bytes: 6000 }));
  await engine.handle({ type: 'discard', id: 1 });
  expect(await outbox.list()).toEqual([]);
});
