import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateIndexDatabase } from './migrations.js';
import type { IndexSchema } from './schema.js';

export type IndexEngine = 'sqlite' | 'postgres';

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
}

const PG_INT8_OID = 20;
const PG_NUMERIC_OID = 1700;

/**
 * Opens the index on either engine and brings its schema up to date before anything uses it, so
 * a collector node never runs against an older schema than its code expects.
 */
export async function openIndexDatabase(options: IndexDatabaseOptions): Promise<IndexDatabase> {
  const db = options.engine === 'sqlite' ? openSqlite(options.path) : openPostgres(options);
  try {
    await migrateIndexDatabase(db, options.engine);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, engine: options.engine, close: () => db.destroy() };
}

function openSqlite(path: string): Kysely<IndexSchema> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SqliteDatabase(path);
  // WAL lets readers (search, playback) run while the writer indexes a segment; a lost index
  // write on power loss is re-done from the durable segment, so NORMAL sync is enough.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return new Kysely<IndexSchema>({ dialect: new SqliteDialect({ database }) });
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
