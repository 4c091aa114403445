/**
 * The reader checks that a segment key belongs to the session its caller asked for: a key of
 * another session decrypts fine under its own data key, so without the check a damaged index row
 * or writer intent would return another session's (or project's) events.
 */
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { CollectorError } from '../../src/errors.js';
import { FileKeyring } from '../../src/crypto/keyring.js';
import { DataKeyService, ObjectDataKeyStore } from '../../src/crypto/data-keys.js';
import { encryptSegment } from '../../src/crypto/segment-format.js';
import { FolderObjectStore } from '../../src/store/folder-store.js';
import { segmentObjectKey } from '../../src/store/keys.js';
import { readStoredSegment } from '../../src/reader.js';
import { encodeSegmentPayload } from '../../src/writer/segment.js';
import { makeBatch, tempDir } from './helpers.js';

let deps: Parameters<typeof readStoredSegment>[0];
let otherSessionKey: string;

beforeAll(async () => {
  const dir = tempDir('reader-owner');
  const { keyring } = await FileKeyring.load(join(dir, 'keyring.json'));
  const dataKeyStore = new ObjectDataKeyStore(new FolderObjectStore(join(dir, 'keys')));
  const dataKeys = new DataKeyService(keyring, dataKeyStore);
  const store = new FolderObjectStore(join(dir, 'objects'));
  deps = { store, dataKeys, dataKeyStore };
  const location = { project: 'p', sessionId: 'other', segment: '0000000000001-abcdef01' };
  const batch = makeBatch({ session: 'other', seq: 0, events: 2 });
  const { compressed } = await encodeSegmentPayload(location, [{ tab: batch.tab, seq: batch.seq, start: 1, end: 2, receivedAt: 3, events: batch.events }]);
  otherSessionKey = segmentObjectKey({ ...location, at: Date.now() });
  await store.put(otherSessionKey, encryptSegment(compressed, await dataKeys.forWriting(location), location));
});

test('a key of another session or project is segment_corrupt and is not read', async () => {
  for (const expected of [{ project: 'p', sessionId: 'mine' }, { project: 'q', sessionId: 'other' }]) {
    const error = await readStoredSegment(deps, otherSessionKey, expected).then(() => undefined, (e: unknown) => e);
    expect(error, JSON.stringify(expected)).toBeInstanceOf(CollectorError);
    expect(error).toMatchObject({ code: 'segment_corrupt', status: 422 });
    expect((error as Error).message).toContain(`not to ${expected.project}/${expected.sessionId}`);
  }
});

test('the key of the expected session, or a caller with only a key, reads as before', async () => {
  expect((await readStoredSegment(deps, otherSessionKey, { project: 'p', sessionId: 'other' })).payload.sessionId).toBe('other');
  expect((await readStoredSegment(deps, otherSessionKey)).payload.sessionId).toBe('other');
});
