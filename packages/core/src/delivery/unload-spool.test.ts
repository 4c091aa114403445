import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { MemoryStorage } from '@reprise/test-support';
import { type OutboxRecord, recordsOf } from './outbox-record.js';
import { readSpool, spool, unspool } from './unload-spool.js';

let storage: MemoryStorage;
beforeEach(() => {
  storage = new MemoryStorage();
  vi.stubGlobal('localStorage', storage);
  // The spool is kept only where a next page's engine has an outbox to move it into.
  vi.stubGlobal('indexedDB', {});
});
afterEach(() => vi.unstubAllGlobals());

const unloadBatch = (owner: string, body: number[]): OutboxRecord[] =>
  recordsOf([{ seq: 3, part: '', body: new Uint8Array(body) }], {
    session: 's',
    tab: 't',
    url: 'http://127.0.0.1/v1/ingest',
    createdAt: 1,
    owner,
  });

test("two pages that share a tab (window.open copies its id and seq counter) spool the same seq without overwriting each other's", () => {
  spool(unloadBatch('page-a', [1, 2]));
  spool(unloadBatch('page-b', [3]));
  const read = readSpool();
  expect(read.map((record) => [record.owner, [...record.body]])).toEqual([
    ['page-a', [1, 2]],
    ['page-b', [3]],
  ]);
  unspool(read.map((record) => record.key));
  expect(storage.length).toBe(0);
});

test('a record spooled under the key of an earlier version (no owner in it) is still read, and unspooled by the key it has', () => {
  const [record] = unloadBatch('page-a', [7]);
  const legacyKey = 's|t|000000000003|';
  storage.setItem(`reprise:spool:${legacyKey}`, JSON.stringify({ ...record, key: legacyKey, body: btoa('\x07') }));
  const read = readSpool();
  expect(read.map((item) => [item.key, [...item.body]])).toEqual([[legacyKey, [7]]]);
  unspool([legacyKey]);
  expect(storage.length).toBe(0);
});

test('an entry whose key names another batch than its content is dropped, not read', () => {
  const [record] = unloadBatch('page-a', [7]);
  storage.setItem('reprise:spool:s|t|000000000004|page-a|', JSON.stringify({ ...record, body: btoa('\x07') }));
  expect(readSpool()).toEqual([]);
  expect(storage.length).toBe(0);
});
