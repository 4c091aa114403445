import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response } from 'express';

/**
 * /healthz, /readyz and /metrics. Only /healthz and the bare /readyz answer are for anyone: the
 * details (log and store descriptions, which name data paths, the bucket and its endpoint) and the
 * metrics (project ids, traffic) need `Authorization: Bearer <REPRISE_METRICS_TOKEN>`, or a
 * request on the separate metrics port (`REPRISE_METRICS_PORT`), which asks for nothing.
 */
export interface OpsRouteOptions {
  ready: () => boolean;
  /** What /readyz adds for an authorised caller. */
  details: () => Record<string, unknown>;
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** `open`: the separate metrics listener; otherwise the token (undefined: the details are not served here). */
  access: 'open' | { token: string | undefined };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

function authorised(req: Request, access: OpsRouteOptions['access']): boolean | 'no_token' {
  if (access === 'open') return true;
  if (!access.token) return 'no_token';
  const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  // Digests have one length, so the comparison takes the same time whatever was sent.
  return match !== null && timingSafeEqual(digest(match[1]!), digest(access.token));
}

export function createOpsRouter(options: OpsRouteOptions): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  router.get('/readyz', (req, res) => {
    const ready = options.ready();
    res.setHeader('Cache-Control', 'no-store');
    res
      .status(ready ? 200 : 503)
      .json(authorised(req, options.access) === true ? { ready, ...options.details() } : { ready });
  });
  router.get('/metrics', async (req: Request, res: Response) => {
    const verdict = authorised(req, options.access);
    res.setHeader('Cache-Control', 'no-store');
    if (verdict === 'no_token') {
      res.status(404).json({
        error: 'not_found',
        message:
          '[@reprise/collector] /metrics is off on this port: set REPRISE_METRICS_TOKEN (and send it as a bearer token) or REPRISE_METRICS_PORT.',
      });
      return;
    }
    if (!verdict) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="reprise-metrics"');
      res.status(401).json({
        error: 'unauthenticated',
        message: '[@reprise/collector] /metrics needs "Authorization: Bearer <REPRISE_METRICS_TOKEN>".',
      });
      return;
    }
    const { contentType, body } = await options.metrics();
    res.setHeader('Content-Type', contentType);
    res.send(body);
  });
  return router;
}
