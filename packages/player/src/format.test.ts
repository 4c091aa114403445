import { expect, test } from 'vitest';
import { formatClock, formatDuration, lastIndexAtOrBefore } from './format.js';

test('formatClock prints m:ss, and h:mm:ss past an hour', () => {
  expect(formatClock(0)).toBe('0:00');
  expect(formatClock(7_900)).toBe('0:07');
  expect(formatClock(65_000)).toBe('1:05');
  expect(formatClock(3_909_000)).toBe('1:05:09');
  expect(formatClock(-5)).toBe('0:00');
});

test('formatDuration picks ms, seconds or minutes', () => {
  expect(formatDuration(86)).toBe('86 ms');
  expect(formatDuration(2_840)).toBe('2.8 s');
  expect(formatDuration(42_000)).toBe('42 s');
  expect(formatDuration(180_000)).toBe('3 min');
  expect(formatDuration(Number.NaN)).toBe('—');
});

test('lastIndexAtOrBefore finds the row playing at a moment', () => {
  const rows = [{ time: 10 }, { time: 20 }, { time: 20 }, { time: 35 }];
  expect(lastIndexAtOrBefore(rows, 5)).toBe(-1);
  expect(lastIndexAtOrBefore(rows, 10)).toBe(0);
  expect(lastIndexAtOrBefore(rows, 20)).toBe(2);
  expect(lastIndexAtOrBefore(rows, 99)).toBe(3);
  expect(lastIndexAtOrBefore([], 1)).toBe(-1);
});
