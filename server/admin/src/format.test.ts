import { describe, expect, test } from 'vitest';
import { errorsThrownCount, formatDuration, formatMoment, parseMoment } from './format.js';

// The admin UI's numbers, where they must agree with the player's: found walking the Vue playground.
describe('admin display helpers', () => {
  test('a duration is cut to whole seconds as the player clock cuts it (160.674 s is 2:40 there)', () => {
    expect(formatDuration(160_674)).toBe('2m 40s');
    expect(formatDuration(59_999)).toBe('59s');
    expect(formatDuration(3_725_000)).toBe('1h 02m');
    expect(formatDuration(-1)).toBe('–');
  });

  test('a moment link keeps the millisecond, and reads back as the same moment', () => {
    expect(formatMoment(2_509)).toBe('2.509');
    expect(formatMoment(-5)).toBe('0');
    expect(parseMoment(`#t=${formatMoment(2_509)}`, '')).toBe(2_509);
  });

  test('the errors heading counts every error, and the distinct messages when some came again', () => {
    expect(errorsThrownCount(3, 2)).toBe('3, 2 distinct');
    expect(errorsThrownCount(2, 2)).toBe('2');
  });
});
