// A crash can leave an object that no retry makes readable: a write torn by kill -9 (s3rver and
// the folder store keep a partial body), or a segment whose session was deleted meanwhile. The
// writer's start-up recovery must remove it and let the log store its batches again, not retry
// it forever with the collector never listening.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { tempDir } from '@reprise/test-support/process';
import { FolderObjectStore } from '../src/store/folder-store.js';
import { segmentName, segmentObjectKey } from '../src/store/keys.js';
import { WriterLedger } from '../src/writer/ledger.js';
import { startCollector } from './support/collector.js';

test('an unreadable object named by an unresolved intent is removed at start, and the collector starts', async () => {
  const dataDir = tempDir('writer-recovery');
  const now = Date.now();
  const key = segmentObjectKey({ project: 'dev', sessionId: 'torn', segment: segmentName(now, 'abcd1234'), at: now });
  const ledger = new WriterLedger(join(dataDir, 'writer', 'ledger.jsonl'));
  await ledger.open();
  await ledger.intent({ key, ids: [['dev/torn/t/0', 'digest']] });
  await ledger.close();
  // Half a header: what a write cut off by kill -9 leaves.
  await new FolderObjectStore(join(dataDir, 'objects')).put(key, Buffer.from('RP'));

  const collector = await startCollector({ REPRISE_DATA_DIR: dataDir });
  try {
    expect(existsSync(join(dataDir, 'objects', key))).toBe(false);
    expect(collector.output()).toMatch(/removing an unusable segment left by a crash/);
  } finally {
    await collector.stop();
  }
  const reopened = new WriterLedger(join(dataDir, 'writer', 'ledger.jsonl'));
  await reopened.open();
  expect(reopened.unresolvedIntents()).toEqual([]);
  expect(reopened.isStored('dev/torn/t/0')).toBe(false);
  await reopened.close();
}, 60_000);
