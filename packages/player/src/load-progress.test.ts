import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { contentLengthOfBody, LoadMeter } from './load-progress.js';
import { readSource } from './stream.js';
import { full, meta, mutation, T0 } from './test-events.js';
import type { LoadProgress } from './types.js';

const headers = (init: Record<string, string>, type: ResponseType = 'basic') => ({ headers: new Headers(init), type });

describe('contentLengthOfBody', () => {
  test('counts an uncompressed body', () => {
    expect(contentLengthOfBody(headers({ 'content-length': '1234' }))).toBe(1234);
    expect(contentLengthOfBody(headers({ 'content-length': '1234', 'content-encoding': 'identity' }))).toBe(1234);
  });
  test('ignores the length of a compressed body, which counts the compressed bytes', () => {
    expect(contentLengthOfBody(headers({ 'content-length': '1234', 'content-encoding': 'gzip' }))).toBeUndefined();
    expect(contentLengthOfBody(headers({ 'content-length': '1234', 'content-encoding': 'br' }))).toBeUndefined();
  });
  test('ignores a cross-origin length whose coding is hidden, and no or a bad length', () => {
    expect(contentLengthOfBody(headers({ 'content-length': '1234' }, 'cors'))).toBeUndefined();
    expect(contentLengthOfBody(headers({ 'content-length': '1234', 'content-encoding': 'identity' }, 'cors'))).toBe(
      1234,
    );
    expect(contentLengthOfBody(headers({}))).toBeUndefined();
    expect(contentLengthOfBody(headers({ 'content-length': '0' }))).toBeUndefined();
  });
});

describe('LoadMeter', () => {
  test('by time: the newest event between the first one and the announced session end', () => {
    const meter = new LoadMeter();
    meter.add({ kind: 'meta', start: T0, end: T0 + 1000 });
    expect(meter.snapshot().fraction).toBeUndefined();
    meter.add({ kind: 'event', event: meta(0, 'http://a/') });
    expect(meter.snapshot().fraction).toBe(0);
    meter.add({ kind: 'event', event: mutation(250) });
    expect(meter.snapshot()).toEqual({ events: 2, bytes: 0, fraction: 0.25, done: false });
    // A lost segment covers its time range too.
    meter.add({ kind: 'gap', reason: 'corrupt', start: T0 + 250, end: T0 + 600 });
    expect(meter.snapshot().fraction).toBe(0.6);
  });
  test('never reaches 1 before the end, never goes down, is 1 when done', () => {
    const meter = new LoadMeter();
    meter.add({ kind: 'meta', end: T0 + 1000 });
    meter.add({ kind: 'event', event: meta(0, 'http://a/') });
    // The index's session end can lag behind the newest event.
    meter.add({ kind: 'event', event: mutation(1500) });
    expect(meter.snapshot().fraction).toBe(0.99);
    meter.add({ kind: 'event', event: mutation(900) });
    expect(meter.snapshot().fraction).toBe(0.99);
    meter.finish();
    expect(meter.snapshot()).toMatchObject({ fraction: 1, done: true });
  });
  test('without a length or a session end the progress is indeterminate', () => {
    const meter = new LoadMeter();
    meter.addBytes(500);
    meter.add({ kind: 'event', event: full(10) });
    expect(meter.snapshot()).toEqual({ events: 1, bytes: 500, done: false });
  });
  test("by bytes when the length counts them; a length exceeded was not the body's and falls back to time", () => {
    const meter = new LoadMeter();
    meter.setTotalBytes(1000);
    meter.add({ kind: 'meta', end: T0 + 1000 });
    meter.add({ kind: 'event', event: meta(0, 'http://a/') });
    meter.add({ kind: 'event', event: mutation(100) });
    meter.addBytes(400);
    expect(meter.snapshot()).toMatchObject({ totalBytes: 1000, fraction: 0.4 });
    meter.addBytes(700);
    const progress = meter.snapshot();
    expect(progress.totalBytes).toBeUndefined();
    expect(progress.fraction).toBeCloseTo(0.1);
  });
});

/** One NDJSON playback stream served by a real HTTP server. */
interface Served {
  body: string[];
  headers: Record<string, string>;
  gzip: boolean;
  /** Announce the body's (compressed, when gzip) length, as a static file server or CDN does. */
  contentLength: boolean;
}

describe('readSource over HTTP', () => {
  let server: Server;
  let base: string;
  const routes = new Map<string, Served>();

  function send(res: ServerResponse, served: Served): void {
    const text = served.body.join('');
    const body = served.gzip ? gzipSync(text) : Buffer.from(text);
    res.writeHead(200, {
      'content-type': 'application/x-ndjson',
      ...(served.gzip ? { 'content-encoding': 'gzip' } : {}),
      ...(served.contentLength ? { 'content-length': String(body.length) } : {}),
      ...served.headers,
    });
    res.end(body);
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      const served = routes.get(req.url ?? '');
      if (served) send(res, served);
      else res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // 1,000 events over 10 s after a 20 KB snapshot: like rrweb JSON, it compresses many times.
  const events = [
    meta(0, 'http://a.test/'),
    {
      ...full(1),
      data: {
        node: { type: 0, id: 1, childNodes: [], text: 'lorem ipsum '.repeat(2000) },
        initialOffset: { left: 0, top: 0 },
      },
    },
  ];
  for (let i = 1; i <= 1000; i++) events.push(mutation(i * 10));
  const lines = (values: unknown[]) => values.map((value) => `${JSON.stringify(value)}\n`).join('');
  const sessionLine = {
    stream: 'session',
    version: 1,
    id: 's',
    project: 'p',
    startedAt: T0,
    endedAt: T0 + 10_000,
    segments: 2,
    startSegment: 0,
    from: null,
  };

  async function progressOf(path: string, served: Served): Promise<LoadProgress[]> {
    routes.set(path, served);
    const reports: LoadProgress[] = [];
    let count = 0;
    for await (const item of readSource(`${base}${path}`, { onProgress: (progress) => reports.push(progress) })) {
      if (item.kind === 'event') count++;
    }
    expect(count).toBe(events.length);
    return reports;
  }

  const whileLoading = (reports: LoadProgress[]) => reports.filter((report) => !report.done);

  test('a gzip body with a Content-Length never shows the compressed length as its total', async () => {
    const reports = await progressOf('/gzip-length', {
      body: [lines(events.slice(0, 500)), lines(events.slice(500))],
      headers: {},
      gzip: true,
      contentLength: true,
    });
    expect(reports.at(-1)).toMatchObject({ done: true, fraction: 1, events: events.length });
    const loading = whileLoading(reports);
    expect(loading.length).toBeGreaterThan(0);
    // No session line, no usable length: indeterminate, never a share computed against compressed bytes.
    for (const report of loading) {
      expect(report.totalBytes).toBeUndefined();
      expect(report.fraction).toBeUndefined();
    }
    expect(loading.at(-1)!.bytes).toBeGreaterThan(lines(events).length / 2);
  });

  test("the collector's stream (gzip, chunked, a session line) reports the time covered, rising and below 1", async () => {
    const reports = await progressOf('/collector', {
      body: [
        lines([sessionLine, ...events.slice(0, 500)]),
        lines([...events.slice(500), { stream: 'end', segments: 2, delivered: 2, skipped: 0, events: events.length }]),
      ],
      headers: {},
      gzip: true,
      contentLength: false,
    });
    const loading = whileLoading(reports);
    const fractions = loading.map((report) => report.fraction!);
    expect(fractions.length).toBeGreaterThan(10);
    expect(fractions.every((fraction) => fraction >= 0 && fraction < 1)).toBe(true);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    // Half the events, half the time: ~50% once the first part is in.
    const atHalf = loading.find((report) => report.events >= 500)!;
    expect(atHalf.fraction).toBeGreaterThan(0.45);
    expect(atHalf.fraction).toBeLessThan(0.55);
    expect(reports.at(-1)).toMatchObject({ done: true, fraction: 1 });
  });

  test('an uncompressed body with a Content-Length reports bytes read of it', async () => {
    const body = [lines(events.slice(0, 500)), lines(events.slice(500))];
    const reports = await progressOf('/plain-length', { body, headers: {}, gzip: false, contentLength: true });
    const total = Buffer.byteLength(body.join(''));
    const loading = whileLoading(reports);
    expect(loading.length).toBeGreaterThan(0);
    for (const report of loading) {
      expect(report.totalBytes).toBe(total);
      expect(report.fraction).toBeCloseTo(Math.min(0.99, report.bytes / total), 5);
    }
  });
});
