import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import {
  openIndexDatabase,
  type IndexDatabase,
  type IndexDatabaseOptions,
  type IndexEngine,
} from '../../src/index-db/database.js';

export const ENGINES: IndexEngine[] = ['sqlite', 'postgres'];

let databaseCounter = 0;

/** A fresh index on a real engine: a temp SQLite file, or a new database in the run's PostgreSQL. */
export async function openTestIndex(engine: IndexEngine): Promise<IndexDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-index-'));
    const index = await openIndexDatabase({ engine: 'sqlite', path: join(dir, 'index.sqlite') });
    return {
      ...index,
      async close() {
        await index.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  return openIndexDatabase(await openTestIndexOptions('postgres'));
}

/** Options for a fresh index: SQLite in `dir`, or a new database in the run's PostgreSQL. */
export async function openTestIndexOptions(engine: IndexEngine, dir?: string): Promise<IndexDatabaseOptions> {
  if (engine === 'sqlite')
    return { engine, path: join(dir ?? mkdtempSync(join(tmpdir(), 'reprise-index-')), 'index.sqlite') };
  const adminUrl = inject('postgresAdminUrl');
  const name = `reprise_test_${process.pid}_${Date.now()}_${databaseCounter++}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return { engine: 'postgres', connectionString: adminUrl.replace(/\/postgres$/, `/${name}`) };
}
