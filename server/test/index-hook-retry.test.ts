// The index hook's bounded retry, against the real SQLite and PostgreSQL index: an index that
// fails (its `segments` table renamed away, so every insert fails as a broken index would) neither
// loses a batch nor wedges the writer. A short failure ends with the segment indexed; a long one
// ends with the batch in the dead letters, the writer storing other sessions meanwhile, and the
// letter indexed once retried after the fix.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DeadLetters, deadLetterStore } from '../src/writer/dead-letters.js';
import { ev } from './support/index-events.js';
import { ENGINES } from './support/index-db.js';
import { ingest, startTestCollector, waitForIndexed, type TestCollector } from './support/playback-collector.js';

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(ENGINES)('an index hook that fails (%s index)', (engine) => {
  let env: TestCollector;
  beforeAll(async () => {
    env = await startTestCollector(engine, ['shop']);
  });
  afterAll(() => env?.stop());

  const total = async (counter: { get(): Promise<{ values: Array<{ value: number }> }> }) =>
    (await counter.get()).values.reduce((sum, value) => sum + value.value, 0);
  const hookErrors = () => total(env.collector.metrics.hookErrors);
  const deadLettered = () => total(env.collector.metrics.deadLetters);
  const breakIndex = () => sql`ALTER TABLE segments RENAME TO segments_away`.execute(env.plugin.index.db);
  const repairIndex = () => sql`ALTER TABLE segments_away RENAME TO segments`.execute(env.plugin.index.db);
  /** One batch of three events: a segment of its own, which salvage dead-letters directly. */
  const record = (sessionId: string) => {
    const start = Date.now() - 1_000;
    return ingest(env.url, 'shop', [
      {
        session: sessionId,
        tab: 'tab-1',
        seq: 0,
        start,
        end: start + 2,
        events: [ev.meta(start, 'https://shop.test/'), ev.full(start + 1), ev.click(start + 2)],
      },
    ]);
  };

  test('failing for a few attempts: the segment is indexed once the index is back, nothing is dead-lettered', async () => {
    const errorsBefore = await hookErrors();
    const lettersBefore = await deadLettered();
    await breakIndex();
    await record('transient');
    await until(async () => (await hookErrors()) >= errorsBefore + 2, 'two failed index attempts');
    await repairIndex();
    await waitForIndexed(env.plugin, 'shop', 'transient', 3, 60_000);
    expect(await deadLettered()).toBe(lettersBefore);
  }, 120_000);

  test('failing past the bounded attempts: the batch goes to the dead letters, other sessions are still stored, and a retry after the fix indexes it', async () => {
    const lettersBefore = await deadLettered();
    await breakIndex();
    await record('stuck');
    // Ten attempts with capped backoff (about 26 s), then the segment is taken out and dead-lettered.
    await until(async () => (await deadLettered()) === lettersBefore + 1, 'the batch to be dead-lettered');
    await repairIndex();
    // Not wedged: the next session is stored and indexed as usual.
    await record('after');
    await waitForIndexed(env.plugin, 'shop', 'after', 3, 60_000);
    const deadLetters = new DeadLetters({
      store: deadLetterStore(env.collector.config),
      dataKeys: env.collector.dataKeys,
    });
    const letters = [];
    for await (const letter of deadLetters.list()) if (letter.sessionId === 'stuck') letters.push(letter);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.reason).toMatch(/index refused the segment 10 times/);
    expect(await deadLetters.requestRetry(letters[0]!.key)).toBe(true);
    // Not lost: the writer picks the letter up (it looks every 5 s) and the index has it.
    await waitForIndexed(env.plugin, 'shop', 'stuck', 3, 60_000);
    await until(async () => {
      for await (const letter of deadLetters.list()) if (letter.sessionId === 'stuck') return false;
      return true;
    }, 'the retried letter to be removed');
  }, 180_000);
});
