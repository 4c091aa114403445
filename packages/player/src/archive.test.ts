import { describe, expect, test } from 'vitest';
import { SegmentArchive, type SegmentLines } from './archive.js';

/** Segment `index` spans a minute from `index` minutes; a page load at its start when `loads`. */
function segment(index: number, loads = false): SegmentLines {
  const start = index * 60_000;
  const lines = [JSON.stringify({ stream: 'segment', index, startedAt: start, endedAt: start + 59_000 })];
  const pageLoads: number[] = [];
  if (loads) {
    lines.push(JSON.stringify({ type: 4, timestamp: start, data: { href: 'https://a.test/', width: 1, height: 1 } }));
    pageLoads.push(start);
  }
  for (let t = start + 1000; t < start + 60_000; t += 1000)
    lines.push(JSON.stringify({ type: 3, timestamp: t, data: { source: 1, positions: [{ x: 1, y: 2, id: 3 }] } }));
  return { index, start, end: start + 59_000, lines, pageLoads };
}

/** The archive's size once it has stopped growing (it compresses in the background). */
const settledBytes = (archive: SegmentArchive) => async () => {
  const before = archive.bytes;
  await new Promise((resolve) => setTimeout(resolve, 30));
  return archive.bytes === before ? before : 0;
};

async function settled(archive: SegmentArchive, plan: number[]): Promise<string> {
  return archive.response(plan).text();
}

describe('SegmentArchive', () => {
  test('compresses nothing before it is told to start (the first frame), then every segment it holds', async () => {
    let start: () => void = () => {};
    const archive = new SegmentArchive(new Promise<void>((resolve) => (start = resolve)));
    const segments = [segment(0, true), segment(1), segment(2)];
    for (const each of segments) archive.add(each);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(archive.bytes).toBe(0);
    // Held all the same: planned, and given back as they came meanwhile.
    expect(archive.has(2)).toBe(true);
    expect(archive.plan(60_500, 90_000)).toEqual([0, 1]);
    const text = await archive.response([0, 1]).text();
    expect(archive.bytes).toBe(0);
    start();
    expect(text).toBe(
      segments
        .slice(0, 2)
        .map((each) => each.lines.join('\n') + '\n')
        .join(''),
    );
    await expect.poll(() => archive.bytes).toBeGreaterThan(0);
    const all = await archive.response([0, 1, 2]).text();
    expect(all.split('\n').length).toBe(segments.reduce((sum, each) => sum + each.lines.length, 0) + 1);
  });

  test('gives back the lines of the planned segments, in order, as they were delivered', async () => {
    const archive = new SegmentArchive();
    const segments = [segment(0, true), segment(1), segment(2), segment(3, true), segment(4)];
    for (const each of segments) archive.add(each);
    const plan = archive.plan(2 * 60_000 + 500, 3 * 60_000);
    expect(plan).toEqual([0, 1, 2, 3]);
    const text = await settled(archive, plan!);
    expect(text).toBe(
      segments
        .slice(0, 4)
        .map((each) => each.lines.join('\n') + '\n')
        .join(''),
    );
    // Compressed outside the heap: repetitive recording text takes a fraction of its size.
    await expect.poll(settledBytes(archive)).toBeGreaterThan(0);
    expect(archive.bytes).toBeLessThan(text.length / 4);
  });

  test('starts at the last page load at or before the moment', () => {
    const archive = new SegmentArchive();
    for (const each of [segment(0, true), segment(1), segment(2, true), segment(3), segment(4)]) archive.add(each);
    expect(archive.plan(3 * 60_000 + 10, 3 * 60_000 + 20)).toEqual([2, 3]);
    expect(archive.plan(4 * 60_000, 9 * 60_000)).toEqual([2, 3, 4]);
  });

  test('cannot plan across a segment it does not hold, nor a moment it has not reached', () => {
    const archive = new SegmentArchive();
    for (const each of [segment(0, true), segment(1), segment(3)]) archive.add(each);
    // Segment 2 never arrived whole (a lost segment, or a stream stopped in it): the collector must bring it.
    expect(archive.plan(3 * 60_000 + 10, 4 * 60_000)).toBeUndefined();
    expect(archive.plan(60_000 + 10, 4 * 60_000)).toEqual([0, 1]);
    // Before every page load it holds.
    expect(new SegmentArchive().plan(10, 20)).toBeUndefined();
  });

  test('of a segment the store still holds, gives only its record', async () => {
    const archive = new SegmentArchive();
    const segments = [segment(0, true), segment(1), segment(2)];
    for (const each of segments) archive.add(each);
    const text = await archive.response([0, 1, 2], (index) => index < 2).text();
    expect(text).toBe(`${segments[0]!.lines[0]}\n${segments[1]!.lines[0]}\n${segments[2]!.lines.join('\n')}\n`);
  });

  test('keeps the first complete copy of a segment', async () => {
    const archive = new SegmentArchive();
    archive.add(segment(0, true));
    archive.add({ ...segment(0, true), lines: ['{"other":true}'] });
    expect(await settled(archive, [0])).toContain('"stream":"segment"');
  });
});
