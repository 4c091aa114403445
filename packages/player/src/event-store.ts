import { EventType, type RecordedEvent } from '@reprise/protocol';
import { identity, insertSorted, lowerBound, upperBound } from './sorted.js';
import type { TimeRange } from './types.js';

/**
 * Every event the player holds for drawing frames, in time order, and the stretches of the
 * recording they cover (epoch ms). Several streams may fill it: the whole session from its start,
 * and windows fetched around a seek target (`?from=&to=`). A segment the collector delivers to two
 * streams is kept once.
 *
 * rrweb's Replayer re-walks every event it holds on each seek and schedules one action per event
 * after the target, so the player never hands it the whole session: `window(time)` is the slice
 * from the page load (Meta + full snapshot) that the frame at `time` is rebuilt from, up to a few
 * minutes past it. A seek then costs the same in a 2-hour session as in a 5-minute one.
 */
export class EventStore {
  readonly events: RecordedEvent[] = [];
  /** Timestamps of Meta events (each page load or full-snapshot checkout starts with one). */
  private readonly metas: number[] = [];
  private readonly fulls: number[] = [];
  private covered: TimeRange[] = [];
  private readonly claimed = new Set<number>();
  /** The time each claimed segment spans (epoch ms), when its stream announced it: what `release` frees. */
  private readonly segmentSpans = new Map<number, TimeRange>();
  /** The recording's first page load (epoch ms), as the whole-session stream reported it. */
  private recordingFirstMeta: number | undefined;
  /** The segment each event came in, where its stream said (see `add`). */
  private readonly segmentOf = new WeakMap<RecordedEvent, number>();
  /** Starts of lost (skipped) segments, sorted: the DOM changes after one wait for the next full snapshot. */
  private readonly gapStarts: number[] = [];

  /** A stream starts delivering segment `index`: false when another stream has already taken it. */
  claimSegment(index: number): boolean {
    if (this.claimed.has(index)) return false;
    this.claimed.add(index);
    return true;
  }

  /** A stream has delivered (or is delivering) segment `index` into the store, or reported it lost. */
  holds(index: number): boolean {
    return this.claimed.has(index);
  }

  /** The segment `index` a stream claimed spans `start..end`. */
  noteSegment(index: number, start: number, end: number): void {
    if (this.claimed.has(index)) this.segmentSpans.set(index, { start, end });
  }

  /**
   * Free what lies outside `keepStart..keepEnd` (epoch ms), by whole segments, so that memory
   * follows the moment shown rather than the session's length. Segments that overlap the kept
   * stretch or are still being delivered (`busy`) stay, and so does whatever overlaps them. What is
   * freed is no longer loaded nor claimed: a stream may deliver it again. Returns the stretch still
   * held (events before `from` and after `until` are gone), or undefined when nothing was freed.
   */
  release(keepStart: number, keepEnd: number, busy: ReadonlySet<number>): { from: number; until: number } | undefined {
    let from = keepStart;
    let until = keepEnd;
    for (const index of busy) {
      const span = this.segmentSpans.get(index);
      if (!span) continue;
      from = Math.min(from, span.start);
      until = Math.max(until, span.end);
    }
    // Widen until no held segment straddles either edge (segments of several tabs overlap in time).
    for (let changed = true; changed;) {
      changed = false;
      for (const span of this.segmentSpans.values()) {
        if (span.start < from && span.end >= from) {
          from = span.start;
          changed = true;
        }
        if (span.end > until && span.start <= until) {
          until = span.end;
          changed = true;
        }
      }
    }
    const first = lowerBound(this.events, from, (event) => event.timestamp);
    const last = upperBound(this.events, until, (event) => event.timestamp);
    let freed = first > 0 || last < this.events.length;
    this.events.splice(last);
    this.events.splice(0, first);
    for (const times of [this.metas, this.fulls]) {
      const kept = times.filter((time) => time >= from && time <= until);
      times.splice(0, times.length, ...kept);
    }
    // Segments outside go even when they held no event: they may be delivered again.
    for (const [index, span] of this.segmentSpans) {
      if (span.end >= from && span.start <= until) continue;
      this.segmentSpans.delete(index);
      this.claimed.delete(index);
      freed = true;
    }
    if (this.covered.some((range) => range.start < from || range.end > until)) {
      this.covered = this.covered
        .map((range) => ({ start: Math.max(range.start, from), end: Math.min(range.end, until) }))
        .filter((range) => range.end >= range.start);
      freed = true;
    }
    return freed ? { from, until } : undefined;
  }

  /**
   * `segment`: the index of the segment the event came in, when its stream said. Events stamped
   * the same millisecond keep the order of their segments whichever stream delivered them first:
   * the last change of a page and the next page load often share a millisecond across a segment
   * boundary, and a window that brought the page load before the whole-session stream brought the
   * segment before it would otherwise have that change applied to the new page.
   */
  add(event: RecordedEvent, segment?: number): void {
    const time = event.timestamp;
    if (segment !== undefined) this.segmentOf.set(event, segment);
    const events = this.events;
    const last = events[events.length - 1];
    if (last === undefined || last.timestamp < time || (last.timestamp === time && !this.before(event, last)))
      events.push(event);
    else {
      let at = upperBound(events, time, (e) => e.timestamp);
      while (at > 0 && events[at - 1]!.timestamp === time && this.before(event, events[at - 1]!)) at--;
      events.splice(at, 0, event);
    }
    if (event.type === EventType.Meta) insertSorted(this.metas, time);
    else if (event.type === EventType.FullSnapshot) insertSorted(this.fulls, time);
  }

  /** `event` came in an earlier segment than `other` (both known). */
  private before(event: RecordedEvent, other: RecordedEvent): boolean {
    const mine = this.segmentOf.get(event);
    const theirs = this.segmentOf.get(other);
    return mine !== undefined && theirs !== undefined && mine < theirs;
  }

  /**
   * A lost segment starts at `start`. Whichever stream reported it, every window handed to rrweb
   * from then on leaves out the DOM changes between it and the next full snapshot: they refer to
   * nodes the replayer never saw. A stream that started past the gap (or delivered events before
   * another stream reported it) cannot know, so the store, not the stream, decides what plays.
   * Returns false when the gap was known already.
   */
  addGap(start: number): boolean {
    if (this.gapStarts.includes(start)) return false;
    insertSorted(this.gapStarts, start);
    return true;
  }

  /** False for a DOM change between a lost segment and the next full snapshot (see `addGap`). */
  playable(event: RecordedEvent): boolean {
    if (this.gapStarts.length === 0) return true;
    if (event.type === EventType.Meta || event.type === EventType.Custom || event.type === EventType.FullSnapshot)
      return true;
    const gap = this.gapStarts[upperBound(this.gapStarts, event.timestamp, identity) - 1];
    if (gap === undefined) return true;
    const snapshot = this.fulls[lowerBound(this.fulls, gap, identity)];
    return snapshot !== undefined && snapshot <= event.timestamp;
  }

  /** Mark `start..end` as loaded: every event stamped in it is in the store (a lost segment counts, as nothing). */
  cover(start: number, end: number): void {
    if (!(end >= start)) return;
    // The common case, a stream growing its own stretch: extend it in place.
    const last = this.covered[this.covered.length - 1];
    if (last && last.start <= start && start <= last.end) {
      last.end = Math.max(last.end, end);
      return;
    }
    if (this.isCovered(start, end)) return;
    const ranges = [...this.covered, { start, end }].sort((a, b) => a.start - b.start);
    const merged: TimeRange[] = [];
    for (const range of ranges) {
      const previous = merged[merged.length - 1];
      if (previous && range.start <= previous.end) previous.end = Math.max(previous.end, range.end);
      else merged.push({ ...range });
    }
    this.covered = merged;
  }

  /** The loaded stretches, merged and sorted (epoch ms). */
  coveredRanges(): readonly TimeRange[] {
    return this.covered;
  }

  isCovered(start: number, end: number): boolean {
    return this.covered.some((range) => range.start <= start && range.end >= end);
  }

  /** The end of the loaded stretch that holds `time`, or undefined when `time` is not loaded. */
  coveredUntil(time: number): number | undefined {
    return this.covered.find((range) => range.start <= time && range.end >= time)?.end;
  }

  /**
   * The Meta event rrweb rebuilds the frame at `time` from: the last one at or before `time`, or
   * the first one when `time` is before every page load (the frame is then that first snapshot).
   */
  frameStart(time: number): number | undefined {
    const index = upperBound(this.metas, time, identity) - 1;
    if (index >= 0) return this.metas[index];
    // Before every page load held: that is the recording's first frame only if the first page load
    // held is the recording's own first (an earlier one may have been freed, or not loaded yet).
    const first = this.metas[0];
    return first !== undefined && (this.recordingFirstMeta === undefined || first <= this.recordingFirstMeta)
      ? first
      : undefined;
  }

  /** The whole-session stream met a page load (Meta) at `time`: the first one is the recording's first. */
  noteRecordingMeta(time: number): void {
    if (this.recordingFirstMeta === undefined || time < this.recordingFirstMeta) this.recordingFirstMeta = time;
  }

  /**
   * The moment to draw so that the frame shows the page at `time`: `time` itself, or the full
   * snapshot of its page load when `time` falls between that load's Meta and its snapshot (or before
   * the first one); rrweb would draw nothing there and leave the previous frame on screen.
   */
  drawableTime(time: number): number {
    const meta = this.frameStart(time);
    const full = this.fulls[lowerBound(this.fulls, meta ?? -Infinity, identity)];
    return full !== undefined && full > time ? full : time;
  }

  /** True when everything the frame at `time` is rebuilt from has loaded. */
  canDraw(time: number): boolean {
    const meta = this.frameStart(time);
    if (meta === undefined) return false;
    const from = Math.min(meta, time);
    return this.isCovered(from, Math.max(time, this.drawableTime(time)));
  }

  /**
   * The events to give rrweb for a frame at `time` and the playback after it: from the page load
   * the frame is rebuilt from, through `ahead` ms past `time`, within the loaded stretch.
   */
  window(time: number, ahead: number): RecordedEvent[] {
    const meta = this.frameStart(time);
    if (meta === undefined) return [];
    let first = lowerBound(this.events, meta, (event) => event.timestamp);
    while (first < this.events.length && this.events[first]!.type !== EventType.Meta) first++;
    // Only what is contiguous with the page load: past a hole, rrweb would play on as if nothing happened.
    const loadedUntil = this.coveredUntil(meta) ?? meta;
    const last = upperBound(
      this.events,
      Math.min(Math.max(time, meta) + ahead, loadedUntil),
      (event) => event.timestamp,
    );
    return this.playableSlice(first, last);
  }

  /** Events after `after` (exclusive) up to `until` (inclusive): what extends a window during playback. */
  between(after: number, until: number): RecordedEvent[] {
    return this.playableSlice(
      upperBound(this.events, after, (e) => e.timestamp),
      upperBound(this.events, until, (e) => e.timestamp),
    );
  }

  private playableSlice(first: number, last: number): RecordedEvent[] {
    const slice = this.events.slice(first, last);
    return this.gapStarts.length === 0 ? slice : slice.filter((event) => this.playable(event));
  }
}
