/**
 * The embedded index holds password hashes, CSRF tokens and end users' ids: its files are the
 * owner's only, whatever the umask, and deleted rows do not linger in free pages.
 */
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { expect, test } from 'vitest';
import { openIndexDatabase } from './database.js';
import { tempDir } from '@reprise/test-support/process';

test('index.sqlite and its WAL are created 0600 under a 022 umask, with secure_delete on', async () => {
  const dir = tempDir('index-mode');
  const previous = process.umask(0o022);
  try {
    const path = join(dir, 'index.sqlite');
    const index = await openIndexDatabase({ engine: 'sqlite', path });
    try {
      await index.db.insertInto('session_users').values({ project: 'p', session_id: 's', user_id: 'u' }).execute();
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
      const pragma = await sql<{ secure_delete: number }>`PRAGMA secure_delete`.execute(index.db);
      expect(pragma.rows[0]!.secure_delete).toBe(1);
    } finally {
      await index.close();
    }

    // An index an older collector left world-readable is narrowed at the next start.
    const old = join(dir, 'old.sqlite');
    writeFileSync(old, '');
    chmodSync(old, 0o644);
    const reopened = await openIndexDatabase({ engine: 'sqlite', path: old });
    await reopened.close();
    expect(statSync(old).mode & 0o777).toBe(0o600);
  } finally {
    process.umask(previous);
  }
});
