import { expect, test } from 'vitest';
import { groupMarkers } from './timeline.js';
import type { Marker } from './types.js';

const marker = (kind: Marker['kind'], time: number): Marker => ({ kind, time, label: `${kind}@${time}` });

test('a roomy timeline shows every marker on its own', () => {
  const markers = [marker('click', 0), marker('error', 20), marker('navigation', 500)];
  expect(groupMarkers(markers, 1000, 800)).toEqual(markers.map((m) => [m]));
});

test('markers that would overlap share a button even where the timeline has room, the most important first', () => {
  // 8 px is 10 ms here: a click and the navigation it caused 3 ms later were two 8 px buttons on one spot.
  const markers = [marker('click', 100), marker('navigation', 103), marker('click', 400)];
  expect(groupMarkers(markers, 1000, 800)).toEqual([[markers[1], markers[0]], [markers[2]]]);
});

test('a crowded timeline groups markers a few pixels apart, the most important kind first', () => {
  const clicks = Array.from({ length: 200 }, (_, index) => marker('click', index * 10));
  const markers = [...clicks, marker('error', 1001), marker('navigation', 1002)].sort((a, b) => a.time - b.time);
  const groups = groupMarkers(markers, 2000, 400); // 5 ms per pixel: 200 markers on 400 px is crowded
  expect(groups.length).toBeLessThan(markers.length);
  expect(groups.flat()).toHaveLength(markers.length);
  const withError = groups.find((group) => group.some((m) => m.kind === 'error'))!;
  expect(withError[0]!.kind).toBe('error');
  expect(withError.length).toBeGreaterThan(1);
  for (const group of groups) {
    const times = group.map((m) => m.time);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThanOrEqual(40); // 8 px × 5 ms
  }
});
