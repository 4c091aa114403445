/**
 * A stored segment whose batch holds more events than fit in one call's arguments still reads:
 * the operator may raise REPRISE_MAX_EVENTS without bound, so the reader must not spread a batch.
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createRepriseEvent } from '@reprise/protocol';
import { FileKeyring } from '../../src/crypto/keyring.js';
import { DataKeyService, ObjectDataKeyStore } from '../../src/crypto/data-keys.js';
import { encryptSegment } from '../../src/crypto/segment-format.js';
import { FolderObjectStore } from '../../src/store/folder-store.js';
import { segmentName, segmentObjectKey } from '../../src/store/keys.js';
import { encodeSegmentPayload } from '../../src/writer/segment.js';
import { readSessionEvents } from '../../src/reader.js';
import { tempDir } from './helpers.js';

test('a session with a 200 000-event batch reads back whole, in order', async () => {
  const dataDir = tempDir('reader-large');
  const { keyring } = await FileKeyring.load(join(dataDir, 'keyring.json'));
  const dataKeyStore = new ObjectDataKeyStore(new FolderObjectStore(join(dataDir, 'keys')));
  const store = new FolderObjectStore(join(dataDir, 'objects'));
  const deps = { store, dataKeys: new DataKeyService(keyring, dataKeyStore), dataKeyStore };
  const context = { project: 'dev', sessionId: 'big' };
  const dataKey = await deps.dataKeys.forWriting(context);
  const count = 200_000;
  const events = Array.from({ length: count }, (_, index) => ({ ...createRepriseEvent('custom', { name: 'tick' }), timestamp: 1_700_000_000_000 + index }));
  const location = { ...context, segment: segmentName(events[0]!.timestamp, 'abcdef01') };
  const { compressed } = await encodeSegmentPayload(location, [{ tab: 't', seq: 0, start: events[0]!.timestamp, end: events[count - 1]!.timestamp, receivedAt: Date.now(), events }]);
  await store.put(segmentObjectKey({ ...location, at: dataKey.createdAt }), encryptSegment(compressed, dataKey, location));

  const read = await readSessionEvents(deps, 'dev', 'big');
  expect(read.length).toBe(count);
  expect(read[0]!.timestamp).toBe(events[0]!.timestamp);
  expect(read[count - 1]!.timestamp).toBe(events[count - 1]!.timestamp);
}, 60_000);
