/**
 * The embedded log and ingest's dedupe under damage and failure: a damaged record in the middle
 * of the log keeps the acknowledged records after it, a damaged length allocates nothing big,
 * a failed append leaves no dedupe claim behind, cheap refusals come before validation, and what
 * the log stores is the recorder's bytes only when redaction changed nothing.
 */
import { readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createRepriseEvent } from '@reprise/protocol';
import { createCollector, type Collector } from '../src/collector.js';
import { resolveConfig } from '../src/config.js';
import { FileIngestLog } from '../src/log/file-log.js';
import type { AppendOutcome, IngestLog, LogEntry, LogRecord } from '../src/log/types.js';
import { readSessionEvents } from '../src/segment/reader.js';
import { tempDir } from '@reprise/test-support/process';
import { frameOf, makeBatch, postBatch, silentLogger } from './support/collector.js';

const record = (seq: number, padding = 200): LogRecord => ({
  project: 'dev',
  receivedAt: Date.now(),
  digest: `d${seq}`,
  batch: makeBatch({ session: 's', seq, padding }),
});

/** Offsets of the records in a log file: u32 length | u32 crc | payload. */
function recordOffsets(file: string): number[] {
  const bytes = readFileSync(file);
  const offsets: number[] = [];
  // A length of 0 is where a preallocated file's zeros begin.
  for (let at = 0; at + 8 <= bytes.byteLength && bytes.readUInt32LE(at) > 0; at += 8 + bytes.readUInt32LE(at))
    offsets.push(at);
  return offsets;
}

function walFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort()
    .map((name) => join(dir, name));
}

async function readAll(log: FileIngestLog): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for (let batch = await log.read(100, 0); batch.length > 0; batch = await log.read(100, 0)) entries.push(...batch);
  return entries;
}

const seqs = (entries: LogEntry[]) => entries.map((entry) => entry.record.batch.seq);

/** A closed log in a new folder holding records 0..count-1 in its one file. */
async function closedLogOf(name: string, count: number): Promise<{ dir: string; wal: string }> {
  const dir = tempDir(name);
  const log = new FileIngestLog({ dir, logger: silentLogger });
  await log.open();
  for (let seq = 0; seq < count; seq++) await log.append(record(seq));
  await log.close();
  const [wal] = walFiles(dir);
  return { dir, wal: wal! };
}

describe('embedded log: damage', () => {
  test('a damaged record in the middle of the last file is skipped, not taken for a torn tail', async () => {
    const { dir, wal } = await closedLogOf('log-mid', 6);
    const sizeBefore = statSync(wal).size;
    const offsets = recordOffsets(wal);
    const bytes = readFileSync(wal);
    // One flipped payload byte in record 2 (its crc no longer matches) and a length header of
    // record 4 that claims 3.9 GiB.
    bytes[offsets[2]! + 40] = bytes[offsets[2]! + 40]! ^ 0xff;
    bytes.writeUInt32LE(0xf0000000, offsets[4]!);
    writeFileSync(wal, bytes);

    const reopened = new FileIngestLog({ dir, logger: silentLogger });
    await reopened.open();
    expect(seqs(await readAll(reopened))).toEqual([0, 1, 3, 5]);
    // Nothing was cut: the records after the damage stay on disk, and appends go after them.
    expect(statSync(wal).size).toBe(sizeBefore);
    await reopened.append(record(6));
    expect(seqs(await reopened.read(10, 0))).toEqual([6]);
    await reopened.close();
  });

  test('a torn tail after valid records is still cut, and only the tail', async () => {
    const { dir, wal } = await closedLogOf('log-torn', 3);
    const size = statSync(wal).size;
    // Half of a record: its write never got its fsync.
    const half = readFileSync(wal).subarray(0, Math.floor(size / 6));
    writeFileSync(wal, Buffer.concat([readFileSync(wal), half]));
    const reopened = new FileIngestLog({ dir, logger: silentLogger });
    await reopened.open();
    expect(seqs(await readAll(reopened))).toEqual([0, 1, 2]);
    expect(statSync(wal).size).toBe(size);
    await reopened.close();
  });

  test('damage found while running, in a finished file: bounded allocation, only the damaged bytes are skipped', async () => {
    const dir = tempDir('log-live');
    const probe = new FileIngestLog({ dir: tempDir('log-probe'), logger: silentLogger });
    await probe.open();
    await probe.append(record(0));
    const oneRecord = statSync(walFiles((probe as unknown as { dir: string }).dir)[0]!).size;
    await probe.close();
    // Four records per file; nothing cached in memory, so every read goes to disk.
    const log = new FileIngestLog({ dir, logger: silentLogger, maxFileBytes: oneRecord * 4 - 1, maxCachedBytes: 0 });
    await log.open();
    for (let seq = 0; seq < 6; seq++) await log.append(record(seq));
    const [first] = walFiles(dir);
    const offsets = recordOffsets(first!);
    expect(offsets.length).toBe(4);
    const bytes = readFileSync(first!);
    // A length of 200 MiB: below the old 256 MiB ceiling, far above any real record.
    bytes.writeUInt32LE(200 * 1024 * 1024, offsets[1]!);
    writeFileSync(first!, bytes);
    const before = process.memoryUsage().arrayBuffers;
    const entries = await readAll(log);
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(seqs(entries)).toEqual([0, 2, 3, 4, 5]);
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    await log.close();
  });

  test('appends overwrite the zeros of a prepared file; reopening continues after the last record, not after the zeros', async () => {
    const dir = tempDir('log-prealloc');
    const maxFileBytes = 64 * 1024;
    const log = new FileIngestLog({ dir, logger: silentLogger, maxFileBytes });
    await log.open();
    let seq = 0;
    // Past half the first file, the second is prepared in the background; wait until it is
    // ready, then fill the first past its size: the log rolls into the prepared file.
    while (statSync(walFiles(dir)[0]!).size < maxFileBytes / 2) await log.append(record(seq++, 2000));
    const preparing = () => (log as unknown as { preparing?: { ready: boolean } }).preparing;
    while (!preparing()?.ready) await new Promise((resolve) => setTimeout(resolve, 10));
    while (walFiles(dir).length < 2) await log.append(record(seq++, 2000));
    await log.append(record(seq++, 2000));
    const [first, second] = walFiles(dir);
    // The finished file ends at its last record; the one being written is all there, zeros after its data.
    expect(statSync(first!).size).toBe(
      recordOffsets(first!).at(-1)! + 8 + readFileSync(first!).readUInt32LE(recordOffsets(first!).at(-1)!),
    );
    expect(statSync(second!).size).toBe(maxFileBytes);
    const inSecond = recordOffsets(second!).length;
    expect(inSecond).toBe(2);
    await log.close();

    const reopened = new FileIngestLog({ dir, logger: silentLogger, maxFileBytes });
    await reopened.open();
    expect(seqs(await readAll(reopened))).toEqual(Array.from({ length: seq }, (_, i) => i));
    await reopened.append(record(seq));
    expect(seqs(await reopened.read(10, 0))).toEqual([seq]);
    await reopened.close();
    expect(recordOffsets(second!).length).toBe(inSecond + 1);
    expect(statSync(second!).size).toBe(maxFileBytes);
  });

  test("a record over the log's largest record size is refused with 413, not written", async () => {
    const dir = tempDir('log-max');
    const log = new FileIngestLog({ dir, logger: silentLogger, maxRecordBytes: 4096 });
    await log.open();
    await expect(log.append(record(0, 8000))).rejects.toMatchObject({ code: 'too_large', status: 413 });
    await log.append(record(1, 100));
    expect(seqs(await readAll(log))).toEqual([1]);
    await log.close();
  });
});

describe('embedded log: a failing write (the file is /dev/full: every write is ENOSPC)', () => {
  /**
   * A log that rolls after two records, with its second file already linked to /dev/full: the
   * third append's write fails the way a full disk fails, with a real ENOSPC from the kernel.
   */
  async function logFacingAFullDisk(name: string, onWriteRetry?: () => void) {
    const probeDir = tempDir(`${name}-probe`);
    const probe = new FileIngestLog({ dir: probeDir, logger: silentLogger, preallocate: false });
    await probe.open();
    await probe.append(record(0));
    await probe.close();
    const oneRecord = statSync(walFiles(probeDir)[0]!).size;
    const dir = tempDir(name);
    const log = new FileIngestLog({
      dir,
      logger: silentLogger,
      maxFileBytes: oneRecord * 2 - 1,
      preallocate: false,
      ...(onWriteRetry ? { onWriteRetry } : {}),
    });
    await log.open();
    const second = join(dir, 'wal-00000002.log');
    symlinkSync('/dev/full', second);
    await log.append(record(0));
    await log.append(record(1));
    return { dir, log, second };
  }

  test('a failed write is retried on a reopened file: once the disk has room, the append succeeds without a restart', async () => {
    let retries = 0;
    const { dir, log, second } = await logFacingAFullDisk('log-retry', () => {
      // The disk has room again (an operator freed it): the retry reopens the file and writes.
      if (++retries === 2) {
        unlinkSync(second);
        writeFileSync(second, '', { mode: 0o600 });
      }
    });
    await expect(log.append(record(2))).resolves.toBe('appended');
    expect(retries).toBe(2);
    expect(seqs(await readAll(log))).toEqual([0, 1, 2]);
    await log.close();
    const reopened = new FileIngestLog({ dir, logger: silentLogger });
    await reopened.open();
    expect(seqs(await readAll(reopened))).toEqual([0, 1, 2]);
    await reopened.close();
  });

  test('a write that keeps failing is refused with a 503 after its bounded retries: nothing is acknowledged that is not stored, and the next append works once the disk has room', async () => {
    let retries = 0;
    const { dir, log, second } = await logFacingAFullDisk('log-retry-fails', () => retries++);
    const started = performance.now();
    await expect(log.append(record(2))).rejects.toMatchObject({ code: 'log_write_failed', status: 503 });
    // Bounded: three retries (100 + 200 + 400 ms of backoff), not a wait for a restart.
    expect(retries).toBe(3);
    expect(performance.now() - started).toBeLessThan(10_000);
    // The refused record is nowhere: not handed to the writer.
    expect(seqs(await readAll(log))).toEqual([0, 1]);
    unlinkSync(second);
    writeFileSync(second, '', { mode: 0o600 });
    await expect(log.append(record(3))).resolves.toBe('appended');
    expect(seqs(await readAll(log))).toEqual([3]);
    await log.close();
    // Nor on disk: after a restart the log holds 0, 1 and 3, never 2.
    const reopened = new FileIngestLog({ dir, logger: silentLogger });
    await reopened.open();
    expect(seqs(await readAll(reopened))).toEqual([0, 1, 3]);
    await reopened.close();
  });
});

/** An IngestLog that fails the appends it is told to, around a real FileIngestLog. */
class FailingLog implements IngestLog {
  readonly description = 'failing test log';
  failures: Array<'throw' | 'reject'> = [];
  appended = 0;
  constructor(private readonly inner: FileIngestLog) {}
  open() {
    return this.inner.open();
  }
  append(record: LogRecord): Promise<AppendOutcome> {
    const failure = this.failures.shift();
    if (failure === 'throw') throw new Error('log device gone (synchronous)');
    if (failure === 'reject') return Promise.reject(new Error('fsync failed'));
    this.appended++;
    return this.inner.append(record);
  }
  read(max: number, waitMs: number) {
    return this.inner.read(max, waitMs);
  }
  release(entries: readonly LogEntry[]) {
    return this.inner.release(entries);
  }
  lag() {
    return this.inner.lag();
  }
  close() {
    return this.inner.close();
  }
}

describe('ingest: claims, cheap refusals, what the log stores', () => {
  const collectors: Collector[] = [];
  afterAll(async () => {
    for (const collector of collectors) await collector.stop();
  });

  async function start(log?: IngestLog, extra: Parameters<typeof resolveConfig>[0] = {}) {
    const dataDir = tempDir('ingest-claims');
    const config = resolveConfig({ dataDir, port: 0, logLevel: 'silent', segmentMaxAgeMs: 60_000, ...extra });
    const collector = await createCollector(config, { logger: silentLogger, ...(log ? { log } : {}) });
    collectors.push(collector);
    const { url } = await collector.start();
    return { collector, url, dataDir };
  }

  test('a failed append (thrown or rejected) leaves no claim: the retry is stored, not called a duplicate', async () => {
    const log = new FailingLog(new FileIngestLog({ dir: tempDir('failing-log'), logger: silentLogger }));
    const { collector, url } = await start(log);
    const body = frameOf(makeBatch({ session: 'retried', seq: 0 }));
    log.failures = ['throw', 'reject'];
    expect((await postBatch(url, body)).status).toBe(503);
    expect((await postBatch(url, body)).status).toBe(503);
    const third = await postBatch(url, body);
    expect(third.status).toBe(202);
    expect(third.body.duplicate).toBeUndefined();
    expect(log.appended).toBe(1);
    // Now the claim holds: a fourth copy is the duplicate, and the batch is stored once.
    expect((await postBatch(url, body)).body.duplicate).toBe(true);
    await collector.writer.flush();
    const events = await readSessionEvents(collector, 'dev', 'retried');
    expect(events.length).toBe(5);
    expect(log.appended).toBe(1);
  });

  test('an unknown key or a rate-limited key is refused before the batch is validated', async () => {
    const { url } = await start(undefined, {
      projectList: [
        { id: 'slow', keys: ['pk_slow'], origins: ['http://127.0.0.1:*'], rateLimit: { perSecond: 0.001, burst: 1 } },
      ],
    });
    // Invalid beyond the key (an event with a bad type): validation would answer 400.
    const invalid = (project: string, seq: number) => {
      const batch = makeBatch({ session: 'cheap', seq, project });
      (batch.events[0] as { type: number }).type = 99;
      return frameOf(batch);
    };
    expect((await postBatch(url, invalid('pk_nope', 0))).status).toBe(401);
    // An origin no project allows is refused before the body is even read (here: not a frame).
    const foreign = await postBatch(url, 'not a frame at all', { origin: 'https://elsewhere.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error).toBe('origin_not_allowed');
    expect((await postBatch(url, frameOf(makeBatch({ session: 'cheap', seq: 0, project: 'pk_slow' })))).status).toBe(
      202,
    );
    const limited = await postBatch(url, invalid('pk_slow', 1));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
  });

  test('ingest ahead of Express keeps its answers: early key in the query, CORS and Vary on refusals, other spellings of the path', async () => {
    const { url } = await start();
    const body = (seq: number) => Buffer.from(frameOf(makeBatch({ session: 'fast', seq })));
    const headers = { 'content-type': 'application/vnd.reprise.batch', origin: 'http://127.0.0.1:5173' };
    const viaQuery = await fetch(`${url}/v1/ingest?project=dev`, { method: 'POST', headers, body: body(0) });
    expect(viaQuery.status).toBe(202);
    expect(viaQuery.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(viaQuery.headers.get('vary')).toBe('Origin');
    const wrongKey = await fetch(`${url}/v1/ingest?project=nope`, { method: 'POST', headers, body: body(1) });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(wrongKey.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await wrongKey.json()) as { error: string }).error).toBe('unknown_project_key');
    // A trailing slash is not the fast path's exact path: Express's router serves it the same way.
    const slash = await fetch(`${url}/v1/ingest/`, { method: 'POST', headers, body: body(2) });
    expect(slash.status).toBe(202);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  test("the log holds the recorder's bytes when nothing was redacted, and never an unredacted value", async () => {
    const { collector, url, dataDir } = await start();
    const plain = makeBatch({ session: 'plain', seq: 0 });
    const email = makeBatch({
      session: 'pii',
      seq: 0,
      extra: [createRepriseEvent('custom', { name: 'signup', props: { email: 'jane.doe@example.com' } }, Date.now())],
    });
    expect((await postBatch(url, frameOf(plain))).status).toBe(202);
    expect((await postBatch(url, frameOf(email))).status).toBe(202);
    const logText = walFiles(join(dataDir, 'log'))
      .map((file) => readFileSync(file).toString('latin1'))
      .join('');
    expect(logText).not.toContain('jane.doe@example.com');
    // Stored by the writer: the first batch exactly as sent, the second redacted.
    await collector.stop();
    collectors.splice(collectors.indexOf(collector), 1);
    const again = await createCollector(resolveConfig({ dataDir, port: 0, logLevel: 'silent' }), {
      logger: silentLogger,
    });
    const plainEvents = await readSessionEvents(again, 'dev', 'plain');
    expect(plainEvents).toEqual(plain.events);
    const piiEvents = JSON.stringify(await readSessionEvents(again, 'dev', 'pii'));
    expect(piiEvents).not.toContain('jane.doe@example.com');
    expect(piiEvents).toContain('"email":"********************"');
  });

  test('records are decoded the same from disk: wire bytes and redacted batches', async () => {
    const dir = tempDir('log-wire');
    const { encodeBatch } = await import('@reprise/protocol');
    const plain = makeBatch({ session: 'w', seq: 0 });
    const log = new FileIngestLog({ dir, logger: silentLogger });
    await log.open();
    await log.append({
      project: 'dev',
      receivedAt: 1_763_900_000_123,
      digest: 'dw',
      batch: plain,
      wire: encodeBatch(plain),
      userAgent: 'Mozilla/5.0 (X11; Linux) ü',
    });
    await log.append({
      project: 'dev',
      receivedAt: 2,
      digest: 'db',
      batch: makeBatch({ session: 'w', seq: 1 }),
      userAgent: 'UA',
    });
    await log.close();
    const reopened = new FileIngestLog({ dir, logger: silentLogger });
    await reopened.open();
    const [wire, packed] = await readAll(reopened);
    await reopened.close();
    expect(wire!.record.batch).toEqual(plain);
    expect(wire!.record).toMatchObject({
      digest: 'dw',
      receivedAt: 1_763_900_000_123,
      userAgent: 'Mozilla/5.0 (X11; Linux) ü',
    });
    expect(packed!.record.batch.seq).toBe(1);
    expect(packed!.record.userAgent).toBe('UA');
  });
});
