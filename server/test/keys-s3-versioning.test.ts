/**
 * A versioned keys bucket: DeleteObject there only adds a delete marker, so a shredded data key
 * would stay readable as an old version. The collector refuses to start on such a bucket.
 *
 * s3rver answers NotImplemented to every versioning request (PutBucketVersioning,
 * GetBucketVersioning, ListObjectVersions), and no S3 server with versioning runs here. So a small
 * HTTP proxy sits in front of the real s3rver: it answers only GetBucketVersioning of the keys
 * bucket, with the state a test chooses, and passes every other request through unchanged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector } from '../src/collector.js';
import { resolveConfig } from '../src/config.js';
import { CollectorError } from '../src/errors.js';
import { startS3rver, type S3rverProcess } from '@reprise/test-support/process';
import { S3_ENV } from './support/collector.js';

const KEYS_BUCKET = 'reprise-keys';

/** What the proxy answers to GetBucketVersioning of the keys bucket; `pass` forwards it to s3rver. */
type Versioning = { status: number; body: string } | 'pass';
const versioningAnswer = (status?: 'Enabled' | 'Suspended'): Versioning => ({
  status: 200,
  body: `<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${status ? `<Status>${status}</Status>` : ''}</VersioningConfiguration>`,
});

async function startVersioningProxy(target: string, answer: () => Versioning) {
  const upstream = new URL(target);
  const asked: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const isKeysVersioning =
      req.method === 'GET' &&
      url.searchParams.has('versioning') &&
      url.pathname.replace(/\/$/, '') === `/${KEYS_BUCKET}`;
    const chosen = answer();
    if (isKeysVersioning) asked.push(url.pathname);
    if (isKeysVersioning && chosen !== 'pass') {
      res.writeHead(chosen.status, { 'content-type': 'application/xml' }).end(chosen.body);
      return;
    }
    // The Host header is passed as received: the SDK signed it, and s3rver checks the signature.
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answerFromS3) => {
        res.writeHead(answerFromS3.statusCode ?? 502, answerFromS3.headers);
        answerFromS3.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a versioned keys bucket', () => {
  let s3: S3rverProcess;
  let proxy: Awaited<ReturnType<typeof startVersioningProxy>>;
  let versioning: Versioning = 'pass';
  const dataDirs: string[] = [];

  const startCollector = async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'reprise-keys-versioning-'));
    dataDirs.push(dataDir);
    const collector = await createCollector(
      resolveConfig({
        dataDir,
        port: 0,
        logLevel: 'silent',
        store: 's3',
        s3Bucket: 'reprise-objects',
        s3Endpoint: proxy.endpoint,
        s3ForcePathStyle: true,
        s3CreateBucket: true,
        keysS3Bucket: KEYS_BUCKET,
      }),
      { logger: pino({ level: 'silent' }) },
    );
    try {
      await collector.start();
    } catch (error) {
      await collector.stop();
      throw error;
    }
    return collector;
  };

  beforeAll(async () => {
    Object.assign(process.env, S3_ENV);
    s3 = await startS3rver();
    proxy = await startVersioningProxy(s3.endpoint, () => versioning);
  });
  afterAll(async () => {
    await proxy?.stop();
    await s3?.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['Enabled', 'Suspended'] as const)(
    'refuses to start when versioning is %s on the keys bucket, saying what to do',
    async (status) => {
      versioning = versioningAnswer(status);
      const asked = proxy.asked.length;
      const refusal = await startCollector().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(proxy.asked.length).toBeGreaterThan(asked);
      expect(refusal).toBeInstanceOf(CollectorError);
      expect(refusal).toMatchObject({ code: 'keys_bucket_versioned' });
      const message = (refusal as Error).message;
      expect(message).toContain(`Bucket "${KEYS_BUCKET}" holds the wrapped data keys`);
      expect(message).toContain(status === 'Enabled' ? 'versioning enabled' : 'versioning suspended');
      expect(message).toMatch(/deleting a session would not be final/);
      expect(message).toMatch(/Give REPRISE_KEYS_S3_BUCKET a bucket that never had versioning/);
    },
  );

  it('refuses to start when it cannot read the versioning state (access denied), naming the permission', async () => {
    versioning = {
      status: 403,
      body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
    };
    const refusal = await startCollector().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toMatchObject({ code: 'keys_bucket_versioning_unknown' });
    expect((refusal as Error).message).toMatch(/allow s3:GetBucketVersioning/);
  });

  it('starts on a keys bucket that never had versioning (no Status, as AWS answers) and on a server without versioning (s3rver)', async () => {
    versioning = versioningAnswer();
    const asked = proxy.asked.length;
    const collector = await startCollector();
    expect(collector.ready).toBe(true);
    await collector.stop();
    expect(proxy.asked.length).toBe(asked + 1);

    // s3rver's own answer: NotImplemented. A server that cannot version keeps no old versions.
    versioning = 'pass';
    const onS3rver = await startCollector();
    expect(onS3rver.ready).toBe(true);
    await onS3rver.stop();
  });
});
