/** The embedded log's write thread: bytes land at the given position and are synced; a bad descriptor is an error, not a hang. */
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { SyncWriter } from './sync-writer.js';
import { tempDir } from '@reprise/test-support/process';

test('writes at a position and fdatasyncs on its own thread; a closed descriptor rejects', async () => {
  const path = join(tempDir('sync-writer'), 'file');
  const handle = await open(path, 'w+');
  const writer = new SyncWriter();
  expect(writer.start()).toBe(true);
  await writer.writeAndSync(handle, Buffer.from('world'), 6);
  await writer.writeAndSync(handle, Buffer.from('hello '), 0);
  expect(readFileSync(path, 'utf8')).toBe('hello world');
  await handle.close();
  await expect(writer.writeAndSync(handle, Buffer.from('x'), 0)).rejects.toThrow();
  await writer.stop();
  await expect(writer.writeAndSync(handle, Buffer.from('x'), 0)).rejects.toThrow(/not running/);
});
