import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router, type Request, type Response } from 'express';
import { authenticate, principalOf, requestOrigin } from './access/middleware.js';
import { principalId, projectsWith } from './access/principal.js';
import { recordAuditPerProject } from './audit/audit-log.js';
import type { CollectorPlugin } from './collector.js';
import { CollectorError } from './errors.js';
import type { IndexDatabase } from './index-db/database.js';
import type { ProjectConfig } from './projects.js';

/**
 * The admin UI (server/admin, a React SPA built by `npm run build:admin` into dist/admin) served
 * at `/`. Hashed files under /assets are cached for a year; every other GET that asks for HTML
 * gets index.html, uncached, so a deploy is picked up on the next navigation and client-side
 * routes (/sessions/abc) survive a reload. The collector's own paths are never shadowed.
 */

/** `src/../dist/admin` and `dist/../dist/admin` are the same folder, so source and build runs agree. */
export const DEFAULT_ADMIN_ASSETS_DIR = fileURLToPath(new URL('../dist/admin/', import.meta.url));

const RESERVED = /^\/(v1|healthz|readyz|metrics)(\/|$)/;
const YEAR_SECONDS = 365 * 24 * 3600;

/**
 * The query parameter of the per-replay switch that lets the viewer's browser load a recording's
 * uncaptured resources from the sites they were recorded on (the player's `originalResources`).
 */
export const ORIGINAL_RESOURCES_PARAM = 'resources';
export const ORIGINAL_RESOURCES_VALUE = 'original';

const policy = (remote: string) =>
  [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'unsafe-inline'${remote}`,
    `img-src 'self' data: blob:${remote}`,
    `font-src 'self' data: blob:${remote}`,
    `media-src 'self' data: blob:${remote}`,
    "connect-src 'self'",
    "frame-src 'self' about: blob: data:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');

/**
 * Scripts only from this origin. The replayed page lives in an iframe that inherits this policy:
 * its images, fonts, media and styles come from this collector or data:/blob: URLs only, so a
 * recorded URL on another host never learns who watched and when. (The player drops uncaptured
 * URLs before they reach the iframe; this is the browser-enforced second line.)
 */
export const ADMIN_CONTENT_SECURITY_POLICY = policy('');

/**
 * The policy for a page opened with `?resources=original`: the viewer chose, for this replay, to
 * let their browser fetch the recorded page's resources from the sites they came from.
 */
export const ADMIN_ORIGINAL_RESOURCES_POLICY = policy(' https: http:');

export interface AdminUiOptions {
  /** Folder holding the built admin (index.html + assets/). @default DEFAULT_ADMIN_ASSETS_DIR */
  assetsDir?: string;
  /**
   * The sessions plugin, whose login the read-only project settings route (`GET /v1/projects`)
   * checks. Without it that route is not served.
   */
  sessions?: { readonly index: IndexDatabase };
  /** The projects the settings route shows (the collector's registry). */
  projects?: () => readonly ProjectConfig[];
  /** The login's idle timeout, as the sessions API applies it. @default 30 minutes */
  sessionIdleMs?: number;
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Reprise</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}code{background:#f1f3f6;padding:2px 6px;border-radius:4px}</style></head>
<body><h1>The admin UI is not built</h1><p>This collector is running, but its admin UI files are missing. Build them with
<code>npm run build -w @reprise/collector</code> (or <code>npm run build:admin -w @reprise/collector</code>) and reload this page.</p></body></html>`;

function wantsHtml(req: Request): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD') &&
    !RESERVED.test(req.path) &&
    req.accepts(['html', 'json']) === 'html'
  );
}

function sendPage(req: Request, res: Response, html: string): void {
  const original = req.query[ORIGINAL_RESOURCES_PARAM] === ORIGINAL_RESOURCES_VALUE;
  res.setHeader('Content-Security-Policy', original ? ADMIN_ORIGINAL_RESOURCES_POLICY : ADMIN_CONTENT_SECURITY_POLICY);
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.type('html').send(html);
}

export function createAdminUiRouter(options: AdminUiOptions = {}): Router {
  const dir = options.assetsDir ?? DEFAULT_ADMIN_ASSETS_DIR;
  const router = Router();
  const indexPath = `${dir.replace(/\/$/, '')}/index.html`;
  // Read per request only while missing, so building the admin next to a running collector works.
  let indexHtml: string | undefined;
  const page = () => {
    if (indexHtml === undefined && existsSync(indexPath)) indexHtml = readFileSync(indexPath, 'utf8');
    return indexHtml;
  };

  router.use(
    '/assets',
    express.static(`${dir.replace(/\/$/, '')}/assets`, {
      index: false,
      fallthrough: true,
      setHeaders: (res) => {
        // File names carry a content hash: a changed file is a new URL.
        res.setHeader('Cache-Control', `public, max-age=${YEAR_SECONDS}, immutable`);
        res.setHeader('X-Content-Type-Options', 'nosniff');
      },
    }),
    (req, res) => {
      res
        .status(404)
        .type('text')
        .send(`[@reprise/collector] No admin asset ${req.originalUrl}; reload the page to get the current files.`);
    },
  );

  if (options.sessions) {
    const sessions = options.sessions;
    let check: ReturnType<typeof authenticate> | undefined;
    router.get(
      '/v1/projects',
      (req, res, next) => {
        check ??= authenticate(sessions.index.db, { sessionIdleMs: options.sessionIdleMs });
        return check(req, res, next);
      },
      async (req: Request, res: Response) => {
        const principal = principalOf(res);
        const allowed = projectsWith(principal, 'admin');
        if (allowed !== 'all' && allowed.length === 0) {
          throw new CollectorError('forbidden', 403, 'project settings need the admin role on a project.');
        }
        const projects = (options.projects?.() ?? []).filter(
          (project) => allowed === 'all' || allowed.includes(project.id),
        );
        // Keys and origins are read here: logged like every other read, once per project shown.
        await recordAuditPerProject(
          sessions.index.db,
          {
            actor: principalId(principal),
            action: 'project.list',
            detail: { projects: projects.map((p) => p.id) },
            ...requestOrigin(req),
          },
          projects.map((project) => project.id),
        );
        res.setHeader('Cache-Control', 'no-store');
        res.json({
          projects: projects.map((project) => ({
            id: project.id,
            keys: project.keys,
            origins: project.origins,
            requireOrigin: project.requireOrigin,
            retentionDays: project.retentionDays ?? null,
            archiveAfterDays: project.archiveAfterDays ?? null,
            rateLimit: project.rateLimit ?? null,
          })),
        });
      },
    );
  }

  router.use((req, res, next) => {
    if (!wantsHtml(req)) return next();
    sendPage(req, res, page() ?? NOT_BUILT_PAGE);
  });
  return router;
}

/** Serves the admin UI at `/`; put it before plugins whose pages it replaces (the setup page). */
export function adminUiPlugin(options: AdminUiOptions = {}): CollectorPlugin {
  return {
    name: 'admin-ui',
    setup(collector) {
      collector.mount(
        '/',
        createAdminUiRouter({
          projects: () => collector.projects.list(),
          sessionIdleMs: collector.config.sessionIdleMinutes * 60_000,
          ...options,
        }),
      );
    },
  };
}
