import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { Router } from 'express';
import {
  Codec,
  FRAME_HEADER_BYTES,
  ProtocolError,
  createRedactor,
  readFrameHeader,
  redactEventsInPlace,
  unpackPayload,
  type Batch,
  type RedactionOptions,
  type ValidationLimits,
} from '@reprise/protocol';
import type { Logger } from 'pino';
import { CollectorError } from '../errors.js';
import { readBoundedBody } from '../http/bounded-body.js';
import { batchId, type AppendOutcome, type IngestLog, type LogRecord } from '../log/types.js';
import type { CollectorMetrics } from '../metrics.js';
import type { ProjectConfig, ProjectRegistry } from '../projects.js';
import { ASSET_NAMESPACE_PREFIX } from '../segment/types.js';
import type { DedupeIndex } from './dedupe.js';
import { clockCorrection, parseSentTime, shiftBatchTimes } from './clock.js';
import { claimedProjectKey, inflateIngestBody, validateUnpackedBatch } from './decode.js';
import type { IngestActivity } from './activity.js';
import { DECODED_VALUE_BYTES, MemoryBudget } from './memory-budget.js';
import { RateLimiter, type RateLimit } from './rate-limit.js';

/**
 * Accepted content types. `application/vnd.reprise.batch` is what the recorder sends with
 * fetch; `application/octet-stream` for generic clients; `text/plain` because `navigator.sendBeacon`
 * with a Blob of an unlisted type may be sent (or normalised) as a CORS-safelisted type, and
 * the safelisted types are the only ones a beacon can use without a preflight. The body is
 * always the binary frame, whatever the label.
 */
export const INGEST_CONTENT_TYPES = [
  'application/vnd.reprise.batch',
  'application/octet-stream',
  'text/plain',
] as const;

export interface IngestOptions {
  projects: ProjectRegistry;
  log: IngestLog;
  dedupe: DedupeIndex;
  metrics: CollectorMetrics;
  logger: Logger;
  maxBodyBytes: number;
  /** Schema limits; `timeWindow` is set per request from the receive time and `maxClockSkewMs`. */
  limits: Omit<ValidationLimits, 'timeWindow'>;
  /** Farthest a batch's timestamps may be from the collector's clock, either way. */
  maxClockSkewMs: number;
  /** Memory batches in flight may take together (MemoryBudget). */
  decodeMemoryBytes: number;
  redaction: RedactionOptions;
  defaultRateLimit: RateLimit;
  /** Per session id, whatever the key: one client cannot spend its project's budget. */
  sessionRateLimit: RateLimit;
  /** Per client address (clientAddress). */
  addressRateLimit: RateLimit;
  /** The buckets, when the collector shares them with other nodes (`cluster/rate-limits.ts`). */
  rateLimiters?: { key: RateLimiter; session: RateLimiter; address: RateLimiter };
  /** The client's address as the collector trusts it (REPRISE_TRUST_PROXY); the socket's by default. */
  clientAddress?: (req: IncomingMessage) => string | undefined;
  /** Free bytes left where the log writes, or undefined when unknown; below `minFreeDiskBytes` ingest answers 503. */
  freeDiskBytes?: () => number | undefined;
  minFreeDiskBytes?: number;
  /** False while shutting down: ingest answers 503 so clients retry elsewhere or later. */
  accepting: () => boolean;
  /** True for a deleted session (a tombstone): its batches are refused with 410. */
  isDeleted?: (project: string, sessionId: string) => boolean;
  /** Counts the requests being answered, for the writer to give way to (IngestActivity). */
  activity?: IngestActivity;
}

const CORS_ALLOW_HEADERS = 'Content-Type, X-Reprise-Project';
const CORS_MAX_AGE_SECONDS = '600';
/** Longest `User-Agent` kept with a batch: real ones are a few hundred characters; the rest is noise. */
export const MAX_USER_AGENT_LENGTH = 512;

/**
 * Most bytes of a refused body read and thrown away after the answer. A client still sending when
 * the answer goes out (a browser posting an oversized batch) sees a reset instead of the answer if
 * the connection closes under it, and then cannot learn that it should split the batch (413). So
 * the rest of a refused body is read, up to this bound past the body limit; a client sending
 * more than that is not a recorder, and its connection is closed.
 */
export const REFUSED_BODY_DRAIN_BYTES = 16 * 1024 * 1024;

/** Read and discard what is left of a refused request's body; close the connection past `limit`. */
function drainRefusedBody(req: IncomingMessage, limit: number): void {
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.byteLength;
    if (drained > limit) req.socket.destroy();
  });
  req.resume();
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A query parameter, as Express's default ("simple") query parser reads it: one string, or nothing. */
function queryParam(url: string | undefined, name: 'project' | 'sent'): string | undefined {
  const at = url?.indexOf('?') ?? -1;
  if (at < 0) return undefined;
  const value = parseQuery(url!.slice(at + 1))[name];
  return typeof value === 'string' ? value : undefined;
}

function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** `POST /v1/ingest` on plain Node request / response objects. */
export type IngestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** True for a request the ingest handler takes directly, ahead of Express (see `createIngestHandler`). */
export function isIngestPost(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || !req.url) return false;
  const end = req.url.indexOf('?');
  return (end < 0 ? req.url : req.url.slice(0, end)) === '/v1/ingest';
}

/** What every request of one ingest handler shares: its options, rate limiters, memory budget, redactor. */
interface IngestShared {
  options: IngestOptions;
  limiter: RateLimiter;
  sessionLimiter: RateLimiter;
  addressLimiter: RateLimiter;
  budget: MemoryBudget;
  clientAddress: (req: IncomingMessage) => string | undefined;
  /** Appends in progress by batch id: a retry racing its original waits for the original's fsync. */
  appending: Map<string, Promise<unknown>>;
  redact: ReturnType<typeof createRedactor>;
}

function setCors(res: ServerResponse, origin: string | undefined): void {
  res.setHeader('Vary', 'Origin');
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
  }
}

/**
 * One request's answer side, for every stage of the handler: the project once known (its origins
 * decide the CORS headers of a refusal), the memory it holds, the latency timer, and the answers.
 */
class IngestExchange {
  project: ProjectConfig | undefined;
  readonly origin: string | undefined;
  private readonly stopTimer: (labels: { status: string }) => void;

  constructor(
    readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    /** What this request holds of the memory budget, released when it is answered. */
    private readonly lease: { bytes: number },
    private readonly shared: IngestShared,
  ) {
    this.origin = req.headers.origin;
    this.stopTimer = shared.options.metrics.ingestLatency.startTimer();
  }

  reserve(bytes: number): boolean {
    if (!this.shared.budget.tryReserve(bytes, this.lease.bytes)) return false;
    this.lease.bytes += bytes;
    return true;
  }

  refuse(status: number, error: string, message: string, headers: Record<string, string> = {}): void {
    const { options } = this.shared;
    options.metrics.refusals.inc({ reason: error, status: String(status) });
    // CORS headers on refusals too, for an origin the project allows, so the recorder can read why.
    const origin = this.origin;
    const corsOrigin =
      origin &&
      (this.project
        ? options.projects.originAllowed(this.project, origin)
        : options.projects.originAllowedByAny(origin))
        ? origin
        : undefined;
    setCors(this.res, corsOrigin);
    for (const [name, value] of Object.entries(headers)) this.res.setHeader(name, value);
    writeJson(this.res, status, {
      error,
      message: message.startsWith('[@reprise/') ? message : `[@reprise/collector] ${message}`,
    });
    this.stopTimer({ status: String(status) });
    if (!this.req.complete) drainRefusedBody(this.req, options.maxBodyBytes + REFUSED_BODY_DRAIN_BYTES);
  }

  busy(): void {
    this.refuse(
      503,
      'collector_busy',
      'The collector is decoding as many batches as its memory allows; retry shortly.',
      {
        'Retry-After': '1',
      },
    );
  }

  limited(verdict: { ok: false; retryAfterSeconds: number }, whose: string): void {
    this.refuse(429, 'rate_limited', `Too many batches ${whose}; retry after ${verdict.retryAfterSeconds} s.`, {
      'Retry-After': String(verdict.retryAfterSeconds),
    });
  }

  /** The project `key` names, if any, with its origins and its key's rate limit. False once refused. */
  claimProject(key: string): boolean {
    const candidate = this.shared.options.projects.byIngestKey(key);
    if (!candidate) {
      this.refuse(401, 'unknown_project_key', "Unknown project key; check the recorder's `project` option.");
      return false;
    }
    return this.checkProject(candidate, key);
  }

  private checkProject(candidate: ProjectConfig, key: string): boolean {
    const { options, limiter } = this.shared;
    this.project = candidate;
    if (!options.projects.originAllowed(candidate, this.origin)) {
      this.refuse(
        403,
        'origin_not_allowed',
        `Origin ${this.origin ?? '(none)'} is not allowed for this project key; add it to the project's origins.`,
      );
      return false;
    }
    const verdict = limiter.take(key, candidate.rateLimit ?? options.defaultRateLimit);
    if (!verdict.ok) {
      this.limited(verdict, 'for this project key');
      return false;
    }
    return true;
  }

  /** The 202. The ack is the hot path: every header in one writeHead (no per-header setHeader
   * bookkeeping), the same headers setCors and writeJson give a refusal. */
  accept(project: string, batch: Batch, bodyBytes: number, duplicate: boolean): void {
    const { metrics } = this.shared.options;
    metrics.batches.inc({ project, outcome: duplicate ? 'duplicate' : 'accepted' });
    if (!duplicate) {
      metrics.bytes.inc({ project }, bodyBytes);
      metrics.events.inc({ project }, batch.events.length);
    }
    const ack = JSON.stringify(
      duplicate ? { ok: true, seq: batch.seq, duplicate: true } : { ok: true, seq: batch.seq },
    );
    const headers = [
      'Vary',
      'Origin',
      'Content-Type',
      'application/json; charset=utf-8',
      'Content-Length',
      String(Buffer.byteLength(ack)),
    ];
    if (this.origin)
      headers.push('Access-Control-Allow-Origin', this.origin, 'Access-Control-Expose-Headers', 'Retry-After');
    this.res.writeHead(202, headers);
    this.res.end(ack);
    this.stopTimer({ status: '202' });
  }
}

/**
 * Stage 1, before a byte of the body is read: shutting down, media type, encoding, declared
 * length, the early key (header or query) or an origin no project takes, the address's rate
 * limit, the free-disk watermark. The early key when there is one; false once refused.
 */
function admitRequest(shared: IngestShared, x: IngestExchange): { earlyKey: string | undefined } | false {
  const { options } = shared;
  const { req } = x;
  if (!options.accepting()) {
    x.refuse(503, 'shutting_down', 'The collector is shutting down; retry shortly.', { 'Retry-After': '2' });
    return false;
  }
  const type = mediaType(req);
  if (!(INGEST_CONTENT_TYPES as readonly string[]).includes(type)) {
    x.refuse(
      415,
      'unsupported_media_type',
      `Content-Type "${type || '(none)'}" is not accepted; send the batch frame as application/vnd.reprise.batch.`,
    );
    return false;
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') {
    x.refuse(
      415,
      'unsupported_content_encoding',
      `Content-Encoding "${encoding}" is not accepted: the frame carries its own compression.`,
    );
    return false;
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
    x.refuse(
      413,
      'body_too_large',
      `Request body is ${declared} bytes; the limit is ${options.maxBodyBytes}. Send smaller batches.`,
    );
    return false;
  }
  // Optional early key (header or query, which a beacon can carry): refuse before decoding anything.
  const earlyKey =
    (typeof req.headers['x-reprise-project'] === 'string' ? req.headers['x-reprise-project'] : undefined) ??
    queryParam(req.url, 'project');
  if (earlyKey !== undefined) {
    if (!x.claimProject(earlyKey)) return false;
  } else if (x.origin !== undefined && !options.projects.originAllowedByAny(x.origin)) {
    // No project takes this page's origin, whatever key the body names: nothing to read or decode.
    x.refuse(
      403,
      'origin_not_allowed',
      `Origin ${x.origin} is not allowed for any project; add it to the project's origins.`,
    );
    return false;
  }

  const address = shared.clientAddress(req);
  if (address !== undefined) {
    const verdict = shared.addressLimiter.take(address, options.addressRateLimit);
    if (!verdict.ok) {
      x.limited(verdict, 'from this address');
      return false;
    }
  }
  if (options.freeDiskBytes && options.minFreeDiskBytes) {
    const free = options.freeDiskBytes();
    if (free !== undefined && free < options.minFreeDiskBytes) {
      x.refuse(
        503,
        'disk_low',
        `The collector's disk has ${free} bytes free, under its ${options.minFreeDiskBytes}-byte watermark; retry later.`,
        { 'Retry-After': '30' },
      );
      return false;
    }
  }
  return { earlyKey };
}

/** Stage 2: the body, bounded by `maxBodyBytes`; undefined once refused. */
async function readRequestBody(shared: IngestShared, x: IngestExchange): Promise<Buffer | undefined> {
  try {
    // The rest of a refused body is drained by the refusal (drainRefusedBody).
    return await readBoundedBody(x.req, {
      limit: shared.options.maxBodyBytes,
      tooLarge: (max) =>
        new CollectorError('body_too_large', 413, `Request body is over ${max} bytes; send smaller batches.`),
    });
  } catch (error) {
    const e = error instanceof CollectorError ? error : new CollectorError('body_unreadable', 400, String(error));
    x.refuse(e.status, e.code, e.message);
    return undefined;
  }
}

interface DecodedRequest {
  batch: Batch;
  /** The decompressed payload. */
  raw: Uint8Array;
  /** A recorder page's unload frame (Codec.json): the log's `wire` copy is msgpack only. */
  json: boolean;
  receivedAt: number;
  /** Its times were moved to the collector's clock (`clockCorrection`): `raw` no longer matches it. */
  corrected: boolean;
}

/**
 * Stage 3: inflate, scan, unpack and validate inside the memory budget; the key and the
 * session's rate limit are checked as soon as the body is unpacked, before the costlier
 * validation. Undefined once refused.
 */
function decodeRequest(
  shared: IngestShared,
  x: IngestExchange,
  body: Buffer,
  earlyKey: string | undefined,
): DecodedRequest | undefined {
  const { options } = shared;
  const receivedAt = Date.now();
  try {
    // The body and what it inflates to stay alive until the answer: both count before inflating.
    // (A declared length past the limit is inflateIngestBody's 413, whatever else is in flight.)
    if (
      body.byteLength >= FRAME_HEADER_BYTES &&
      !x.reserve(
        body.byteLength + Math.min(readFrameHeader(body).uncompressedLength, options.limits.maxDecompressedBytes),
      )
    ) {
      x.busy();
      return undefined;
    }
    const raw = inflateIngestBody(body, options.limits);
    const json = readFrameHeader(body).codec === Codec.json;
    let fits = true;
    const unpacked = unpackPayload(
      raw,
      json ? Codec.json : Codec.deflateRaw,
      options.limits.maxValues,
      (scan) => {
        // Known from the bytes before a value is built of them: stop here if they do not fit.
        fits = x.reserve(scan.values * DECODED_VALUE_BYTES);
        return fits;
      },
      isUtf8,
    );
    if (!fits) {
      x.busy();
      return undefined;
    }
    if (earlyKey === undefined) {
      // The key is inside the body: look at it as soon as the body is unpacked, so an unknown
      // key, a foreign origin or a rate-limited key costs no validation, redaction or hashing.
      const claimed = claimedProjectKey(unpacked);
      if (claimed !== undefined && !x.claimProject(claimed)) return undefined;
    }
    if (x.project) {
      const session = (unpacked as { session?: unknown }).session;
      if (typeof session === 'string' && session.length <= 128) {
        const verdict = shared.sessionLimiter.take(`${x.project.id}\n${session}`, options.sessionRateLimit);
        if (!verdict.ok) {
          x.limited(verdict, 'for this session');
          return undefined;
        }
      }
    }
    const correction = clockCorrection(
      receivedAt,
      parseSentTime(queryParam(x.req.url, 'sent')),
      options.maxClockSkewMs,
    );
    // A device off by more than the window: its timestamps are checked against its own clock, then moved.
    const batch = validateUnpackedBatch(unpacked, {
      ...options.limits,
      timeWindow: { now: receivedAt - correction, maxSkewMs: options.maxClockSkewMs },
    });
    if (correction !== 0) shiftBatchTimes(batch, correction);
    return { batch, raw, json, receivedAt, corrected: correction !== 0 };
  } catch (error) {
    if (error instanceof ProtocolError) x.refuse(error.status, error.code, error.message);
    else {
      options.logger.error({ err: error }, 'ingest: unexpected decode failure');
      x.refuse(400, 'invalid_batch', 'The batch could not be decoded.');
    }
    return undefined;
  }
}

/** Stage 4: the project the valid batch belongs to, and not a deleted session. Undefined once refused. */
function acceptedProject(
  shared: IngestShared,
  x: IngestExchange,
  batch: Batch,
  earlyKey: string | undefined,
): ProjectConfig | undefined {
  const { options } = shared;
  if (earlyKey !== undefined) {
    if (batch.project !== earlyKey) {
      x.refuse(400, 'project_mismatch', 'The batch names another project key than the request.');
      return undefined;
    }
  } else if (!x.project) {
    // Unreachable for a valid batch (its project is a key-shaped string); kept as the rule.
    if (!x.claimProject(batch.project)) return undefined;
  }
  const accepted = x.project!;
  if (batch.session.startsWith(ASSET_NAMESPACE_PREFIX)) {
    x.refuse(
      400,
      'reserved_session_id',
      `Session ids starting with "${ASSET_NAMESPACE_PREFIX}" are reserved for page assets; let the recorder make the id.`,
    );
    return undefined;
  }
  if (options.isDeleted?.(accepted.id, batch.session)) {
    x.refuse(
      410,
      'session_deleted',
      'This session was deleted; its batches are not accepted. A new recording needs a new session id.',
    );
    return undefined;
  }
  return accepted;
}

/**
 * Stage 5: a batch already acknowledged is a duplicate (after its original's fsync), other bytes
 * for its seq a conflict; a new one is redacted and appended, and answered 202 only once durable.
 */
async function storeBatch(
  shared: IngestShared,
  x: IngestExchange,
  accepted: ProjectConfig,
  body: Buffer,
  decoded: DecodedRequest,
): Promise<void> {
  const { options, appending } = shared;
  const { metrics } = options;
  const { batch, raw, json, receivedAt, corrected } = decoded;
  const id = batchId({
    project: accepted.id,
    session: batch.session,
    tab: batch.tab,
    seq: batch.seq,
    part: (batch as { part?: string }).part,
  });
  const digest = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  const answer = (duplicate: boolean) => x.accept(accepted.id, batch, body.byteLength, duplicate);
  const known = options.dedupe.check(id, digest);
  if (known === 'conflict') {
    return x.refuse(
      409,
      'seq_conflict',
      `Batch seq ${batch.seq} of this session and tab was already accepted with different content; a retry must resend the same bytes, new data needs a new seq.`,
    );
  }
  if (known === 'duplicate') {
    const original = appending.get(id);
    if (original) {
      try {
        await original;
      } catch {
        return x.refuse(503, 'log_write_failed', 'The first copy of this batch could not be made durable; retry.', {
          'Retry-After': '1',
        });
      }
    }
    return answer(true);
  }

  // Second line of PII redaction (the recorder did the first): same patterns as the browser.
  const redacted = redactEventsInPlace(batch.events, shared.redact);
  if (redacted > 0) metrics.redactions.inc(redacted);
  // The recorder does not send its user agent; the browser's request header is where it is.
  const userAgent = x.req.headers['user-agent']?.slice(0, MAX_USER_AGENT_LENGTH);
  // Unredacted, the bytes the recorder sent are the record's batch: the log stores them as
  // they are instead of packing the batch again. Redacted or corrected, only the batch as
  // changed may be stored.
  const record: LogRecord = {
    project: accepted.id,
    receivedAt,
    digest,
    batch,
    ...(redacted === 0 && !json && !corrected ? { wire: raw } : {}),
    ...(userAgent ? { userAgent } : {}),
  };
  // Claimed only now, with nothing left to fail between the claim and the append but the append
  // itself, and released on any failure: a claim must never outlive a batch that was not made
  // durable, or its retry would be answered "duplicate" and the batch lost.
  options.dedupe.claim(id, digest);
  const stopAppend = metrics.appendLatency.startTimer();
  let appended: Promise<AppendOutcome>;
  try {
    appended = options.log.append(record);
  } catch (error) {
    appended = Promise.reject(error);
  }
  appending.set(id, appended);
  try {
    const outcome = await appended;
    stopAppend();
    answer(outcome === 'duplicate');
  } catch (error) {
    options.dedupe.forget(id);
    options.logger.error({ err: error }, 'ingest: append to the log failed');
    const e =
      error instanceof CollectorError
        ? error
        : new CollectorError('log_write_failed', 503, 'The batch could not be made durable; retry.');
    // A 4xx from the log (a batch the log can never carry) is final; anything else is worth a retry.
    if (e.status >= 400 && e.status < 500) x.refuse(e.status, e.code, e.message);
    else x.refuse(503, e.code, e.message, { 'Retry-After': '1' });
  } finally {
    appending.delete(id);
  }
}

/**
 * The ingest endpoint on Node's own request and response: the collector's server hands
 * `POST /v1/ingest` to it before Express (Express's app and router layers were ~7% of the
 * collector's CPU per 8 KB batch, for a route that needs none of them); the Express router below
 * serves it too, for other spellings of the path and for apps that mount the router. Each request
 * goes through the stages above in order, the cheap refusals first; a stage that refuses answers
 * the request itself and the next stages do not run.
 */
export function createIngestHandler(options: IngestOptions): IngestHandler {
  const shared: IngestShared = {
    options,
    limiter: options.rateLimiters?.key ?? new RateLimiter(),
    sessionLimiter: options.rateLimiters?.session ?? new RateLimiter(),
    addressLimiter: options.rateLimiters?.address ?? new RateLimiter(),
    budget: new MemoryBudget(options.decodeMemoryBytes),
    clientAddress: options.clientAddress ?? ((req: IncomingMessage) => req.socket.remoteAddress),
    appending: new Map(),
    redact: createRedactor(options.redaction),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, lease: { bytes: number }): Promise<void> => {
    const x = new IngestExchange(req, res, lease, shared);
    const admitted = admitRequest(shared, x);
    if (!admitted) return;
    const body = await readRequestBody(shared, x);
    if (!body) return;
    const decoded = decodeRequest(shared, x, body, admitted.earlyKey);
    if (!decoded) return;
    const accepted = acceptedProject(shared, x, decoded.batch, admitted.earlyKey);
    if (!accepted) return;
    await storeBatch(shared, x, accepted, body, decoded);
  };

  return async (req, res) => {
    const lease = { bytes: 0 };
    options.activity?.begin();
    try {
      await handle(req, res, lease);
    } catch (error) {
      // Express answered these before the handler left its router: keep the same answer.
      options.logger.error({ err: error }, 'ingest: request failed');
      if (!res.headersSent)
        writeJson(res, 500, {
          error: 'internal_error',
          message: '[@reprise/collector] Internal error; see the collector log.',
        });
      else res.destroy();
    } finally {
      options.activity?.end();
      shared.budget.release(lease.bytes);
    }
  };
}

/** CORS preflight and `POST /v1/ingest` (through `handle`) as an Express router. */
export function createIngestRouter(
  options: IngestOptions,
  handle: IngestHandler = createIngestHandler(options),
): Router {
  const router = Router();
  const { metrics } = options;

  router.options('/v1/ingest', (req, res) => {
    const origin = req.headers.origin;
    const early = typeof req.query.project === 'string' ? options.projects.byIngestKey(req.query.project) : undefined;
    const allowed =
      origin !== undefined &&
      (early ? options.projects.originAllowed(early, origin) : options.projects.originAllowedByAny(origin));
    res.vary('Origin');
    if (!allowed) {
      metrics.refusals.inc({ reason: 'origin_not_allowed', status: '403' });
      res.status(403).json({
        error: 'origin_not_allowed',
        message: `[@reprise/collector] Origin ${origin ?? '(none)'} may not send to this collector; add it to the project's origins.`,
      });
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
    res.setHeader('Access-Control-Max-Age', CORS_MAX_AGE_SECONDS);
    res.status(204).end();
  });

  router.post('/v1/ingest', (req, res) => handle(req, res));

  return router;
}
