/**
 * Copies of the keys: a keyring in the data folder next to the wrapped data keys and the objects
 * puts all three in every backup of that folder. With real projects the collector says so loudly.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, test } from 'vitest';
import { createCollector, keyringPlacementWarning } from '../src/collector.js';
import { resolveConfig } from '../src/config.js';
import { tempDir } from '@reprise/test-support/process';

test('warns when the keyring sits inside the data folder and real projects are configured, not in development or when kept apart', async () => {
  const dataDir = tempDir('keyring-place');
  const projectList = [{ id: 'shop', keys: ['key-shop'], origins: ['http://127.0.0.1:3000'] }];
  expect(keyringPlacementWarning(resolveConfig({ dataDir, projectList }))).toMatch(/inside the data folder/);
  expect(
    keyringPlacementWarning(resolveConfig({ dataDir, keyring: join(dataDir, 'sub', 'k.json'), projectList })),
  ).toMatch(/inside the data folder/);
  expect(keyringPlacementWarning(resolveConfig({ dataDir }))).toBeUndefined();
  expect(
    keyringPlacementWarning(
      resolveConfig({ dataDir, keyring: join(tempDir('keyring-apart'), 'keyring.json'), projectList }),
    ),
  ).toBeUndefined();
  expect(
    keyringPlacementWarning(resolveConfig({ dataDir, keyring: `${dataDir}-keys/keyring.json`, projectList })),
  ).toBeUndefined();

  const lines: string[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const collector = await createCollector(resolveConfig({ dataDir, port: 0, projectList }), {
    logger: pino({ level: 'warn' }, capture),
  });
  expect(lines.join('')).toContain('is inside the data folder');
  expect(collector.keys.activeKeyId).toEqual(expect.any(String));
});
