/**
 * A stored segment whose batch holds more events than fit in one call's arguments still reads:
 * the operator may raise REPRISE_MAX_EVENTS without bound, so the reader must not spread a batch.
 */
import { expect, test } from 'vitest';
import { createRepriseEvent } from '@reprise/protocol';
import { encryptSegment } from './envelope.js';
import { segmentName, segmentObjectKey } from '../store/keys.js';
import { encodeSegmentPayload } from './payload.js';
import { readSessionEvents } from './reader.js';
import { tempDir } from '@reprise/test-support/process';
import { folderReaderDeps } from '../../test/support/collector.js';

test('a session with a 200 000-event batch reads back whole, in order', async () => {
  const dataDir = tempDir('reader-large');
  const deps = await folderReaderDeps(dataDir);
  const context = { project: 'dev', sessionId: 'big' };
  const dataKey = await deps.dataKeys.forWriting(context);
  const count = 200_000;
  const events = Array.from({ length: count }, (_, index) => ({
    ...createRepriseEvent('custom', { name: 'tick' }),
    timestamp: 1_700_000_000_000 + index,
  }));
  const location = { ...context, segment: segmentName(events[0]!.timestamp, 'abcdef01') };
  const { compressed, encoding } = await encodeSegmentPayload(location, [
    {
      tab: 't',
      seq: 0,
      start: events[0]!.timestamp,
      end: events[count - 1]!.timestamp,
      receivedAt: Date.now(),
      events,
    },
  ]);
  await deps.store.put(
    segmentObjectKey({ ...location, at: dataKey.createdAt }),
    encryptSegment(compressed, dataKey, location, encoding),
  );

  const read = await readSessionEvents(deps, 'dev', 'big');
  expect(read.length).toBe(count);
  expect(read[0]!.timestamp).toBe(events[0]!.timestamp);
  expect(read[count - 1]!.timestamp).toBe(events[count - 1]!.timestamp);
}, 60_000);
