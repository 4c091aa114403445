import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** The database the index runs on; the migrations and a few queries differ between them. */
export type IndexEngine = 'sqlite' | 'postgres';

/**
 * The index database: session metadata for search and playback, plus access control and audit.
 * Every timestamp is epoch milliseconds in a 64-bit integer column, so both engines compare and
 * sort them the same way; PostgreSQL's int8 is parsed back to a JS number (see database.ts).
 */
export interface IndexSchema {
  sessions: SessionsTable;
  segments: SegmentsTable;
  session_custom_events: SessionCustomEventsTable;
  session_users: SessionUsersTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  api_tokens: ApiTokensTable;
  login_sessions: LoginSessionsTable;
  setup_tokens: SetupTokensTable;
  audit_log: AuditLogTable;
}

export type SessionStatus = 'active' | 'deleting';

export interface SessionsTable {
  /** Surrogate key: the tie-breaker of every sort, so cursors stay stable. */
  id: Generated<number>;
  project: string;
  session_id: string;
  status: ColumnType<SessionStatus, SessionStatus | undefined, SessionStatus>;
  user_id: string | null;
  /** JSON object of the latest `identify` traits, merged across calls. */
  user_traits: string | null;
  started_at: number;
  ended_at: number;
  duration_ms: number;
  active_ms: number;
  /** Timestamp of the last user interaction seen, to continue active time across segments. */
  last_activity_at: number | null;
  first_url: string | null;
  /** JSON array of `{ url, route?, at }`, one entry per distinct URL or route, in visit order. */
  pages: string;
  /** Lower-cased URLs and routes joined by newlines, for substring search. */
  search_text: string;
  /** JSON array of `{ title, at }`: each distinct error the session threw (`TypeError: x is undefined`), first seen at `at`. */
  errors: ColumnType<string, string | undefined, string>;
  /** Those titles joined by newlines, for substring search. */
  error_text: ColumnType<string, string | undefined, string>;
  user_agent: string | null;
  browser: string | null;
  os: string | null;
  viewport_width: number | null;
  viewport_height: number | null;
  event_count: number;
  click_count: number;
  /** Runs of fast clicks on one spot (the player's rage clicks), summed over segments. */
  rage_click_count: ColumnType<number, number | undefined, number>;
  error_count: number;
  console_error_count: number;
  failed_request_count: number;
  segment_count: number;
  byte_size: number;
  created_at: number;
  updated_at: number;
}

export interface SegmentsTable {
  project: string;
  session_id: string;
  /** Segment name (last element of the object key); sorts in time order within a session. */
  segment: string;
  object_key: string;
  started_at: number;
  ended_at: number;
  /** Timestamp of the first full snapshot in this segment, if any: where playback may start. */
  full_snapshot_at: number | null;
  event_count: number;
  byte_size: number;
  data_key_id: string;
  stored_at: number;
}

export interface SessionCustomEventsTable {
  project: string;
  session_id: string;
  name: string;
  count: number;
  first_at: number;
}

/** Every user id a session was identified with (not only the latest, which `sessions.user_id` holds). */
export interface SessionUsersTable {
  project: string;
  session_id: string;
  user_id: string;
}

export type Role = 'admin' | 'viewer';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  /** `scrypt$N$r$p$salt$hash`, base64url parts; see access/passwords.ts. */
  password_hash: string;
  created_at: number;
}

export interface UserRolesTable {
  user_id: number;
  /** A project id, or `*` for every project. */
  project: string;
  role: Role;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  /** SHA-256 of the secret part, hex: the secret itself is shown once and never stored. */
  secret_hash: string;
  project: string;
  /** Comma-separated operations: `read`, `delete`. */
  operations: string;
  created_by: number | null;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  /** Set at creation (at most the configured maximum lifetime); null only on rows from before 0004. */
  expires_at: number | null;
}

export interface LoginSessionsTable {
  /** SHA-256 of the cookie value, hex. */
  id_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  /** Last request seen (updated at most once a minute), for the idle timeout. */
  last_seen_at: number | null;
}

export interface SetupTokensTable {
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  /** `user`, `token` or `system`. */
  actor_type: string;
  actor_id: string;
  actor_name: string;
  action: string;
  project: string | null;
  session_id: string | null;
  /** JSON object with action-specific details (filters of a search, counts of a deletion...). */
  detail: string | null;
  ip: string | null;
  user_agent: string | null;
}

export type SessionRow = Selectable<SessionsTable>;
export type NewSessionRow = Insertable<SessionsTable>;
export type SegmentRow = Selectable<SegmentsTable>;
export type AuditRow = Selectable<AuditLogTable>;
