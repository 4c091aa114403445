/**
 * The admin's only door to the collector. Every request shape of the collector's HTTP API that
 * the UI depends on is written here, so a change on the server side is a change in one file.
 */

import type { AuditEntry } from '../../src/audit/audit-log.js';
import type { SessionSearchFilters } from '../../src/index-db/search.js';

/** The audit log's entries travel exactly as the server defines them. */
export type { AuditEntry };

export type Role = 'admin' | 'viewer';

export interface Me {
  username: string;
  /** Role per project; `*` means every project. */
  roles: Record<string, Role>;
  csrfToken: string;
}

export interface PageVisit {
  url: string;
  route?: string;
  at: number;
}

export interface SessionSummary {
  id: string;
  project: string;
  userId: string | null;
  userTraits: Record<string, unknown> | null;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  activeMs: number;
  firstUrl: string | null;
  pages: PageVisit[];
  browser: string | null;
  os: string | null;
  userAgent: string | null;
  viewport: { width: number; height: number } | null;
  eventCount: number;
  clickCount: number;
  rageClickCount: number;
  errorCount: number;
  consoleErrorCount: number;
  failedRequestCount: number;
  segmentCount: number;
  byteSize: number;
  customEvents: string[];
  /** The distinct errors it threw (`TypeError: x is undefined`), each when first, on the detail route. */
  errors: { title: string; at: number }[];
}

/** The server's search filters (one definition, in the index), plus the one project the UI picked. */
export interface SessionSearchParams extends SessionSearchFilters {
  /** Omitted: every project the viewer can read. */
  project?: string;
}

/**
 * `GET /v1/sessions`'s query parameter for each filter. Typed against the server's filters, so a
 * filter added there does not compile here until the UI sends it.
 */
const SEARCH_QUERY_NAMES: { [Field in keyof SessionSearchParams]-?: string } = {
  project: 'project',
  from: 'from',
  to: 'to',
  userId: 'user',
  url: 'url',
  hasError: 'hasError',
  hasRageClick: 'rageClicks',
  errorText: 'error',
  customEvent: 'event',
  minDurationMs: 'minDuration',
  sort: 'sort',
  order: 'order',
  limit: 'limit',
  cursor: 'cursor',
};

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface AuditSearchParams {
  project?: string;
  action?: string;
  sessionId?: string;
  actor?: string;
  cursor?: string;
  limit?: number;
}

export interface ProjectSettings {
  id: string;
  keys: string[];
  origins: string[];
  requireOrigin: boolean;
  retentionDays: number | null;
  archiveAfterDays: number | null;
  rateLimit: { perSecond: number; burst: number } | null;
}

/** An API token as `GET /v1/tokens` lists it (the secret itself is shown only once, at creation). */
export interface ApiTokenInfo {
  id: string;
  name: string;
  project: string;
  operations: string[];
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  /** When it stops working; null only for tokens from before expiry existed. */
  expiresAt: number | null;
}

/** A user as `GET /v1/users` lists it: only the roles on projects the caller administers (and `*`). */
export interface UserInfo {
  id: number;
  username: string;
  createdAt: number;
  roles: Record<string, Role>;
}

/** What `POST /v1/tokens` answers: the secret, shown this once. */
export interface CreatedToken {
  id: string;
  token: string;
  expiresAt: number;
}

/** A failed request, with the server's own words when it sent any. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | undefined;

/** The login cookie is HttpOnly; state-changing requests echo the CSRF token the server handed out. */
export function rememberCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const FRIENDLY_STATUS: Record<number, string> = {
  401: 'You are not logged in, or your login has expired. Log in again.',
  403: 'You do not have access to this.',
  404: 'Not found. It may have been deleted, or the link is wrong.',
  429: 'Too many requests. Wait a moment and try again.',
  500: 'The collector hit an internal error. Its log has the details.',
  502: 'The collector is not reachable right now.',
  503: 'The collector is not ready yet. Try again in a moment.',
};

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(
      0,
      'network',
      'Could not reach the collector. Check that it is running and that you are online.',
    );
  }
  const text = await response.text();
  let data: unknown = undefined;
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!response.ok) {
    const payload = (data ?? {}) as { error?: unknown; message?: unknown };
    const code = typeof payload.error === 'string' ? payload.error : `http_${response.status}`;
    const serverMessage = typeof payload.message === 'string' ? payload.message : undefined;
    const message = serverMessage
      ? serverMessage.charAt(0).toUpperCase() + serverMessage.slice(1)
      : (FRIENDLY_STATUS[response.status] ?? `The collector answered ${response.status} ${response.statusText}.`);
    throw new ApiError(response.status, code, message);
  }
  return data as T;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// ------------------------------------------------------------------ shapes from the server

type Json = Record<string, unknown>;

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown, fallback = 0): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;
const obj = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};

/** `sessionJson()` of server/src/playback/router.ts (plus `customEvents` and `errors` on the detail route). */
export function toSessionSummary(row: Json): SessionSummary {
  const counts = obj(row.counts);
  const viewport = obj(row.viewport);
  const startedAt = num(row.startedAt);
  const endedAt = num(row.endedAt, startedAt);
  return {
    id: String(row.id),
    project: String(row.project ?? ''),
    userId: str(row.userId),
    userTraits: row.userTraits ? obj(row.userTraits) : null,
    startedAt,
    endedAt,
    durationMs: num(row.durationMs, endedAt - startedAt),
    activeMs: num(row.activeMs),
    firstUrl: str(row.firstUrl),
    pages: (Array.isArray(row.pages) ? (row.pages as Json[]) : []).map((page) => ({
      url: String(page.url ?? ''),
      ...(typeof page.route === 'string' ? { route: page.route } : {}),
      at: num(page.at),
    })),
    browser: str(row.browser),
    os: str(row.os),
    userAgent: str(row.userAgent),
    viewport:
      typeof viewport.width === 'number' && typeof viewport.height === 'number'
        ? { width: viewport.width, height: viewport.height }
        : null,
    eventCount: num(counts.events),
    clickCount: num(counts.clicks),
    rageClickCount: num(counts.rageClicks),
    errorCount: num(counts.errors),
    consoleErrorCount: num(counts.consoleErrors),
    failedRequestCount: num(counts.failedRequests),
    segmentCount: num(row.segmentCount),
    byteSize: num(row.bytes),
    customEvents: (Array.isArray(row.customEvents) ? (row.customEvents as Json[]) : []).map((entry) =>
      String(entry.name),
    ),
    errors: (Array.isArray(row.errors) ? (row.errors as Json[]) : []).map((error) => ({
      title: String(error.title ?? ''),
      at: num(error.at),
    })),
  };
}

/** `GET /v1/auth/me`: `{ kind: 'user', user: { username, roles }, csrfToken }` (API tokens have no UI). */
function toMe(data: Json): Me | null {
  if (data.kind !== 'user') return null;
  const user = obj(data.user);
  return {
    username: String(user.username ?? ''),
    roles: obj(user.roles) as Record<string, Role>,
    csrfToken: String(data.csrfToken ?? ''),
  };
}

// ------------------------------------------------------------------ endpoints

export const api = {
  /** `null` when nobody is logged in. */
  async me(signal?: AbortSignal): Promise<Me | null> {
    try {
      const me = toMe(await request<Json>('GET', '/v1/auth/me', undefined, signal));
      rememberCsrfToken(me?.csrfToken);
      return me;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  },

  async login(username: string, password: string): Promise<Me> {
    await request<Json>('POST', '/v1/auth/login', { username, password });
    const me = await api.me();
    if (!me)
      throw new ApiError(
        401,
        'unauthenticated',
        'The collector accepted the password but did not keep the login. Are cookies blocked for this site?',
      );
    return me;
  },

  async logout(): Promise<void> {
    await request('POST', '/v1/auth/logout', {});
    rememberCsrfToken(undefined);
  },

  /** Create the first admin with the one-time setup link's token, then log in as that admin. */
  async setup(token: string, username: string, password: string): Promise<Me> {
    await request<Json>('POST', '/v1/auth/setup', { token, username, password });
    return (await api.me()) ?? api.login(username, password);
  },

  async searchSessions(params: SessionSearchParams, signal?: AbortSignal): Promise<Page<SessionSummary>> {
    const names: Record<string, string | number | boolean | undefined> = {};
    for (const [field, name] of Object.entries(SEARCH_QUERY_NAMES))
      names[name] = params[field as keyof SessionSearchParams];
    const data = await request<Json>('GET', `/v1/sessions${query(names)}`, undefined, signal);
    const rows = (Array.isArray(data.sessions) ? data.sessions : []) as Json[];
    return { items: rows.map(toSessionSummary), nextCursor: str(data.nextCursor) };
  },

  async session(id: string, project: string | undefined, signal?: AbortSignal): Promise<SessionSummary> {
    const data = await request<Json>(
      'GET',
      `/v1/sessions/${encodeURIComponent(id)}${query({ project })}`,
      undefined,
      signal,
    );
    return toSessionSummary(data);
  },

  /** The playback stream's URL, for the player (it fetches with the login cookie). */
  eventsUrl(id: string, project: string | undefined): string {
    return `/v1/sessions/${encodeURIComponent(id)}/events${query({ project })}`;
  },

  async audit(params: AuditSearchParams, signal?: AbortSignal): Promise<Page<AuditEntry>> {
    const data = await request<Json>(
      'GET',
      `/v1/audit${query({ project: params.project, action: params.action, session: params.sessionId, actor: params.actor, cursor: params.cursor, limit: params.limit })}`,
      undefined,
      signal,
    );
    return {
      items: (Array.isArray(data.entries) ? data.entries : []) as AuditEntry[],
      nextCursor: str(data.nextCursor),
    };
  },

  async tokens(signal?: AbortSignal): Promise<ApiTokenInfo[]> {
    const data = await request<Json>('GET', '/v1/tokens', undefined, signal);
    return (Array.isArray(data.tokens) ? data.tokens : []) as ApiTokenInfo[];
  },

  async users(signal?: AbortSignal): Promise<UserInfo[]> {
    const data = await request<Json>('GET', '/v1/users', undefined, signal);
    return (Array.isArray(data.users) ? data.users : []) as UserInfo[];
  },

  async createUser(username: string, password: string, roles: Record<string, Role>): Promise<void> {
    await request('POST', '/v1/users', { username, password, roles });
  },

  /** `role: null` removes the user's role on the project. */
  async setRole(username: string, project: string, role: Role | null): Promise<void> {
    await request('PUT', `/v1/users/${encodeURIComponent(username)}/roles/${encodeURIComponent(project)}`, { role });
  },

  async deleteUser(username: string): Promise<void> {
    await request('DELETE', `/v1/users/${encodeURIComponent(username)}`);
  },

  async createToken(input: {
    name: string;
    project: string;
    operations: string[];
    expiresInDays: number;
  }): Promise<CreatedToken> {
    return request<CreatedToken>('POST', '/v1/tokens', input);
  },

  async revokeToken(id: string): Promise<void> {
    await request('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
  },

  async deleteSession(id: string, project: string): Promise<void> {
    await request('DELETE', `/v1/sessions/${encodeURIComponent(id)}${query({ project })}`);
  },

  /** Deletes every session of one end user (the `userId` the app identified) in a project. */
  async deleteUserSessions(userId: string, project: string): Promise<{ deleted: number }> {
    const data = await request<Json>('DELETE', `/v1/users/${encodeURIComponent(userId)}/sessions${query({ project })}`);
    // One deletion job per session (done, or still running: it finishes on its own).
    return {
      deleted: Array.isArray(data.jobs) ? data.jobs.length : Array.isArray(data.deleted) ? data.deleted.length : 0,
    };
  },

  /** The export download's URL (an attachment; the browser sends the login cookie). */
  exportUrl(id: string, project: string): string {
    return `/v1/sessions/${encodeURIComponent(id)}/export${query({ project })}`;
  },

  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await request('POST', '/v1/auth/password', { currentPassword, newPassword });
  },

  async logoutEverywhere(): Promise<void> {
    await request('POST', '/v1/auth/logout-all', {});
    rememberCsrfToken(undefined);
  },

  async projects(signal?: AbortSignal): Promise<ProjectSettings[]> {
    const data = await request<Json>('GET', '/v1/projects', undefined, signal);
    const rows = (Array.isArray(data.projects) ? data.projects : []) as Json[];
    return rows.map((row) => ({
      id: String(row.id),
      keys: Array.isArray(row.keys) ? row.keys.map(String) : [],
      origins: Array.isArray(row.origins) ? row.origins.map(String) : [],
      requireOrigin: row.requireOrigin === true,
      retentionDays: typeof row.retentionDays === 'number' ? row.retentionDays : null,
      archiveAfterDays: typeof row.archiveAfterDays === 'number' ? row.archiveAfterDays : null,
      rateLimit:
        typeof row.rateLimit === 'object' && row.rateLimit !== null
          ? (row.rateLimit as ProjectSettings['rateLimit'])
          : null,
    }));
  },
};

/** Admin of at least one project (or of all): may see the audit log and settings. */
export function isAdmin(me: Me | null): boolean {
  return !!me && Object.values(me.roles).includes('admin');
}
