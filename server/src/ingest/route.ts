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
import { batchId, type AppendOutcome, type IngestLog, type LogRecord } from '../log/types.js';
import type { CollectorMetrics } from '../metrics.js';
import type { ProjectConfig, ProjectRegistry } from '../projects.js';
import { ASSET_NAMESPACE_PREFIX } from '../assets/asset-store.js';
import type { DedupeIndex } from './dedupe.js';
import { claimedProjectKey, inflateIngestBody, validateUnpackedBatch } from './decode.js';
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
  /** The client's address as the collector trusts it (REPRISE_TRUST_PROXY); the socket's by default. */
  clientAddress?: (req: IncomingMessage) => string | undefined;
  /** Free bytes left where the log writes, or undefined when unknown; below `minFreeDiskBytes` ingest answers 503. */
  freeDiskBytes?: () => number | undefined;
  minFreeDiskBytes?: number;
  /** False while shutting down: ingest answers 503 so clients retry elsewhere or later. */
  accepting: () => boolean;
  /** True for a deleted session (a tombstone): its batches are refused with 410. */
  isDeleted?: (project: string, sessionId: string) => boolean;
}

const CORS_ALLOW_HEADERS = 'Content-Type, X-Reprise-Project';
const CORS_MAX_AGE_SECONDS = '600';
/** Longest `User-Agent` kept with a batch: real ones are a few hundred characters; the rest is noise. */
export const MAX_USER_AGENT_LENGTH = 512;

function readBoundedBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (error) {
        // Stop buffering a body we already refused; the refusal drains the rest (drainRefusedBody).
        reject(error);
      } else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > limit)
        finish(new CollectorError('body_too_large', 413, `Request body is over ${limit} bytes; send smaller batches.`));
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish());
    req.once('error', (error) =>
      finish(new CollectorError('body_unreadable', 400, `Request body could not be read: ${error.message}.`)),
    );
    req.once('aborted', () =>
      finish(new CollectorError('body_unreadable', 400, 'The client aborted the request body.')),
    );
  });
}

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

/** The `project` query parameter, as Express's default ("simple") query parser reads it: one string, or nothing. */
function queryProject(url: string | undefined): string | undefined {
  const at = url?.indexOf('?') ?? -1;
  if (at < 0) return undefined;
  const value = parseQuery(url!.slice(at + 1)).project;
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

/**
 * The ingest endpoint on Node's own request and response: the collector's server hands
 * `POST /v1/ingest` to it before Express (Express's app and router layers were ~7% of the
 * collector's CPU per 8 KB batch, for a route that needs none of them); the Express router below
 * serves it too, for other spellings of the path and for apps that mount the router.
 */
export function createIngestHandler(options: IngestOptions): IngestHandler {
  const limiter = new RateLimiter();
  const sessionLimiter = new RateLimiter();
  const addressLimiter = new RateLimiter();
  const budget = new MemoryBudget(options.decodeMemoryBytes);
  const clientAddress = options.clientAddress ?? ((req: IncomingMessage) => req.socket.remoteAddress);
  /** Appends in progress by batch id: a retry racing its original waits for the original's fsync. */
  const appending = new Map<string, Promise<unknown>>();
  const redact = createRedactor(options.redaction);
  const { metrics } = options;

  const setCors = (res: ServerResponse, origin: string | undefined) => {
    res.setHeader('Vary', 'Origin');
    if (origin) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
    }
  };

  /** `lease.bytes`: what this request holds of the memory budget, released when it is answered. */
  const handle = async (req: IncomingMessage, res: ServerResponse, lease: { bytes: number }): Promise<void> => {
    const reserve = (bytes: number): boolean => {
      if (!budget.tryReserve(bytes, lease.bytes)) return false;
      lease.bytes += bytes;
      return true;
    };
    const stopTimer = metrics.ingestLatency.startTimer();
    const origin = req.headers.origin;
    let project: ProjectConfig | undefined;
    const refuse = (status: number, error: string, message: string, headers: Record<string, string> = {}) => {
      metrics.refusals.inc({ reason: error, status: String(status) });
      // CORS headers on refusals too, for an origin the project allows, so the recorder can read why.
      const corsOrigin =
        origin &&
        (project ? options.projects.originAllowed(project, origin) : options.projects.originAllowedByAny(origin))
          ? origin
          : undefined;
      setCors(res, corsOrigin);
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      writeJson(res, status, {
        error,
        message: message.startsWith('[@reprise/') ? message : `[@reprise/collector] ${message}`,
      });
      stopTimer({ status: String(status) });
      if (!req.complete) drainRefusedBody(req, options.maxBodyBytes + REFUSED_BODY_DRAIN_BYTES);
    };
    const busy = () =>
      refuse(503, 'collector_busy', 'The collector is decoding as many batches as its memory allows; retry shortly.', {
        'Retry-After': '1',
      });
    const limited = (verdict: { ok: false; retryAfterSeconds: number }, whose: string) =>
      refuse(429, 'rate_limited', `Too many batches ${whose}; retry after ${verdict.retryAfterSeconds} s.`, {
        'Retry-After': String(verdict.retryAfterSeconds),
      });
    const checkProject = (candidate: ProjectConfig, key: string): boolean => {
      project = candidate;
      if (!options.projects.originAllowed(candidate, origin)) {
        refuse(
          403,
          'origin_not_allowed',
          `Origin ${origin ?? '(none)'} is not allowed for this project key; add it to the project's origins.`,
        );
        return false;
      }
      const verdict = limiter.take(key, candidate.rateLimit ?? options.defaultRateLimit);
      if (!verdict.ok) {
        limited(verdict, 'for this project key');
        return false;
      }
      return true;
    };

    if (!options.accepting())
      return refuse(503, 'shutting_down', 'The collector is shutting down; retry shortly.', { 'Retry-After': '2' });
    const type = mediaType(req);
    if (!(INGEST_CONTENT_TYPES as readonly string[]).includes(type)) {
      return refuse(
        415,
        'unsupported_media_type',
        `Content-Type "${type || '(none)'}" is not accepted; send the batch frame as application/vnd.reprise.batch.`,
      );
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      return refuse(
        415,
        'unsupported_content_encoding',
        `Content-Encoding "${encoding}" is not accepted: the frame carries its own compression.`,
      );
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
      return refuse(
        413,
        'body_too_large',
        `Request body is ${declared} bytes; the limit is ${options.maxBodyBytes}. Send smaller batches.`,
      );
    }
    // Optional early key (header or query, which a beacon can carry): refuse before decoding anything.
    const earlyKey =
      (typeof req.headers['x-reprise-project'] === 'string' ? req.headers['x-reprise-project'] : undefined) ??
      queryProject(req.url);
    if (earlyKey !== undefined) {
      const early = options.projects.byIngestKey(earlyKey);
      if (!early)
        return refuse(401, 'unknown_project_key', "Unknown project key; check the recorder's `project` option.");
      if (!checkProject(early, earlyKey)) return;
    } else if (origin !== undefined && !options.projects.originAllowedByAny(origin)) {
      // No project takes this page's origin, whatever key the body names: nothing to read or decode.
      return refuse(
        403,
        'origin_not_allowed',
        `Origin ${origin} is not allowed for any project; add it to the project's origins.`,
      );
    }

    const address = clientAddress(req);
    if (address !== undefined) {
      const verdict = addressLimiter.take(address, options.addressRateLimit);
      if (!verdict.ok) return limited(verdict, 'from this address');
    }
    if (options.freeDiskBytes && options.minFreeDiskBytes) {
      const free = options.freeDiskBytes();
      if (free !== undefined && free < options.minFreeDiskBytes) {
        return refuse(
          503,
          'disk_low',
          `The collector's disk has ${free} bytes free, under its ${options.minFreeDiskBytes}-byte watermark; retry later.`,
          { 'Retry-After': '30' },
        );
      }
    }

    let body: Buffer;
    try {
      body = await readBoundedBody(req, options.maxBodyBytes);
    } catch (error) {
      const e = error instanceof CollectorError ? error : new CollectorError('body_unreadable', 400, String(error));
      return refuse(e.status, e.code, e.message);
    }
    let raw: Uint8Array;
    let json = false;
    let batch: Batch;
    const receivedAt = Date.now();
    try {
      // The body and what it inflates to stay alive until the answer: both count before inflating.
      // (A declared length past the limit is inflateIngestBody's 413, whatever else is in flight.)
      if (
        body.byteLength >= FRAME_HEADER_BYTES &&
        !reserve(
          body.byteLength + Math.min(readFrameHeader(body).uncompressedLength, options.limits.maxDecompressedBytes),
        )
      )
        return busy();
      raw = inflateIngestBody(body, options.limits);
      // A recorder page's unload frame is JSON; the log's `wire` copy is msgpack only.
      json = readFrameHeader(body).codec === Codec.json;
      let fits = true;
      const unpacked = unpackPayload(
        raw,
        json ? Codec.json : Codec.deflateRaw,
        options.limits.maxValues,
        (scan) => {
          // Known from the bytes before a value is built of them: stop here if they do not fit.
          fits = reserve(scan.values * DECODED_VALUE_BYTES);
          return fits;
        },
        isUtf8,
      );
      if (!fits) return busy();
      if (earlyKey === undefined) {
        // The key is inside the body: look at it as soon as the body is unpacked, so an unknown
        // key, a foreign origin or a rate-limited key costs no validation, redaction or hashing.
        const claimed = claimedProjectKey(unpacked);
        if (claimed !== undefined) {
          const candidate = options.projects.byIngestKey(claimed);
          if (!candidate)
            return refuse(401, 'unknown_project_key', "Unknown project key; check the recorder's `project` option.");
          if (!checkProject(candidate, claimed)) return;
        }
      }
      if (project) {
        const session = (unpacked as { session?: unknown }).session;
        if (typeof session === 'string' && session.length <= 128) {
          const verdict = sessionLimiter.take(`${project.id}\n${session}`, options.sessionRateLimit);
          if (!verdict.ok) return limited(verdict, 'for this session');
        }
      }
      batch = validateUnpackedBatch(unpacked, {
        ...options.limits,
        timeWindow: { now: receivedAt, maxSkewMs: options.maxClockSkewMs },
      });
    } catch (error) {
      if (error instanceof ProtocolError) return refuse(error.status, error.code, error.message);
      options.logger.error({ err: error }, 'ingest: unexpected decode failure');
      return refuse(400, 'invalid_batch', 'The batch could not be decoded.');
    }
    if (earlyKey !== undefined) {
      if (batch.project !== earlyKey)
        return refuse(400, 'project_mismatch', 'The batch names another project key than the request.');
    } else if (!project) {
      // Unreachable for a valid batch (its project is a key-shaped string); kept as the rule.
      const candidate = options.projects.byIngestKey(batch.project);
      if (!candidate)
        return refuse(401, 'unknown_project_key', "Unknown project key; check the recorder's `project` option.");
      if (!checkProject(candidate, batch.project)) return;
    }
    const accepted = project!;
    if (batch.session.startsWith(ASSET_NAMESPACE_PREFIX)) {
      return refuse(
        400,
        'reserved_session_id',
        `Session ids starting with "${ASSET_NAMESPACE_PREFIX}" are reserved for page assets; let the recorder make the id.`,
      );
    }
    if (options.isDeleted?.(accepted.id, batch.session)) {
      return refuse(
        410,
        'session_deleted',
        'This session was deleted; its batches are not accepted. A new recording needs a new session id.',
      );
    }
    const id = batchId({
      project: accepted.id,
      session: batch.session,
      tab: batch.tab,
      seq: batch.seq,
      part: (batch as { part?: string }).part,
    });
    const digest = createHash('sha256').update(body).digest('base64url').slice(0, 22);
    const answer = (duplicate: boolean) => {
      metrics.batches.inc({ project: accepted.id, outcome: duplicate ? 'duplicate' : 'accepted' });
      if (!duplicate) {
        metrics.bytes.inc({ project: accepted.id }, body.byteLength);
        metrics.events.inc({ project: accepted.id }, batch.events.length);
      }
      // The ack is the hot path: every header in one writeHead (no per-header setHeader
      // bookkeeping), the same headers setCors and writeJson give a refusal.
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
      if (origin) headers.push('Access-Control-Allow-Origin', origin, 'Access-Control-Expose-Headers', 'Retry-After');
      res.writeHead(202, headers);
      res.end(ack);
      stopTimer({ status: '202' });
    };
    const known = options.dedupe.check(id, digest);
    if (known === 'conflict') {
      return refuse(
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
          return refuse(503, 'log_write_failed', 'The first copy of this batch could not be made durable; retry.', {
            'Retry-After': '1',
          });
        }
      }
      return answer(true);
    }

    // Second line of PII redaction (the recorder did the first): same patterns as the browser.
    const redacted = redactEventsInPlace(batch.events, redact);
    if (redacted > 0) metrics.redactions.inc(redacted);
    // The recorder does not send its user agent; the browser's request header is where it is.
    const userAgent = req.headers['user-agent']?.slice(0, MAX_USER_AGENT_LENGTH);
    // Unredacted, the bytes the recorder sent are the record's batch: the log stores them as
    // they are instead of packing the batch again. Redacted, only the masked batch may be stored.
    const record: LogRecord = {
      project: accepted.id,
      receivedAt,
      digest,
      batch,
      ...(redacted === 0 && !json ? { wire: raw } : {}),
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
      if (e.status >= 400 && e.status < 500) refuse(e.status, e.code, e.message);
      else refuse(503, e.code, e.message, { 'Retry-After': '1' });
    } finally {
      appending.delete(id);
    }
  };

  return async (req, res) => {
    const lease = { bytes: 0 };
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
      budget.release(lease.bytes);
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
