// A recorder page encodes its last batch at unload as a JSON frame (Codec.json): no msgpack, no
// compressor on the page. The collector stores it like any other batch, keeps one copy of a
// resent one, and refuses a damaged one with a 400 that names it.
import { encodeBatchFrame, encodeJsonBatchFrame, writeFrame, Codec, type Batch } from '@reprise/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev } from './support/index-events.js';
import { ORIGIN, startTestCollector, waitForIndexed, type TestCollector } from './support/playback-collector.js';

describe("ingest of a JSON frame (a recorder page's unload batch)", () => {
  let env: TestCollector;
  const start = Date.now() - 60_000;
  const events = [ev.meta(start, 'https://shop.test/'), ev.full(start + 1), ev.click(start + 2)];
  const batch: Batch = {
    v: 1,
    project: 'key-shop',
    session: 'json-unload',
    tab: 'tab-1',
    seq: 0,
    start,
    end: start + 2,
    events,
  };
  const post = (body: Uint8Array, contentType = 'application/vnd.reprise.batch') =>
    fetch(`${env.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': contentType, origin: ORIGIN }, body });

  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['shop']);
  });
  afterAll(() => env?.stop());

  it("is stored and indexed; the same bytes again (a beacon, or the worker's copy) are one batch", async () => {
    const body = encodeJsonBatchFrame(batch);
    expect((await post(body)).status).toBe(202);
    const again = await post(body, 'text/plain');
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ duplicate: true });
    await waitForIndexed(env.plugin, 'shop', 'json-unload', events.length);
    // Other bytes for the same seq are a conflict, whatever their codec.
    expect((await post(encodeBatchFrame(batch, Codec.deflateRaw))).status).toBe(409);
  });

  it('a damaged JSON frame is a 400 bad_json and stores nothing', async () => {
    const bytes = new TextEncoder().encode('{"v":1,"project":"key-shop"');
    const response = await post(writeFrame(Codec.json, bytes.byteLength, bytes));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'bad_json' });
  });
});
