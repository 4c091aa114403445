/**
 * On s3rver: a HEAD in a bucket that does not exist is a bare 404, like a missing object. The
 * store must not answer "no such object" then: the writer's crash recovery would take a stored
 * segment for one never written.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { S3ObjectStore } from '../../src/store/s3-store.js';
import { S3_ENV, s3StoreFor, startS3rver, type S3rverProcess } from './helpers.js';

let s3: S3rverProcess;
beforeAll(async () => {
  Object.assign(process.env, S3_ENV);
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
});

test('exists() in a missing bucket throws s3_unavailable naming the bucket; in an existing bucket a missing object is false', async () => {
  const missing = s3StoreFor(s3.endpoint, 'no-such-bucket');
  const attempt = missing.exists('shop/2026/11/23/s1/0001790000000000-abcdef01');
  await expect(attempt).rejects.toMatchObject({ code: 's3_unavailable', status: 503 });
  await expect(attempt).rejects.toThrow(/bucket "no-such-bucket" failed: the bucket does not exist.*REPRISE_S3_BUCKET/);
  await missing.close();

  const present = new S3ObjectStore({ bucket: 'present-bucket', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, prefix: 'p/', createBucket: true });
  await present.open();
  expect(await present.exists('shop/2026/11/23/s1/seg')).toBe(false);
  await present.put('shop/2026/11/23/s1/seg', Buffer.from('x'));
  expect(await present.exists('shop/2026/11/23/s1/seg')).toBe(true);
  await present.close();
});
