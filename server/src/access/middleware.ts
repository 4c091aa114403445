import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Kysely } from 'kysely';
import { CollectorError } from '../errors.js';
import type { IndexSchema } from '../index-db/schema.js';
import { findLoginSession, verifyApiToken } from './access-store.js';
import type { Principal } from './principal.js';

/**
 * The session cookie's name. `__Host-` makes the browser refuse it unless it is Secure, set by
 * this host (no Domain) for Path=/, so a sibling subdomain cannot plant or overwrite it. Plain
 * HTTP on a loopback host (local development) cannot have Secure cookies in every browser, so
 * there the cookie has the bare name; it is only ever accepted under the name its host calls for.
 */
export const SESSION_COOKIE = '__Host-reprise_session';
export const LOOPBACK_SESSION_COOKIE = 'reprise_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Login and setup do not act on the cookie's session (they start a new one) and check Origin
 * themselves; a still-valid cookie must not make logging in again fail for want of a token.
 */
const CSRF_EXEMPT_PATHS = new Set(['/v1/auth/login', '/v1/auth/setup']);

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) {
      try {
        cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
      } catch {
        // A malformed cookie value is treated as absent.
      }
    }
  }
  return cookies;
}

/** HTTPS as the client sees it (Express honours X-Forwarded-Proto only with `trust proxy`). */
export function isHttps(req: Request): boolean {
  return req.secure;
}

/** localhost, *.localhost, 127.0.0.0/8 or ::1: a host only this machine reaches. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host) || host === '::1';
}

/**
 * Secure unless this is plain HTTP to a loopback host. Over plain HTTP to any other host the
 * browser drops a Secure cookie: logging in there is refused up front (`assertCookieCanWork`).
 */
function cookieIsSecure(req: Request): boolean {
  return isHttps(req) || !isLoopbackHost(req.hostname);
}

export function sessionCookieName(req: Request): string {
  return cookieIsSecure(req) ? SESSION_COOKIE : LOOPBACK_SESSION_COOKIE;
}

export function sessionCookie(req: Request, value: string, maxAgeMs: number): string {
  const parts = [
    `${sessionCookieName(req)}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`,
  ];
  if (cookieIsSecure(req)) parts.push('Secure');
  return parts.join('; ');
}

/** The session cookie's value, read only under the name this host calls for. */
export function sessionCookieValue(req: Request): string | undefined {
  return parseCookies(req.get('cookie')).get(sessionCookieName(req));
}

/** A login over plain HTTP to a non-loopback host would set a cookie the browser never sends back. */
export function assertCookieCanWork(req: Request): void {
  if (!isHttps(req) && !isLoopbackHost(req.hostname)) {
    throw new CollectorError(
      'https_required',
      400,
      'log in over HTTPS: the session cookie is Secure. Behind a TLS proxy, set REPRISE_TRUST_PROXY so the collector sees X-Forwarded-Proto.',
    );
  }
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Express setting holding the origins the collector is reached at (set once it listens). */
export const OWN_ORIGINS_SETTING = 'reprise own origins';

/**
 * A browser always sends Origin on cross-site state-changing requests; when it is there, it has
 * to be this server. Used where no CSRF token exists yet (login, setup).
 */
export function assertSameOrigin(req: Request): void {
  const origin = req.get('origin');
  if (!origin) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new CollectorError('csrf_failed', 403, 'the Origin header is not a URL.');
  }
  // The origins this collector is reached at (REPRISE_PUBLIC_URL, or the loopback listen address),
  // not the request's own Host: a DNS-rebound name sends a Host that matches its Origin.
  const own = req.app.get(OWN_ORIGINS_SETTING) as readonly string[] | undefined;
  if (own ? !own.includes(origin.toLowerCase()) : host !== req.get('host'))
    throw new CollectorError('csrf_failed', 403, `requests from ${origin.slice(0, 100)} are not accepted.`);
}

/**
 * Whether a request that carries the login cookie was made by the admin UI's own code: a fetch()
 * from this origin (`Sec-Fetch-Dest: empty`), or a navigation from this origin or typed by the
 * viewer (the export download). A browser attaches the cookie to every same-site request,
 * including an `<img>`, `<link>`, `<video>` or CSS `url()` in a replayed page; those announce
 * another destination and are refused, so recorded content never reads the API in the viewer's
 * name. Clients that send no `Sec-Fetch-Site` (command-line tools, browsers older than 2023)
 * are let through: for them the replay's own defences (the player drops uncaptured
 * URLs, the admin CSP) remain.
 */
export function isOwnCookieRequest(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  const mode = req.get('sec-fetch-mode');
  const dest = req.get('sec-fetch-dest');
  // Browsers send Sec-Fetch-Site on every request; Node's fetch sends Sec-Fetch-Mode alone.
  if (site === undefined) return true;
  // A download link is a navigation whose destination Chromium reports as `empty`.
  if (mode === 'navigate')
    return (site === 'same-origin' || site === 'none') && (dest === 'document' || dest === 'empty');
  return site === 'same-origin' && (dest === undefined || dest === 'empty');
}

/**
 * Finds the caller: `Authorization: Bearer rpt_...` (an API token) or the login cookie. A cookie
 * caller must echo its CSRF token in `X-CSRF-Token` on every state-changing request; token
 * callers are not exposed to CSRF (a browser never attaches the bearer on its own).
 */
export function authenticate(db: Kysely<IndexSchema>, options: { sessionIdleMs?: number } = {}) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const authorization = req.get('authorization');
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      const token = match ? await verifyApiToken(db, match[1]!) : undefined;
      if (!token)
        throw new CollectorError(
          'unauthenticated',
          401,
          'the API token is unknown, revoked, expired or malformed; an admin can create a new one (POST /v1/tokens).',
        );
      res.locals.principal = { kind: 'token', token } satisfies Principal;
      return next();
    }
    const cookie = sessionCookieValue(req);
    if (cookie) {
      if (!isOwnCookieRequest(req)) {
        throw new CollectorError(
          'not_admin_request',
          403,
          `the login cookie only works for the admin UI's own requests (fetch from this origin); this was a ${req.get('sec-fetch-dest') ?? 'request'} from ${req.get('sec-fetch-site') ?? 'elsewhere'}. Scripts and tools use an API token.`,
        );
      }
      const session = await findLoginSession(db, cookie, { idleMs: options.sessionIdleMs });
      if (session) {
        if (!SAFE_METHODS.has(req.method) && !CSRF_EXEMPT_PATHS.has(req.baseUrl + req.path)) {
          assertSameOrigin(req);
          const sent = req.get(CSRF_HEADER);
          if (!sent || !sameToken(sent, session.csrfToken)) {
            throw new CollectorError(
              'csrf_failed',
              403,
              `state-changing requests need the ${CSRF_HEADER} header from GET /v1/auth/me.`,
            );
          }
        }
        res.locals.principal = { kind: 'user', user: session.user, csrfToken: session.csrfToken } satisfies Principal;
      }
    }
    next();
  };
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) {
    throw new CollectorError(
      'unauthenticated',
      401,
      'log in (POST /v1/auth/login) or send an API token as "Authorization: Bearer rpt_...".',
    );
  }
  return principal;
}

/** Where a request came from, for the audit log. */
export function requestOrigin(req: Request): { ip: string | null; userAgent: string | null } {
  return { ip: req.ip ?? req.socket.remoteAddress ?? null, userAgent: req.get('user-agent')?.slice(0, 512) ?? null };
}
