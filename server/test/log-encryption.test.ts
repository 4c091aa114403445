/**
 * The ingest log at rest: records are sealed under a per-file data key kept in the key store
 * (readable by following STORAGE.md, "Encrypted log records", with node:crypto and a msgpack
 * decoder), a tampered or forged record is never handed to the writer, files roll and go by age,
 * and after a deletion no marker of the session is left in any file of the data folder, in clear
 * or under a key that still exists.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { unpack } from 'msgpackr';
import { createRepriseEvent } from '@reprise/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ObjectDataKeyStore } from '../src/crypto/data-keys.js';
import { FileKeyring } from '../src/crypto/keyring.js';
import { LogCipher } from '../src/log/cipher.js';
import { FileIngestLog } from '../src/log/file-log.js';
import { packLogRecord } from '../src/log/record.js';
import type { LogEntry, LogRecord } from '../src/log/types.js';
import { FolderObjectStore } from '../src/store/folder-store.js';
import { tempDir } from '@reprise/test-support/process';
import { frameOf, makeBatch, postBatch, silentLogger } from './support/collector.js';
import { decodeLogByTheDoc, filesUnder, walFiles } from './support/by-the-doc.js';
import {
  callApi,
  deleteTokenFor,
  ORIGIN,
  startTestCollector,
  waitForIndexed,
  type TestCollector,
} from './support/playback-collector.js';

const MARKER = 'log-marker-5d1c9e';

/** Records of the log, decoded by the doc with the keys that still exist, that hold the marker. */
function markerRecords(logDir: string, keysDir: string, keyringPath: string): number {
  const { records } = decodeLogByTheDoc(logDir, keysDir, keyringPath);
  return records.filter((r) => JSON.stringify(r.wire ? unpack(r.wire as Buffer) : r.batch).includes(MARKER)).length;
}

const record = (seq: number, text = MARKER): LogRecord => {
  const batch = makeBatch({ session: 'enc', seq, extra: [createRepriseEvent('custom', { name: text }, Date.now())] });
  return { project: 'dev', receivedAt: Date.now(), digest: `d${seq}`, batch };
};

async function readAll(log: FileIngestLog): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for (let batch = await log.read(100, 0); batch.length > 0; batch = await log.read(100, 0)) entries.push(...batch);
  return entries;
}

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function openLog(dir: string, options: { maxFileAgeMs?: number; maxFileBytes?: number } = {}) {
  const keyringPath = join(dir, 'keyring.json');
  const keysDir = join(dir, 'keys');
  const { keyring } = await FileKeyring.load(keyringPath);
  const cipher = new LogCipher(keyring, new ObjectDataKeyStore(new FolderObjectStore(keysDir)));
  const log = new FileIngestLog({
    dir: join(dir, 'log'),
    cipher,
    logger: silentLogger,
    cursorIntervalMs: 20,
    ...options,
  });
  await log.open();
  return { log, keyringPath, keysDir, logDir: join(dir, 'log') };
}

describe('encrypted file log', () => {
  test('records are sealed (no marker in clear), read back, and decode by STORAGE.md alone', async () => {
    const dir = tempDir('log-enc');
    const { log, keyringPath, keysDir, logDir } = await openLog(dir);
    for (let seq = 0; seq < 5; seq++) await log.append(record(seq));
    expect(seq(await readAll(log))).toEqual([0, 1, 2, 3, 4]);
    await log.close();
    for (const file of filesUnder(dir)) expect(readFileSync(file).includes(MARKER), file).toBe(false);

    const byTheDoc = decodeLogByTheDoc(logDir, keysDir, keyringPath);
    expect(byTheDoc.unreadable).toBe(0);
    expect(byTheDoc.records.map((r) => r.digest)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
    expect(JSON.stringify(byTheDoc.records[0]!.batch)).toContain(MARKER);

    // After a restart (nothing released): everything again, from disk.
    const reopened = await openLog(dir);
    expect(seq(await readAll(reopened.log))).toEqual([0, 1, 2, 3, 4]);
    await reopened.log.close();
  });

  test('every sealed record has its own nonce, across many records, and opens to its own plaintext', async () => {
    const dir = tempDir('log-nonce');
    const { keyring } = await FileKeyring.load(join(dir, 'keyring.json'));
    const cipher = new LogCipher(keyring, new ObjectDataKeyStore(new FolderObjectStore(join(dir, 'keys'))));
    const key = await cipher.create('nonces');
    const nonceAt = key.header.byteLength;
    const seen = new Set<string>();
    // More records than one draw of nonces holds, so the draws' seams are crossed.
    for (let i = 0; i < 3000; i++) {
      const sealed = cipher.seal(Buffer.from(`record ${i}`), key);
      seen.add(sealed.subarray(nonceAt, nonceAt + 12).toString('hex'));
      expect(cipher.openSync(sealed).toString()).toBe(`record ${i}`);
    }
    expect(seen.size).toBe(3000);
  });

  test('a tampered record (crc fixed up) and a forged record in clear are not handed out; the rest is', async () => {
    const dir = tempDir('log-tamper');
    const { log, logDir } = await openLog(dir);
    for (let seq = 0; seq < 5; seq++) await log.append(record(seq));
    await log.close();
    const [wal] = walFiles(logDir);
    const bytes = readFileSync(wal!);
    const offsets: number[] = [];
    for (let at = 0; at + 8 <= bytes.byteLength && bytes.readUInt32LE(at) > 0; at += 8 + bytes.readUInt32LE(at))
      offsets.push(at);
    // Record 1: one ciphertext byte flipped, with a crc that matches again (what someone who can
    // write the file, not the key, can do).
    const flip = offsets[1]! + 8 + 60;
    bytes[flip] = bytes[flip]! ^ 0x01;
    const length1 = bytes.readUInt32LE(offsets[1]!);
    bytes.writeUInt32LE(crc32(bytes.subarray(offsets[1]! + 8, offsets[1]! + 8 + length1)), offsets[1]! + 4);
    // Appended: a record in clear with a valid crc, as the pre-encryption format would have it.
    const forged = packLogRecord(record(99, 'forged'), 8);
    forged.writeUInt32LE(forged.byteLength - 8, 0);
    forged.writeUInt32LE(crc32(forged.subarray(8)), 4);
    const end = offsets.at(-1)! + 8 + bytes.readUInt32LE(offsets.at(-1)!);
    writeFileSync(wal!, Buffer.concat([bytes.subarray(0, end), forged]));

    const reopened = await openLog(dir);
    expect(seq(await readAll(reopened.log))).toEqual([0, 2, 3, 4]);
    await reopened.log.close();
  });

  test('a record read back is validated again: an invalid batch is handed out marked for the dead letters, a bad project not at all', async () => {
    const dir = tempDir('log-validate');
    const { log } = await openLog(dir);
    const bad = record(1);
    // What a holder of the key (or a bug between ingest and the log) could write: not a batch.
    (bad.batch as unknown as { events: unknown }).events = [{ type: 'not-an-event' }];
    const badProject = { ...record(2), project: '../etc' };
    for (const item of [record(0), bad, badProject, record(3)]) await log.append(item);
    await log.close();
    const reopened = await openLog(dir);
    const entries = await readAll(reopened.log);
    expect(seq(entries)).toEqual([0, 1, 3]);
    expect(entries.map((entry) => entry.record.invalid !== undefined)).toEqual([false, true, false]);
    expect(entries[1]!.record.invalid).toMatch(/does not validate/);
    await reopened.log.close();
  });

  test('a quiet log rolls by age: released records are deleted with their file, and the file key is shredded', async () => {
    const dir = tempDir('log-age');
    const { log, logDir, keysDir } = await openLog(dir, { maxFileAgeMs: 300 });
    await log.append(record(0));
    const first = walFiles(logDir)[0]!;
    const keyNames = () => readdirSync(join(keysDir, '_reprise-log'));
    const firstKey = keyNames()[0]!;
    await log.release(await readAll(log));
    // What the writer does all along: read (nothing new) and release.
    await until(
      'the first file to roll and go',
      async () => (await log.read(10, 0)).length === 0 && !existsSync(first),
    );
    await until('its key to be shredded', () => !keyNames().includes(firstKey));
    // Still one live file (and key) to append to.
    await log.append(record(1));
    expect(seq(await readAll(log))).toEqual([1]);
    expect(keyNames()).toHaveLength(1);
    await log.close();
    for (const file of filesUnder(dir)) expect(readFileSync(file).includes(MARKER), file).toBe(false);
  });
});

const seq = (entries: LogEntry[]) => entries.map((entry) => entry.record.batch.seq);

describe('deletion and the log', () => {
  let env: TestCollector;
  let token: string;

  beforeAll(async () => {
    env = await startTestCollector('sqlite', ['shop']);
    token = await deleteTokenFor(env, 'shop');
  });
  afterAll(() => env?.stop());

  test('after a deletion no marker of the session is readable anywhere under the data folder, log included', async () => {
    for (let seq = 0; seq < 4; seq++) {
      const batch = makeBatch({
        project: 'key-shop',
        session: 'gone',
        seq,
        fullSnapshot: seq === 0,
        extra: [createRepriseEvent('custom', { name: MARKER }, Date.now())],
      });
      expect((await postBatch(env.url, frameOf(batch), { origin: ORIGIN })).status).toBe(202);
    }
    await waitForIndexed(env.plugin, 'shop', 'gone', 5);
    const logDir = join(env.dataDir, 'log');
    const keysDir = join(env.dataDir, 'keys');
    const keyring = join(env.dataDir, 'keyring.json');
    // Before the deletion the log still holds the batches, sealed: readable with the keys only.
    expect(markerRecords(logDir, keysDir, keyring)).toBeGreaterThan(0);

    const deleted = await callApi(env.url, { token }, 'DELETE', '/v1/sessions/gone');
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    await env.collector.writer.flush();
    await until('the log to drain', () => env.collector.log.lag() === 0);
    // The deletion rolled the log: the file holding the session goes with its key once released.
    await until('no record of the session readable in the log', () => markerRecords(logDir, keysDir, keyring) === 0);
    for (const file of filesUnder(env.dataDir)) expect(readFileSync(file).includes(MARKER), file).toBe(false);
  }, 120_000);
});
