/**
 * Hostile input against the real collector process: every generated body gets the right 4xx,
 * the process stays up, its memory stays bounded, and nothing reaches the log or the store.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Codec, encodeBatchFrame, frame, writeFrame } from '@reprise/protocol';
import { Packr } from 'msgpackr';
import { tempDir } from '@reprise/test-support/process';
import {
  frameOf,
  makeBatch,
  metricValue,
  postBatch,
  startCollector,
  storedBatchCounts,
  waitForDrain,
  type CollectorProcess,
} from './support/collector.js';

const MAX_BODY = 256 * 1024;
const MAX_STRING = 4096;
const MAX_EVENTS = 500;
const MAX_DEPTH = 64;
const MAX_DECOMPRESSED = 2 * 1024 * 1024;

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(0x5eed);
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
// Records, as the protocol's encoder writes them: its decoder reads plain msgpack maps as JS Maps
// (msgpackr's mapsAsObjects is off with useRecords), which would hide the field checks behind invalid_batch.
const packRaw = (value: unknown) => new Packr({ useRecords: true, moreTypes: false }).pack(value);
const rawFrame = (value: unknown) => frame(packRaw(value), Codec.gzip);

interface HostileCase {
  name: string;
  body: Uint8Array | string;
  headers?: Record<string, string>;
  /** Expected status; a list where corruption may land on either answer (e.g. inflating past the declared size is 413). */
  status: number | number[];
  error?: string | RegExp;
}

function validBatchFields(seq: number) {
  return makeBatch({ session: 'hostile', seq });
}

function buildCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const good = frameOf(validBatchFields(1000));

  // Content types and encodings.
  for (const type of [
    'text/html',
    'application/json',
    'multipart/form-data; boundary=x',
    'image/png',
    'application/x-www-form-urlencoded',
    'application/msgpack',
    'text/csv',
    'application/xml',
  ]) {
    cases.push({
      name: `content-type ${type}`,
      body: good,
      headers: { 'content-type': type },
      status: 415,
      error: 'unsupported_media_type',
    });
  }
  cases.push({ name: 'no content-type', body: good, headers: { 'content-type': '' }, status: 415 });
  for (const encoding of ['gzip', 'deflate', 'br']) {
    cases.push({
      name: `content-encoding ${encoding}`,
      body: gzipSync(good),
      headers: { 'content-encoding': encoding },
      status: 415,
      error: 'unsupported_content_encoding',
    });
  }

  // Not a frame at all.
  cases.push({ name: 'empty body', body: new Uint8Array(0), status: 400, error: 'bad_frame' });
  cases.push({ name: 'json body', body: JSON.stringify(validBatchFields(1)), status: 400, error: 'bad_frame' });
  cases.push({ name: 'magic only', body: Uint8Array.from([0x52, 0x50]), status: 400, error: 'bad_frame' });
  for (let i = 0; i < 30; i++) {
    const bytes = randomBytes(1 + Math.floor(random() * 4000));
    if (bytes[0] === 0x52 && bytes[1] === 0x50) bytes[0] = 0;
    cases.push({ name: `random bytes #${i}`, body: bytes, status: 400, error: 'bad_frame' });
  }
  // Bad frame versions and codecs.
  for (const version of [0, 2, 7, 255]) {
    const bytes = Uint8Array.from(good);
    bytes[2] = version;
    cases.push({ name: `frame version ${version}`, body: bytes, status: 400, error: 'bad_frame' });
  }
  for (const codec of [4, 9, 200, 255]) {
    const bytes = Uint8Array.from(good);
    bytes[3] = codec;
    cases.push({ name: `codec ${codec}`, body: bytes, status: 400, error: 'unsupported_codec' });
  }

  // Compression bombs: small bodies that inflate far past every limit.
  for (const size of [4, 16, 64]) {
    const zeros = new Uint8Array(size * 1024 * 1024);
    const compressed = gzipSync(zeros, { level: 9 });
    cases.push({
      name: `bomb ${size} MiB declared honestly`,
      body: writeFrame(Codec.gzip, zeros.byteLength, compressed),
      status: 413,
      error: 'too_large',
    });
    cases.push({
      name: `bomb ${size} MiB declared as 1 KiB`,
      body: writeFrame(Codec.gzip, 1024, compressed),
      status: 413,
      error: 'too_large',
    });
    cases.push({
      name: `bomb ${size} MiB declared as 1 MiB`,
      body: writeFrame(Codec.gzip, 1024 * 1024, compressed),
      status: 413,
      error: 'too_large',
    });
  }
  for (const size of [8, 32]) {
    const zeros = new Uint8Array(size * 1024 * 1024);
    cases.push({
      name: `raw-deflate bomb ${size} MiB declared as 1 KiB`,
      body: writeFrame(Codec.deflateRaw, 1024, deflateRawSync(zeros, { level: 9 })),
      status: 413,
      error: 'too_large',
    });
  }
  cases.push({
    name: 'declared 4 GiB',
    body: writeFrame(Codec.gzip, 0xffffffff, gzipSync(new Uint8Array(10))),
    status: 413,
    error: 'too_large',
  });

  // Truncated frames.
  const bigger = frameOf(makeBatch({ session: 'hostile', seq: 1001, events: 40, padding: 200 }));
  for (let i = 0; i < 30; i++) {
    // Before the gzip trailer (last 8 bytes: CRC32, ISIZE); the inflater does not check the trailer.
    const cut = 8 + Math.floor(random() * (bigger.byteLength - 17));
    cases.push({
      name: `truncated at ${cut}`,
      body: bigger.subarray(0, cut),
      status: 400,
      error: /decompression_failed|bad_frame/,
    });
  }
  // Corrupted compressed payloads.
  for (let i = 0; i < 15; i++) {
    const bytes = Uint8Array.from(bigger);
    const at = 18 + Math.floor(random() * (bytes.byteLength - 30));
    for (let j = 0; j < 8; j++) bytes[at + j] = Math.floor(random() * 256);
    cases.push({
      name: `corrupted gzip #${i}`,
      body: bytes,
      status: [400, 413],
      error: /decompression_failed|bad_msgpack|invalid_batch|bad_frame|too_large/,
    });
  }

  // Malformed msgpack inside a valid frame.
  for (let i = 0; i < 20; i++) {
    const bytes = randomBytes(10 + Math.floor(random() * 500));
    bytes[0] = 0xc1; // never-used msgpack byte: guaranteed malformed
    cases.push({
      name: `bad msgpack #${i}`,
      body: frame(bytes, i % 2 === 0 ? Codec.gzip : Codec.none),
      status: 400,
      error: /bad_msgpack|invalid_batch/,
    });
  }
  const trailing = packRaw(validBatchFields(1));
  cases.push({
    name: 'two msgpack values',
    body: frame(new Uint8Array([...trailing, ...trailing]), Codec.gzip),
    status: 400,
    error: 'bad_msgpack',
  });
  for (const value of [[1, 2, 3], 'batch', 42, null, true]) {
    cases.push({
      name: `top-level ${JSON.stringify(value)}`,
      body: rawFrame(value),
      status: 400,
      error: 'invalid_batch',
    });
  }

  // Wrong protocol versions.
  for (const v of [0, 2, 3, 99, -1, '1', null, 1.5]) {
    cases.push({
      name: `version ${JSON.stringify(v)}`,
      body: rawFrame({ ...validBatchFields(1), v }),
      status: 400,
      error: 'unsupported_version',
    });
  }
  cases.push({
    name: 'version missing',
    body: rawFrame((({ v: _v, ...rest }) => rest)(validBatchFields(1))),
    status: 400,
    error: 'unsupported_version',
  });

  // Wrong types and values.
  const wrong: Array<[string, Record<string, unknown>]> = [
    ['seq negative', { seq: -1 }],
    ['seq string', { seq: '1' }],
    ['seq float', { seq: 1.5 }],
    ['seq huge', { seq: 2 ** 60 }],
    ['session empty', { session: '' }],
    ['session slash', { session: 'a/b' }],
    ['session dots', { session: '../../etc' }],
    ['session long', { session: 's'.repeat(200) }],
    ['session number', { session: 12 }],
    ['tab missing', { tab: undefined }],
    ['tab space', { tab: 'a b' }],
    ['project number', { project: 7 }],
    ['project empty', { project: '' }],
    ['start string', { start: 'now' }],
    ['start negative', { start: -5 }],
    ['end before start', { start: 100, end: 50 }],
    ['events empty', { events: [] }],
    ['events object', { events: {} }],
    ['events string', { events: 'x' }],
    ['events null', { events: null }],
    ['event type 9', { events: [{ type: 9, data: {}, timestamp: 1 }] }],
    ['event type -1', { events: [{ type: -1, data: {}, timestamp: 1 }] }],
    ['event type string', { events: [{ type: '2', data: {}, timestamp: 1 }] }],
    ['event timestamp string', { events: [{ type: 3, data: {}, timestamp: 'x' }] }],
    ['event without timestamp', { events: [{ type: 3, data: {} }] }],
    ['event is number', { events: [5] }],
    ['event is null', { events: [null] }],
    ['extra field', { admin: true }],
    ['__proto__ field', { ['__proto__']: { polluted: true } }],
    ['constructor field', { constructor: 'x' }],
  ];
  for (const [name, patch] of wrong) {
    const value: Record<string, unknown> = { ...validBatchFields(1), ...patch };
    for (const key of Object.keys(patch)) if (patch[key] === undefined) delete value[key];
    cases.push({ name, body: rawFrame(value), status: 400, error: /invalid_batch|unsupported_version/ });
  }

  // Huge strings.
  for (const length of [MAX_STRING + 1, MAX_STRING * 4, 200_000]) {
    cases.push({
      name: `string ${length}`,
      body: frameOf(
        makeBatch({
          session: 'hostile',
          seq: 1,
          extra: [{ type: 5, data: { tag: 'x', payload: 'y'.repeat(length) }, timestamp: 1 }],
        }),
      ),
      status: 400,
      error: 'string_too_long',
    });
    cases.push({
      name: `key ${length}`,
      body: frameOf(
        makeBatch({
          session: 'hostile',
          seq: 1,
          extra: [{ type: 5, data: { ['k'.repeat(length)]: 1 }, timestamp: 1 }],
        }),
      ),
      status: 400,
      error: 'string_too_long',
    });
  }
  cases.push({
    name: 'session id 10k chars',
    body: rawFrame({ ...validBatchFields(1), session: 'a'.repeat(10_000) }),
    status: 400,
    error: /string_too_long|invalid_batch/,
  });

  // Deep nesting: built objects past the limit, and raw msgpack nesting far past any stack.
  for (const depth of [MAX_DEPTH + 1, MAX_DEPTH * 2, 1000]) {
    let nested: unknown = 'leaf';
    for (let i = 0; i < depth; i++) nested = [nested];
    cases.push({
      name: `nesting ${depth}`,
      body: rawFrame({ ...validBatchFields(1), events: [{ type: 3, data: nested, timestamp: 1 }] }),
      status: 400,
      error: /too_deep|bad_msgpack/,
    });
  }
  for (const depth of [10_000, 100_000, 500_000]) {
    const bytes = new Uint8Array(depth + 1).fill(0x91);
    bytes[depth] = 0xc0;
    cases.push({
      name: `raw msgpack nesting ${depth}`,
      body: frame(bytes, Codec.gzip),
      status: depth * 1 > MAX_DECOMPRESSED ? 413 : 400,
      error: /bad_msgpack|too_deep|invalid_batch|too_large/,
    });
  }

  // Not plain data (issue 12): msgpackr's structured clone, extensions, bin; each names what it refuses.
  let graph: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < 40; i++) graph = { a: graph, b: graph };
  const withData = (data: unknown) => ({ ...validBatchFields(1), events: [{ type: 3, data, timestamp: Date.now() }] });
  cases.push({
    name: 'structured-clone graph of 2^40 paths',
    body: frame(new Packr({ structuredClone: true }).pack(withData(graph)), Codec.gzip),
    status: 400,
    error: 'unsupported_type',
  });
  const extensions = new Packr({ moreTypes: true, useBigIntExtension: true } as ConstructorParameters<typeof Packr>[0]);
  for (const [name, value] of [
    ['BigInt', 2n ** 70n],
    ['typed array', new Float32Array(4)],
    ['bin', Buffer.alloc(8)],
    ['Date', new Date()],
    ['Set', new Set([1])],
    ['RegExp', /x/],
    ['Error', new Error('x')],
  ] as const) {
    cases.push({
      name: `extension ${name}`,
      body: frame(extensions.pack(withData({ value })), Codec.gzip),
      status: 400,
      error: 'unsupported_type',
    });
  }
  const plainBytes = packRaw(withData({ text: 'MARK' }));
  const patched = (replacement: number[]) => {
    const at = Buffer.from(plainBytes).indexOf(Buffer.from([0xa4, ...Buffer.from('MARK')]));
    return frame(
      Uint8Array.from([...plainBytes.subarray(0, at), ...replacement, ...plainBytes.subarray(at + 5)]),
      Codec.gzip,
    );
  };
  cases.push({ name: 'invalid UTF-8', body: patched([0xa2, 0xff, 0xfe]), status: 400, error: 'bad_utf8' });
  cases.push({
    name: 'duplicate keys',
    body: patched([0x82, 0xa1, 0x61, 0x01, 0xa1, 0x61, 0x02]),
    status: 400,
    error: 'duplicate_key',
  });
  cases.push({
    name: 'NaN',
    body: patched([0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]),
    status: 400,
    error: 'unsupported_type',
  });
  // The JSON unload frame (codec 3): what JSON.parse would quietly change is refused, not stored.
  const jsonFrame = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    return writeFrame(Codec.json, bytes.byteLength, bytes);
  };
  const jsonText = JSON.stringify(withData({ text: 'MARK' }));
  cases.push({
    name: 'JSON 1e400',
    body: jsonFrame(jsonText.replace('"MARK"', '1e400')),
    status: 400,
    error: 'unsupported_type',
  });
  cases.push({
    name: 'JSON duplicate keys',
    body: jsonFrame(jsonText.replace('"MARK"', '{"a":1,"\\u0061":2}')),
    status: 400,
    error: 'duplicate_key',
  });
  cases.push({
    name: 'JSON overriding session',
    body: jsonFrame(jsonText.replace(/}$/, ',"session":"other"}')),
    status: 400,
    error: 'duplicate_key',
  });
  cases.push({
    name: 'JSON unterminated nesting',
    body: jsonFrame('['.repeat(200_000)),
    status: 400,
    error: 'bad_json',
  });
  cases.push({
    name: 'JSON nested 100,000 deep',
    body: jsonFrame('['.repeat(100_000) + ']'.repeat(100_000)),
    status: 400,
    error: /too_deep|invalid_batch/,
  });
  // Garbage after the compressed stream, and a second gzip member.
  const payload = packRaw(validBatchFields(1));
  cases.push({
    name: 'garbage after the gzip stream',
    body: writeFrame(Codec.gzip, payload.byteLength, Uint8Array.from([...gzipSync(payload), 1, 2, 3, 4])),
    status: 400,
    error: /bad_frame|decompression_failed/,
  });
  cases.push({
    name: 'second gzip member',
    body: writeFrame(
      Codec.gzip,
      payload.byteLength,
      Uint8Array.from([...gzipSync(payload), ...gzipSync(new Uint8Array(0))]),
    ),
    status: 400,
    error: 'bad_frame',
  });
  cases.push({
    name: 'garbage after the deflate stream',
    body: writeFrame(Codec.deflateRaw, payload.byteLength, Uint8Array.from([...deflateRawSync(payload), 9, 9, 9])),
    status: 400,
    error: 'bad_frame',
  });

  // Acknowledged but never storable or indexable: refused at the door instead.
  const now = Date.now();
  const timed: Array<[string, Record<string, unknown>, string | RegExp]> = [
    ['start 1e21', { start: 1e21, end: 1e21, events: [{ type: 3, data: {}, timestamp: 1e21 }] }, 'bad_timestamp'],
    [
      'fractional start',
      { start: now + 0.5, end: now + 1, events: [{ type: 3, data: {}, timestamp: now + 1 }] },
      'bad_timestamp',
    ],
    [
      'fractional event timestamp',
      { start: now, end: now + 1, events: [{ type: 3, data: {}, timestamp: now + 0.5 }] },
      'bad_timestamp',
    ],
    [
      'a year in the future',
      {
        start: now + 365 * 86_400_000,
        end: now + 365 * 86_400_000,
        events: [{ type: 3, data: {}, timestamp: now + 365 * 86_400_000 }],
      },
      'bad_timestamp',
    ],
    [
      'a week in the past',
      {
        start: now - 7 * 86_400_000,
        end: now - 7 * 86_400_000,
        events: [{ type: 3, data: {}, timestamp: now - 7 * 86_400_000 }],
      },
      'bad_timestamp',
    ],
    [
      'viewport width fractional',
      { start: now, end: now, events: [{ type: 4, data: { href: 'x', width: 1.5, height: 2 }, timestamp: now }] },
      'invalid_batch',
    ],
    [
      'viewport resize height huge',
      { start: now, end: now, events: [{ type: 3, data: { source: 4, width: 10, height: 2 ** 40 }, timestamp: now }] },
      'invalid_batch',
    ],
  ];
  for (const [name, patch, error] of timed)
    cases.push({ name, body: rawFrame({ ...validBatchFields(1), ...patch }), status: 400, error });

  // Too many events.
  cases.push({
    name: 'too many events',
    body: frameOf(makeBatch({ session: 'hostile', seq: 1, events: MAX_EVENTS + 1 })),
    status: 400,
    error: 'too_many_events',
  });

  // Oversized bodies.
  for (const size of [MAX_BODY + 1, MAX_BODY * 2, 3 * 1024 * 1024]) {
    cases.push({ name: `body ${size} bytes`, body: randomBytes(size), status: 413, error: 'body_too_large' });
  }

  // Wrong key (in the batch, and early in the header), wrong origin.
  for (let i = 0; i < 10; i++) {
    cases.push({
      name: `unknown key #${i}`,
      body: frameOf(makeBatch({ session: 'hostile', seq: 1, project: `nope${i}` })),
      status: 401,
      error: 'unknown_project_key',
    });
  }
  cases.push({
    name: 'unknown key in header',
    body: good,
    headers: { 'x-reprise-project': 'nope' },
    status: 401,
    error: 'unknown_project_key',
  });
  cases.push({
    name: 'header key differs from batch key',
    body: frameOf(makeBatch({ session: 'hostile', seq: 1, project: 'other' })),
    headers: { 'x-reprise-project': 'dev' },
    status: 400,
    error: 'project_mismatch',
  });
  for (const origin of [
    'https://evil.example',
    'http://127.0.0.1.evil.example:80',
    'http://localhost.evil:3000',
    'null',
    'https://127.0.0.1:5173',
    'http://127.0.0.2:5173',
    'http://localhost',
    'file://',
    'http://[::1]:80',
    'http://127.0.0.1:abc',
  ]) {
    cases.push({ name: `origin ${origin}`, body: good, headers: { origin }, status: 403, error: 'origin_not_allowed' });
  }
  return cases;
}

describe('hostile ingest', () => {
  let collector: CollectorProcess;
  let dataDir: string;
  const walBytes = () =>
    readdirSync(join(dataDir, 'log'))
      .filter((name) => name.endsWith('.log'))
      .reduce((sum, name) => sum + statSync(join(dataDir, 'log', name)).size, 0);

  beforeAll(async () => {
    dataDir = tempDir('hostile');
    collector = await startCollector({
      REPRISE_DATA_DIR: dataDir,
      REPRISE_MAX_BODY_BYTES: String(MAX_BODY),
      REPRISE_MAX_STRING_LENGTH: String(MAX_STRING),
      REPRISE_MAX_EVENTS: String(MAX_EVENTS),
      REPRISE_MAX_DEPTH: String(MAX_DEPTH),
      REPRISE_MAX_DECOMPRESSED_BYTES: String(MAX_DECOMPRESSED),
      REPRISE_SEGMENT_MAX_AGE_MS: '100',
      REPRISE_RATE_LIMIT_PER_SECOND: '100000',
      REPRISE_RATE_LIMIT_BURST: '100000',
      REPRISE_ADDRESS_RATE_LIMIT_PER_SECOND: '100000',
      REPRISE_ADDRESS_RATE_LIMIT_BURST: '100000',
      REPRISE_PROJECTS: JSON.stringify([
        { id: 'dev', keys: ['dev'], origins: ['http://127.0.0.1:*', 'http://localhost:*'] },
        { id: 'other', keys: ['other'], origins: ['http://127.0.0.1:*'] },
        { id: 'slow', keys: ['slow'], origins: ['http://127.0.0.1:*'], rateLimit: { perSecond: 0.5, burst: 2 } },
      ]),
    });
  });
  afterAll(async () => {
    await collector?.stop();
  });

  test('at least 200 hostile bodies each get the right 4xx; nothing is stored; memory stays bounded', async () => {
    // One legitimate batch first, so replays have something to collide with.
    const legit = frameOf(makeBatch({ session: 'hostile', seq: 1, fullSnapshot: true }));
    expect((await postBatch(collector.url, legit)).status).toBe(202);
    await waitForDrain(collector.url);
    const before = await storedBatchCounts(dataDir);
    const walBefore = walBytes();
    const rssBefore = await metricValue(collector.url, 'reprise_process_resident_memory_bytes');

    const cases = buildCases();
    // Replayed seq with other content: a conflict, not a second copy.
    for (let i = 0; i < 10; i++) {
      cases.push({
        name: `replayed seq #${i}`,
        body: frameOf(makeBatch({ session: 'hostile', seq: 1, events: 2 + i })),
        status: 409,
        error: 'seq_conflict',
      });
    }
    expect(cases.length).toBeGreaterThanOrEqual(200);

    const failures: string[] = [];
    for (const [index, hostile] of cases.entries()) {
      const answer = await postBatch(collector.url, hostile.body, hostile.headers);
      const codeOk =
        hostile.error === undefined ||
        (typeof hostile.error === 'string'
          ? answer.body.error === hostile.error
          : hostile.error.test(answer.body.error ?? ''));
      const statusOk = Array.isArray(hostile.status)
        ? hostile.status.includes(answer.status)
        : answer.status === hostile.status;
      if (!statusOk || !codeOk || typeof answer.body.message !== 'string') {
        failures.push(
          `${hostile.name}: expected ${hostile.status} ${String(hostile.error ?? '')}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`,
        );
      }
      if (index % 50 === 0) expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    }
    expect(failures).toEqual([]);

    // An identical replay is a retry: 202, flagged duplicate, stored once.
    const retry = await postBatch(collector.url, legit);
    expect(retry.status).toBe(202);
    expect(retry.body.duplicate).toBe(true);

    expect(collector.child.exitCode).toBeNull();
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    const rssAfter = await metricValue(collector.url, 'reprise_process_resident_memory_bytes');
    expect(rssAfter - rssBefore, `RSS grew from ${rssBefore} to ${rssAfter}`).toBeLessThan(150 * 1024 * 1024);
    expect(rssAfter).toBeLessThan(500 * 1024 * 1024);

    // Nothing reached the log, nothing new in the store.
    expect(walBytes()).toBe(walBefore);
    await new Promise((r) => setTimeout(r, 300));
    const after = await storedBatchCounts(dataDir);
    expect(after.objects).toBe(before.objects);
    expect([...after.counts]).toEqual([...before.counts]);
    expect(await metricValue(collector.url, 'reprise_ingest_refusals_total')).toBeGreaterThanOrEqual(cases.length);
  });

  test('a key past its rate limit gets 429 with Retry-After', async () => {
    const answers = [];
    for (let seq = 0; seq < 5; seq++)
      answers.push(await postBatch(collector.url, frameOf(makeBatch({ session: 'rate', seq, project: 'slow' }))));
    expect(answers.slice(0, 2).map((a) => a.status)).toEqual([202, 202]);
    const limited = answers.slice(2);
    for (const answer of limited) {
      expect(answer.status).toBe(429);
      expect(answer.body.error).toBe('rate_limited');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });

  test('CORS: preflight and answers carry the allowed origin only', async () => {
    const preflight = await fetch(`${collector.url}/v1/ingest`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    const denied = await fetch(`${collector.url}/v1/ingest`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const accepted = await postBatch(collector.url, frameOf(makeBatch({ session: 'cors', seq: 0 })), {
      origin: 'http://localhost:3000',
    });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    // Every codec of the frame decodes.
    for (const [seq, codec] of [
      [10, Codec.none],
      [11, Codec.deflateRaw],
      [12, Codec.gzip],
    ] as const) {
      expect(
        (await postBatch(collector.url, encodeBatchFrame(makeBatch({ session: 'codecs', seq }), codec))).status,
      ).toBe(202);
    }
    // sendBeacon's text/plain is accepted too.
    const beacon = await postBatch(collector.url, frameOf(makeBatch({ session: 'cors', seq: 1 })), {
      'content-type': 'text/plain;charset=UTF-8',
    });
    expect(beacon.status).toBe(202);
  });
});

/** A batch whose one event's `data` is the raw msgpack `data` (spliced in place of a marker string). */
function batchWithRawData(data: Uint8Array, session: string, seq: number): Uint8Array {
  const marker = 'RAW-DATA-MARKER';
  const packed = packRaw({
    ...makeBatch({ session, seq, events: 0 }),
    events: [{ type: 3, data: marker, timestamp: Date.now() }],
    start: Date.now(),
    end: Date.now(),
  });
  const at = Buffer.from(packed).indexOf(Buffer.concat([Buffer.from([0xa0 | marker.length]), Buffer.from(marker)]));
  const out = new Uint8Array(packed.byteLength - marker.length - 1 + data.byteLength);
  out.set(packed.subarray(0, at));
  out.set(data, at);
  out.set(packed.subarray(at + marker.length + 1), at + data.byteLength);
  return frame(out, Codec.gzip);
}

/** `count` values in one msgpack array: empty maps (0x80) or zeros (0x00). */
function arrayOf(count: number, item: number): Uint8Array {
  const bytes = new Uint8Array(5 + count).fill(item);
  bytes[0] = 0xdd;
  new DataView(bytes.buffer).setUint32(1, count);
  return bytes;
}

describe('hostile ingest with the default limits', () => {
  let collector: CollectorProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir('hostile-defaults');
    collector = await startCollector({
      REPRISE_DATA_DIR: dataDir,
      REPRISE_SEGMENT_MAX_AGE_MS: '100',
      REPRISE_DECODE_MEMORY_BYTES: String(64 * 1024 * 1024),
      // The collector's defaults (the test helper raises them for every other test).
      REPRISE_SESSION_RATE_LIMIT_PER_SECOND: '20',
      REPRISE_SESSION_RATE_LIMIT_BURST: '200',
      REPRISE_ADDRESS_RATE_LIMIT_PER_SECOND: '100',
      REPRISE_ADDRESS_RATE_LIMIT_BURST: '1000',
    });
  });
  afterAll(async () => {
    await collector?.stop();
  });

  test('8,000,000 empty maps in 8 KB: refused as too many values, twenty at once, memory stays bounded', async () => {
    const body = batchWithRawData(arrayOf(8_000_000, 0x80), 'maps', 0);
    expect(body.byteLength).toBeLessThan(64 * 1024);
    const rssBefore = await metricValue(collector.url, 'reprise_process_resident_memory_bytes');
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => postBatch(collector.url, body)));
    expect(answers.map((answer) => `${answer.status} ${answer.body.error}`)).toEqual(
      Array(20).fill('413 too_many_values'),
    );
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(collector.child.exitCode).toBeNull();
    const rssAfter = await metricValue(collector.url, 'reprise_process_resident_memory_bytes');
    expect(rssAfter - rssBefore, `RSS grew from ${rssBefore} to ${rssAfter}`).toBeLessThan(200 * 1024 * 1024);
  });

  test('batches that fit the value limit but not the decode memory together: 202 or 503 with Retry-After, never a crash', async () => {
    // 1.5 million values each (~190 MB estimated decoded), budget 64 MiB: one at a time is let in.
    const bodies = Array.from({ length: 12 }, (_, i) => batchWithRawData(arrayOf(1_500_000, 0x00), `budget${i}`, 0));
    const answers = await Promise.all(bodies.map((body) => postBatch(collector.url, body)));
    const statuses = answers.map((answer) => answer.status);
    expect(
      statuses.every((status) => status === 202 || status === 503),
      statuses.join(','),
    ).toBe(true);
    expect(statuses).toContain(202);
    for (const answer of answers.filter((a) => a.status === 503)) {
      expect(answer.body.error).toBe('collector_busy');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(collector.child.exitCode).toBeNull();
    // Retried, each gets in.
    for (const [i, answer] of answers.entries()) {
      if (answer.status !== 503) continue;
      let retry = await postBatch(collector.url, bodies[i]!);
      for (let attempt = 0; retry.status === 503 && attempt < 50; attempt++)
        retry = await postBatch(collector.url, bodies[i]!);
      expect(retry.status).toBe(202);
    }
    await waitForDrain(collector.url);
  });

  test("one session or one address cannot spend the project's budget", async () => {
    // Defaults: per session 20/s burst 200, per address 100/s burst 1000; the key allows 1000/s burst 2000.
    // However slowly this machine posts, the session's 200-batch burst runs out long before the address's.
    let limited: Awaited<ReturnType<typeof postBatch>> | undefined;
    let accepted = 0;
    for (let seq = 0; seq < 3000 && !limited; seq++) {
      const answer = await postBatch(collector.url, frameOf(makeBatch({ session: 'greedy', seq, events: 1 })));
      if (answer.status === 202) accepted++;
      else limited = answer;
    }
    expect(accepted).toBeGreaterThanOrEqual(200);
    expect([limited?.status, limited?.body.error]).toEqual([429, 'rate_limited']);
    expect(limited!.body.message).toMatch(/session/);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another session of the same project, same address, still gets through.
    expect((await postBatch(collector.url, frameOf(makeBatch({ session: 'polite', seq: 0, events: 1 })))).status).toBe(
      202,
    );
  });
});

describe('per-address limit and disk watermark', () => {
  test('a client past its address budget gets 429 while its key still has room', async () => {
    const collector = await startCollector({
      REPRISE_DATA_DIR: tempDir('hostile-address'),
      REPRISE_ADDRESS_RATE_LIMIT_PER_SECOND: '1',
      REPRISE_ADDRESS_RATE_LIMIT_BURST: '3',
    });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++)
        statuses.push(await postBatch(collector.url, frameOf(makeBatch({ session: `addr${i}`, seq: 0 }))));
      expect(statuses.slice(0, 3).map((a) => a.status)).toEqual([202, 202, 202]);
      expect(statuses[4]!.status).toBe(429);
      expect(statuses[4]!.body.message).toMatch(/address/);
      expect(Number(statuses[4]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await collector.stop();
    }
  });

  test('below the free-disk watermark ingest answers 503 with Retry-After and writes nothing', async () => {
    const dataDir = tempDir('hostile-disk');
    // A watermark above any disk's free space: the collector must refuse before appending.
    const collector = await startCollector({ REPRISE_DATA_DIR: dataDir, REPRISE_MIN_FREE_DISK_BYTES: String(2 ** 52) });
    try {
      const answer = await postBatch(collector.url, frameOf(makeBatch({ session: 'disk', seq: 0 })));
      expect([answer.status, answer.body.error]).toEqual([503, 'disk_low']);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    } finally {
      await collector.stop();
    }
  });
});
