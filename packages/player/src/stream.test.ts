import { describe, expect, test } from 'vitest';
import { GapFilter, parsePlaybackLine, readLines, readSource } from './stream.js';
import { click, full, meta, mutation, T0 } from './test-events.js';
import type { StreamItem } from './types.js';

async function* chunksOf(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.slice(offset, offset + size);
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('parsePlaybackLine', () => {
  test('reads an rrweb event line', () => {
    const event = meta(0, 'http://a.test/');
    expect(parsePlaybackLine(JSON.stringify(event))).toEqual({ kind: 'event', event });
  });
  test('reads a gap marker with its segment and reason', () => {
    expect(parsePlaybackLine('{"type":"reprise.gap","segment":3,"reason":"corrupt"}')).toEqual({
      kind: 'gap',
      segment: 3,
      reason: 'corrupt',
    });
  });
  test('reads the collector stream records: session bounds and skipped segments', () => {
    expect(
      parsePlaybackLine(
        '{"stream":"session","version":1,"id":"s","project":"p","startedAt":1,"endedAt":9,"segments":3,"startSegment":0,"from":null}',
      ),
    ).toEqual({ kind: 'meta', start: 1, end: 9 });
    expect(
      parsePlaybackLine(
        '{"stream":"skipped","index":1,"name":"00001","startedAt":5,"endedAt":7,"reason":"corrupt","message":"tag mismatch"}',
      ),
    ).toEqual({
      kind: 'gap',
      segment: 1,
      reason: 'a segment of this recording is damaged and could not be decrypted: tag mismatch',
      start: 5,
      end: 7,
    });
    expect(parsePlaybackLine('{"stream":"skipped","index":4,"reason":"unreadable"}')).toMatchObject({
      reason: 'a segment of this recording can no longer be decrypted (its key is gone)',
    });
    expect(
      parsePlaybackLine('{"stream":"segment","index":2,"name":"00002","startedAt":7,"endedAt":9,"events":10}'),
    ).toEqual({ kind: 'segment', index: 2, start: 7, end: 9 });
    expect(parsePlaybackLine('{"stream":"end","segments":3,"delivered":2,"skipped":1,"events":10}')).toBeNull();
  });
  test('reads the draft session-bounds line', () => {
    expect(parsePlaybackLine('{"type":"reprise.meta","start":1,"end":9}')).toEqual({ kind: 'meta', start: 1, end: 9 });
  });
  test('ignores blank lines and unknown shapes, reports unreadable lines as gaps', () => {
    expect(parsePlaybackLine('   ')).toBeNull();
    expect(parsePlaybackLine('{"type":"reprise.future"}')).toBeNull();
    expect(parsePlaybackLine('[1,2]')).toBeNull();
    expect(parsePlaybackLine('{"type":2,"timesta')).toMatchObject({ kind: 'gap' });
  });
});

describe('readLines', () => {
  test('splits lines across chunk boundaries, multi-byte characters included, last line without newline', async () => {
    const text = '{"a":"é"}\n{"b":"日本"}\n\n{"c":1}';
    let bytes = 0;
    const lines = await collect(readLines(chunksOf(text, 3), (n) => (bytes += n)));
    expect(lines).toEqual(['{"a":"é"}', '{"b":"日本"}', '', '{"c":1}']);
    expect(bytes).toBe(new TextEncoder().encode(text).length);
  });
  test("onDrained runs after each chunk's complete lines were consumed, before the next chunk is read", async () => {
    const seen: string[] = [];
    for await (const line of readLines(
      chunksOf('a\nb\nc', 4),
      (n) => seen.push(`bytes ${n}`),
      () => seen.push('drained'),
    ))
      seen.push(line);
    expect(seen).toEqual(['bytes 4', 'a', 'b', 'drained', 'bytes 1', 'drained', 'c']);
  });
});

describe('readSource', () => {
  test('an array yields its events and reports completion', async () => {
    const progress: boolean[] = [];
    const items = await collect(
      readSource([meta(0, 'http://a/'), full(1)], { onProgress: (p) => progress.push(p.done) }),
    );
    expect(items.map((item) => item.kind)).toEqual(['event', 'event']);
    expect(progress.at(-1)).toBe(true);
  });
  test('an async iterable may mix events and stream items', async () => {
    async function* source(): AsyncGenerator<unknown> {
      yield meta(0, 'http://a/');
      yield { kind: 'gap', reason: 'lost' } satisfies StreamItem;
      yield full(10);
    }
    const items = await collect(readSource(source() as AsyncIterable<StreamItem>));
    expect(items.map((item) => item.kind)).toEqual(['event', 'gap', 'event']);
  });
  test('a URL whose answer the page already has is read from that answer; an undefined answer means fetch', async () => {
    // Nothing listens on port 1: a fetch there fails, so items prove the given answer was read.
    const unreachable = 'http://127.0.0.1:1/v1/sessions/s/events';
    const body = `${JSON.stringify(meta(0, 'http://a/'))}\n${JSON.stringify(full(1))}\n`;
    const items = await collect(readSource(unreachable, { response: Promise.resolve(new Response(body)) }));
    expect(items.map((item) => item.kind)).toEqual(['event', 'event']);
    await expect(collect(readSource(unreachable, { response: Promise.resolve(undefined) }))).rejects.toThrow();
  });
});

describe('GapFilter', () => {
  test('drops DOM changes after a gap until the next full snapshot, keeps Reprise events', () => {
    const filter = new GapFilter();
    expect(filter.accept(mutation(1))).toBe(true);
    filter.noteGap();
    expect(filter.accept(mutation(2))).toBe(false);
    expect(filter.accept(click(3))).toBe(false);
    expect(filter.accept({ type: 5, timestamp: T0 + 4, data: { tag: 'reprise.console', payload: {} } })).toBe(true);
    expect(filter.accept(meta(5, 'http://a/'))).toBe(true);
    expect(filter.isWaiting).toBe(true);
    expect(filter.accept(full(5))).toBe(true);
    expect(filter.accept(mutation(6))).toBe(true);
  });
});
