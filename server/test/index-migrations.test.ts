import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openIndexDatabase } from '../src/index-db/database.js';
import { migrateIndexDatabase } from '../src/index-db/migrations.js';
import { ENGINES, openTestIndexOptions } from './support/index-db.js';

describe.each(ENGINES)('index migrations on %s', (engine) => {
  it('apply once at start, even when several collector nodes start together', async () => {
    const options = await openTestIndexOptions(engine);
    // Two nodes opening the same empty database at the same moment.
    const [first, second] = await Promise.all([openIndexDatabase(options), openIndexDatabase(options)]);
    try {
      const applied = await first.db
        .selectFrom('reprise_migration' as never)
        .select(sql<string>`name`.as('name'))
        .orderBy(sql`name`)
        .execute();
      expect(applied.map((row) => row.name)).toEqual([
        '0001_sessions_index',
        '0002_access_and_audit',
        '0003_url_search_trigrams',
        '0004_session_users',
        '0005_access_limits',
        '0006_session_error_text',
        '0007_session_rage_clicks',
      ]);
      // A restart finds nothing left to do.
      expect(await migrateIndexDatabase(first.db, engine)).toEqual([]);
      await first.db.insertInto('users').values({ username: 'u', password_hash: 'x', created_at: 1 }).execute();
      expect(await second.db.selectFrom('users').select('username').execute()).toEqual([{ username: 'u' }]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  if (engine === 'postgres') {
    it('indexes URL substrings with trigrams where pg_trgm is available', async () => {
      const index = await openIndexDatabase(await openTestIndexOptions(engine));
      try {
        const { rows } = await sql<{
          indexname: string;
        }>`SELECT indexname FROM pg_indexes WHERE tablename = 'sessions'`.execute(index.db);
        expect(rows.map((r) => r.indexname)).toContain('sessions_search_text_trgm');
      } finally {
        await index.close();
      }
    });

    it('still migrates for a role that may create tables but not extensions (no trigram index then)', async () => {
      const options = await openTestIndexOptions(engine);
      if (options.engine !== 'postgres') throw new Error('unreachable');
      const owner = new pg.Client({ connectionString: options.connectionString });
      await owner.connect();
      try {
        await owner.query(
          `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reprise_limited') THEN CREATE ROLE reprise_limited LOGIN; END IF; END $$`,
        );
        await owner.query('GRANT USAGE, CREATE ON SCHEMA public TO reprise_limited');
      } finally {
        await owner.end();
      }
      const limited = await openIndexDatabase({
        engine: 'postgres',
        connectionString: options.connectionString.replace('postgres@', 'reprise_limited@'),
      });
      try {
        const { rows } = await sql<{
          indexname: string;
        }>`SELECT indexname FROM pg_indexes WHERE tablename = 'sessions'`.execute(limited.db);
        expect(rows.map((r) => r.indexname)).not.toContain('sessions_search_text_trgm');
        expect(rows.map((r) => r.indexname)).toContain('sessions_by_start');
      } finally {
        await limited.close();
      }
    });
  }
});
