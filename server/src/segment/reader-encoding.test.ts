/**
 * The header's payload encoding decides how the reader decodes an object: objects that share the
 * segment envelope but are not segments (a page asset, a dead letter) are refused by name, never
 * decoded as events.
 */
import { expect, test } from 'vitest';
import { tempDir } from '@reprise/test-support/process';
import { folderReaderDeps, makeBatch } from '../../test/support/collector.js';
import { packLogRecord } from '../log/record.js';
import { segmentObjectKey } from '../store/keys.js';
import { encryptSegment, PayloadEncoding } from './envelope.js';
import { readStoredSegment } from './reader.js';

test('a page asset or a dead letter under a segment key is segment_corrupt, named as what it is', async () => {
  const deps = await folderReaderDeps(tempDir('reader-encoding'));
  const record = { project: 'p', receivedAt: Date.now(), digest: 'd', batch: makeBatch({ session: 's', seq: 0 }) };
  for (const [encoding, plaintext, what] of [
    [PayloadEncoding.deadLetter, packLogRecord(record), 'a dead letter'],
    [PayloadEncoding.asset, Buffer.from('\x08text/css body{}'), 'a page asset'],
  ] as const) {
    const location = { project: 'p', sessionId: 's', segment: `000000000000${encoding % 10}-abcdef0${encoding % 10}` };
    const key = segmentObjectKey({ ...location, at: Date.now() });
    await deps.store.put(key, encryptSegment(plaintext, await deps.dataKeys.forWriting(location), location, encoding));
    await expect(readStoredSegment(deps, key)).rejects.toMatchObject({
      code: 'segment_corrupt',
      message: expect.stringContaining(`is ${what}, not a segment`),
    });
  }
});
