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
import { frameOf, makeBatch, metricValue, postBatch, startCollector, storedBatchCounts, tempDir, waitForDrain, type CollectorProcess } from './helpers.js';

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
  for (const type of ['text/html', 'application/json', 'multipart/form-data; boundary=x', 'image/png', 'application/x-www-form-urlencoded', 'application/msgpack', 'text/csv', 'application/xml']) {
    cases.push({ name: `content-type ${type}`, body: good, headers: { 'content-type': type }, status: 415, error: 'unsupported_media_type' });
  }
  cases.push({ name: 'no content-type', body: good, headers: { 'content-type': '' }, status: 415 });
  for (const encoding of ['gzip', 'deflate', 'br']) {
    cases.push({ name: `content-encoding ${encoding}`, body: gzipSync(good), headers: { 'content-encoding': encoding }, status: 415, error: 'unsupported_content_encoding' });
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
  for (const codec of [3, 9, 200, 255]) {
    const bytes = Uint8Array.from(good);
    bytes[3] = codec;
    cases.push({ name: `codec ${codec}`, body: bytes, status: 400, error: 'unsupported_codec' });
  }

  // Compression bombs: small bodies that inflate far past every limit.
  for (const size of [4, 16, 64]) {
    const zeros = new Uint8Array(size * 1024 * 1024);
    const compressed = gzipSync(zeros, { level: 9 });
    cases.push({ name: `bomb ${size} MiB declared honestly`, body: writeFrame(Codec.gzip, zeros.byteLength, compressed), status: 413, error: 'too_large' });
    cases.push({ name: `bomb ${size} MiB declared as 1 KiB`, body: writeFrame(Codec.gzip, 1024, compressed), status: 413, error: 'too_large' });
    cases.push({ name: `bomb ${size} MiB declared as 1 MiB`, body: writeFrame(Codec.gzip, 1024 * 1024, compressed), status: 413, error: 'too_large' });
  }
  for (const size of [8, 32]) {
    const zeros = new Uint8Array(size * 1024 * 1024);
    cases.push({ name: `raw-deflate bomb ${size} MiB declared as 1 KiB`, body: writeFrame(Codec.deflateRaw, 1024, deflateRawSync(zeros, { level: 9 })), status: 413, error: 'too_large' });
  }
  cases.push({ name: 'declared 4 GiB', body: writeFrame(Codec.gzip, 0xffffffff, gzipSync(new Uint8Array(10))), status: 413, error: 'too_large' });

  // Truncated frames.
  const bigger = frameOf(makeBatch({ session: 'hostile', seq: 1001, events: 40, padding: 200 }));
  for (let i = 0; i < 30; i++) {
    // Before the gzip trailer (last 8 bytes: CRC32, ISIZE); the inflater does not check the trailer.
    const cut = 8 + Math.floor(random() * (bigger.byteLength - 17));
    cases.push({ name: `truncated at ${cut}`, body: bigger.subarray(0, cut), status: 400, error: /decompression_failed|bad_frame/ });
  }
  // Corrupted compressed payloads.
  for (let i = 0; i < 15; i++) {
    const bytes = Uint8Array.from(bigger);
    const at = 18 + Math.floor(random() * (bytes.byteLength - 30));
    for (let j = 0; j < 8; j++) bytes[at + j] = Math.floor(random() * 256);
    cases.push({ name: `corrupted gzip #${i}`, body: bytes, status: [400, 413], error: /decompression_failed|bad_msgpack|invalid_batch|bad_frame|too_large/ });
  }

  // Malformed msgpack inside a valid frame.
  for (let i = 0; i < 20; i++) {
    const bytes = randomBytes(10 + Math.floor(random() * 500));
    bytes[0] = 0xc1; // never-used msgpack byte: guaranteed malformed
    cases.push({ name: `bad msgpack #${i}`, body: frame(bytes, i % 2 === 0 ? Codec.gzip : Codec.none), status: 400, error: /bad_msgpack|invalid_batch/ });
  }
  const trailing = packRaw(validBatchFields(1));
  cases.push({ name: 'two msgpack values', body: frame(new Uint8Array([...trailing, ...trailing]), Codec.gzip), status: 400, error: 'bad_msgpack' });
  for (const value of [[1, 2, 3], 'batch', 42, null, true]) {
    cases.push({ name: `top-level ${JSON.stringify(value)}`, body: rawFrame(value), status: 400, error: 'invalid_batch' });
  }

  // Wrong protocol versions.
  for (const v of [0, 2, 3, 99, -1, '1', null, 1.5]) {
    cases.push({ name: `version ${JSON.stringify(v)}`, body: rawFrame({ ...validBatchFields(1), v }), status: 400, error: 'unsupported_version' });
  }
  cases.push({ name: 'version missing', body: rawFrame((({ v: _v, ...rest }) => rest)(validBatchFields(1))), status: 400, error: 'unsupported_version' });

  // Wrong types and values.
  const wrong: Array<[string, Record<string, unknown>]> = [
    ['seq negative', { seq: -1 }], ['seq string', { seq: '1' }], ['seq float', { seq: 1.5 }], ['seq huge', { seq: 2 ** 60 }],
    ['session empty', { session: '' }], ['session slash', { session: 'a/b' }], ['session dots', { session: '../../etc' }], ['session long', { session: 's'.repeat(200) }], ['session number', { session: 12 }],
    ['tab missing', { tab: undefined }], ['tab space', { tab: 'a b' }], ['project number', { project: 7 }], ['project empty', { project: '' }],
    ['start string', { start: 'now' }], ['start negative', { start: -5 }], ['end before start', { start: 100, end: 50 }],
    ['events empty', { events: [] }], ['events object', { events: {} }], ['events string', { events: 'x' }], ['events null', { events: null }],
    ['event type 9', { events: [{ type: 9, data: {}, timestamp: 1 }] }], ['event type -1', { events: [{ type: -1, data: {}, timestamp: 1 }] }],
    ['event type string', { events: [{ type: '2', data: {}, timestamp: 1 }] }], ['event timestamp string', { events: [{ type: 3, data: {}, timestamp: 'x' }] }],
    ['event without timestamp', { events: [{ type: 3, data: {} }] }], ['event is number', { events: [5] }], ['event is null', { events: [null] }],
    ['extra field', { admin: true }], ['__proto__ field', { ['__proto__']: { polluted: true } }], ['constructor field', { constructor: 'x' }],
  ];
  for (const [name, patch] of wrong) {
    const value: Record<string, unknown> = { ...validBatchFields(1), ...patch };
    for (const key of Object.keys(patch)) if (patch[key] === undefined) delete value[key];
    cases.push({ name, body: rawFrame(value), status: 400, error: /invalid_batch|unsupported_version/ });
  }

  // Huge strings.
  for (const length of [MAX_STRING + 1, MAX_STRING * 4, 200_000]) {
    cases.push({ name: `string ${length}`, body: frameOf(makeBatch({ session: 'hostile', seq: 1, extra: [{ type: 5, data: { tag: 'x', payload: 'y'.repeat(length) }, timestamp: 1 }] })), status: 400, error: 'string_too_long' });
    cases.push({ name: `key ${length}`, body: frameOf(makeBatch({ session: 'hostile', seq: 1, extra: [{ type: 5, data: { ['k'.repeat(length)]: 1 }, timestamp: 1 }] })), status: 400, error: 'string_too_long' });
  }
  cases.push({ name: 'session id 10k chars', body: rawFrame({ ...validBatchFields(1), session: 'a'.repeat(10_000) }), status: 400, error: /string_too_long|invalid_batch/ });

  // Deep nesting: built objects past the limit, and raw msgpack nesting far past any stack.
  for (const depth of [MAX_DEPTH + 1, MAX_DEPTH * 2, 1000]) {
    let nested: unknown = 'leaf';
    for (let i = 0; i < depth; i++) nested = [nested];
    cases.push({ name: `nesting ${depth}`, body: rawFrame({ ...validBatchFields(1), events: [{ type: 3, data: nested, timestamp: 1 }] }), status: 400, error: /too_deep|bad_msgpack/ });
  }
  for (const depth of [10_000, 100_000, 500_000]) {
    const bytes = new Uint8Array(depth + 1).fill(0x91);
    bytes[depth] = 0xc0;
    cases.push({ name: `raw msgpack nesting ${depth}`, body: frame(bytes, Codec.gzip), status: depth * 1 > MAX_DECOMPRESSED ? 413 : 400, error: /bad_msgpack|too_deep|invalid_batch|too_large/ });
  }

  // Too many events.
  cases.push({ name: 'too many events', body: frameOf(makeBatch({ session: 'hostile', seq: 1, events: MAX_EVENTS + 1 })), status: 400, error: 'too_many_events' });

  // Oversized bodies.
  for (const size of [MAX_BODY + 1, MAX_BODY * 2, 3 * 1024 * 1024]) {
    cases.push({ name: `body ${size} bytes`, body: randomBytes(size), status: 413, error: 'body_too_large' });
  }

  // Wrong key (in the batch, and early in the header), wrong origin.
  for (let i = 0; i < 10; i++) {
    cases.push({ name: `unknown key #${i}`, body: frameOf(makeBatch({ session: 'hostile', seq: 1, project: `nope${i}` })), status: 401, error: 'unknown_project_key' });
  }
  cases.push({ name: 'unknown key in header', body: good, headers: { 'x-reprise-project': 'nope' }, status: 401, error: 'unknown_project_key' });
  cases.push({ name: 'header key differs from batch key', body: frameOf(makeBatch({ session: 'hostile', seq: 1, project: 'other' })), headers: { 'x-reprise-project': 'dev' }, status: 400, error: 'project_mismatch' });
  for (const origin of ['https://evil.example', 'http://127.0.0.1.evil.example:80', 'http://localhost.evil:3000', 'null', 'https://127.0.0.1:5173', 'http://127.0.0.2:5173', 'http://localhost', 'file://', 'http://[::1]:80', 'http://127.0.0.1:abc']) {
    cases.push({ name: `origin ${origin}`, body: good, headers: { origin }, status: 403, error: 'origin_not_allowed' });
  }
  return cases;
}

describe('hostile ingest', () => {
  let collector: CollectorProcess;
  let dataDir: string;
  const walBytes = () => readdirSync(join(dataDir, 'log')).filter((name) => name.endsWith('.log')).reduce((sum, name) => sum + statSync(join(dataDir, 'log', name)).size, 0);

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
      cases.push({ name: `replayed seq #${i}`, body: frameOf(makeBatch({ session: 'hostile', seq: 1, events: 2 + i })), status: 409, error: 'seq_conflict' });
    }
    expect(cases.length).toBeGreaterThanOrEqual(200);

    const failures: string[] = [];
    for (const [index, hostile] of cases.entries()) {
      const answer = await postBatch(collector.url, hostile.body, hostile.headers);
      const codeOk = hostile.error === undefined || (typeof hostile.error === 'string' ? answer.body.error === hostile.error : hostile.error.test(answer.body.error ?? ''));
      const statusOk = Array.isArray(hostile.status) ? hostile.status.includes(answer.status) : answer.status === hostile.status;
      if (!statusOk || !codeOk || typeof answer.body.message !== 'string') {
        failures.push(`${hostile.name}: expected ${hostile.status} ${String(hostile.error ?? '')}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
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
    for (let seq = 0; seq < 5; seq++) answers.push(await postBatch(collector.url, frameOf(makeBatch({ session: 'rate', seq, project: 'slow' }))));
    expect(answers.slice(0, 2).map((a) => a.status)).toEqual([202, 202]);
    const limited = answers.slice(2);
    for (const answer of limited) {
      expect(answer.status).toBe(429);
      expect(answer.body.error).toBe('rate_limited');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });

  test('CORS: preflight and answers carry the allowed origin only', async () => {
    const preflight = await fetch(`${collector.url}/v1/ingest`, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    const denied = await fetch(`${collector.url}/v1/ingest`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const accepted = await postBatch(collector.url, frameOf(makeBatch({ session: 'cors', seq: 0 })), { origin: 'http://localhost:3000' });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    // Every codec of the frame decodes.
    for (const [seq, codec] of [[10, Codec.none], [11, Codec.deflateRaw], [12, Codec.gzip]] as const) {
      expect((await postBatch(collector.url, encodeBatchFrame(makeBatch({ session: 'codecs', seq }), codec))).status).toBe(202);
    }
    // sendBeacon's text/plain is accepted too.
    const beacon = await postBatch(collector.url, frameOf(makeBatch({ session: 'cors', seq: 1 })), { 'content-type': 'text/plain;charset=UTF-8' });
    expect(beacon.status).toBe(202);
  });
});
