/**
 * The JetStream object store that holds what every node of a NATS-backed cluster must see (the
 * dead letters), against a real nats-server: reads race other nodes' writes of the same object.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { NatsObjectStore } from '../src/log/nats-object-store.js';
import { startNats } from '@reprise/test-support/process';

let nats: Awaited<ReturnType<typeof startNats>>;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(() => nats?.stop());

/** Resolves what `read` resolves, or 'still waiting' after `ms`. */
const within = <T>(read: Promise<T>, ms: number): Promise<T | 'still waiting'> =>
  Promise.race([read, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms))]);

test("a read while another node keeps replacing the object gives a whole version of it, never waits for the replaced one's chunks", async () => {
  // As a dead letter's description is rewritten by one node's retry while another lists the letters.
  const writer = new NatsObjectStore({ servers: nats.url, bucket: 'REPLACED' });
  const reader = new NatsObjectStore({ servers: nats.url, bucket: 'REPLACED' });
  const version = (n: number) => Buffer.from(JSON.stringify({ n, reason: 'x'.repeat(200) }));
  await writer.put('letter.json', version(0));
  let writing = true;
  let written = 0;
  const rewrites = (async () => {
    while (writing) await writer.put('letter.json', version(++written));
  })();
  try {
    const seen: number[] = [];
    for (let read = 0; read < 20; read++) {
      const bytes = await within(reader.get('letter.json'), 15_000);
      expect(bytes, `read ${read} (${written} rewrites so far)`).not.toBe('still waiting');
      seen.push((JSON.parse(Buffer.from(bytes as Uint8Array).toString('utf8')) as { n: number }).n);
    }
    // Reads followed the writes: each gave a version written at most by then.
    expect(seen.every((n, index) => index === 0 || n >= seen[index - 1]!)).toBe(true);
    expect(written).toBeGreaterThan(20);
  } finally {
    writing = false;
    await rewrites;
    await writer.close();
    await reader.close();
  }
});

test('a deleted object reads as absent; one over maxBytes is refused unread', async () => {
  const store = new NatsObjectStore({ servers: nats.url, bucket: 'PLAIN' });
  try {
    await store.put('a', new Uint8Array([1, 2, 3]));
    await store.put('empty', new Uint8Array(0));
    expect([...(await store.get('a'))!]).toEqual([1, 2, 3]);
    expect((await store.get('empty'))?.byteLength).toBe(0);
    await expect(store.get('a', { maxBytes: 2 })).rejects.toMatchObject({ code: 'object_too_large' });
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('never')).toBeUndefined();
  } finally {
    await store.close();
  }
});
