import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router, type Request, type Response } from 'express';
import { authenticate, principalOf, requestOrigin } from './access/middleware.js';
import { principalId, projectsWith } from './access/principal.js';
import { REPLAY_FRAME_META, REPLAY_FRAME_PATH, SESSION_PAGE, WARM_FRAME_ID } from './admin-page-names.js';
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

/**
 * Scripts only from this origin. The admin page loads nothing from elsewhere: the replayed page
 * is not in it but in the replay frame, from the replay origin.
 */
export function adminContentSecurityPolicy(replayOrigin: string | undefined): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    `frame-src 'self'${replayOrigin ? ` ${replayOrigin}` : ''}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * The replay frame's policy (`/replay-frame.html`, the player's `servePlayerFrame`). The replayed
 * page lives there, on the replay origin, which the viewer's login cookie never goes to: nothing
 * recorded runs as the viewer, and nothing in it can reach the admin page. Its images, fonts, media
 * and styles come only from data: and blob: URLs (captured assets are inlined by the playback
 * stream), so a recorded URL on another host never learns who watched and when; with `original`
 * the viewer chose, for this replay, to let their browser fetch them from the sites they came from.
 * (The player drops uncaptured URLs before they reach the replay; this is the browser-enforced
 * second line.) The frame connects nowhere: the admin page makes the player's requests.
 */
export function replayFrameContentSecurityPolicy(embedder: string | undefined, original: boolean): string {
  const remote = original ? ' https: http:' : '';
  return [
    // Forms, popups and navigating the admin page stay off even if the page is opened on its own.
    'sandbox allow-scripts allow-same-origin',
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'unsafe-inline'${remote}`,
    `img-src data: blob:${remote}`,
    `font-src data: blob:${remote}`,
    `media-src data: blob:${remote}`,
    "connect-src 'none'",
    'frame-src about: blob: data:',
    `frame-ancestors ${embedder ?? "'self'"}`,
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}

const LOOPBACK_NAME = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * Where a page reached by `req` loads the replay frame from: REPRISE_REPLAY_ORIGIN, or on a
 * loopback name another one (127.0.0.1, [::1] and localhost are different sites, so the login
 * cookie of one is never sent from or to the other): localhost for an address, and for localhost
 * the address this connection came in on (a collector listening on one family only is reachable
 * there). Undefined elsewhere: the frame then shares the admin's origin, and only the player's and
 * the CSP's checks keep recorded URLs out.
 */
export function replayOriginFor(req: Request, configured: string | undefined): string | undefined {
  if (configured) return configured;
  const own = ownOrigin(req);
  if (own === undefined) return undefined;
  const url = new URL(own);
  if (!LOOPBACK_NAME.test(url.hostname)) return undefined;
  if (url.hostname !== 'localhost') url.hostname = 'localhost';
  else {
    const local = req.socket.localAddress ?? '';
    url.hostname = local.includes(':') && !local.startsWith('::ffff:') ? '[::1]' : '127.0.0.1';
  }
  return url.origin;
}

/** The origin a request was made to, as its browser names it (protocol and `Host`). */
function ownOrigin(req: Request): string | undefined {
  try {
    return new URL(`${req.protocol}://${req.headers.host ?? ''}`).origin;
  } catch {
    return undefined;
  }
}

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
  /** REPRISE_REPLAY_ORIGIN: where the replay frame is loaded from (see `replayOriginFor`). */
  replayOrigin?: string;
  /** REPRISE_PUBLIC_URL: the admin's origin, the one page that may embed a frame on `replayOrigin`. */
  publicUrl?: string;
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

function sendPage(res: Response, html: string, policy: string, cacheControl = 'no-cache'): void {
  res.setHeader('Content-Security-Policy', policy);
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.type('html').send(html);
}

/** As FramedPlayer.warm makes it (the admin app calls that where no collector served this one). */
const warmFrame = (src: string) =>
  `<iframe id="${WARM_FRAME_ID}" src="${src}" sandbox="allow-scripts allow-same-origin" aria-hidden="true" tabindex="-1" style="position:fixed;width:0;height:0;border:0;visibility:hidden"></iframe>`;

/** A built page, read once it exists (so building the admin next to a running collector works). */
function builtPage(path: string): () => string | undefined {
  let html: string | undefined;
  return () => {
    if (html === undefined && existsSync(path)) html = readFileSync(path, 'utf8');
    return html;
  };
}

export function createAdminUiRouter(options: AdminUiOptions = {}): Router {
  const dir = options.assetsDir ?? DEFAULT_ADMIN_ASSETS_DIR;
  const router = Router();
  const page = builtPage(`${dir.replace(/\/$/, '')}/index.html`);
  const framePage = builtPage(`${dir.replace(/\/$/, '')}/replay-frame.html`);
  // The frame page is named with a hash of what it is served as (`?v=`): its content and the page
  // its policy lets embed it. The player's frame then loads it from the cache the session page's
  // early frame filled, instead of asking a collector busy streaming that session; a new build or
  // another embedding origin is a new name.
  const frameVersion = (embedder: string | undefined) => {
    const html = framePage();
    return html === undefined
      ? undefined
      : createHash('sha256')
          .update(`${embedder ?? ''}\n${html}`)
          .digest('hex')
          .slice(0, 12);
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

  router.get(REPLAY_FRAME_PATH, (req, res) => {
    const html = framePage();
    if (html === undefined) {
      res.status(404).type('text').send('[@reprise/collector] The admin UI is not built; see the page at /.');
      return;
    }
    // The page that embeds this frame: on a loopback name the other one (as replayOriginFor
    // chose it), else REPRISE_PUBLIC_URL's origin, else any page on this origin.
    const embedder = options.replayOrigin
      ? options.publicUrl && new URL(options.publicUrl).origin
      : replayOriginFor(req, undefined);
    const original = req.query[ORIGINAL_RESOURCES_PARAM] === ORIGINAL_RESOURCES_VALUE;
    sendPage(
      res,
      html,
      replayFrameContentSecurityPolicy(embedder ? `'self' ${embedder}` : undefined, original),
      req.query.v === frameVersion(embedder) ? `private, max-age=${YEAR_SECONDS}, immutable` : 'no-cache',
    );
  });

  router.use((req, res, next) => {
    if (!wantsHtml(req)) return next();
    const replayOrigin = replayOriginFor(req, options.replayOrigin);
    // The frame page's embedder as its route will see it: this page's origin, when the frame is elsewhere.
    const version = frameVersion(
      options.replayOrigin ? options.publicUrl && new URL(options.publicUrl).origin : replayOrigin && ownOrigin(req),
    );
    const frameUrl = `${replayOrigin ?? ''}${REPLAY_FRAME_PATH}${version ? `?v=${version}` : ''}`;
    const html = page();
    sendPage(
      res,
      html === undefined
        ? NOT_BUILT_PAGE
        : html
            .replace('</head>', `<meta name="${REPLAY_FRAME_META}" content="${frameUrl}"></head>`)
            // A session page starts its replay frame's page as it parses: on a site of its own that
            // frame needs a process of its own, ready by the time the player asks (FramedPlayer.warm).
            .replace('<body>', SESSION_PAGE.test(req.path) ? `<body>${warmFrame(frameUrl)}` : '<body>'),
      adminContentSecurityPolicy(replayOrigin),
    );
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
          ...(collector.config.replayOrigin ? { replayOrigin: collector.config.replayOrigin } : {}),
          ...(collector.config.publicUrl ? { publicUrl: collector.config.publicUrl } : {}),
          ...options,
        }),
      );
    },
  };
}
