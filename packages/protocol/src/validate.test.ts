import { Packr } from 'msgpackr';
import { describe, expect, test } from 'vitest';
import {
  ProtocolError,
  decodeBatch,
  encodeBatch,
  getSchemas,
  unpackBatch,
  validateBatch,
  type Batch,
} from './index.js';
import { seededRandom } from './test-support.js';

const pick = <T>(next: () => number, list: readonly T[]): T => list[Math.floor(next() * list.length)]!;

const START = 1_700_000_000_000;
const ODD_VALUES: unknown[] = [
  undefined,
  null,
  '',
  'a b',
  'x'.repeat(129),
  'x'.repeat(128),
  'ok_-1',
  -1,
  -0,
  0,
  1.5,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  Infinity,
  NaN,
  '3',
  [],
  {},
  [1],
  true,
  '0101',
  '2',
  '0'.repeat(17),
  '1'.repeat(16),
];
const FIELDS = ['v', 'project', 'session', 'seq', 'tab', 'start', 'end', 'events', 'part', 'extra'] as const;

function generatedBatch(next: () => number): Record<string, unknown> {
  const events: unknown[] = Array.from({ length: 1 + Math.floor(next() * 3) }, (_, i) => ({
    type: 3,
    timestamp: START + i,
    data: { source: 0 },
  }));
  if (next() < 0.15) events[Math.floor(next() * events.length)] = { type: 9, timestamp: START, data: {} };
  const batch: Record<string, unknown> = {
    v: 1,
    project: 'demo',
    session: 's_1',
    seq: 4,
    tab: 't-1',
    start: START,
    end: START + 10,
    events,
  };
  if (next() < 0.3) batch.part = '01';
  const changes = Math.floor(next() * 3);
  for (let i = 0; i < changes; i++) {
    const field = pick(next, FIELDS);
    if (field === 'v') continue; // an unsupported v is refused before the envelope check
    if (next() < 0.15) delete batch[field];
    else batch[field] = field === 'events' && next() < 0.5 ? [] : pick(next, ODD_VALUES);
  }
  if (next() < 0.1) batch.end = START - 1;
  if (next() < 0.5) return batch;
  // Another key order: zod's output has the schema's, whatever the body's was.
  const keys = Object.keys(batch).sort(() => next() - 0.5);
  return Object.fromEntries(keys.map((key) => [key, batch[key]]));
}

/** What the whole-batch zod schema says: the answer validateBatch gave when zod checked everything. */
function zodAnswer(value: unknown): { ok: true; json: string } | { ok: false; path: string; message: string } {
  const parsed = getSchemas().batch.safeParse(value);
  if (parsed.success) return { ok: true, json: JSON.stringify(parsed.data) };
  const issue = parsed.error.issues[0]!;
  return { ok: false, path: issue.path.map(String).join('.'), message: issue.message };
}

describe('hand-written envelope check', () => {
  test('generated envelopes get the whole-batch schema answer: same output (key order too) or same refusal', () => {
    const next = seededRandom(0xba7c4);
    let accepted = 0;
    for (let i = 0; i < 5_000; i++) {
      const value = generatedBatch(next);
      const expected = zodAnswer(structuredClone(value));
      const label = JSON.stringify(value);
      if (expected.ok) {
        accepted++;
        expect(JSON.stringify(validateBatch(value)), label).toBe(expected.json);
        continue;
      }
      let error: unknown;
      try {
        validateBatch(value);
      } catch (caught) {
        error = caught;
      }
      expect(error, label).toBeInstanceOf(ProtocolError);
      const refusal = error as ProtocolError;
      expect([refusal.code, refusal.status, refusal.path], label).toEqual(['invalid_batch', 400, expected.path]);
      expect(refusal.message, label).toBe(
        `[@reprise/protocol] Invalid batch at ${expected.path || '(root)'}: ${expected.message}.`,
      );
    }
    // Both outcomes must be exercised, or the comparison proves little.
    expect(accepted).toBeGreaterThan(500);
    expect(accepted).toBeLessThan(4_500);
    // 5,000 zod comparisons: about 2 s on a quiet machine, over 5 s on two busy cores.
  }, 60_000);

  test('an explicit undefined part goes through zod, as before', () => {
    const value = {
      v: 1,
      project: 'demo',
      session: 's',
      seq: 0,
      tab: 't',
      start: 1,
      end: 2,
      events: [{ type: 3, timestamp: 1, data: {} }],
      part: undefined,
    };
    const expected = zodAnswer(structuredClone(value));
    expect(expected.ok).toBe(true);
    expect(JSON.stringify(validateBatch(value))).toBe((expected as { json: string }).json);
  });
});

describe('shared msgpack decoder', () => {
  const batch: Batch = {
    v: 1,
    project: 'demo',
    session: 's',
    seq: 0,
    tab: 't',
    start: START,
    end: START,
    events: [{ type: 3, timestamp: START, data: { source: 0 } }],
  };

  test('a record defined by an earlier batch is unknown to the next one', () => {
    // The first batch's encoder defines its records inside it, from id 0x40 up. A body that is only
    // a reference to record 0x40 must read as it does alone (msgpackr: the integer 64), not as that
    // earlier batch's record.
    const reference = new Uint8Array([0x40, 0x01, 0x02]);
    const unpackOutcome = (bytes: Uint8Array): unknown => {
      try {
        return { value: unpackBatch(bytes) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    const alone = unpackOutcome(reference);
    const first = new Packr({ useRecords: true }).pack(batch);
    expect(first[0]! & 0xf0).not.toBe(0x80); // records in use: not a plain map
    expect(decodeBatch(first)).toEqual(batch);
    expect(unpackOutcome(reference)).toEqual(alone);
    expect(unpackOutcome(new Uint8Array([0x40]))).toEqual({ value: 64 });
  });

  test('a refused body leaves the decoder able to read the next batch', () => {
    expect(() => unpackBatch(new Uint8Array([0x93, 1, 2]))).toThrow(ProtocolError);
    expect(() => unpackBatch(new Uint8Array(50_000).fill(0x91))).toThrow(ProtocolError);
    expect(decodeBatch(encodeBatch(batch))).toEqual(batch);
  });
});
