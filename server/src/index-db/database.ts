import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateIndexDatabase } from './migrations.js';
import type { IndexEngine, IndexSchema } from './schema.js';

export type { IndexEngine } from './schema.js';

export type IndexDatabaseOptions =
  | {
      engine: 'sqlite';
      /** File path of the database, or `:memory:`. Default in the collector: `./.reprise/index.sqlite`. */
      path: string;
    }
  | {
      engine: 'postgres';
      /** `postgres://user:pass@host:port/db`; several collector nodes share one database. */
      connectionString: string;
      /** Pool size per collector node. @default 10 */
      maxConnections?: number;
    };

export interface IndexDatabase {
  db: Kysely<IndexSchema>;
  engine: IndexEngine;
  close(): Promise<void>;
  /**
   * SQLite: checkpoint and empty the write-ahead log. `secure_delete` overwrites deleted rows in
   * the database file, but the WAL keeps older copies of their pages until a checkpoint: a
   * deletion calls this so a deleted session's text is not left there.
   */
  purgeJournal?(): void;
}

const PG_INT8_OID = 20;
const BUSY_TIMEOUT_MS = 5_000;
const PG_NUMERIC_OID = 1700;

/**
 * Opens the index on either engine and brings its schema up to date before anything uses it, so
 * a collector node never runs against an older schema than its code expects.
 */
export async function openIndexDatabase(options: IndexDatabaseOptions): Promise<IndexDatabase> {
  if (options.engine === 'sqlite') {
    const { db, database } = openSqlite(options.path);
    try {
      // Kysely takes no lock on SQLite (it assumes one process): two collectors starting on one
      // data folder would both create the tables. An exclusive transaction around the whole
      // migration makes the second wait, then find everything applied; SQLite DDL is
      // transactional, so a failed migration leaves nothing half-done.
      await beginExclusive(database);
      try {
        await migrateIndexDatabase(db, 'sqlite');
        database.exec('COMMIT');
      } catch (error) {
        if (database.inTransaction) database.exec('ROLLBACK');
        throw error;
      }
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return {
      db,
      engine: 'sqlite',
      close: () => db.destroy(),
      purgeJournal: () => void database.pragma('wal_checkpoint(TRUNCATE)'),
    };
  }
  const db = openPostgres(options);
  try {
    await migrateIndexDatabase(db, 'postgres');
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, engine: 'postgres', close: () => db.destroy() };
}

const MIGRATION_LOCK_TIMEOUT_MS = 60_000;

/**
 * Takes SQLite's exclusive lock without blocking the event loop: better-sqlite3 waits
 * synchronously on a busy database, which would also stall a migration running in this process.
 */
async function beginExclusive(database: SqliteDatabase.Database): Promise<void> {
  const deadline = Date.now() + MIGRATION_LOCK_TIMEOUT_MS;
  database.pragma('busy_timeout = 0');
  try {
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      try {
        database.exec('BEGIN EXCLUSIVE');
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  } finally {
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

/** Owner read/write only: the index holds password hashes, CSRF tokens and end users' ids. */
const INDEX_FILE_MODE = 0o600;

function openSqlite(path: string): { db: Kysely<IndexSchema>; database: SqliteDatabase.Database } {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
    // Created (or narrowed) before SQLite opens it: SQLite creates the -wal and -shm files with
    // the database file's mode, so they are 0600 too, whatever the process umask.
    closeSync(openSync(path, 'a', INDEX_FILE_MODE));
    // An index made by an older collector with the umask's mode is narrowed as well.
    for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, INDEX_FILE_MODE);
  }
  const database = new SqliteDatabase(path);
  // Deleted rows (a deleted session's URLs and user ids) are overwritten, not left in free pages.
  database.pragma('secure_delete = ON');
  // WAL lets readers (search, playback) run while the writer indexes a segment; a lost index
  // write on power loss is re-done from the durable segment, so NORMAL sync is enough.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  database.pragma('foreign_keys = ON');
  return { db: new Kysely<IndexSchema>({ dialect: new SqliteDialect({ database }) }), database };
}

function openPostgres(options: { connectionString: string; maxConnections?: number }): Kysely<IndexSchema> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    // Timestamps and counters are int8: they fit a JS number for the next 285,000 years.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8_OID || oid === PG_NUMERIC_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  return new Kysely<IndexSchema>({ dialect: new PostgresDialect({ pool }) });
}
