import { EventType, type RecordedEvent } from '@reprise/protocol';
import { describe, expect, test } from 'vitest';
import { EventStore } from './event-store.js';

const meta = (timestamp: number): RecordedEvent => ({
  type: EventType.Meta,
  timestamp,
  data: { href: 'https://a.test/', width: 800, height: 600 },
});
const full = (timestamp: number): RecordedEvent => ({
  type: EventType.FullSnapshot,
  timestamp,
  data: { node: { type: 0, childNodes: [], id: 1 }, initialOffset: { top: 0, left: 0 } },
});
const move = (timestamp: number): RecordedEvent => ({
  type: EventType.IncrementalSnapshot,
  timestamp,
  data: { source: 1, positions: [{ x: 1, y: 1, id: 1, timeOffset: 0 }] },
});

/** Page loads at 0, 1000 and 2000 (Meta, then its snapshot 5 ms later), a move every 100 ms. */
function store(): EventStore {
  const events = new EventStore();
  for (let t = 0; t < 3000; t += 100) {
    if (t % 1000 === 0) {
      events.add(meta(t));
      events.add(full(t + 5));
    } else events.add(move(t));
  }
  return events;
}

describe('EventStore', () => {
  test('a window starts at the page load its frame is rebuilt from and stops a given time ahead', () => {
    const events = store();
    events.cover(0, 3000);
    const window = events.window(1450, 300);
    expect(window[0]).toMatchObject({ type: EventType.Meta, timestamp: 1000 });
    expect(window.at(-1)!.timestamp).toBe(1700);
    expect(events.frameStart(999)).toBe(0);
    expect(events.frameStart(-5)).toBe(0);
  });

  test('the moment between a Meta and its snapshot draws at the snapshot', () => {
    const events = store();
    expect(events.drawableTime(1002)).toBe(1005);
    expect(events.drawableTime(1300)).toBe(1300);
    expect(events.drawableTime(-10)).toBe(5);
  });

  test('a frame can be drawn only when everything from its page load to it is loaded; a window never crosses a hole', () => {
    const events = store();
    events.cover(0, 1200);
    events.cover(2000, 2600);
    expect(events.canDraw(1150)).toBe(true);
    expect(events.canDraw(1500)).toBe(false);
    expect(events.canDraw(2300)).toBe(true);
    expect(events.window(1100, 5000).at(-1)!.timestamp).toBe(1200);
    events.cover(1200, 2000);
    expect(events.coveredRanges()).toEqual([{ start: 0, end: 2600 }]);
    expect(events.canDraw(1500)).toBe(true);
  });

  test('events arriving out of order are kept in time order; each segment is claimed once', () => {
    const events = new EventStore();
    events.add(move(500));
    events.add(meta(100));
    events.add(move(300));
    expect(events.events.map((event) => event.timestamp)).toEqual([100, 300, 500]);
    expect(events.claimSegment(4)).toBe(true);
    expect(events.claimSegment(4)).toBe(false);
    expect(events.between(100, 500).map((event) => event.timestamp)).toEqual([300, 500]);
  });

  test('events of one millisecond keep the order of their segments, whichever stream brought them first', () => {
    const events = new EventStore();
    // A window brings segment 5 (a page load at 1000) before the whole-session stream brings
    // segment 4, whose last change shares that millisecond.
    const lastChange = move(1000);
    events.add(meta(1000), 5);
    events.add(full(1000), 5);
    events.add(move(1000), 5);
    events.add(move(1200), 5);
    events.add(move(900), 4);
    events.add(lastChange, 4);
    expect(events.events.map((event) => event.type)).toEqual([
      EventType.IncrementalSnapshot,
      EventType.IncrementalSnapshot,
      EventType.Meta,
      EventType.FullSnapshot,
      EventType.IncrementalSnapshot,
      EventType.IncrementalSnapshot,
    ]);
    expect(events.events[1]).toBe(lastChange);
    // The frame at 1000 is rebuilt from that page load, without the change that came before it.
    events.cover(900, 1200);
    expect(events.window(1100, 500)).not.toContain(lastChange);
    expect(events.window(1100, 500)[0]!.type).toBe(EventType.Meta);
    // Without segments, the order they arrived in.
    const plain = new EventStore();
    plain.add(meta(1000));
    plain.add(lastChange);
    expect(plain.events.at(-1)).toBe(lastChange);
  });

  test('after a lost segment, windows leave out the DOM changes up to the next full snapshot, whichever stream delivered them', () => {
    const events = store();
    events.cover(0, 3000);
    // A stream that started past the gap delivered 1500..1900 before another stream reported the gap.
    expect(events.window(1700, 300).some((event) => event.timestamp === 1600)).toBe(true);
    expect(events.addGap(1350)).toBe(true);
    expect(events.addGap(1350)).toBe(false);
    const window = events.window(1700, 800).map((event) => event.timestamp);
    // Up to the gap, then nothing of that page load; the next page load plays in full.
    expect(window).toEqual([1000, 1005, 1100, 1200, 1300, 2000, 2005, 2100, 2200, 2300, 2400, 2500]);
    expect(events.between(1300, 2100).map((event) => event.timestamp)).toEqual([2000, 2005, 2100]);
    expect(events.playable(move(1400))).toBe(false);
    expect(events.playable(move(1300))).toBe(true);
    expect(events.playable(meta(1500))).toBe(true);
  });

  test('release frees whole segments outside the kept stretch, and they can be delivered again', () => {
    const events = new EventStore();
    // Segments of 500 ms: [0, 495], [500, 995], ... [2500, 2995].
    for (let index = 0; index < 6; index++) {
      expect(events.claimSegment(index)).toBe(true);
      events.noteSegment(index, index * 500, index * 500 + 495);
    }
    const all = store();
    for (const event of all.events) events.add(event);
    events.noteRecordingMeta(0);
    events.cover(0, 2995);
    // Keep 1200..1700: the segments [1000, 1495] and [1500, 1995] hold it.
    expect(events.release(1200, 1700, new Set())).toEqual({ from: 1000, until: 1995 });
    expect(events.events[0]).toMatchObject({ type: EventType.Meta, timestamp: 1000 });
    expect(events.events.at(-1)!.timestamp).toBe(1900);
    expect(events.coveredRanges()).toEqual([{ start: 1000, end: 1995 }]);
    expect(events.canDraw(1450)).toBe(true);
    // What was freed is not loaded any more, and its segments may be claimed again.
    expect(events.canDraw(2450)).toBe(false);
    expect(events.canDraw(450)).toBe(false);
    // A moment before the first page load held is not the recording's first frame: its own was freed.
    expect(events.frameStart(450)).toBeUndefined();
    expect(events.canDraw(950)).toBe(false);
    expect(events.claimSegment(0)).toBe(true);
    expect(events.claimSegment(2)).toBe(false);
    // A segment still being delivered stays, with everything between it and the kept stretch.
    expect(events.release(1200, 1300, new Set([3]))).toBeUndefined();
  });

  test('release keeps a segment that straddles the edge, and whatever overlaps it', () => {
    const events = new EventStore();
    // Two tabs: [0, 1400] overlaps [1000, 1995]; [2000, 2995] stands alone.
    for (const [index, start, end] of [
      [0, 0, 1400],
      [1, 1000, 1995],
      [2, 2000, 2995],
    ] as const) {
      events.claimSegment(index);
      events.noteSegment(index, start, end);
    }
    for (const event of store().events) events.add(event);
    events.cover(0, 2995);
    expect(events.release(1500, 1600, new Set())).toEqual({ from: 0, until: 1995 });
    expect(events.events.at(-1)!.timestamp).toBe(1900);
    expect(events.claimSegment(2)).toBe(true);
    expect(events.claimSegment(0)).toBe(false);
  });

  test('release frees segments outside the kept stretch even when they held no event', () => {
    const events = new EventStore();
    for (let index = 0; index < 3; index++) {
      events.claimSegment(index);
      events.noteSegment(index, index * 500, index * 500 + 495);
    }
    // Only the middle segment delivered events; the others were empty (a quiet tab).
    for (const event of [meta(500), move(600), move(900)]) events.add(event);
    events.cover(0, 1495);
    expect(events.release(600, 700, new Set())).toEqual({ from: 500, until: 995 });
    expect(events.events.map((event) => event.timestamp)).toEqual([500, 600, 900]);
    expect(events.coveredRanges()).toEqual([{ start: 500, end: 995 }]);
    expect(events.claimSegment(0)).toBe(true);
    expect(events.claimSegment(2)).toBe(true);
    expect(events.claimSegment(1)).toBe(false);
    // Nothing left outside: nothing to free.
    expect(events.release(600, 700, new Set())).toBeUndefined();
  });
});
