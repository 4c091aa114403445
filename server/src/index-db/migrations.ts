import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { IndexEngine } from './schema.js';

/**
 * Versioned schema migrations, applied in name order at start. Never edit a released migration:
 * add the next number. They live in code (not files read at run time) so a bundled collector
 * carries them. Kysely records applied ones in `reprise_migration` and holds a lock while
 * migrating, so several collector nodes starting together on PostgreSQL apply each once.
 */
type MigrationFactory = (engine: IndexEngine) => Migration;

// Dialect-specific column types: an auto-increment key and a 64-bit integer.
const autoId = (engine: IndexEngine) => (engine === 'postgres' ? 'bigserial' : 'integer');
const int64 = 'bigint' as const;

const migrations: Record<string, MigrationFactory> = {
  '0001_sessions_index': (engine) => ({
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sessions')
        .addColumn('id', autoId(engine), (c) =>
          engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
        .addColumn('user_id', 'text')
        .addColumn('user_traits', 'text')
        .addColumn('started_at', int64, (c) => c.notNull())
        .addColumn('ended_at', int64, (c) => c.notNull())
        .addColumn('duration_ms', int64, (c) => c.notNull())
        .addColumn('active_ms', int64, (c) => c.notNull().defaultTo(0))
        .addColumn('last_activity_at', int64)
        .addColumn('first_url', 'text')
        .addColumn('pages', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('search_text', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('user_agent', 'text')
        .addColumn('browser', 'text')
        .addColumn('os', 'text')
        .addColumn('viewport_width', 'integer')
        .addColumn('viewport_height', 'integer')
        .addColumn('event_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('click_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('error_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('console_error_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed_request_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('segment_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('byte_size', int64, (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('updated_at', int64, (c) => c.notNull())
        .addUniqueConstraint('sessions_project_session_unique', ['project', 'session_id'])
        .execute();
      // Search is always within one or more projects and sorted by a column, newest first by
      // default: each index leads with project and carries the sort column, id breaks ties.
      await db.schema
        .createIndex('sessions_by_start')
        .on('sessions')
        .columns(['project', 'started_at', 'id'])
        .execute();
      await db.schema
        .createIndex('sessions_by_duration')
        .on('sessions')
        .columns(['project', 'duration_ms', 'id'])
        .execute();
      await db.schema
        .createIndex('sessions_by_user')
        .on('sessions')
        .columns(['project', 'user_id', 'started_at'])
        .execute();
      await db.schema
        .createIndex('sessions_with_errors')
        .on('sessions')
        .columns(['project', 'started_at', 'id'])
        .where(sql.ref('error_count'), '>', 0)
        .execute();
      // A search over several projects (an admin of `*`, a viewer of many) sorts across them.
      await db.schema.createIndex('sessions_all_by_start').on('sessions').columns(['started_at', 'id']).execute();
      await db.schema.createIndex('sessions_all_by_duration').on('sessions').columns(['duration_ms', 'id']).execute();
      await db.schema.createIndex('sessions_by_session_id').on('sessions').column('session_id').execute();

      await db.schema
        .createTable('segments')
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('segment', 'text', (c) => c.notNull())
        .addColumn('object_key', 'text', (c) => c.notNull())
        .addColumn('started_at', int64, (c) => c.notNull())
        .addColumn('ended_at', int64, (c) => c.notNull())
        .addColumn('full_snapshot_at', int64)
        .addColumn('event_count', 'integer', (c) => c.notNull())
        .addColumn('byte_size', int64, (c) => c.notNull())
        .addColumn('data_key_id', 'text', (c) => c.notNull())
        .addColumn('stored_at', int64, (c) => c.notNull())
        .addPrimaryKeyConstraint('segments_pk', ['project', 'session_id', 'segment'])
        .execute();

      await db.schema
        .createTable('session_custom_events')
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('first_at', int64, (c) => c.notNull())
        .addPrimaryKeyConstraint('session_custom_events_pk', ['project', 'session_id', 'name'])
        .execute();
      await db.schema
        .createIndex('session_custom_events_by_name')
        .on('session_custom_events')
        .columns(['project', 'name', 'session_id'])
        .execute();
    },
  }),

  '0002_access_and_audit': (engine) => ({
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', autoId(engine), (c) =>
          engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('user_roles')
        .addColumn('user_id', int64, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'project'])
        .execute();
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('operations', 'text', (c) => c.notNull())
        .addColumn('created_by', int64)
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('revoked_at', int64)
        .addColumn('last_used_at', int64)
        .execute();
      await db.schema
        .createTable('login_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', int64, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('expires_at', int64, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('setup_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('expires_at', int64, (c) => c.notNull())
        .addColumn('used_at', int64)
        .execute();
      await db.schema
        .createTable('audit_log')
        .addColumn('id', autoId(engine), (c) =>
          engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('at', int64, (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('actor_name', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('project', 'text')
        .addColumn('session_id', 'text')
        .addColumn('detail', 'text')
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('audit_log_by_project').on('audit_log').columns(['project', 'id']).execute();

      // Append-only is enforced by the database itself, not only by the code that writes it.
      if (engine === 'postgres') {
        await sql`CREATE FUNCTION reprise_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`.execute(db);
        await sql`CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
          FOR EACH ROW EXECUTE FUNCTION reprise_audit_log_append_only()`.execute(db);
        await sql`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
          FOR EACH STATEMENT EXECUTE FUNCTION reprise_audit_log_append_only()`.execute(db);
      } else {
        await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
        await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
      }
    },
  }),

  '0003_url_search_trigrams': (engine) => ({
    async up(db: Kysely<unknown>) {
      // A substring search (`?url=`) on a rare term otherwise reads every session of the project.
      if (engine === 'sqlite') {
        // An FTS5 trigram index over search_text, kept in step by triggers; search.ts asks it
        // which sessions hold a term before scanning (see `urlCandidates`).
        await sql`CREATE VIRTUAL TABLE sessions_search USING fts5(search_text, content='sessions', content_rowid='id', tokenize='trigram')`.execute(
          db,
        );
        await sql`CREATE TRIGGER sessions_search_insert AFTER INSERT ON sessions BEGIN
          INSERT INTO sessions_search(rowid, search_text) VALUES (new.id, new.search_text); END`.execute(db);
        await sql`CREATE TRIGGER sessions_search_delete AFTER DELETE ON sessions BEGIN
          INSERT INTO sessions_search(sessions_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END`.execute(
          db,
        );
        await sql`CREATE TRIGGER sessions_search_update AFTER UPDATE OF search_text ON sessions
          WHEN old.search_text IS NOT new.search_text BEGIN
          INSERT INTO sessions_search(sessions_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
          INSERT INTO sessions_search(rowid, search_text) VALUES (new.id, new.search_text); END`.execute(db);
        await sql`INSERT INTO sessions_search(sessions_search) VALUES ('rebuild')`.execute(db);
        return;
      }
      // pg_trgm turns LIKE '%term%' into an index lookup; it ships with PostgreSQL (contrib) and
      // is a trusted extension, but a server without it still works, only slower.
      const available = await sql<{
        name: string;
      }>`SELECT name FROM pg_available_extensions WHERE name = 'pg_trgm'`.execute(db);
      if (available.rows.length === 0) return;
      // A role that may create tables but not extensions still gets a working index: the
      // savepoint undoes only this step (the migration runs in one transaction).
      await sql`SAVEPOINT reprise_trgm`.execute(db);
      try {
        await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
        await sql`CREATE INDEX sessions_search_text_trgm ON sessions USING gin (search_text gin_trgm_ops)`.execute(db);
        await sql`RELEASE SAVEPOINT reprise_trgm`.execute(db);
      } catch {
        await sql`ROLLBACK TO SAVEPOINT reprise_trgm`.execute(db);
      }
    },
  }),
  '0004_session_users': () => ({
    async up(db: Kysely<unknown>) {
      // `sessions.user_id` holds only the latest identify(): after identify(null) (a logout) or
      // a second identify, erasure by the earlier id found nothing. Every id is kept here.
      await db.schema
        .createTable('session_users')
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('session_users_pk', ['project', 'session_id', 'user_id'])
        .execute();
      await db.schema.createIndex('session_users_user').on('session_users').columns(['user_id', 'project']).execute();
      await sql`INSERT INTO session_users (project, session_id, user_id)
        SELECT project, session_id, user_id FROM sessions WHERE user_id IS NOT NULL`.execute(db);
    },
  }),

  '0005_access_limits': (engine) => ({
    async up(db: Kysely<unknown>) {
      // Idle timeout: a login session ends after a while without requests, not only at expires_at.
      await db.schema.alterTable('login_sessions').addColumn('last_seen_at', int64).execute();
      await sql`UPDATE login_sessions SET last_seen_at = created_at`.execute(db);
      // Every token expires. Tokens made before expiry existed get 90 days from this upgrade, so
      // automations keep working for a while and no token lives forever.
      await db.schema.alterTable('api_tokens').addColumn('expires_at', int64).execute();
      await sql`UPDATE api_tokens SET expires_at = ${Date.now() + 90 * 24 * 3600 * 1000}`.execute(db);
      // Failed logins are the one kind of audit row that may be pruned (see access/failed-logins.ts):
      // anyone on the internet can add them. Every other row stays append-only.
      if (engine === 'postgres') {
        await sql`CREATE OR REPLACE FUNCTION reprise_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF TG_OP = 'DELETE' AND OLD.action = 'auth.login_failed' THEN RETURN OLD; END IF;
            RAISE EXCEPTION 'audit_log is append-only';
          END $$`.execute(db);
      } else {
        await sql`DROP TRIGGER audit_log_no_delete`.execute(db);
        await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
          WHEN OLD.action <> 'auth.login_failed'
          BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
      }
      await db.schema.createIndex('audit_log_by_action').on('audit_log').columns(['action', 'at']).execute();
    },
  }),

  '0006_session_error_text': () => ({
    async up(db: Kysely<unknown>) {
      // The errors a session threw: listed with when (JSON), and searchable by their text. Sessions
      // indexed before this have none.
      await db.schema
        .alterTable('sessions')
        .addColumn('errors', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
      await db.schema
        .alterTable('sessions')
        .addColumn('error_text', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
    },
  }),

  '0007_session_rage_clicks': () => ({
    async up(db: Kysely<unknown>) {
      // Sessions where someone clicked again and again on one spot: found by `?rageClicks=true`,
      // newest first, like sessions with errors. Sessions indexed before this count none.
      await db.schema
        .alterTable('sessions')
        .addColumn('rage_click_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('sessions_with_rage_clicks')
        .on('sessions')
        .columns(['project', 'started_at', 'id'])
        .where(sql.ref('rage_click_count'), '>', 0)
        .execute();
    },
  }),
};

export class IndexMigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`[@reprise/collector] index migration failed: ${message}`, options);
    this.name = 'IndexMigrationError';
  }
}

export async function migrateIndexDatabase<DB>(db: Kysely<DB>, engine: IndexEngine): Promise<string[]> {
  const migrator = new Migrator({
    db,
    migrationTableName: 'reprise_migration',
    migrationLockTableName: 'reprise_migration_lock',
    provider: {
      getMigrations: async () =>
        Object.fromEntries(Object.entries(migrations).map(([name, factory]) => [name, factory(engine)])),
    },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new IndexMigrationError(
      `${failed}: ${error instanceof Error ? error.message : String(error)}. ` +
        'Check that the database is reachable and that this collector is not older than the schema.',
      { cause: error },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
