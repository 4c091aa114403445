import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseAuditCursor,
  queryAudit,
  recordAudit,
  type AuditAction,
  type AuditEntry,
  type AuditQuery,
} from '../src/audit/audit-log.js';
import type { IndexDatabase } from '../src/index-db/database.js';
import { ENGINES, openTestIndex } from './support/index-db.js';

/** Entries per timestamp: far more than a page, so page boundaries fall inside runs of equal `at`. */
const TIES = 37;
const TIMESTAMPS = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_005_000];
const PAGE = 10;
const ACTIONS: AuditAction[] = ['session.search', 'session.view', 'session.play', 'auth.login'];

interface WalkedPage {
  /** The cursor the page was asked for with (undefined: the newest page). */
  cursor: string | undefined;
  ids: number[];
}

/** Follows `nextCursor` from the newest page to the oldest, as the admin UI's Older button does. */
async function walkOlder(index: IndexDatabase, query: Omit<AuditQuery, 'before' | 'limit'>): Promise<WalkedPage[]> {
  const pages: WalkedPage[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await queryAudit(index.db, { ...query, before: parseAuditCursor(cursor), limit: PAGE });
    pages.push({ cursor, ids: page.entries.map((entry: AuditEntry) => entry.id) });
    if (page.nextCursor === null) return pages;
    if (pages.length > 1000) throw new Error('[audit pagination test] the cursor never reached the end');
    cursor = page.nextCursor;
  }
}

describe.each(ENGINES)('audit log cursor pages on %s', (engine) => {
  let index: IndexDatabase;
  /** Every entry's id, newest first, and the project it was written under. */
  const written: Array<{ id: number; project: string }> = [];

  beforeAll(async () => {
    index = await openTestIndex(engine);
    // Written in one order (oldest timestamp first), several projects interleaved within each tie.
    for (const at of TIMESTAMPS) {
      for (let n = 0; n < TIES; n += 1) {
        await recordAudit(index.db, {
          actor: { type: 'user', id: String(n), name: `user-${n}` },
          action: ACTIONS[n % ACTIONS.length]!,
          project: n % 3 === 0 ? 'b' : 'a',
          at,
        });
      }
    }
    const all = await queryAudit(index.db, { projects: 'all', limit: 1000 });
    expect(all.entries).toHaveLength(TIMESTAMPS.length * TIES);
    written.push(...all.entries.map((entry) => ({ id: entry.id, project: entry.project! })));
  });
  afterAll(() => index?.close());

  it('is newest first: the later timestamp before the earlier, and among equal timestamps the later write first', async () => {
    const { entries } = await queryAudit(index.db, { projects: 'all', limit: 1000 });
    for (let n = 1; n < entries.length; n += 1) {
      const [newer, older] = [entries[n - 1]!, entries[n]!];
      expect(
        newer.at >= older.at && newer.id > older.id,
        `entries ${newer.id} (at ${newer.at}) then ${older.id} (at ${older.at})`,
      ).toBe(true);
    }
  });

  it('walks every page older then newer, each entry exactly once, even where a page ends inside a run of equal timestamps', async () => {
    const pages = await walkOlder(index, { projects: 'all' });
    expect(pages.flatMap((page) => page.ids)).toEqual(written.map((entry) => entry.id));
    expect(pages.map((page) => page.ids.length)).toEqual(
      [...Array(Math.floor(written.length / PAGE)).fill(PAGE), written.length % PAGE].filter(Boolean),
    );
    // Newer, as the admin UI does it: ask again with the cursor each newer page was reached by.
    for (const page of [...pages].reverse()) {
      const again = await queryAudit(index.db, { projects: 'all', before: parseAuditCursor(page.cursor), limit: PAGE });
      expect(
        again.entries.map((entry) => entry.id),
        `page at cursor ${page.cursor}`,
      ).toEqual(page.ids);
    }
  });

  it('walks a filtered log the same way: one project, or one timestamp range, with no entry skipped or repeated', async () => {
    const onlyB = await walkOlder(index, { projects: ['b'] });
    expect(onlyB.flatMap((page) => page.ids)).toEqual(
      written.filter((entry) => entry.project === 'b').map((entry) => entry.id),
    );
    const [, middle] = TIMESTAMPS;
    const oneInstant = await walkOlder(index, { projects: 'all', from: middle, to: middle! + 1 });
    expect(oneInstant.flatMap((page) => page.ids)).toEqual(written.slice(TIES, 2 * TIES).map((entry) => entry.id));
  });

  it('refuses a cursor that is not one it gave', () => {
    for (const bad of ['', 'abc', '-1', '0', '1.5', '1700000000000:3'])
      expect(() => parseAuditCursor(bad), bad).toThrow(/cursor/);
  });
});
