import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  S3Client,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { CollectorError, errorMessage } from '../errors.js';
import { lifecycleRules, mergeLifecycleRules } from './retention.js';
import { objectTooLarge, type ObjectInfo, type ObjectStore, type RetentionRule } from './types.js';

export interface S3StoreOptions {
  bucket: string;
  region: string;
  /** Custom endpoint (MinIO, s3rver, R2...); omit for AWS. */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), needed by most S3-compatible servers. */
  forcePathStyle?: boolean;
  /** Prefix inside the bucket, e.g. `reprise/`; empty by default. */
  prefix?: string;
  /** Create the bucket when it does not exist (development). @default false */
  createBucket?: boolean;
  /** Milliseconds before a request is abandoned (and retried by the writer). @default 15000 */
  requestTimeoutMs?: number;
  /** Storage class archived objects move to. @default GLACIER_IR */
  archiveStorageClass?: string;
}

type S3Failure = { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };

/** A missing object. A missing bucket also answers 404, but is a misconfiguration, not "no such key". */
function isNotFound(error: unknown): boolean {
  const e = error as S3Failure;
  if (e?.name === 'NoSuchBucket' || e?.Code === 'NoSuchBucket') return false;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** A feature this S3-compatible server lacks (s3rver: lifecycle, versioning). */
function isNotImplemented(error: unknown): boolean {
  const e = error as S3Failure;
  return e?.name === 'NotImplemented' || e?.Code === 'NotImplemented' || e?.$metadata?.httpStatusCode === 501;
}

/** Any other S3 failure as a typed error that names the operation, key and bucket and what to check. */
function s3Failure(operation: string, bucket: string, key: string, error: unknown): CollectorError {
  const e = error as S3Failure;
  const status = e?.$metadata?.httpStatusCode;
  const hint =
    e?.name === 'NoSuchBucket'
      ? 'the bucket does not exist: check REPRISE_S3_BUCKET'
      : status === 401 || status === 403
        ? 'access denied: check the credentials chain and the bucket policy'
        : 'check REPRISE_S3_ENDPOINT and that the S3 server is up; the writer retries';
  return new CollectorError(
    's3_unavailable',
    503,
    `S3 ${operation} of "${key.slice(0, 200)}" in bucket "${bucket}" failed (${e?.name ?? 'Error'}${status ? ` ${status}` : ''}: ${errorMessage(error)}): ${hint}.`,
    { cause: error },
  );
}

/**
 * Objects in an S3 bucket. Credentials come from the SDK's standard chain (environment,
 * shared config, instance/container roles); none are configured here.
 */
export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  readonly client: S3Client;
  private readonly options: S3StoreOptions;
  private readonly prefix: string;

  constructor(options: S3StoreOptions) {
    this.options = options;
    this.prefix = options.prefix ?? '';
    this.description = `s3://${options.bucket}/${this.prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      // Without these the SDK wraps bodies in aws-chunked framing with trailing checksums, which
      // S3-compatible servers (s3rver, older MinIO) store verbatim inside the object.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: options.requestTimeoutMs ?? 15_000 },
    });
  }

  /** Check the bucket answers (and create it when allowed). Throws a CollectorError that names the bucket. */
  async open(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch (error) {
      if (isNotFound(error) && this.options.createBucket) {
        await this.client.send(new CreateBucketCommand({ Bucket: this.options.bucket }));
        return;
      }
      throw new CollectorError(
        's3_unavailable',
        503,
        `S3 bucket "${this.options.bucket}" is not reachable (${errorMessage(error)}). Check REPRISE_S3_ENDPOINT / REPRISE_S3_BUCKET and the credentials chain${isNotFound(error) ? ', or set REPRISE_S3_CREATE_BUCKET=true' : ''}.`,
        { cause: error },
      );
    }
  }

  /**
   * Refuse a bucket that has (or had) versioning on. On such a bucket a DeleteObject without a
   * version id only adds a delete marker: the object stays readable as an old version, so a
   * shredded data key would survive its deletion. Suspended versioning keeps the old versions too.
   * Called for the data keys' bucket at start (`purpose` names it in the message).
   */
  async assertUnversioned(purpose: string): Promise<void> {
    let status: string | undefined;
    try {
      status = (await this.client.send(new GetBucketVersioningCommand({ Bucket: this.options.bucket }))).Status;
    } catch (error) {
      // A server without versioning at all (s3rver) cannot keep old versions.
      if (isNotImplemented(error)) return;
      throw new CollectorError(
        'keys_bucket_versioning_unknown',
        500,
        `Could not read the versioning state of bucket "${this.options.bucket}" (${purpose}): ${errorMessage(error)}. The collector must know that deleting ${purpose} is final: allow s3:GetBucketVersioning on that bucket to the collector's credentials.`,
        { cause: error },
      );
    }
    if (status !== 'Enabled' && status !== 'Suspended') return;
    throw new CollectorError(
      'keys_bucket_versioned',
      500,
      `Bucket "${this.options.bucket}" holds ${purpose} and has versioning ${status === 'Enabled' ? 'enabled' : 'suspended (old versions are kept)'}: a deleted data key would stay readable as an old version, so deleting a session would not be final. Give REPRISE_KEYS_S3_BUCKET a bucket that never had versioning (once enabled, versioning can only be suspended, which keeps the old versions); a lifecycle rule that expires noncurrent versions does not make deletion final either, only later. The collector refuses to start.`,
    );
  }

  async put(key: string, body: Uint8Array, options: { contentType?: string } = {}): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: this.prefix + key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: options.contentType ?? 'application/octet-stream',
        }),
      );
    } catch (error) {
      throw s3Failure('put', this.options.bucket, this.prefix + key, error);
    }
  }

  async get(key: string, options: { maxBytes?: number } = {}): Promise<Uint8Array | undefined> {
    let answer;
    try {
      answer = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw s3Failure('get', this.options.bucket, this.prefix + key, error);
    }
    if (!answer.Body) return new Uint8Array(0);
    const body = answer.Body;
    const limit = options.maxBytes;
    const refuse = (size: number) => {
      // Not read on: close the body instead of buffering a hostile or corrupt object.
      (body as { destroy?: () => void }).destroy?.();
      return objectTooLarge(this.prefix + key, size, limit!);
    };
    if (limit !== undefined && answer.ContentLength !== undefined && answer.ContentLength > limit)
      throw refuse(answer.ContentLength);
    try {
      if (limit === undefined) return await body.transformToByteArray();
      // Counted as it arrives too: a server may send no length, or more than it announced.
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength;
        if (total > limit) throw refuse(total);
        chunks.push(chunk);
      }
      return Buffer.concat(chunks, total);
    } catch (error) {
      if (error instanceof CollectorError) throw error;
      throw s3Failure('get', this.options.bucket, this.prefix + key, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
      return true;
    } catch (error) {
      if (!isNotFound(error)) throw s3Failure('head', this.options.bucket, this.prefix + key, error);
      // A HEAD answer has no body, so S3 cannot say NoSuchBucket: a missing bucket is a bare 404,
      // like a missing object. Taken for "not stored", it made the writer's crash recovery believe
      // a segment was never written. Ask about the bucket before answering "no such object".
      await this.assertBucketExists('head', key);
      return false;
    }
  }

  private async assertBucketExists(operation: string, key: string): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch (error) {
      if (!isNotFound(error))
        throw s3Failure(`${operation} (bucket check)`, this.options.bucket, this.prefix + key, error);
      throw new CollectorError(
        's3_unavailable',
        503,
        `S3 ${operation} of "${(this.prefix + key).slice(0, 200)}" in bucket "${this.options.bucket}" failed: the bucket does not exist (404): check REPRISE_S3_BUCKET, or that the bucket was not deleted.`,
        { cause: error },
      );
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.options.bucket,
            Prefix: this.prefix + prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (error) {
        throw s3Failure('list', this.options.bucket, this.prefix + prefix, error);
      }
      for (const item of page.Contents ?? []) {
        if (!item.Key) continue;
        yield {
          key: item.Key.slice(this.prefix.length),
          size: item.Size ?? 0,
          lastModified: item.LastModified ?? new Date(0),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
    } catch (error) {
      throw s3Failure('delete', this.options.bucket, this.prefix + key, error);
    }
  }

  /** The lifecycle document this store sends for the given rules (tested on its own: s3rver cannot apply it). */
  lifecycleDocument(rules: readonly RetentionRule[]): LifecycleRule[] {
    return lifecycleRules(rules, {
      prefix: this.prefix,
      archiveStorageClass: this.options.archiveStorageClass ?? 'GLACIER_IR',
    });
  }

  /**
   * Install per-project lifecycle rules, keeping every other rule the bucket has. A server
   * without lifecycle support (s3rver answers NotImplemented) gets a warning and the collector
   * carries on: retention then needs the bucket's own policy.
   */
  async applyRetention(rules: readonly RetentionRule[], logger: Logger): Promise<'applied' | 'unsupported'> {
    if (rules.length === 0) return 'applied';
    try {
      let existing: LifecycleRule[] = [];
      try {
        existing =
          (await this.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: this.options.bucket }))).Rules ??
          [];
      } catch (error) {
        if ((error as S3Failure).name !== 'NoSuchLifecycleConfiguration') throw error;
      }
      await this.client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: this.options.bucket,
          LifecycleConfiguration: { Rules: mergeLifecycleRules(existing, this.lifecycleDocument(rules), this.prefix) },
        }),
      );
      return 'applied';
    } catch (error) {
      if (isNotImplemented(error)) {
        logger.warn(
          { bucket: this.options.bucket },
          '[@reprise/collector] This S3 server does not implement lifecycle configuration: retention rules were NOT applied. Configure expiry on the bucket yourself.',
        );
        return 'unsupported';
      }
      throw new CollectorError(
        's3_lifecycle_failed',
        500,
        `Could not set lifecycle rules on bucket "${this.options.bucket}": ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
