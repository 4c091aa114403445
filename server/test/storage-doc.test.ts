/**
 * STORAGE.md is enough: decrypt a segment the real collector stored using only node:crypto,
 * node:zlib and a msgpack decoder (msgpackr), step by step as the page says, undoing the event
 * transforms as PROTOCOL.md says. Then flip bytes: the collector refuses the object.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { Unpackr } from 'msgpackr';
import { beforeAll, describe, expect, test } from 'vitest';
import { createRepriseEvent } from '@reprise/protocol';
import { CollectorError } from '../src/errors.js';
import { readSessionEvents, readStoredSegment } from '../src/segment/reader.js';
import { tempDir } from '@reprise/test-support/process';
import { folderReaderDeps, frameOf, makeBatch, postBatch, startCollector, waitForDrain } from './support/collector.js';
import {
  aesGcmOpen,
  filesUnder,
  readKeyringFile,
  undoEventTransformsByTheDoc,
  unwrapDataKeyByTheDoc,
} from './support/by-the-doc.js';

/** STORAGE.md, followed literally. */
function decryptByTheDoc(
  dataDir: string,
  objectKey: string,
): { batches: Array<{ seq: number; events: unknown[] }>; project: string } {
  const ring = readKeyringFile(join(dataDir, 'keyring.json'));
  const parts = objectKey.split('/');
  const [project, , , , session, segment] = parts as [string, string, string, string, string, string];
  const blob = readFileSync(join(dataDir, 'objects', ...parts));
  expect(blob.subarray(0, 4).toString('ascii')).toBe('RPSG');
  expect(blob[4]).toBe(1);
  expect(blob[5]).toBe(2);
  const n = blob[6]!;
  const keyId = blob.subarray(7, 7 + n).toString('ascii');
  const dataKey = unwrapDataKeyByTheDoc(
    ring,
    join(dataDir, 'keys', project, session, `${keyId}.json`),
    project,
    session,
  );
  expect(dataKey.byteLength).toBe(32);
  const nonce = blob.subarray(7 + n, 19 + n);
  const aad = Buffer.concat([blob.subarray(0, 7 + n), Buffer.from(`${project}/${session}/${segment}`, 'utf8')]);
  const plain = inflateRawSync(aesGcmOpen(dataKey, nonce, blob.subarray(19 + n), aad));
  const payload = new Unpackr({ useRecords: true, mapsAsObjects: true }).unpack(plain) as {
    batches: Array<{ seq: number; start: number; x?: number; events: unknown[] }>;
    project: string;
  };
  for (const batch of payload.batches) {
    if (batch.x === undefined) continue;
    expect(batch.x).toBe(1);
    undoEventTransformsByTheDoc(batch.events, batch.start);
    delete batch.x;
  }
  return payload;
}

describe('stored objects', () => {
  let dataDir: string;
  let objectKeys: string[];

  beforeAll(async () => {
    dataDir = tempDir('storage-doc');
    const collector = await startCollector({ REPRISE_DATA_DIR: dataDir, REPRISE_SEGMENT_MAX_AGE_MS: '100' });
    const extra = [createRepriseEvent('custom', { name: 'checkout', props: { email: 'jane@example.com' } })];
    expect(
      (await postBatch(collector.url, frameOf(makeBatch({ session: 'doc', seq: 0, fullSnapshot: true, extra }))))
        .status,
    ).toBe(202);
    expect((await postBatch(collector.url, frameOf(makeBatch({ session: 'doc', seq: 1 })))).status).toBe(202);
    await waitForDrain(collector.url);
    expect(await collector.stop()).toBe(0);
    const root = join(dataDir, 'objects');
    objectKeys = filesUnder(root).map((file) => relative(root, file).split(sep).join('/'));
  });

  test('a segment decrypts and decodes with only node:crypto, node:zlib, msgpack and STORAGE.md', async () => {
    expect(objectKeys.length).toBeGreaterThan(0);
    expect(objectKeys[0]).toMatch(/^dev\/\d{4}\/\d{2}\/\d{2}\/doc\/\d{13}-[0-9a-f]{8}$/);
    // Every field is one the page describes, and the payload names its own object key.
    for (const key of objectKeys) {
      const payload = decryptByTheDoc(dataDir, key) as unknown as Record<string, unknown> & {
        batches: Array<Record<string, unknown>>;
      };
      const [project, , , , session, segment] = key.split('/');
      expect(Object.keys(payload).sort()).toEqual(['batches', 'project', 'segment', 'sessionId', 'v']);
      expect(payload).toMatchObject({ v: 1, project, sessionId: session, segment });
      for (const batch of payload.batches) {
        expect(['end', 'events', 'part', 'receivedAt', 'seq', 'start', 'tab', 'userAgent']).toEqual(
          expect.arrayContaining(Object.keys(batch)),
        );
        expect(batch).toMatchObject({
          tab: expect.any(String),
          seq: expect.any(Number),
          start: expect.any(Number),
          end: expect.any(Number),
          receivedAt: expect.any(Number),
          userAgent: expect.any(String),
        });
      }
    }
    const seqs = objectKeys.flatMap((key) => decryptByTheDoc(dataDir, key).batches.map((batch) => batch.seq)).sort();
    expect(seqs).toEqual([0, 1]);
    const first = decryptByTheDoc(
      dataDir,
      objectKeys.find((key) => decryptByTheDoc(dataDir, key).batches.some((b) => b.seq === 0))!,
    );
    const text = JSON.stringify(first);
    // Server-side redaction ran before storage; the plaintext never reaches the disk.
    expect(text).not.toContain('jane@example.com');
    expect(text).toContain('"email":"****************"');
    const raw = readFileSync(join(dataDir, 'objects', ...objectKeys[0]!.split('/')));
    expect(raw.includes(Buffer.from('checkout'))).toBe(false);
    // What the page's recipe gives is what the collector's own reader gives, to the last field.
    const deps = await folderReaderDeps(dataDir);
    for (const key of objectKeys) {
      const { payload } = await readStoredSegment(deps, key);
      expect(decryptByTheDoc(dataDir, key)).toEqual(payload);
    }
  });

  test('one flipped byte anywhere in a stored object is refused with a clear error, never returned', async () => {
    const deps = await folderReaderDeps(dataDir);
    const key = objectKeys[0]!;
    const path = join(dataDir, 'objects', ...key.split('/'));
    const original = readFileSync(path);
    await expect(readStoredSegment(deps, key)).resolves.toBeDefined();
    const n = original[6]!;
    // Magic, version, encoding, key id, nonce, first/middle/last ciphertext byte, tag.
    const positions = [
      0,
      4,
      5,
      7,
      7 + n,
      19 + n,
      Math.floor((19 + n + original.byteLength - 16) / 2),
      original.byteLength - 17,
      original.byteLength - 1,
    ];
    try {
      for (const position of positions) {
        const tampered = Buffer.from(original);
        tampered[position] = tampered[position]! ^ 0x01;
        writeFileSync(path, tampered);
        const error = await readStoredSegment(deps, key).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `flipped byte ${position} was accepted`).toBeInstanceOf(CollectorError);
        expect((error as CollectorError).code).toMatch(/^segment_(tampered|corrupt)$/);
        expect((error as CollectorError).message).toMatch(
          /\[@reprise\/collector\] Segment .*(failed authentication|not a Reprise segment|format version|payload encoding|names data key)/,
        );
        await expect(readSessionEvents(deps, 'dev', 'doc')).rejects.toBeInstanceOf(CollectorError);
        expect(() => decryptByTheDoc(dataDir, key)).toThrow();
      }
    } finally {
      writeFileSync(path, original);
    }
    expect((await readSessionEvents(deps, 'dev', 'doc')).length).toBeGreaterThan(5);
  });
});
