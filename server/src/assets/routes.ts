import { Router, type Request, type Response } from 'express';
import { CollectorError } from '../errors.js';
import { readBoundedBody } from '../http/bounded-body.js';
import { MemoryBudget } from '../ingest/memory-budget.js';
import { RateLimiter, type RateLimit } from '../ingest/rate-limit.js';
import type { ProjectConfig, ProjectRegistry } from '../projects.js';
import { isSafeElement } from '../store/keys.js';
import { ASSET_HASH, isAssetContentType, MAX_ASSET_CHECK_HASHES, type AssetStore } from './asset-store.js';
const MAX_CHECK_BODY_BYTES = 32 * 1024;
/** A body that trickles in slower than this is dropped: an open upload holds memory. */
const UPLOAD_TIMEOUT_MS = 30_000;

export interface AssetRouteOptions {
  assets: AssetStore;
  projects: ProjectRegistry;
  /** Largest asset accepted (bytes). */
  maxAssetBytes: number;
  /** Most asset bytes one session may upload. */
  maxSessionBytes: number;
  /** Requests per ingest key (checks and uploads together). */
  rateLimit: RateLimit;
  /**
   * Bytes all uploads in flight may hold at once (each is read whole before its hash is checked):
   * slow uploads from the public key cannot fill the heap. Default 16 uploads of the largest size.
   */
  uploadMemoryBytes?: number;
  refused?: (reason: string, status: number) => void;
}

/**
 * Bytes uploaded per session, to hold a page to `maxSessionBytes`. Bounded: the oldest sessions
 * are forgotten first, which at worst lets a long-forgotten session upload its cap again.
 */
class SessionBudget {
  private readonly used = new Map<string, number>();
  constructor(private readonly capacity = 20_000) {}
  take(id: string, bytes: number, cap: number): boolean {
    const total = (this.used.get(id) ?? 0) + bytes;
    if (total > cap) return false;
    this.used.delete(id);
    this.used.set(id, total);
    if (this.used.size > this.capacity) this.used.delete(this.used.keys().next().value as string);
    return true;
  }
}

/** A bounded asset-route body; after a refusal the rest is let go, and the connection with it. */
async function readBody(req: Request, limit: number, timeoutMs: number): Promise<Buffer> {
  try {
    return await readBoundedBody(req, {
      limit,
      timeoutMs,
      tooLarge: (max) => new CollectorError('asset_too_large', 413, `The body is over ${max} bytes.`),
    });
  } catch (error) {
    req.resume();
    throw error;
  }
}

/**
 * `POST /v1/assets/missing` and `PUT /v1/assets/:hash` (PROTOCOL.md "Assets"): authenticated by
 * the project's public ingest key and page origin like ingest, so every byte is hostile: bounded
 * bodies and time, a hash checked against the bytes, caps per asset and per session.
 */
export function createAssetRouter(options: AssetRouteOptions): Router {
  const router = Router();
  const limiter = new RateLimiter();
  const budget = new SessionBudget();
  const memory = new MemoryBudget(options.uploadMemoryBytes ?? 16 * options.maxAssetBytes);

  const refuse = (res: Response, error: CollectorError, headers: Record<string, string> = {}) => {
    options.refused?.(error.code, error.status);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(error.status).json({ error: error.code, message: error.message });
  };

  /** The project of the request's key, with CORS set for its origin; undefined after a refusal. */
  const authenticate = (req: Request, res: Response): ProjectConfig | undefined => {
    const origin = req.headers.origin;
    const header = req.headers['x-reprise-project'];
    const key = typeof header === 'string' ? header : typeof req.query.project === 'string' ? req.query.project : '';
    const project = options.projects.byIngestKey(key);
    res.vary('Origin');
    // CORS on refusals too, for an origin the project allows, so the recorder can read why.
    if (
      origin !== undefined &&
      (project ? options.projects.originAllowed(project, origin) : options.projects.originAllowedByAny(origin))
    )
      res.setHeader('Access-Control-Allow-Origin', origin);
    if (!project) {
      refuse(
        res,
        new CollectorError('unknown_project_key', 401, "Unknown project key; check the recorder's `project` option."),
      );
      return undefined;
    }
    if (!options.projects.originAllowed(project, origin)) {
      refuse(
        res,
        new CollectorError(
          'origin_not_allowed',
          403,
          `Origin ${origin ?? '(none)'} is not allowed for this project key; add it to the project's origins.`,
        ),
      );
      return undefined;
    }
    const verdict = limiter.take(key, options.rateLimit);
    if (!verdict.ok) {
      refuse(
        res,
        new CollectorError('rate_limited', 429, `Too many asset requests; retry after ${verdict.retryAfterSeconds} s.`),
        { 'Retry-After': String(verdict.retryAfterSeconds) },
      );
      return undefined;
    }
    return project;
  };

  router.options(['/v1/assets/missing', '/v1/assets/:hash'], (req, res) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (origin === undefined || !options.projects.originAllowedByAny(origin)) {
      refuse(
        res,
        new CollectorError('origin_not_allowed', 403, `Origin ${origin ?? '(none)'} may not send assets here.`),
      );
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Methods', 'POST, PUT, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Reprise-Project');
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  });

  router.post('/v1/assets/missing', async (req, res) => {
    const project = authenticate(req, res);
    if (!project) return;
    let hashes: unknown;
    try {
      if ((req.headers['content-type'] ?? '').split(';')[0]!.trim() !== 'application/json') {
        throw new CollectorError('unsupported_media_type', 415, 'Send the check as application/json.');
      }
      const body = await readBody(req, MAX_CHECK_BODY_BYTES, UPLOAD_TIMEOUT_MS);
      try {
        hashes = (JSON.parse(body.toString('utf8')) as { hashes?: unknown } | null)?.hashes;
      } catch {
        throw new CollectorError('invalid_json', 400, 'The body is not JSON.');
      }
      if (
        !Array.isArray(hashes) ||
        hashes.length > MAX_ASSET_CHECK_HASHES ||
        !hashes.every((hash) => typeof hash === 'string' && ASSET_HASH.test(hash))
      ) {
        throw new CollectorError(
          'invalid_asset_check',
          400,
          `Send { "hashes": [...] }: at most ${MAX_ASSET_CHECK_HASHES} lowercase hex SHA-256 digests.`,
        );
      }
    } catch (error) {
      if (error instanceof CollectorError) return refuse(res, error);
      throw error;
    }
    res.json({ missing: await options.assets.missing(project.id, hashes as string[]) });
  });

  router.put('/v1/assets/:hash', async (req, res) => {
    const project = authenticate(req, res);
    if (!project) return;
    const hash = String(req.params.hash);
    const session = typeof req.query.session === 'string' ? req.query.session : '';
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    try {
      if (!ASSET_HASH.test(hash))
        throw new CollectorError(
          'invalid_asset_hash',
          400,
          'Name the asset by the lowercase hex SHA-256 of its bytes.',
        );
      if (!isSafeElement(session))
        throw new CollectorError('invalid_session', 400, 'Name the uploading session: ?session=<session id>.');
      if (!isAssetContentType(contentType)) {
        throw new CollectorError(
          'unsupported_media_type',
          415,
          `Content-Type "${contentType || '(none)'}" is not an asset type: text/css, font/*, image/*.`,
        );
      }
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxAssetBytes) {
        throw new CollectorError('asset_too_large', 413, `An asset may be at most ${options.maxAssetBytes} bytes.`);
      }
      // What this upload may come to hold, reserved before a byte is read.
      const held = Number.isFinite(declared) && declared >= 0 ? declared : options.maxAssetBytes;
      if (!memory.tryReserve(held)) {
        throw new CollectorError(
          'assets_busy',
          503,
          'Too many asset uploads are in progress on this collector; retry in a few seconds.',
        );
      }
      try {
        const bytes = await readBody(req, Math.min(held, options.maxAssetBytes), UPLOAD_TIMEOUT_MS);
        if (!budget.take(`${project.id}/${session}`, bytes.byteLength, options.maxSessionBytes)) {
          throw new CollectorError(
            'asset_session_cap',
            413,
            `This session uploaded its ${options.maxSessionBytes} bytes of assets; the rest are recorded as copies.`,
          );
        }
        await options.assets.put(project.id, hash, { contentType, bytes });
      } finally {
        memory.release(held);
      }
    } catch (error) {
      if (error instanceof CollectorError)
        return refuse(res, error, error.status === 503 ? { 'Retry-After': '2' } : {});
      throw error;
    }
    res.status(201).json({ ok: true });
  });

  return router;
}
