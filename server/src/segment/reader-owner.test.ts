/**
 * The reader checks that a segment key belongs to the session its caller asked for: a key of
 * another session decrypts fine under its own data key, so without the check a damaged index row
 * or writer intent would return another session's (or project's) events.
 */
import { beforeAll, expect, test } from 'vitest';
import { CollectorError } from '../errors.js';
import { readStoredSegment, type ReaderDeps } from './reader.js';
import { tempDir } from '@reprise/test-support/process';
import { folderReaderDeps, putTwoEventSegment } from '../../test/support/collector.js';

let deps: ReaderDeps;
let otherSessionKey: string;

beforeAll(async () => {
  deps = await folderReaderDeps(tempDir('reader-owner'));
  ({ key: otherSessionKey } = await putTwoEventSegment(deps, {
    project: 'p',
    sessionId: 'other',
    segment: '0000000000001-abcdef01',
  }));
});

test('a key of another session or project is segment_corrupt and is not read', async () => {
  for (const expected of [
    { project: 'p', sessionId: 'mine' },
    { project: 'q', sessionId: 'other' },
  ]) {
    const error = await readStoredSegment(deps, otherSessionKey, expected).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, JSON.stringify(expected)).toBeInstanceOf(CollectorError);
    expect(error).toMatchObject({ code: 'segment_corrupt', status: 422 });
    expect((error as Error).message).toContain(`not to ${expected.project}/${expected.sessionId}`);
  }
});

test('the key of the expected session, or a caller with only a key, reads as before', async () => {
  expect((await readStoredSegment(deps, otherSessionKey, { project: 'p', sessionId: 'other' })).payload.sessionId).toBe(
    'other',
  );
  expect((await readStoredSegment(deps, otherSessionKey)).payload.sessionId).toBe('other');
});
