// Helpers for this package's tests only (index.ts does not export them, so no build carries them).
import type { Batch } from './batch.js';
import { ProtocolError } from './errors.js';
import { EventType } from './events.js';

/** The sample batches' clock: their `start`, and the `now` of a test's time window. */
export const START = 1_700_000_000_000;

/** A small valid batch: a Meta event and a mouse move, 40 ms apart. */
export function sampleBatch(overrides: Partial<Batch> = {}): Batch {
  return {
    v: 1,
    project: 'demo',
    session: 'sess_1',
    seq: 3,
    tab: 'tab-1',
    start: START,
    end: START + 40,
    events: [
      { type: EventType.Meta, timestamp: START, data: { href: 'http://127.0.0.1/', width: 1024, height: 768 } },
      {
        type: EventType.IncrementalSnapshot,
        timestamp: START + 40,
        data: { source: 1, positions: [{ x: 1, y: 2, id: 7, timeOffset: -5 }] },
      },
    ],
    ...overrides,
  };
}

/** The ProtocolError `run` throws; anything else thrown fails the test as it is. */
export function refusal(run: () => unknown): ProtocolError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('expected a ProtocolError, nothing was thrown');
}

/** Small seeded PRNG (mulberry32): generated test cases are the same every run, so a failure reproduces. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
