/**
 * The real processes the collector's tests start (tools/test-support/process.mjs): a failure to
 * start says why, at once, instead of a timeout that leaves nothing to read.
 */
import { expect, test } from 'vitest';
import { createServer, type AddressInfo } from 'node:net';
import { startNats, startS3rver } from '@reprise/test-support/process';

test('a nats-server that cannot start is reported at once, in its own words', async () => {
  const started = Date.now();
  await expect(startNats({ config: 'no_such_setting: 1' })).rejects.toThrow(/unknown field "no_such_setting"/);
  // It exits at once; the wait for /healthz would have taken its whole timeout.
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('an s3rver whose port is taken is reported at once, with its error', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as AddressInfo;
  const started = Date.now();
  try {
    await expect(startS3rver({ port })).rejects.toThrow(/EADDRINUSE/);
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    taken.close();
  }
});
