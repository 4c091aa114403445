import { findInactivePeriods } from '@reprise/player';
import { INACTIVITY_THRESHOLD_MS, type RecordedEvent } from '@reprise/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexDatabase } from '../src/index-db/database.js';
import { getSession, indexStoredSegment } from '../src/index-db/sessions-store.js';
import { ev, storedSegment } from './support/index-events.js';
import { openTestIndex } from './support/index-db.js';

const T = Date.UTC(2026, 10, 2, 9, 0, 0);

/** Two segments of one session; the second starts at a full snapshot, as the writer cuts them. */
function recording(tail: RecordedEvent[]): RecordedEvent[][] {
  return [
    [
      ev.meta(T, 'https://shop.test/'),
      ev.full(T + 5),
      ev.move(T + 1_000),
      ev.click(T + 2_500),
      // 7 s without input: idle for the player (over the 5 s threshold)...
      ev.mutation(T + 6_000),
      ev.click(T + 9_500),
      ev.nav(T + 12_000, 'https://shop.test/cart', '/cart'),
      ev.console(T + 13_000, 'log'),
    ],
    [
      // ...and a 20 s pause across the segment boundary.
      ev.full(T + 32_000),
      ev.move(T + 33_000),
      ev.resize(T + 34_000, 390, 844),
      ev.click(T + 36_000),
      ...tail,
    ],
  ];
}

describe('active time in the index agrees with what the player skips', () => {
  let index: IndexDatabase;
  beforeAll(async () => {
    index = await openTestIndex('sqlite');
  });
  afterAll(() => index?.close());

  it.each([
    { name: 'a short quiet end (counts as active)', tail: [ev.mutation(T + 38_000), ev.console(T + 39_500, 'warn')] },
    { name: 'a long idle end (skipped)', tail: [ev.mutation(T + 40_000), ev.console(T + 50_000, 'warn')] },
  ])('for a session with $name', async ({ name, tail }) => {
    const sessionId = name.replaceAll(/\W+/g, '-');
    const segments = recording(tail);
    for (const [i, events] of segments.entries()) {
      await indexStoredSegment(
        index.db,
        index.engine,
        storedSegment({ project: 'p', sessionId, segment: String(i + 1).padStart(6, '0'), events }),
      );
    }
    const row = (await getSession(index.db, 'p', sessionId))!;
    const inactive = findInactivePeriods(segments.flat());
    const inactiveMs = inactive.reduce((sum, period) => sum + period.end - period.start, 0);
    // The player shades the 7 s and 20 s pauses (and a long tail); the index leaves exactly those out.
    expect(inactive.length).toBeGreaterThanOrEqual(2);
    expect(row.active_ms).toBe(row.duration_ms - inactiveMs);
    expect(row.active_ms).toBeGreaterThan(0);
  });

  it('uses the protocol threshold, the same one the player defaults to', async () => {
    const { DEFAULT_INACTIVITY_THRESHOLD } = await import('@reprise/player');
    expect(DEFAULT_INACTIVITY_THRESHOLD).toBe(INACTIVITY_THRESHOLD_MS);
  });
});
